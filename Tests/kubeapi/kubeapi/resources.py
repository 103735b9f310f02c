"""The resources this server serves and the discovery documents describing them."""

from __future__ import annotations

from dataclasses import dataclass

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@dataclass(frozen=True)
class ResourceType:
    name: str                 # plural, as in URLs and RBAC rules
    singular: str
    kind: str
    group: str                # "" for the core group
    version: str
    short_names: tuple = ()
    categories: tuple = ()
    subresources: tuple = ()  # (name, verbs)
    storage_hash: str = ""
    # DELETE without a propagation policy: batch/v1 Jobs orphan their pods (kept for
    # compatibility by Kubernetes); everything else is collected in the background.
    default_propagation: str = "Background"
    # served but always empty and read-only (so `kubectl describe` finds its Events)
    read_only: bool = False

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    def collection_path(self, namespace: str | None) -> str:
        root = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        return f"{root}/namespaces/{namespace}/{self.name}" if namespace else f"{root}/{self.name}"


JOBS = ResourceType("jobs", "job", "Job", "batch", "v1", categories=("all",),
                    subresources=(("status", ["get", "patch", "update"]),),
                    storage_hash="mudhfqk/qZY=", default_propagation="Orphan")
PODS = ResourceType("pods", "pod", "Pod", "", "v1", short_names=("po",), categories=("all",),
                    subresources=(("log", ["get"]), ("status", ["get", "patch", "update"])),
                    storage_hash="xPOwRZ+Yhw8=")
SECRETS = ResourceType("secrets", "secret", "Secret", "", "v1", storage_hash="S6u1pOWzb84=")
EVENTS = ResourceType("events", "event", "Event", "", "v1", short_names=("ev",), storage_hash="r2yiGXH7wu8=",
                      read_only=True)

RESOURCES = {r.name: r for r in (JOBS, PODS, SECRETS, EVENTS)}
BY_KIND = {(r.api_version, r.kind): r for r in RESOURCES.values()}


def lookup(group: str, version: str, name: str) -> ResourceType | None:
    r = RESOURCES.get(name)
    if r is None or r.group != group or r.version != version:
        return None
    return r


def _resource_entries(group: str, version: str) -> list[dict]:
    out = []
    for r in RESOURCES.values():
        if r.group != group or r.version != version:
            continue
        entry = {"name": r.name, "singularName": r.singular, "namespaced": True, "kind": r.kind,
                 "verbs": ["get", "list", "watch"] if r.read_only else list(VERBS)}
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        entry["storageVersionHash"] = r.storage_hash
        out.append(entry)
        for sub, verbs in r.subresources:
            out.append({"name": f"{r.name}/{sub}", "singularName": "", "namespaced": True, "kind": r.kind,
                        "verbs": verbs})
    return out


def version_info(kube_version: str) -> dict:
    major, minor, *_ = kube_version.split(".")
    return {
        "major": major, "minor": minor, "emulationMajor": major, "emulationMinor": minor,
        "minCompatibilityMajor": major, "minCompatibilityMinor": str(max(int(minor) - 1, 0)),
        "gitVersion": f"v{kube_version}", "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean", "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.24.0",
        "compiler": "gc", "platform": "linux/amd64",
    }


def api_versions(server_address: str) -> dict:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def _group(name: str) -> dict:
    gv = {"groupVersion": f"{name}/v1", "version": "v1"}
    return {"name": name, "versions": [gv], "preferredVersion": gv}


def api_group_list() -> dict:
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group("batch")]}


def api_group(name: str) -> dict | None:
    if name != "batch":
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name)}


def api_resource_list(group: str, version: str) -> dict | None:
    entries = _resource_entries(group, version)
    if not entries:
        return None
    return {"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version, "resources": entries}
