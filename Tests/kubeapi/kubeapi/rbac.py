"""Bearer-token authentication and RBAC authorization from Role/RoleBinding objects."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field

import yaml

ADMIN_USER = "system:admin"


@dataclass(frozen=True)
class Identity:
    user: str
    groups: tuple = ()
    admin: bool = False            # system:masters: bypasses RBAC and the faults
    namespace: str | None = None   # of a ServiceAccount
    service_account: str | None = None


def load_docs(path) -> list[dict]:
    """The objects of a YAML stream (e.g. the RBAC fixture), empty documents skipped."""
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def remove_verb(docs: list[dict], verb: str, resource: str, role: str | None = None) -> list[dict]:
    """A copy of docs in which no Role/ClusterRole rule grants `verb` on `resource`."""
    import copy
    out = copy.deepcopy(docs)
    for d in out:
        if d.get("kind") not in ("Role", "ClusterRole") or (role and d["metadata"]["name"] != role):
            continue
        for rule in d.get("rules") or []:
            if resource in (rule.get("resources") or []) and verb in (rule.get("verbs") or []):
                rule["verbs"] = [v for v in rule["verbs"] if v != verb]
        d["rules"] = [r for r in d.get("rules") or [] if r.get("verbs")]
    return out


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Authenticator:
    """Service-account tokens (JWT-shaped, opaque to the server) plus the admin token."""

    def __init__(self, admin_token: str):
        self.lock = threading.Lock()
        self.admin_token = admin_token
        self.tokens: dict[str, tuple[Identity, float | None]] = {}
        self.current: dict[tuple[str, str], str] = {}

    def _mint(self, namespace: str, name: str) -> str:
        now = int(time.time())
        header = {"alg": "RS256", "kid": "kubeapi-test"}
        claims = {
            "aud": ["https://kubernetes.default.svc.cluster.local"],
            "exp": now + 365 * 24 * 3600, "iat": now, "nbf": now,
            "iss": "https://kubernetes.default.svc.cluster.local",
            "jti": secrets.token_hex(8),
            "kubernetes.io": {"namespace": namespace, "serviceaccount": {"name": name, "uid": secrets.token_hex(16)}},
            "sub": f"system:serviceaccount:{namespace}:{name}",
        }
        return ".".join([_b64url(json.dumps(header).encode()), _b64url(json.dumps(claims).encode()),
                         _b64url(secrets.token_bytes(64))])

    def token(self, namespace: str, name: str) -> str:
        """The current token of a ServiceAccount (issued on first use)."""
        with self.lock:
            tok = self.current.get((namespace, name))
            if tok is None:
                tok = self._issue(namespace, name)
            return tok

    def _issue(self, namespace: str, name: str) -> str:
        tok = self._mint(namespace, name)
        ident = Identity(f"system:serviceaccount:{namespace}:{name}",
                         ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"),
                         namespace=namespace, service_account=name)
        self.tokens[tok] = (ident, None)
        self.current[(namespace, name)] = tok
        return tok

    def rotate(self, namespace: str, name: str, grace_seconds: float = 10.0) -> str:
        """A new token; the previous one keeps working for grace_seconds."""
        with self.lock:
            old = self.current.get((namespace, name))
            if old is not None:
                self.tokens[old] = (self.tokens[old][0], time.time() + grace_seconds)
            return self._issue(namespace, name)

    def revoke(self, namespace: str, name: str):
        with self.lock:
            for tok, (ident, _) in list(self.tokens.items()):
                if ident.namespace == namespace and ident.service_account == name:
                    del self.tokens[tok]
            self.current.pop((namespace, name), None)

    def authenticate(self, header: str | None) -> Identity | None:
        if not header or not header.startswith("Bearer "):
            return None
        tok = header[len("Bearer "):].strip()
        if secrets.compare_digest(tok, self.admin_token):
            return Identity(ADMIN_USER, ("system:masters", "system:authenticated"), admin=True)
        with self.lock:
            entry = self.tokens.get(tok)
            if entry is None:
                return None
            ident, expires = entry
            if expires is not None and time.time() >= expires:
                del self.tokens[tok]
                return None
            return ident


@dataclass
class Authorizer:
    """RBAC over the Role, ClusterRole, RoleBinding and ClusterRoleBinding objects given."""

    roles: dict = field(default_factory=dict)          # (ns, name) -> rules
    cluster_roles: dict = field(default_factory=dict)  # name -> rules
    bindings: list = field(default_factory=list)       # (ns or None, roleRef, subjects)
    service_accounts: set = field(default_factory=set)
    namespaces: set = field(default_factory=set)

    @classmethod
    def from_docs(cls, docs: list[dict], default_namespace: str) -> Authorizer:
        a = cls()
        for d in docs:
            kind = d.get("kind")
            meta = d.get("metadata") or {}
            ns = meta.get("namespace") or default_namespace
            if kind == "Namespace":
                a.namespaces.add(meta["name"])
            elif kind == "ServiceAccount":
                a.service_accounts.add((ns, meta["name"]))
                a.namespaces.add(ns)
            elif kind == "Role":
                a.roles[(ns, meta["name"])] = d.get("rules") or []
            elif kind == "ClusterRole":
                a.cluster_roles[meta["name"]] = d.get("rules") or []
            elif kind == "RoleBinding":
                a.bindings.append((ns, d["roleRef"], d.get("subjects") or []))
            elif kind == "ClusterRoleBinding":
                a.bindings.append((None, d["roleRef"], d.get("subjects") or []))
            elif kind is not None:
                raise ValueError(f"RBAC file: unsupported kind {kind}")
        return a

    @staticmethod
    def _subject_matches(subject: dict, binding_ns: str | None, ident: Identity) -> bool:
        kind = subject.get("kind")
        if kind == "ServiceAccount":
            return (ident.service_account == subject.get("name")
                    and ident.namespace == (subject.get("namespace") or binding_ns))
        if kind == "User":
            return subject.get("name") == ident.user
        if kind == "Group":
            return subject.get("name") in ident.groups
        return False

    @staticmethod
    def _rule_matches(rule: dict, verb: str, group: str, resource: str, subresource: str, name: str | None) -> bool:
        if "*" not in (rule.get("apiGroups") or []) and group not in (rule.get("apiGroups") or []):
            return False
        if "*" not in (rule.get("verbs") or []) and verb not in (rule.get("verbs") or []):
            return False
        full = f"{resource}/{subresource}" if subresource else resource
        resources = rule.get("resources") or []
        if not ("*" in resources or full in resources or (subresource and (f"{resource}/*" in resources
                                                                           or f"*/{subresource}" in resources))):
            return False
        names = rule.get("resourceNames") or []
        if names and (name is None or name not in names):
            return False
        return True

    def allowed(self, ident: Identity, verb: str, group: str, resource: str, subresource: str,
                namespace: str | None, name: str | None) -> bool:
        if ident.admin:
            return True
        for binding_ns, ref, subjects in self.bindings:
            if binding_ns is not None and binding_ns != namespace:
                continue
            if not any(self._subject_matches(s, binding_ns, ident) for s in subjects):
                continue
            if ref.get("kind") == "Role":
                rules = self.roles.get((binding_ns, ref.get("name")), [])
            else:
                rules = self.cluster_roles.get(ref.get("name"), [])
            if any(self._rule_matches(r, verb, group, resource, subresource, name) for r in rules):
                return True
        return False
