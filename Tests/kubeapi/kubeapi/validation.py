"""Admission: schema validation (kubernetes-validate, strict), the semantic checks
the API server adds on top, and the defaults it applies.

Every created object is validated against the strict JSON schema of each
configured Kubernetes version; any failure is a 422 Invalid naming the field.
(A real API server drops unknown fields with a warning by default and answers
400 with `fieldValidation=Strict`; here they are always an error, so a client
sending a field a supported version lacks is caught.)
"""

from __future__ import annotations

import base64
import copy
import re
import secrets
import threading

import jsonschema
from kubernetes_validate import utils as kv_utils
from referencing import Registry, Resource

from . import errors, quantity
from .resources import ResourceType

_lock = threading.Lock()
_definitions: dict[str, Resource] = {}
_validators: dict[tuple[str, str], jsonschema.protocols.Validator] = {}


def _schema_dir(version: str) -> str:
    major_minor = ".".join(version.lstrip("v").split(".")[:2])
    return f"v{major_minor}.0-local-strict"


def supported(version: str) -> bool:
    major_minor = ".".join(version.lstrip("v").split(".")[:2])
    return major_minor in {".".join(v.split(".")[:2]) for v in kv_utils.all_versions()}


def _validator(version: str, kind: str, api_version: str):
    file_kind = kind.lower() + "-" + re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    key = (_schema_dir(version), file_kind)
    with _lock:
        v = _validators.get(key)
        if v is None:
            d = key[0]
            schema = kv_utils.schema_contents(f"kubernetes-json-schema/{d}/{file_kind}.json", version)
            defs = _definitions.get(d)
            if defs is None:
                defs = _definitions[d] = Resource.from_contents(
                    kv_utils.schema_contents(f"kubernetes-json-schema/{d}/_definitions.json", version))
            registry = Resource.from_contents(schema) @ (defs @ Registry())
            v = _validators[key] = jsonschema.validators.Draft202012Validator(schema, registry=registry)
        return v


def warm(versions, kinds=(("Job", "batch/v1"), ("Pod", "v1"), ("Secret", "v1"))):
    for version in versions:
        for kind, api_version in kinds:
            _validator(version, kind, api_version)


def _path(parts) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _schema_causes(err) -> list[tuple[str, str, str]]:
    """(field, reason, message) for one jsonschema error."""
    field = _path(err.absolute_path)
    if err.validator == "additionalProperties":
        known = set((err.schema.get("properties") or {}).keys())
        extra = sorted(k for k in err.instance if k not in known) if isinstance(err.instance, dict) else []
        return [(_join(field, k), "FieldValueNotSupported", f'unknown field "{_join(field, k)}"') for k in extra]
    if err.validator == "required":
        missing = [p for p in err.validator_value if not isinstance(err.instance, dict) or p not in err.instance]
        return [(_join(field, p), "FieldValueRequired", "Required value") for p in missing]
    if err.validator == "type":
        want = err.validator_value if isinstance(err.validator_value, str) else \
            " or ".join(t for t in err.validator_value if t != "null")
        return [(field, "FieldValueTypeInvalid", f"Invalid value: {_show(err.instance)}: must be of type {want}")]
    if err.validator == "enum":
        allowed = ", ".join(f'"{v}"' for v in err.validator_value if v is not None)
        return [(field, "FieldValueNotSupported", f"Unsupported value: {_show(err.instance)}: supported values: {allowed}")]
    if err.validator in ("oneOf", "anyOf") and err.context:
        best = jsonschema.exceptions.best_match(err.context)
        return _schema_causes(best) if best is not None else [(field, "FieldValueInvalid", err.message)]
    return [(field, "FieldValueInvalid", f"Invalid value: {_show(err.instance)}: {err.message}")]


def _show(value) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (dict, list)):
        return "{...}" if isinstance(value, dict) else "[...]"
    return str(value).lower() if isinstance(value, bool) else str(value)


