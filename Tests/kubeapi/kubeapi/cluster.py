"""The cluster: configuration, API semantics (create/update/patch/delete with
propagation) and the controller-manager loop running the Job controller, the
garbage collector and the kubelet."""

from __future__ import annotations

import collections
import copy
import sys
import threading
import time
import traceback
import uuid
from dataclasses import asdict, dataclass, field

from . import errors, validation
from .faults import Faults
from .jobcontroller import FOREGROUND, GarbageCollector, JobController
from .kubelet import Kubelet
from .rbac import Authenticator, Authorizer
from .resources import RESOURCES, ResourceType
from .store import Store, iso

PROPAGATION = ("Foreground", "Background", "Orphan")


@dataclass
class Config:
    state_dir: str
    namespace: str = "assay"
    host: str = "127.0.0.1"
    port: int = 0
    admin_token: str = ""
    images: dict = field(default_factory=dict)            # image -> argv prefix (entrypoint)
    rbac_docs: list = field(default_factory=list)
    kube_versions: list = field(default_factory=lambda: ["1.30.0", "1.37.0"])
    node_name: str = "fake-node"
    node_labels: dict | None = None                       # None: hostname, os and arch labels
    node_gpus: int = 0
    node_taints: list = field(default_factory=list)       # [{"key", "value", "effect"}]
    bookmark_interval: float = 5.0
    max_grace_seconds: float = 5.0                        # cap on terminationGracePeriodSeconds
    image_pull_backoff_seconds: float = 1.0               # ErrImagePull -> ImagePullBackOff
    restart_backoff_seconds: float = 1.0                  # restartPolicy OnFailure/Always
    pod_failure_backoff_seconds: float = 0.0              # Job pod re-creation backoff (real: 10 s)
    event_log_size: int = 10000
    token_grace_seconds: float = 10.0                     # old token validity after rotation
    memory_poll_interval: float = 0.1                     # RSS polling of containers with limits
    check_service_accounts: bool = True                   # pods need an existing ServiceAccount
    tls_names: list = field(default_factory=lambda: ["127.0.0.1", "localhost", "kubernetes",
                                                     "kubernetes.default", "kubernetes.default.svc"])

    @classmethod
    def from_dict(cls, d: dict) -> Config:
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown config keys: {sorted(unknown)}")
        cfg = cls(**d)
        if cfg.node_labels is None:
            cfg.node_labels = {"kubernetes.io/hostname": cfg.node_name, "kubernetes.io/os": "linux",
                               "kubernetes.io/arch": "amd64"}
        for v in cfg.kube_versions:
            if not validation.supported(v):
                raise ValueError(f"kubernetes-validate has no schemas for Kubernetes {v}")
        return cfg

    def to_dict(self) -> dict:
        return asdict(self)


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


