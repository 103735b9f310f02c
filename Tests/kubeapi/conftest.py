from kubeapi.pytest_plugin import kube_cluster, kube_cluster_factory  # noqa: F401
