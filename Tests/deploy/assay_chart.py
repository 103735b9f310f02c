"""The Helm chart (helm/assay) rendered offline with helm-python-sdk, for the
deploy tests, the plain manifests and the Kubernetes end-to-end tests.

    sys.path.insert(0, "Tests/deploy")
    from assay_chart import rendered_rbac
    KubeTestCluster(tmp, namespace="assay", rbac_docs=rendered_rbac())
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "assay"
VALUES_DIR = Path(__file__).resolve().parent / "values"
MANIFESTS = ROOT / "manifests"
RELEASE = "assay"
NAMESPACE = "assay"
KUBE_VERSIONS = ("1.30.0", "1.37.0")
RBAC_KINDS = ("ServiceAccount", "Role", "RoleBinding")


def load_values(name: str) -> dict:
    """A value set of Tests/deploy/values/ by name (without .yaml)."""
    return yaml.safe_load((VALUES_DIR / f"{name}.yaml").read_text()) or {}


def value_sets() -> list[str]:
    return sorted(p.stem for p in VALUES_DIR.glob("*.yaml"))


@lru_cache(maxsize=None)
def _chart():
    import helm_python as helm
    return helm.Chart.load(CHART)


def render_templates(values: dict | None = None, name: str = RELEASE, namespace: str = NAMESPACE) -> dict[str, str]:
    """{template path: rendered text}, as `helm template` (lookup finds nothing, so
    generated passwords are new on every call)."""
    return _chart().render(copy.deepcopy(values or {}), name=name, namespace=namespace)


def render(values: dict | None = None, name: str = RELEASE, namespace: str = NAMESPACE) -> list[dict]:
    """Every object the chart renders, in template order (NOTES.txt left out)."""
    docs = []
    for path, text in sorted(render_templates(values, name, namespace).items()):
        if path.endswith("NOTES.txt"):
            continue
        docs.extend(d for d in yaml.safe_load_all(text) if d)
    return docs


def notes(values: dict | None = None, name: str = RELEASE, namespace: str = NAMESPACE) -> str:
    out = render_templates(values, name, namespace)
    return next(text for path, text in out.items() if path.endswith("NOTES.txt"))


def rendered_rbac(values: dict | None = None, name: str = RELEASE, namespace: str = NAMESPACE) -> list[dict]:
    """The ServiceAccounts, Role and RoleBinding of an install (default: release
    "assay" in namespace "assay"), ready for KubeTestCluster(rbac_docs=...): the
    server's ServiceAccount is "assay-server", as in Tests/kubeapi/fixtures/rbac.yaml."""
    return [d for d in render(values, name, namespace) if d.get("kind") in RBAC_KINDS]


def by_kind(docs: list[dict], kind: str) -> list[dict]:
    return [d for d in docs if d.get("kind") == kind]


def one(docs: list[dict], kind: str, name: str | None = None) -> dict:
    found = [d for d in by_kind(docs, kind) if name is None or d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {[d['metadata']['name'] for d in found]}"
    return found[0]


def pod_specs(docs: list[dict]) -> list[tuple[str, dict]]:
    """(kind/name, pod spec) of every workload."""
    out = []
    for d in docs:
        if d.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
            out.append((f"{d['kind']}/{d['metadata']['name']}", d["spec"]["template"]["spec"]))
        elif d.get("kind") == "CronJob":
            out.append((f"CronJob/{d['metadata']['name']}", d["spec"]["jobTemplate"]["spec"]["template"]["spec"]))
        elif d.get("kind") == "Pod":
            out.append((f"Pod/{d['metadata']['name']}", d["spec"]))
    return out


def rule_set(role: dict) -> set[tuple[str, str, str]]:
    """A Role's rules as (apiGroup, resource, verb) triples."""
    return {(group, resource, verb)
            for rule in role.get("rules") or []
            for group in rule.get("apiGroups") or []
            for resource in rule.get("resources") or []
            for verb in rule.get("verbs") or []}