def schema_causes(obj: dict, versions) -> list[dict]:
    """Causes from validating obj against the strict schema of each version (deduplicated)."""
    found: dict[tuple[str, str, str], list[str]] = {}
    for version in versions:
        v = _validator(version, obj.get("kind", ""), obj.get("apiVersion", ""))
        for err in v.iter_errors(obj):
            for cause in _schema_causes(err):
                found.setdefault(cause, []).append(".".join(version.split(".")[:2]))
    out = []
    for (field, reason, message), vs in found.items():
        suffix = f" (schema of Kubernetes {', '.join(vs)})"
        out.append({"reason": reason, "message": message + suffix, "field": field})
    return out


# ---- semantic validation (subset of the API server's) ----------------------------

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")

MSG_SUBDOMAIN = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                 "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                 "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
MSG_LABEL = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
             "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
             "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
MSG_QNAME = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
             "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
             "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
MSG_LABEL_VALUE = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                   "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
                   "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
MSG_ENV = ("a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', "
           "and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex "
           "used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')")
MSG_KEY = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
           "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")


class Causes(list):
    def add(self, field: str, reason: str, message: str):
        self.append({"reason": reason, "message": message, "field": field})

    def required(self, field: str, detail: str = ""):
        self.add(field, "FieldValueRequired", "Required value" + (f": {detail}" if detail else ""))

    def invalid(self, field: str, value, detail: str):
        self.add(field, "FieldValueInvalid", f"Invalid value: {_show(value)}: {detail}")


def _check_labels(c: Causes, field: str, labels):
    for key, value in (labels or {}).items():
        prefix, _, name = key.rpartition("/")
        if prefix and (len(prefix) > 253 or not DNS1123_SUBDOMAIN.match(prefix)):
            c.invalid(field, key, "prefix part " + MSG_SUBDOMAIN)
        if not name or not QUALIFIED_NAME.match(name):
            c.invalid(field, key, MSG_QNAME)
        elif len(name) > 63:
            c.invalid(field, key, "name part must be no more than 63 characters")
        if not isinstance(value, str) or not LABEL_VALUE.match(value):
            c.invalid(field, value, MSG_LABEL_VALUE)
        elif len(value) > 63:
            c.invalid(field, value, "must be no more than 63 characters")


def _check_meta(c: Causes, meta: dict, name_max: int = 253):
    name = meta.get("name")
    if not name:
        c.required("metadata.name", "name or generateName is required")
    elif not DNS1123_SUBDOMAIN.match(name):
        c.invalid("metadata.name", name, MSG_SUBDOMAIN)
    elif len(name) > name_max:
        c.invalid("metadata.name", name, f"must be no more than {name_max} characters")
    _check_labels(c, "metadata.labels", meta.get("labels"))
    for i, ref in enumerate(meta.get("ownerReferences") or []):
        for key in ("apiVersion", "kind", "name", "uid"):
            if not ref.get(key):
                c.required(f"metadata.ownerReferences[{i}].{key}")


