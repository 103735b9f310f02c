"""manifests/: the chart rendered for a default install, kept in step with
helm/assay (`make manifests` rewrites it), plus the example of the Secrets it
references."""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from urllib.parse import urlsplit

import kubernetes_validate
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from assay_chart import KUBE_VERSIONS, MANIFESTS, load_values, pod_specs, render, rule_set  # noqa: E402
from render_manifests import OUTPUT, render_manifests  # noqa: E402

FIXTURE_RBAC = Path(__file__).resolve().parents[1] / "kubeapi" / "fixtures" / "rbac.yaml"


def manifest_docs() -> list[dict]:
    return [d for d in yaml.safe_load_all(OUTPUT.read_text()) if d]


def example_secrets() -> dict[str, dict]:
    docs = [d for d in yaml.safe_load_all((MANIFESTS / "secrets.example.yaml").read_text()) if d]
    return {d["metadata"]["name"]: d for d in docs}


def test_manifests_match_the_chart():
    assert OUTPUT.read_text() == render_manifests(), (
        "manifests/assay.yaml drifted from helm/assay: run `make manifests` "
        "(.venv/bin/python Tests/deploy/render_manifests.py) and commit the result")


def test_manifests_are_the_chart_objects_of_the_manifests_value_set():
    key = lambda d: (d["kind"], d["metadata"]["namespace"], d["metadata"]["name"])  # noqa: E731
    assert sorted(map(key, manifest_docs())) == sorted(map(key, render(load_values("manifests"))))


def test_manifests_hold_no_secret_and_are_valid_for_kubernetes_1_30_and_1_37():
    docs = manifest_docs()
    assert {d["kind"] for d in docs} >= {"Deployment", "Service", "ServiceAccount", "Role", "RoleBinding",
                                         "StatefulSet", "NetworkPolicy", "PodDisruptionBudget"}
    assert not [d for d in docs if d["kind"] == "Secret"]
    assert all(d["metadata"]["namespace"] == "assay" for d in docs)
    for d in docs:
        for version in KUBE_VERSIONS:
            kubernetes_validate.validate(d, version, strict=True)
    role = next(d for d in docs if d["kind"] == "Role")
    fixture_role = next(d for d in yaml.safe_load_all(FIXTURE_RBAC.read_text()) if d and d["kind"] == "Role")
    assert rule_set(role) == rule_set(fixture_role)


def test_the_secrets_example_provides_every_secret_the_manifests_reference():
    examples = example_secrets()
    referenced = set()
    for _, spec in pod_specs(manifest_docs()):
        for c in spec["containers"]:
            for e in c.get("env") or []:
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if ref and not ref.get("optional"):
                    referenced.add((ref["name"], ref["key"]))
    provided = {(name, key) for name, d in examples.items() for key in d["stringData"]}
    assert referenced == provided
    for d in examples.values():
        assert d["metadata"]["namespace"] == "assay" and d["type"] == "Opaque"
        for version in KUBE_VERSIONS:
            kubernetes_validate.validate(d, version, strict=True)


def test_the_secrets_example_holds_placeholders_and_one_consistent_mongodb_password():
    examples = example_secrets()
    mongo = examples["assay-mongodb"]["stringData"]
    admin = examples["assay-admin"]["stringData"]
    assert "REPLACE-ME" in mongo["mongodb-root-password"] and "REPLACE-ME" in admin["password"]
    url = urlsplit(mongo["store-url"])
    assert url.scheme == "mongodb" and url.hostname == "assay-mongodb.assay.svc" and url.port == 27017
    assert (url.username, url.password) == (mongo["mongodb-root-username"], mongo["mongodb-root-password"])
    assert url.path == "/assay" and url.query == "authSource=admin"
    # the URL the chart itself builds for a generated password has the same shape
    generated = next(d for d in render() if d["kind"] == "Secret" and d["metadata"]["name"] == "assay-store")
    chart_url = urlsplit(base64.b64decode(generated["data"]["store-url"]).decode())
    assert (chart_url.hostname, chart_url.port, chart_url.path, chart_url.query) == (
        url.hostname, url.port, url.path, url.query)
