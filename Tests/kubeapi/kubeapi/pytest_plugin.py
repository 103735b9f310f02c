"""pytest fixtures for a started test API server.

In a conftest.py (with Tests/ or Tests/kubeapi on sys.path):

    from kubeapi.pytest_plugin import kube_cluster, kube_cluster_factory  # noqa: F401

    def test_x(kube_cluster_factory):
        cluster = kube_cluster_factory(images={"assay/runner:test": [RUNNER]})
        ...

Every cluster a test starts is stopped (and its pod processes killed) at teardown.
"""

from __future__ import annotations

import pytest

from .harness import KubeTestCluster


def start_cluster(workdir, **kwargs) -> KubeTestCluster:
    """A started KubeTestCluster in workdir (kwargs as KubeTestCluster's)."""
    return KubeTestCluster(workdir, **kwargs).start()


@pytest.fixture
def kube_cluster_factory(tmp_path_factory):
    """make(**KubeTestCluster kwargs, start=True) -> cluster; all stopped at teardown."""
    clusters = []

    def make(name: str = "kubeapi", start: bool = True, **kwargs) -> KubeTestCluster:
        cluster = KubeTestCluster(tmp_path_factory.mktemp(name), **kwargs)
        clusters.append(cluster)
        return cluster.start() if start else cluster

    yield make
    for cluster in clusters:
        cluster.stop()


@pytest.fixture
def kube_cluster(kube_cluster_factory) -> KubeTestCluster:
    """A started cluster with the default fixture RBAC, namespace "assay" and no images."""
    return kube_cluster_factory()
