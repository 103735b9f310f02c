"""Generated passwords survive upgrades: rendered cluster-aware (helm-python-sdk's
Config.render, where `lookup` reads the live objects) against the test
Kubernetes API server, a second render finds the Secrets of the first and
keeps their values, as `helm upgrade` does."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import helm_python as helm
import pytest
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from assay_chart import CHART, ROOT  # noqa: E402

sys.path.insert(0, str(ROOT / "Tests" / "kubeapi"))
from kubeapi import KubeTestCluster  # noqa: E402


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("upgrade")
    with KubeTestCluster(workdir / "cluster", namespace="assay", kube_versions=("1.37.0",)) as c:
        c.helm = helm.Config(kubeconfig_path=str(c.write_kubeconfig(workdir / "kubeconfig", service_account=None)),
                             namespace="assay")
        yield c


def live_render(cluster, values=None, upgrade=False) -> dict[str, dict]:
    out = cluster.helm.render(helm.Chart.load(CHART), values or {}, name="assay", namespace="assay",
                              is_install=not upgrade, is_upgrade=upgrade)
    docs = [d for path, text in out.items() if not path.endswith("NOTES.txt")
            for d in yaml.safe_load_all(text) if d]
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == "Secret"}


def decoded(secret: dict) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}


def apply(cluster, secrets: dict[str, dict]):
    for s in secrets.values():
        if cluster.get("secrets", s["metadata"]["name"]) is not None:
            cluster.delete("secrets", s["metadata"]["name"])
        cluster.create("secrets", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": s["metadata"]["name"]},
                                   "type": s["type"], "data": s["data"]})


def test_an_upgrade_keeps_the_generated_passwords(cluster):
    first = live_render(cluster)
    apply(cluster, first)
    second = live_render(cluster, upgrade=True)
    for name in ("assay-mongodb", "assay-store", "assay-admin"):
        assert decoded(second[name]) == decoded(first[name]), name
    password = decoded(first["assay-mongodb"])["mongodb-root-password"]
    assert f"root:{password}@" in decoded(second["assay-store"])["store-url"]
    # changed values do not change what the Secrets already hold: MongoDB keeps its first root user
    third = live_render(cluster, {"mongodb": {"auth": {"rootUser": "admin2"}}, "admin": {"username": "boss"}},
                        upgrade=True)
    assert decoded(third["assay-mongodb"]) == decoded(first["assay-mongodb"])
    assert decoded(third["assay-admin"]) == decoded(first["assay-admin"])


def test_a_secret_kept_from_an_earlier_install_opens_the_kept_volume(cluster):
    for name in ("assay-mongodb", "assay-admin", "assay-store"):
        if cluster.get("secrets", name) is not None:
            cluster.delete("secrets", name)
    cluster.create("secrets", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "assay-mongodb"},
                               "stringData": {"mongodb-root-username": "root",
                                              "mongodb-root-password": "FromTheFirstInstall1"}})
    secrets = live_render(cluster)
    assert decoded(secrets["assay-mongodb"])["mongodb-root-password"] == "FromTheFirstInstall1"
    assert decoded(secrets["assay-store"])["store-url"] == (
        "mongodb://root:FromTheFirstInstall1@assay-mongodb.assay.svc:27017/assay?authSource=admin")
    assert len(decoded(secrets["assay-admin"])["password"]) == 24  # none kept: a new one