def _check_resources(c: Causes, field: str, resources: dict):
    limits = resources.get("limits") or {}
    requests = resources.get("requests") or {}
    parsed = {}
    for section, values in (("limits", limits), ("requests", requests)):
        for name, value in values.items():
            try:
                parsed[(section, name)] = quantity.parse(value)
            except ValueError:
                c.invalid(f"{field}.{section}[{name}]", value,
                          "quantities must match the regular expression "
                          "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
                continue
            if parsed[(section, name)] < 0:
                c.invalid(f"{field}.{section}[{name}]", value, "must be greater than or equal to 0")
    for name in requests:
        req, lim = parsed.get(("requests", name)), parsed.get(("limits", name))
        extended = "/" in name and not name.startswith("kubernetes.io/") and not name.startswith("hugepages-")
        if extended:
            if lim is None:
                c.add(f"{field}.limits", "FieldValueForbidden", "Forbidden: Limit must be set for non overcommitable resources")
            elif req is not None and req != lim:
                c.invalid(f"{field}.requests[{name}]", requests[name], f"must be equal to {name} limit of {limits[name]}")
        elif req is not None and lim is not None and req > lim:
            c.invalid(f"{field}.requests", requests[name], f"must be less than or equal to {name} limit of {limits[name]}")
    for name, value in list(limits.items()) + list(requests.items()):
        extended = "/" in name and not name.startswith("kubernetes.io/")
        v = parsed.get(("limits", name)) if name in limits else parsed.get(("requests", name))
        if extended and v is not None and v != v.to_integral_value():
            c.invalid(f"{field}.limits[{name}]", value, "must be an integer")


def _check_pod_spec(c: Causes, field: str, spec: dict, allowed_restart=("Always", "OnFailure", "Never")):
    volumes = set()
    for i, vol in enumerate(spec.get("volumes") or []):
        name = vol.get("name", "")
        if not DNS1123_LABEL.match(name):
            c.invalid(f"{field}.volumes[{i}].name", name, MSG_LABEL)
        elif name in volumes:
            c.add(f"{field}.volumes[{i}].name", "FieldValueDuplicate", f'Duplicate value: "{name}"')
        volumes.add(name)
    restart = spec.get("restartPolicy")
    if restart is None and "Always" in allowed_restart:
        pass  # defaulted to Always
    elif restart not in allowed_restart:
        shown = ", ".join(f'"{r}"' for r in allowed_restart)
        if restart is None:
            c.required(f"{field}.restartPolicy", f"valid values: {shown}")
        else:
            c.add(f"{field}.restartPolicy", "FieldValueNotSupported",
                  f'Unsupported value: "{restart}": supported values: {shown}')
    containers = spec.get("containers") or []
    if not containers:
        c.required(f"{field}.containers")
    names = set()
    for group in ("initContainers", "containers"):
        for i, ctr in enumerate(spec.get(group) or []):
            cf = f"{field}.{group}[{i}]"
            name = ctr.get("name", "")
            if not name:
                c.required(f"{cf}.name")
            elif not DNS1123_LABEL.match(name):
                c.invalid(f"{cf}.name", name, MSG_LABEL)
            elif name in names:
                c.add(f"{cf}.name", "FieldValueDuplicate", f'Duplicate value: "{name}"')
            names.add(name)
            if not (ctr.get("image") or "").strip():
                c.required(f"{cf}.image")
            for j, env in enumerate(ctr.get("env") or []):
                ename = env.get("name", "")
                if not ename:
                    c.required(f"{cf}.env[{j}].name")
                elif not ENV_NAME.match(ename):
                    c.invalid(f"{cf}.env[{j}].name", ename, MSG_ENV)
                if env.get("value") and env.get("valueFrom"):
                    c.invalid(f"{cf}.env[{j}].valueFrom", "", "may not be specified when `value` is not empty")
                vf = env.get("valueFrom") or {}
                if len([k for k in vf if vf[k] is not None]) > 1:
                    c.invalid(f"{cf}.env[{j}].valueFrom", "", "may not have more than one field specified at a time")
                ref = vf.get("secretKeyRef")
                if ref is not None:
                    if not ref.get("name"):
                        c.required(f"{cf}.env[{j}].valueFrom.secretKeyRef.name")
                    if not ref.get("key"):
                        c.required(f"{cf}.env[{j}].valueFrom.secretKeyRef.key")
            mounts = set()
            for j, mount in enumerate(ctr.get("volumeMounts") or []):
                if mount.get("name") not in volumes:
                    c.add(f"{cf}.volumeMounts[{j}].name", "FieldValueNotFound", f'Not found: "{mount.get("name")}"')
                path = mount.get("mountPath") or ""
                if not path:
                    c.required(f"{cf}.volumeMounts[{j}].mountPath")
                elif path in mounts:
                    c.invalid(f"{cf}.volumeMounts[{j}].mountPath", path, "must be unique")
                mounts.add(path)
            _check_resources(c, f"{cf}.resources", ctr.get("resources") or {})
    grace = spec.get("terminationGracePeriodSeconds")
    if isinstance(grace, int) and grace < 0:
        c.invalid(f"{field}.terminationGracePeriodSeconds", grace, "must be greater than or equal to 0")
    ads = spec.get("activeDeadlineSeconds")
    if isinstance(ads, int) and ads <= 0:
        c.invalid(f"{field}.activeDeadlineSeconds", ads, "must be between 1 and 2147483647, inclusive")


def _check_job(c: Causes, job: dict):
    spec = job.get("spec") or {}
    for key in ("parallelism", "completions", "backoffLimit", "ttlSecondsAfterFinished"):
        v = spec.get(key)
        if isinstance(v, int) and v < 0:
            c.invalid(f"spec.{key}", v, "must be greater than or equal to 0")
    v = spec.get("activeDeadlineSeconds")
    if isinstance(v, int) and v <= 0:
        c.invalid("spec.activeDeadlineSeconds", v, "must be greater than 0")
    if spec.get("selector") is not None and not spec.get("manualSelector"):
        c.invalid("spec.selector", "{...}", "`selector` will be auto-generated")
    template = spec.get("template")
    if not isinstance(template, dict) or not template.get("spec"):
        c.required("spec.template")
        return
    _check_labels(c, "spec.template.metadata.labels", (template.get("metadata") or {}).get("labels"))
    _check_pod_spec(c, "spec.template.spec", template["spec"], allowed_restart=("OnFailure", "Never"))


def _check_secret(c: Causes, secret: dict):
    total = 0
    for section in ("data", "stringData"):
        for key, value in (secret.get(section) or {}).items():
            if not CONFIG_KEY.match(key):
                c.invalid(f"{section}[{key}]", key, MSG_KEY)
            if section == "data":
                try:
                    total += len(base64.b64decode(value or "", validate=True))
                except Exception:
                    c.invalid(f"data[{key}]", "<value>", "illegal base64 data")
            else:
                total += len((value or "").encode())
    if total > 1024 * 1024:
        c.add("data", "FieldValueTooLong", "Too long: must have at most 1048576 bytes")


# ---- defaults ------------------------------------------------------------------

_SUFFIX_CHARS = "bcdfghjklmnpqrstvwxz2456789"


def random_suffix(n: int = 5) -> str:
    return "".join(secrets.choice(_SUFFIX_CHARS) for _ in range(n))


def _image_pull_policy(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    if ":" not in last or last.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


def default_pod_spec(spec: dict, *, template: bool):
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for group in ("initContainers", "containers"):
        for ctr in spec.get(group) or []:
            ctr.setdefault("terminationMessagePath", "/dev/termination-log")
            ctr.setdefault("terminationMessagePolicy", "File")
            ctr.setdefault("imagePullPolicy", _image_pull_policy(ctr.get("image", "")))
            res = ctr.setdefault("resources", {})
            if not template and res.get("limits"):
                req = res.setdefault("requests", {})
                for k, v in res["limits"].items():
                    req.setdefault(k, v)
            for port in ctr.get("ports") or []:
                port.setdefault("protocol", "TCP")
            for env in ctr.get("env") or []:
                ref = (env.get("valueFrom") or {}).get("fieldRef")
                if ref is not None:
                    ref.setdefault("apiVersion", "v1")
    for vol in spec.get("volumes") or []:
        if "secret" in vol:
            vol["secret"].setdefault("defaultMode", 420)
    if not template:
        spec.setdefault("enableServiceLinks", True)
        spec.setdefault("serviceAccountName", "default")
        spec["serviceAccount"] = spec["serviceAccountName"]
        spec.setdefault("priority", 0)
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
        tolerations = spec.setdefault("tolerations", [])
        for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
            if not any(t.get("key") == key for t in tolerations):
                tolerations.append({"key": key, "operator": "Exists", "effect": "NoExecute",
                                    "tolerationSeconds": 300})


def qos_class(spec: dict) -> str:
    containers = (spec.get("containers") or []) + (spec.get("initContainers") or [])
    any_set, guaranteed = False, True
    for ctr in containers:
        res = ctr.get("resources") or {}
        limits, requests = res.get("limits") or {}, res.get("requests") or {}
        if limits or requests:
            any_set = True
        for r in ("cpu", "memory"):
            if r not in limits or requests.get(r, limits[r]) != limits[r]:
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def default_job(job: dict, uid: str):
    spec = job.setdefault("spec", {})
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    spec.setdefault("parallelism", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("manualSelector", None)
    if spec["manualSelector"] is None:
        del spec["manualSelector"]
    spec.setdefault("podReplacementPolicy", "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed")
    template = spec.setdefault("template", {})
    tmeta = template.setdefault("metadata", {})
    labels = tmeta.get("labels")
    if labels and not job["metadata"].get("labels"):
        job["metadata"]["labels"] = dict(labels)
    if not spec.get("manualSelector"):
        name = job["metadata"]["name"]
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
        tlabels = tmeta.setdefault("labels", {})
        tlabels.update({"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name,
                        "controller-uid": uid, "job-name": name})
    default_pod_spec(template.setdefault("spec", {}), template=True)
    job["status"] = {}


def default_pod(pod: dict):
    default_pod_spec(pod.setdefault("spec", {}), template=False)
    pod["status"] = {"phase": "Pending", "qosClass": qos_class(pod["spec"])}


def default_secret(secret: dict):
    data = secret.get("data") or {}
    for key, value in (secret.pop("stringData", None) or {}).items():
        data[key] = base64.b64encode(value.encode()).decode()
    if data or "data" in secret:
        secret["data"] = data
    secret.setdefault("type", "Opaque")


# ---- admission -----------------------------------------------------------------

def admit_create(rt: ResourceType, obj, namespace: str, versions, uid: str,
                 known_service_accounts=None) -> dict:
    """Validates a create request's body and returns the object to store (defaulted).

    Raises ApiError (400 for a malformed body, 422 Invalid, 403 for a missing
    ServiceAccount like the ServiceAccount admission plugin).
    """
    if not isinstance(obj, dict):
        raise errors.bad_request(f"the object provided is unrecognized (must be of type {rt.kind})")
    obj = copy.deepcopy(obj)
    obj.setdefault("apiVersion", rt.api_version)
    obj.setdefault("kind", rt.kind)
    if obj.get("kind") != rt.kind or obj.get("apiVersion") != rt.api_version:
        raise errors.bad_request(
            f'the API version in the data ({obj.get("apiVersion")}) does not match the expected API version '
            f"({rt.api_version})" if obj.get("apiVersion") != rt.api_version else
            f"the kind in the data ({obj.get('kind')}) does not match the expected kind ({rt.kind})")
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = obj["metadata"] = {}
    if meta.get("namespace") and meta["namespace"] != namespace:
        raise errors.bad_request("the namespace of the provided object does not match the namespace sent on the request")
    if not meta.get("name") and meta.get("generateName"):
        meta["name"] = meta["generateName"] + random_suffix()

    causes = Causes(schema_causes(obj, versions))
    if not causes:
        _check_meta(causes, meta, name_max=63 if rt.name == "jobs" else 253)
        if rt.name == "jobs":
            _check_job(causes, obj)
        elif rt.name == "pods":
            _check_pod_spec(causes, "spec", obj.get("spec") or {})
        elif rt.name == "secrets":
            _check_secret(causes, obj)
    if causes:
        raise errors.invalid(rt.kind, rt.group, meta.get("name") or "", causes)

    meta["namespace"] = namespace
    for key in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
                "deletionGracePeriodSeconds", "managedFields", "selfLink"):
        meta.pop(key, None)
    meta["uid"] = uid
    meta["generation"] = 1
    if rt.name == "jobs":
        default_job(obj, uid)
    elif rt.name == "pods":
        default_pod(obj)
        sa = obj["spec"]["serviceAccountName"]
        if known_service_accounts is not None and sa != "default" and (namespace, sa) not in known_service_accounts:
            raise errors.forbidden_message("pods", "", meta["name"],
                                           f"error looking up service account {namespace}/{sa}: "
                                           f'serviceaccount "{sa}" not found')
    elif rt.name == "secrets":
        default_secret(obj)
    return obj
