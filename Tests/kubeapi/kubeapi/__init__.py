"""kubeapi — a real (small) Kubernetes API server for tests.

It serves batch/v1 Jobs and v1 Pods, Secrets over HTTPS (private CA, bearer
tokens, RBAC from Role/RoleBinding objects), validates every created object
against the strict schemas of the configured Kubernetes versions
(kubernetes-validate), keeps one global resourceVersion with a bounded event
log for watches, runs a Job controller, a garbage collector, the
TTL-after-finished controller, and a fake scheduler + kubelet for one node that
REALLY runs each container's command as a local process.

Deviations from a real cluster (on purpose; see README.md):

* Container paths. A process cannot see a container path such as ``/work``,
  so the kubelet maps volume mounts to local directories (under the state
  dir): any env value or argv element equal to a ``mountPath`` or starting
  with ``mountPath/`` is rewritten to the local directory; a ``/tmp`` mount
  also sets ``TMPDIR``; the working directory is the container's
  ``workingDir`` mapped the same way, else the first mount. This is the one
  deviation a container can observe.
* Not enforced: read-only root filesystem, securityContext (users,
  capabilities, seccomp), cpu limits, network isolation (pods share the host
  network: podIP = hostIP = 127.0.0.1). Memory limits are enforced by polling
  the RSS of the container's process group (over the limit: SIGKILL,
  ``OOMKilled``, exit code 137).
* Unknown fields are always rejected (422 Invalid), where a real server drops
  them with a warning unless ``fieldValidation=Strict``.
* Lists are served from the current state (``resourceVersion`` on a list
  request is ignored); ``continue`` tokens page through the current state.
* Only Jobs, Pods (with ``log`` and ``status``) and Secrets exist; PATCH
  accepts merge patches (strategic merge patches are applied as merge
  patches); no server-side apply, no Events, no Namespaces API.

Use ``KubeTestCluster`` (harness.py) from tests; ``python -m kubeapi serve``
runs it standalone.
"""


from . import harness as _harness
from .harness import DEFAULT_RBAC, KubeAPIError, KubeTestCluster
from .rbac import load_docs, remove_verb

# The package can be imported with Tests/kubeapi or with Tests/ on sys.path
# (Tests/kubeapi/__init__.py runs this file); either way both directories are
# searched, so kubeapi.<module> and kubeapi.test_kubeapi resolve the same.
_outer = str(_harness.PACKAGE_PARENT)
if _outer not in __path__:
    __path__.append(_outer)

__all__ = ["KubeTestCluster", "KubeAPIError", "DEFAULT_RBAC", "load_docs", "remove_verb"]