class Cluster:
    def __init__(self, config: Config):
        self.config = config
        self.store = Store(config.event_log_size)
        self.authz = Authorizer.from_docs(config.rbac_docs, config.namespace)
        self.namespaces = {"default", "kube-system", "kube-public", config.namespace} | self.authz.namespaces
        self.authn = Authenticator(config.admin_token)
        self.faults = Faults()
        self.images = {k: list(v) for k, v in config.images.items()}
        self.port = config.port
        self.messages = collections.deque(maxlen=200)
        self.stopping = False
        validation.warm(config.kube_versions)
        self.kubelet = Kubelet(self)
        self.jobs = JobController(self)
        self.gc = GarbageCollector(self)
        self._thread = threading.Thread(target=self._loop, name="controller-manager", daemon=True)

    def log(self, message: str):
        self.messages.append({"t": time.time(), "message": message})
        print(message, file=sys.stderr, flush=True)

    def service_accounts(self):
        known = set(self.authz.service_accounts)
        known |= {(ns, "default") for ns in self.namespaces}
        return known

    # ---- the controller manager --------------------------------------------------
    def start(self):
        self._thread.start()

    def _loop(self):
        seen = -1
        while not self.stopping:
            with self.store.lock:
                now = time.time()
                wakes = [w for w in (self.jobs.next_wakeup(now), self.kubelet.next_wakeup(now)) if w]
                timeout = min(max(min(wakes, default=now + 0.5) - now, 0.005), 0.5)
                if self.store.ticks == seen:
                    self.store.cond.wait(timeout)
                if self.stopping:
                    return
                seen = self.store.ticks
                now = time.time()
                for step in (self.gc.sync, self.jobs.sync_all, self.kubelet.sync):
                    try:
                        step(now)
                    except Exception:
                        self.log("controller error:\n" + traceback.format_exc())
            # slow work (fork/exec, files) without the store lock: API requests go on meanwhile
            try:
                self.kubelet.run_pending()
                if self.kubelet.pgids_dirty:
                    self.kubelet.write_pgids()
            except Exception:
                self.log("kubelet error:\n" + traceback.format_exc())

    def stop(self):
        self.stopping = True
        self.store.poke()
        self.kubelet.shutdown()

    # ---- API operations ------------------------------------------------------------
    def create_object(self, resource: str, namespace: str, body, dry_run: bool = False) -> dict:
        rt = RESOURCES[resource]
        if namespace not in self.namespaces:
            raise errors.not_found("namespaces", "", namespace)
        obj = validation.admit_create(rt, body, namespace, self.config.kube_versions, str(uuid.uuid4()),
                                      self.service_accounts() if self.config.check_service_accounts else None)
        if dry_run:
            obj["metadata"]["creationTimestamp"] = iso()
            return obj
        return self.store.create(resource, obj)

    def get_object(self, resource: str, namespace: str, name: str) -> dict:
        obj = self.store.get(resource, namespace, name)
        if obj is None:
            raise errors.not_found(resource, RESOURCES[resource].group, name)
        return obj

    def delete_object(self, resource: str, namespace: str, name: str, propagation: str | None = None,
                      grace: int | None = None, preconditions: dict | None = None, dry_run: bool = False):
        """Returns (object or Status, removed now?)."""
        rt = RESOURCES[resource]
        with self.store.lock:
            obj = self.get_object(resource, namespace, name)
            meta = obj["metadata"]
            pre = preconditions or {}
            if pre.get("uid") and pre["uid"] != meta["uid"]:
                raise errors.conflict(resource, rt.group, name, f"Precondition failed: UID in precondition: "
                                      f"{pre['uid']}, UID in object meta: {meta['uid']}")
            if pre.get("resourceVersion") and pre["resourceVersion"] != meta["resourceVersion"]:
                raise errors.conflict(resource, rt.group, name, "Precondition failed: ResourceVersion in "
                                      f"precondition: {pre['resourceVersion']}, ResourceVersion in object meta: "
                                      f"{meta['resourceVersion']}")
            policy = propagation or rt.default_propagation
            if policy not in PROPAGATION:
                raise errors.invalid("DeleteOptions", "meta.k8s.io", "", [{
                    "reason": "FieldValueNotSupported", "field": "propagationPolicy",
                    "message": f'Unsupported value: "{policy}": supported values: "Foreground", "Background", '
                               '"Orphan"'}])
            if dry_run:
                return obj, False
            if resource == "pods":
                return self._delete_pod(obj, grace)
            if meta.get("deletionTimestamp"):
                return obj, False
            if policy == "Foreground":
                def mark(o):
                    o["metadata"]["deletionTimestamp"] = iso()
                    o["metadata"]["deletionGracePeriodSeconds"] = 0
                    o["metadata"].setdefault("finalizers", [])
                    if FOREGROUND not in o["metadata"]["finalizers"]:
                        o["metadata"]["finalizers"].append(FOREGROUND)
                return self.store.update(resource, namespace, name, mark), False
            if policy == "Orphan":
                self._orphan(meta["uid"])
            self.store.remove(resource, namespace, name)
            return errors.success_status(name, rt.group, resource, meta["uid"]), True

    def _orphan(self, owner_uid: str):
        for resource in RESOURCES:
            for dep in self.store.list(resource):
                refs = dep["metadata"].get("ownerReferences") or []
                if any(r.get("uid") == owner_uid for r in refs):
                    def strip(o):
                        left = [r for r in o["metadata"]["ownerReferences"] if r.get("uid") != owner_uid]
                        if left:
                            o["metadata"]["ownerReferences"] = left
                        else:
                            del o["metadata"]["ownerReferences"]
                    self.store.update(resource, dep["metadata"]["namespace"], dep["metadata"]["name"], strip)

    def _delete_pod(self, pod: dict, grace: int | None):
        meta = pod["metadata"]
        run = self.kubelet.runs.get(meta["uid"])
        live = run is not None and bool(run.live())
        if grace is None:
            grace = pod["spec"].get("terminationGracePeriodSeconds", 30)
        if not live or grace == 0 or not pod["spec"].get("nodeName"):
            removed = self.store.remove("pods", meta["namespace"], meta["name"])
            return removed, True
        if meta.get("deletionTimestamp") and meta.get("deletionGracePeriodSeconds", grace) <= grace:
            return pod, False

        def mark(p):
            p["metadata"]["deletionTimestamp"] = iso(time.time() + grace)
            p["metadata"]["deletionGracePeriodSeconds"] = grace
        return self.store.update("pods", meta["namespace"], meta["name"], mark), False

    def update_object(self, rt: ResourceType, namespace: str, name: str, new: dict, subresource: str = "",
                      dry_run: bool = False) -> dict:
        """PUT (and PATCH after the patch is applied): validation, immutable fields, status split."""
        with self.store.lock:
            old = self.get_object(rt.name, namespace, name)
            if not isinstance(new, dict):
                raise errors.bad_request("the object provided is unrecognized")
            new = copy.deepcopy(new)
            new.setdefault("apiVersion", rt.api_version)
            new.setdefault("kind", rt.kind)
            meta = new.setdefault("metadata", {})
            if meta.get("name", name) != name:
                raise errors.bad_request("the name of the object (%s) does not match the name on the URL (%s)"
                                         % (meta.get("name"), name))
            if meta.get("namespace", namespace) != namespace:
                raise errors.bad_request("the namespace of the provided object does not match the namespace sent "
                                         "on the request")
            rv = meta.get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise errors.conflict(rt.name, rt.group, name, "the object has been modified; please apply your "
                                      "changes to the latest version and try again")
            if subresource == "status":
                result = copy.deepcopy(old)
                result["status"] = new.get("status") or {}
            else:
                result = new
                for key in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                            "generation", "namespace", "name"):
                    if key in old["metadata"]:
                        meta[key] = old["metadata"][key]
                    else:
                        meta.pop(key, None)
                if "status" in old:
                    result["status"] = old["status"]
                check = {k: v for k, v in result.items() if k != "status"}
                check["metadata"] = {k: v for k, v in meta.items()
                                     if k not in ("resourceVersion", "managedFields")}
                causes = validation.Causes(validation.schema_causes(check, self.config.kube_versions))
                if not causes:
                    self._immutable(rt, old, result, causes)
                if causes:
                    raise errors.invalid(rt.kind, rt.group, name, causes)
                if rt.name == "secrets":
                    validation.default_secret(result)
                if result.get("spec") != old.get("spec"):
                    meta["generation"] = old["metadata"].get("generation", 1) + 1
            if dry_run:
                return result
            return self.store.replace(rt.name, result)

    @staticmethod
    def _immutable(rt: ResourceType, old: dict, new: dict, causes):
        if rt.name == "jobs":
            for key in ("selector", "template", "completions", "completionMode"):
                if old["spec"].get(key) != (new.get("spec") or {}).get(key):
                    causes.invalid(f"spec.{key}", "{...}", "field is immutable")
        elif rt.name == "pods":
            o, n = copy.deepcopy(old["spec"]), copy.deepcopy(new.get("spec") or {})
            for spec in (o, n):
                spec.pop("activeDeadlineSeconds", None)
                spec.pop("tolerations", None)
                for c in spec.get("containers") or []:
                    c.pop("image", None)
            if o != n:
                causes.add("spec", "FieldValueForbidden", "Forbidden: pod updates may not change fields other than "
                           "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
                           "`spec.tolerations` (only additions to existing tolerations),"
                           "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously "
                           "negative)")
        elif rt.name == "secrets" and old.get("immutable"):
            if old.get("data") != new.get("data") or old.get("stringData"):
                causes.add("data", "FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set")

    def patch_object(self, rt: ResourceType, namespace: str, name: str, patch, content_type: str,
                     subresource: str = "", dry_run: bool = False) -> dict:
        ct = content_type.split(";")[0].strip()
        if ct not in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
            raise errors.unsupported_media_type(ct)
        if not isinstance(patch, dict):
            raise errors.bad_request("the body of the request was not a JSON object")
        with self.store.lock:
            old = self.get_object(rt.name, namespace, name)
            return self.update_object(rt, namespace, name, merge_patch(old, patch), subresource, dry_run)

    # ---- state for the control API -----------------------------------------------
    def state(self) -> dict:
        with self.store.lock:
            return {
                "resourceVersion": str(self.store.rv),
                "compactedResourceVersion": str(self.store.horizon),
                "events": len(self.store.events),
                "objects": {r: len(self.store.objects[r]) for r in RESOURCES},
                "watches": [{"resource": w.resource, "namespace": w.namespace, "user": w.user,
                             "opened": w.opened} for w in self.store.watchers],
                "processes": self.kubelet.processes(),
                "images": self.images,
                "messages": list(self.messages),
            }
