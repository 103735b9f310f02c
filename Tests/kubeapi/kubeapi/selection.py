"""Label and field selectors, with Kubernetes' syntax and matching rules."""

from __future__ import annotations

import re

from .errors import bad_request

_TOKEN = re.compile(r"\s*(?:(!=|==|=|!|\(|\)|,|>|<)|([A-Za-z0-9._/\-]+))")


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:
            raise bad_request(f"unable to parse requirement: found '{text[pos:]}', expected: identifier")
        out.append(m.group(1) or m.group(2))
        pos = m.end()
    return out


class LabelSelector:
    """Parsed `labelSelector`: a list of (key, op, values) that must all hold."""

    def __init__(self, requirements: list[tuple[str, str, tuple]]):
        self.requirements = requirements

    @classmethod
    def parse(cls, text: str | None) -> LabelSelector:
        if not text or not text.strip():
            return cls([])
        toks = _tokens(text)
        reqs, i = [], 0

        def expect_value(j):
            if j >= len(toks) or toks[j] in ("!=", "==", "=", "!", "(", ")", ",", ">", "<"):
                # an empty value is allowed: `k=` matches an empty label value
                return "", j
            return toks[j], j + 1

        while i < len(toks):
            if toks[i] == "!":
                if i + 1 >= len(toks):
                    raise bad_request("unable to parse requirement: found '', expected: identifier")
                reqs.append((toks[i + 1], "!", ()))
                i += 2
            else:
                key = toks[i]
                if key in ("=", "==", "!=", "(", ")", ",", ">", "<"):
                    raise bad_request(f"unable to parse requirement: found '{key}', expected: identifier")
                i += 1
                if i >= len(toks) or toks[i] == ",":
                    reqs.append((key, "exists", ()))
                elif toks[i] in ("=", "==", "!="):
                    op = "!=" if toks[i] == "!=" else "="
                    value, i = expect_value(i + 1)
                    reqs.append((key, op, (value,)))
                elif toks[i] in (">", "<"):
                    op = toks[i]
                    value, i = expect_value(i + 1)
                    try:
                        int(value)
                    except ValueError:
                        raise bad_request("unable to parse requirement: for 'gt', 'lt' operators, the value must be an integer")
                    reqs.append((key, op, (value,)))
                elif toks[i] in ("in", "notin"):
                    op = toks[i]
                    i += 1
                    if i >= len(toks) or toks[i] != "(":
                        raise bad_request(f"unable to parse requirement: found '{toks[i] if i < len(toks) else ''}', expected: '('")
                    i += 1
                    values = []
                    while True:
                        if i < len(toks) and toks[i] == ")":
                            i += 1
                            break
                        value, i = expect_value(i)
                        values.append(value)
                        if i < len(toks) and toks[i] == ",":
                            i += 1
                            continue
                        if i < len(toks) and toks[i] == ")":
                            i += 1
                            break
                        raise bad_request("unable to parse requirement: found '', expected: ',', ')'")
                    reqs.append((key, op, tuple(values)))
                else:
                    raise bad_request(f"unable to parse requirement: found '{toks[i]}', expected: "
                                      "'=', '!=', '==', 'in', notin'")
            if i < len(toks):
                if toks[i] != ",":
                    raise bad_request(f"unable to parse requirement: found '{toks[i]}', expected: ','")
                i += 1
        return cls(reqs)

    @classmethod
    def from_object(cls, selector: dict | None) -> LabelSelector:
        """From a `metav1.LabelSelector` (matchLabels + matchExpressions)."""
        if not selector:
            return cls([])
        reqs = [(k, "=", (v,)) for k, v in (selector.get("matchLabels") or {}).items()]
        ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
        for expr in selector.get("matchExpressions") or []:
            reqs.append((expr["key"], ops[expr["operator"]], tuple(expr.get("values") or ())))
        return cls(reqs)

    def matches(self, labels: dict | None) -> bool:
        labels = labels or {}
        for key, op, values in self.requirements:
            present = key in labels
            value = labels.get(key)
            if op == "=":
                ok = present and value == values[0]
            elif op == "!=":
                ok = not present or value != values[0]
            elif op == "in":
                ok = present and value in values
            elif op == "notin":
                ok = not present or value not in values
            elif op == "exists":
                ok = present
            elif op == "!":
                ok = not present
            elif op in (">", "<"):
                try:
                    n = int(value) if present else None
                except ValueError:
                    n = None
                ok = n is not None and (n > int(values[0]) if op == ">" else n < int(values[0]))
            else:
                ok = False
            if not ok:
                return False
        return True

    def __bool__(self):
        return bool(self.requirements)


_FIELDS = {
    "pods": ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
             "status.phase", "status.podIP", "status.nominatedNodeName"),
    "jobs": ("status.successful",),
    "secrets": ("type",),
    "events": ("involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
               "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
               "reason", "reportingComponent", "source", "type"),
}


def _field_value(obj: dict, path: str):
    if path == "status.successful":
        return str((obj.get("status") or {}).get("succeeded", 0))
    cur = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(part)
    return "" if cur is None else str(cur)


class FieldSelector:
    def __init__(self, requirements: list[tuple[str, str, str]]):
        self.requirements = requirements

    @classmethod
    def parse(cls, text: str | None, resource: str) -> FieldSelector:
        if not text or not text.strip():
            return cls([])
        reqs = []
        allowed = ("metadata.name", "metadata.namespace") + _FIELDS.get(resource, ())
        for part in text.split(","):
            m = re.fullmatch(r"\s*([A-Za-z0-9._]+)\s*(!=|==|=)\s*(.*?)\s*", part)
            if not m:
                raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
            field, op, value = m.groups()
            if field not in allowed:
                raise bad_request(f'field label not supported: {field}')
            reqs.append((field, "!=" if op == "!=" else "=", value))
        return cls(reqs)

    def name(self) -> str | None:
        """The name a `metadata.name=X` requirement pins (used by RBAC resourceNames)."""
        for field, op, value in self.requirements:
            if field == "metadata.name" and op == "=":
                return value
        return None

    def matches(self, obj: dict) -> bool:
        for field, op, value in self.requirements:
            actual = _field_value(obj, field)
            if (actual == value) != (op == "="):
                return False
        return True

    def __bool__(self):
        return bool(self.requirements)
