"""Kubernetes `Status` errors, shaped exactly like the API server's."""

from __future__ import annotations


class ApiError(Exception):
    """An error answered as a `metav1.Status` body with the given HTTP code."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self) -> dict:
        return status_object(self.code, self.reason, self.message, self.details)


def status_object(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details:
        body["details"] = details
    body["code"] = code
    return body


def success_status(name: str, group: str, kind: str, uid: str) -> dict:
    details = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = kind
    details["uid"] = uid
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


def _details(name: str | None, group: str, kind: str, **extra) -> dict:
    details = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = kind
    details.update(extra)
    return details


def qualified(resource: str, group: str) -> str:
    """`jobs.batch`, `pods` — how Kubernetes names a resource in messages."""
    return f"{resource}.{group}" if group else resource


def not_found(resource: str, group: str, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{qualified(resource, group)} "{name}" not found',
                    _details(name, group, resource))


def already_exists(resource: str, group: str, name: str) -> ApiError:
    return ApiError(409, "AlreadyExists", f'{qualified(resource, group)} "{name}" already exists',
                    _details(name, group, resource))


def conflict(resource: str, group: str, name: str, message: str) -> ApiError:
    return ApiError(409, "Conflict",
                    f'Operation cannot be fulfilled on {qualified(resource, group)} "{name}": {message}',
                    _details(name, group, resource))


def invalid(kind: str, group: str, name: str, causes: list[dict]) -> ApiError:
    """422 Invalid. causes: [{"reason", "message", "field"}]."""
    parts = [f'{c["field"]}: {c["message"]}' if c.get("field") else c["message"] for c in causes]
    joined = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    label = f"{kind}.{group}" if group else kind
    return ApiError(422, "Invalid", f'{label} "{name}" is invalid: {joined}',
                    _details(name, group, kind, causes=causes))


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def forbidden(user: str, verb: str, resource: str, subresource: str, group: str, namespace: str | None,
              name: str | None) -> ApiError:
    target = qualified(resource, group)
    head = f'{target} "{name}" is forbidden' if name else f"{target} is forbidden"
    full = f"{resource}/{subresource}" if subresource else resource
    scope = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
    message = (f'{head}: User "{user}" cannot {verb} resource "{full}" in API group "{group}"{scope}')
    return ApiError(403, "Forbidden", message, _details(name, group, resource))


def forbidden_message(resource: str, group: str, name: str | None, why: str) -> ApiError:
    target = qualified(resource, group)
    head = f'{target} "{name}" is forbidden' if name else f"{target} is forbidden"
    return ApiError(403, "Forbidden", f"{head}: {why}", _details(name, group, resource))


def method_not_allowed() -> ApiError:
    return ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


def unsupported_media_type(content_type: str) -> ApiError:
    return ApiError(415, "UnsupportedMediaType", f'the body of the request was in an unknown format - accepted media types include: application/json, application/merge-patch+json, application/strategic-merge-patch+json ({content_type})')


def gone(message: str) -> ApiError:
    return ApiError(410, "Gone", message)


def expired(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def too_many_requests(retry_after: int = 1) -> ApiError:
    return ApiError(429, "TooManyRequests", "Too many requests, please try again later.",
                    {"retryAfterSeconds": retry_after}, headers={"Retry-After": str(retry_after)})


def internal_error(message: str) -> ApiError:
    return ApiError(500, "InternalError", f"Internal error occurred: {message}",
                    {"causes": [{"message": message}]})


def service_unavailable(message: str = "the server is currently unable to handle the request") -> ApiError:
    return ApiError(503, "ServiceUnavailable", message)


def from_status_code(code: int, message: str | None = None) -> ApiError:
    """A plausible Status for an injected fault with this HTTP code."""
    if code == 429:
        return too_many_requests(1)
    table = {
        400: ("BadRequest", "the server rejected our request for an unknown reason"),
        401: ("Unauthorized", "Unauthorized"),
        403: ("Forbidden", "forbidden"),
        404: ("NotFound", "the server could not find the requested resource"),
        409: ("Conflict", "the object has been modified; please apply your changes to the latest version and try again"),
        410: ("Gone", "the resource is gone"),
        500: ("InternalError", "Internal error occurred: injected fault"),
        502: ("InternalError", "an error on the server (\"Bad Gateway\") has prevented the request from succeeding"),
        503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
        504: ("Timeout", "the server was unable to return a response in the time allotted, but may still be processing the request"),
    }
    reason, default = table.get(code, ("InternalError" if code >= 500 else "BadRequest", f"injected fault {code}"))
    details = {"causes": [{"message": "injected fault"}]} if code == 500 else None
    return ApiError(code, reason, message or default, details)
