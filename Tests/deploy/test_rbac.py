"""The chart's rendered RBAC loaded into the test Kubernetes API server
(Tests/kubeapi) gives the server's ServiceAccount exactly the permissions of
Tests/kubeapi/fixtures/rbac.yaml, which the Kubernetes executor is tested
against: the same answer, request by request."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from assay_chart import ROOT, load_values, rendered_rbac, rule_set  # noqa: E402

sys.path.insert(0, str(ROOT / "Tests" / "kubeapi"))
from kubeapi import KubeTestCluster  # noqa: E402
from kubeapi.harness import DEFAULT_RBAC  # noqa: E402
from kubeapi.rbac import Authorizer, Identity, load_docs, remove_verb  # noqa: E402

# (resource, group, subresource) as the executor and a curious attacker would name them
RESOURCES = [("jobs", "batch", ""), ("pods", "", ""), ("pods", "", "log"), ("secrets", "", ""),
             ("configmaps", "", ""), ("serviceaccounts", "", ""), ("roles", "rbac.authorization.k8s.io", ""),
             ("pods", "", "exec"), ("jobs", "batch", "status"), ("cronjobs", "batch", ""), ("deployments", "apps", "")]
VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "escalate", "bind",
         "impersonate"]


def server_identity(namespace: str = "assay") -> Identity:
    return Identity(f"system:serviceaccount:{namespace}:assay-server",
                    ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"),
                    namespace=namespace, service_account="assay-server")


def permissions(docs: list[dict], runner_ns: str = "assay", sa_ns: str = "assay") -> set[tuple]:
    """Every (namespace, group, resource/sub, verb) the server's ServiceAccount may use, over the
    namespaces that matter, as the test API server's authorizer decides."""
    authz = Authorizer.from_docs(docs, runner_ns)
    ident = server_identity(sa_ns)
    out = set()
    for ns, (resource, group, sub), verb in itertools.product(
            [runner_ns, sa_ns, "default", "kube-system", None], RESOURCES, VERBS):
        if authz.allowed(ident, verb, group, resource, sub, ns, None):
            out.add((ns, group, f"{resource}/{sub}" if sub else resource, verb))
    return out


def test_rendered_rbac_is_the_server_account_its_role_and_binding():
    docs = rendered_rbac()
    assert sorted((d["kind"], d["metadata"]["name"], d["metadata"]["namespace"]) for d in docs) == [
        ("Role", "assay-server", "assay"), ("RoleBinding", "assay-server", "assay"),
        ("ServiceAccount", "assay-runner", "assay"), ("ServiceAccount", "assay-server", "assay")]
    fixture = load_docs(DEFAULT_RBAC)
    role = next(d for d in docs if d["kind"] == "Role")
    assert rule_set(role) == rule_set(next(d for d in fixture if d["kind"] == "Role"))


def test_the_authorizer_grants_the_rendered_rbac_exactly_what_it_grants_the_fixture():
    fixture = permissions(load_docs(DEFAULT_RBAC))
    assert fixture == {("assay", g, r, v) for g, r, v in rule_set(
        next(d for d in load_docs(DEFAULT_RBAC) if d["kind"] == "Role"))}
    assert permissions(rendered_rbac()) == fixture
    # each verb of the Role is seen: taking any one away changes the answer
    role = next(d for d in rendered_rbac() if d["kind"] == "Role")
    for group, resource, verb in sorted(rule_set(role)):
        weaker = permissions(remove_verb(rendered_rbac(), verb, resource))
        assert weaker == fixture - {("assay", group, resource, verb)}, (resource, verb)


def test_a_separate_runner_namespace_moves_the_permissions_there():
    docs = rendered_rbac(load_values("runner-namespace"))
    expected = {("assay-runners", g, r, v) for (_, g, r, v) in permissions(load_docs(DEFAULT_RBAC))}
    assert permissions(docs, runner_ns="assay-runners", sa_ns="assay") == expected


# ---- over HTTP, against the running test API server ---------------------------------------------

GROUP = {"jobs": "batch", "pods": "", "secrets": ""}
PROBES = {  # (verb, resource, subresource): (method, name, query, body)
    ("get", "jobs", ""): ("GET", "probe", None, None),
    ("list", "jobs", ""): ("GET", None, None, None),
    ("watch", "jobs", ""): ("GET", None, {"watch": "true", "timeoutSeconds": "1"}, None),
    ("create", "jobs", ""): ("POST", None, None, {"apiVersion": "batch/v1", "kind": "Job",
                                                  "metadata": {"name": "probe"}}),
    ("update", "jobs", ""): ("PUT", "probe", None, {"apiVersion": "batch/v1", "kind": "Job",
                                                    "metadata": {"name": "probe"}}),
    ("patch", "jobs", ""): ("PATCH", "probe", None, {"metadata": {"labels": {"x": "y"}}}),
    ("delete", "jobs", ""): ("DELETE", "probe", None, None),
    ("deletecollection", "jobs", ""): ("DELETE", None, None, None),
    ("get", "pods", ""): ("GET", "probe", None, None),
    ("list", "pods", ""): ("GET", None, None, None),
    ("watch", "pods", ""): ("GET", None, {"watch": "true", "timeoutSeconds": "1"}, None),
    ("create", "pods", ""): ("POST", None, None, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "probe"}}),
    ("patch", "pods", ""): ("PATCH", "probe", None, {"metadata": {"labels": {"x": "y"}}}),
    ("delete", "pods", ""): ("DELETE", "probe", None, None),
    ("deletecollection", "pods", ""): ("DELETE", None, None, None),
    ("get", "pods", "log"): ("GET", "probe", None, None),
    ("get", "secrets", ""): ("GET", "probe", None, None),
    ("list", "secrets", ""): ("GET", None, None, None),
    ("watch", "secrets", ""): ("GET", None, {"watch": "true", "timeoutSeconds": "1"}, None),
    ("create", "secrets", ""): ("POST", None, None, {"apiVersion": "v1", "kind": "Secret",
                                                     "metadata": {"name": "probe", "labels": {"a": "-"}}}),
    ("update", "secrets", ""): ("PUT", "probe", None, {"apiVersion": "v1", "kind": "Secret",
                                                       "metadata": {"name": "probe"}}),
    ("patch", "secrets", ""): ("PATCH", "probe", None, {"metadata": {"labels": {"x": "y"}}}),
    ("delete", "secrets", ""): ("DELETE", "probe", None, None),
    ("deletecollection", "secrets", ""): ("DELETE", None, None, None),
}


def answers(cluster: KubeTestCluster, sa_namespace: str, namespaces: list[str]) -> dict:
    """The HTTP status of each probe, as the server's ServiceAccount, in each namespace.
    Nothing is created: every create and update body is invalid, every name absent."""
    token = cluster.token("assay-server", namespace=sa_namespace)
    out = {}
    for ns in namespaces:
        for (verb, resource, sub), (method, name, query, body) in PROBES.items():
            path = cluster.path(resource, name, ns, sub)
            headers = {"Content-Type": "application/merge-patch+json"} if method == "PATCH" else None
            status, _ = cluster.request(method, path, body, token=token, query=query, headers=headers)
            out[(ns, verb, resource, sub)] = status
    # all namespaces at once
    for resource in ("jobs", "pods", "secrets"):
        status, _ = cluster.request("GET", cluster.path(resource, namespace="_").replace("/namespaces/_", ""),
                                    token=token)
        out[(None, "list", resource, "")] = status
    return out


def start(tmp_path, name, namespace, docs) -> KubeTestCluster:
    return KubeTestCluster(tmp_path / name, namespace=namespace, rbac_docs=docs,
                           kube_versions=("1.37.0",)).start()


def test_the_test_api_server_answers_the_rendered_rbac_as_it_answers_the_fixture(tmp_path):
    namespaces = ["assay", "default"]
    with start(tmp_path, "fixture", "assay", load_docs(DEFAULT_RBAC)) as cluster:
        expected = answers(cluster, "assay", namespaces)
    with start(tmp_path, "chart", "assay", rendered_rbac()) as cluster:
        got = answers(cluster, "assay", namespaces)
        assert not cluster.list("jobs") and not cluster.list("pods") and not cluster.list("secrets")
    assert got == expected
    # and the answers are the Role's: its verbs get past authorization (200, 404, 422), the rest are 403
    role_rules = rule_set(next(d for d in rendered_rbac() if d["kind"] == "Role"))
    probed = {(GROUP[resource], f"{resource}/{sub}" if sub else resource, verb) for verb, resource, sub in PROBES}
    assert role_rules <= probed
    allowed = {(GROUP[resource], f"{resource}/{sub}" if sub else resource, verb)
               for (ns, verb, resource, sub), status in got.items() if ns == "assay" and status != 403}
    assert allowed == role_rules
    assert {s for (ns, *_), s in got.items() if ns != "assay"} == {403}
    assert 401 not in got.values()


def test_with_a_runner_namespace_the_server_account_acts_only_there(tmp_path):
    docs = rendered_rbac(load_values("runner-namespace"))
    with start(tmp_path, "runners", "assay-runners", docs) as cluster:
        got = answers(cluster, "assay", ["assay-runners", "assay"])
    with start(tmp_path, "fixture", "assay", load_docs(DEFAULT_RBAC)) as cluster:
        fixture = answers(cluster, "assay", ["assay"])
    in_runners = {(verb, resource, sub): s for (ns, verb, resource, sub), s in got.items() if ns == "assay-runners"}
    assert in_runners == {(verb, resource, sub): s for (ns, verb, resource, sub), s in fixture.items() if ns}
    assert {s for (ns, *_), s in got.items() if ns != "assay-runners"} == {403}
