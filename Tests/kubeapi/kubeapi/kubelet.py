"""A fake scheduler + kubelet for one node that really runs each container as a
local process (its own process group) and reports pod status like a kubelet.

See the package docstring for how container paths are mapped to local dirs.
"""

from __future__ import annotations

import base64
import json
import os
import re
import select
import signal
import subprocess
import threading
import time
import traceback
import uuid

from . import quantity
from .store import iso

TERMINAL = ("Succeeded", "Failed")
GPU = "nvidia.com/gpu"


def _now_iso():
    return iso()


def _start_time(pid: int):
    """A process's start time (field 22 of /proc/PID/stat), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[19]
    except OSError:
        return None


class ContainerRun:
    def __init__(self, name: str, init: bool):
        self.name = name
        self.init = init
        self.proc: subprocess.Popen | None = None
        self.pgid: int | None = None
        self.started_at: str | None = None
        self.finished_at: str | None = None
        self.exit_code: int | None = None
        self.signal: int | None = None
        self.reason: str | None = None        # terminated reason
        self.message: str | None = None
        self.oom = False
        self.waiting: tuple[str, str] | None = None  # (reason, message) while not running
        self.starting = False                          # prepared, process not started yet
        self.waiting_since: float | None = None
        self.restart_count = 0
        self.last_state: dict = {}
        self.restart_at: float | None = None
        self.memory_limit: int | None = None
        # Every process seen in the container (pid -> start time), as a cgroup would hold
        # them: descendants that start sessions of their own (setsid) or are orphaned stay in.
        self.members: dict[int, bytes] = {}
        self.container_id = ""
        self.log_path: str | None = None
        self.prev_log_path: str | None = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.exit_code is None

    @property
    def terminated(self) -> bool:
        return self.exit_code is not None and self.restart_at is None


class PodRun:
    def __init__(self, pod: dict, root: str):
        meta = pod["metadata"]
        self.uid = meta["uid"]
        self.namespace, self.name = meta["namespace"], meta["name"]
        self.dir = os.path.join(root, f"{self.namespace}_{self.name}_{self.uid[:8]}")
        self.started_at = _now_iso()
        spec = pod["spec"]
        self.init = [ContainerRun(c["name"], True) for c in spec.get("initContainers") or []]
        self.main = [ContainerRun(c["name"], False) for c in spec.get("containers") or []]
        self.term_sent: float | None = None
        self.kill_at: float | None = None
        self.kill_sent = False

    def all(self):
        return self.init + self.main

    def by_name(self, name: str) -> ContainerRun | None:
        for c in self.all():
            if c.name == name:
                return c
        return None

    def live(self):
        return [c for c in self.all() if c.running]


def normalize_image(image: str) -> str:
    name, tag = image, ""
    if "@" in name:
        pass
    elif ":" in name.rsplit("/", 1)[-1]:
        name, tag = name.rsplit(":", 1)
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = "docker.io/library/" + name
    elif "." not in first and ":" not in first and first != "localhost":
        name = "docker.io/" + name
    return name + (":" + tag if tag else (":latest" if "@" not in name else ""))


def _tolerates(tolerations, taint) -> bool:
    for t in tolerations or []:
        if t.get("effect") and t["effect"] != taint.get("effect"):
            continue
        op = t.get("operator", "Equal")
        if op == "Exists":
            if not t.get("key") or t["key"] == taint.get("key"):
                return True
        elif t.get("key") == taint.get("key") and (t.get("value") or "") == (taint.get("value") or ""):
            return True
    return False


def _term_matches(term: dict, labels: dict, node_name: str) -> bool:
    for expr in term.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        have = labels.get(key)
        ok = {"In": have is not None and have in values,
              "NotIn": have is None or have not in values,
              "Exists": have is not None,
              "DoesNotExist": have is None,
              "Gt": have is not None and have.isdigit() and values and int(have) > int(values[0]),
              "Lt": have is not None and have.isdigit() and values and int(have) < int(values[0])}.get(op, False)
        if not ok:
            return False
    for expr in term.get("matchFields") or []:
        if expr.get("key") == "metadata.name":
            inside = node_name in (expr.get("values") or [])
            if (expr.get("operator") == "In") != inside:
                return False
    return True


def gpu_request(spec: dict) -> int:
    def one(c):
        res = c.get("resources") or {}
        v = (res.get("limits") or {}).get(GPU, (res.get("requests") or {}).get(GPU, 0))
        try:
            return int(quantity.parse(v))
        except ValueError:
            return 0
    main = sum(one(c) for c in spec.get("containers") or [])
    init = max([one(c) for c in spec.get("initContainers") or []] or [0])
    return max(main, init)


def _merge_conditions(old: list, new: list, now: str) -> list:
    """new conditions keep the lastTransitionTime of an old one with the same type and status."""
    prev = {c["type"]: c for c in old or []}
    out = []
    for c in new:
        p = prev.get(c["type"])
        c = dict(c)
        c["lastTransitionTime"] = p["lastTransitionTime"] if p and p.get("status") == c["status"] else now
        out.append(c)
    return out


class Kubelet:
    def __init__(self, cluster):
        self.cluster = cluster
        self.store = cluster.store
        cfg = cluster.config
        self.node_name = cfg.node_name
        self.root = os.path.join(cfg.state_dir, "pods")
        os.makedirs(self.root, exist_ok=True)
        self.runs: dict[str, PodRun] = {}
        self.lock = self.store.lock
        self.stopping = False
        self.mem_wakeup = threading.Event()
        self.pending: list[_Spawn] = []
        self.pgids_dirty = False
        self.reaper = Reaper()
        self.pgids_file = os.path.join(cfg.state_dir, "live-pgids.json")
        self.write_pgids()
        threading.Thread(target=self._memory_loop, name="kubelet-memory", daemon=True).start()

    # ---- scheduling ---------------------------------------------------------------
    def _unschedulable_reason(self, pod: dict) -> tuple[str, str] | None:
        cfg = self.cluster.config
        spec = pod["spec"]
        for taint in cfg.node_taints:
            if taint.get("effect") in ("NoSchedule", "NoExecute") and not _tolerates(spec.get("tolerations"), taint):
                shown = f'{{{taint.get("key")}: {taint.get("value", "")}}}'
                return (f"1 node(s) had untolerated taint {shown}", "Preemption is not helpful for scheduling")
        if spec.get("nodeName") and spec["nodeName"] != self.node_name:
            return ("1 node(s) didn't match the requested node name", "Preemption is not helpful for scheduling")
        labels = cfg.node_labels
        selector_ok = all(labels.get(k) == v for k, v in (spec.get("nodeSelector") or {}).items())
        terms = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                 .get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms")
        if terms and not any(_term_matches(t, labels, self.node_name) for t in terms):
            selector_ok = False
        if not selector_ok:
            return ("1 node(s) didn't match Pod's node affinity/selector", "Preemption is not helpful for scheduling")
        want = gpu_request(spec)
        if want:
            used = 0
            for other in self.store.list("pods"):
                if other["metadata"]["uid"] == pod["metadata"]["uid"]:
                    continue
                if other["spec"].get("nodeName") == self.node_name and other["status"].get("phase") not in TERMINAL:
                    used += gpu_request(other["spec"])
            if want > cfg.node_gpus - used:
                return (f"1 Insufficient {GPU}", "No preemption victims found for incoming pod")
        return None

    def _schedule(self, pod: dict, now: str):
        why = self._unschedulable_reason(pod)
        meta = pod["metadata"]
        if why is None:
            def bind(p):
                p["spec"]["nodeName"] = self.node_name
                p["status"]["conditions"] = _merge_conditions(
                    p["status"].get("conditions"),
                    [{"type": "PodScheduled", "status": "True", "lastProbeTime": None}], now)
            self.store.update("pods", meta["namespace"], meta["name"], bind)
            return
        message = f"0/1 nodes are available: {why[0]}. preemption: 0/1 nodes are available: 1 {why[1]}."

        def pending(p):
            p["status"]["phase"] = "Pending"
            p["status"]["conditions"] = _merge_conditions(
                p["status"].get("conditions"),
                [{"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                  "reason": "Unschedulable", "message": message}], now)
        self.store.update("pods", meta["namespace"], meta["name"], pending)

    # ---- the sync loop (called by the controller manager, store lock held) ---------
    def sync(self, now: float):
        now_s = iso(now)
        present = set()
        for pod in self.store.list("pods"):
            uid = pod["metadata"]["uid"]
            present.add(uid)
            try:
                self._sync_pod(pod, now, now_s)
            except Exception as e:  # keep the node alive; report
                self.cluster.log(f"kubelet: pod {pod['metadata']['name']}: {e!r}")
        for uid in list(self.runs):
            if uid not in present:
                # force-deleted (grace 0) or removed: kill whatever still runs
                run = self.runs.pop(uid)
                for c in run.all():
                    self._killpg(c, signal.SIGKILL)

    def next_wakeup(self, now: float) -> float | None:
        times = []
        for run in self.runs.values():
            if run.kill_at and not run.kill_sent:
                times.append(run.kill_at)
            for c in run.all():
                if c.restart_at:
                    times.append(c.restart_at)
                if c.waiting and c.waiting[0] in ("ErrImagePull", "CreateContainerConfigError"):
                    times.append(now + 0.2)
        return min(times) if times else None

    def _sync_pod(self, pod: dict, now: float, now_s: str):
        meta, spec, status = pod["metadata"], pod["spec"], pod["status"]
        uid = meta["uid"]
        if not spec.get("nodeName") or not any(
                c.get("type") == "PodScheduled" and c.get("status") == "True" for c in status.get("conditions") or []):
            if meta.get("deletionTimestamp"):
                self.store.remove("pods", meta["namespace"], meta["name"])
                return
            self._schedule(pod, now_s)
            pod = self.store.get("pods", meta["namespace"], meta["name"])
            if pod is None or not pod["spec"].get("nodeName"):
                return
            meta, spec, status = pod["metadata"], pod["spec"], pod["status"]
        run = self.runs.get(uid)
        if run is None:
            if status.get("phase") in TERMINAL:
                if meta.get("deletionTimestamp"):
                    self.store.remove("pods", meta["namespace"], meta["name"])
                return
            run = self.runs[uid] = PodRun(pod, self.root)
        if meta.get("deletionTimestamp"):
            self._terminate(pod, run, now)
            if not run.live():
                self._write_status(pod, run, now_s)
                self.store.remove("pods", meta["namespace"], meta["name"])
                self.runs.pop(uid, None)
            return
        if status.get("phase") in TERMINAL:
            return
        self._advance(pod, run, now)
        self._write_status(pod, run, now_s)

    def _terminate(self, pod: dict, run: PodRun, now: float):
        live = run.live()
        if not live:
            return
        if run.term_sent is None:
            grace = pod["metadata"].get("deletionGracePeriodSeconds")
            if grace is None:
                grace = pod["spec"].get("terminationGracePeriodSeconds", 30)
            grace = min(float(grace), self.cluster.config.max_grace_seconds)
            run.term_sent = now
            run.kill_at = now + grace
            for c in live:
                self._killpg(c, signal.SIGTERM if grace > 0 else signal.SIGKILL)
            if grace <= 0:
                run.kill_sent = True
        elif not run.kill_sent and now >= run.kill_at:
            run.kill_sent = True
            for c in live:
                self._killpg(c, signal.SIGKILL)

    def _advance(self, pod: dict, run: PodRun, now: float):
        """Starts (or restarts) the containers that should run now."""
        spec = pod["spec"]
        specs = {c["name"]: c for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])}
        for c in run.all():
            if c.restart_at is not None and now >= c.restart_at:
                c.restart_at = None
                c.proc, c.exit_code = None, None
        # init containers run one at a time, in order, each to success
        for c in run.init:
            if c.exit_code == 0:
                continue
            if c.proc is None and c.restart_at is None and not c.starting:
                self._try_start(pod, run, c, specs[c.name], now)
            return
        for c in run.main:
            if c.proc is None and c.restart_at is None and not c.starting:
                self._try_start(pod, run, c, specs[c.name], now)

    # ---- starting a container -------------------------------------------------------
    def _wait(self, c: ContainerRun, reason: str, message: str, now: float):
        if not c.waiting or c.waiting[0] != reason:
            c.waiting_since = now
        c.waiting = (reason, message)

    def _try_start(self, pod: dict, run: PodRun, c: ContainerRun, cspec: dict, now: float):
        image = cspec.get("image", "")
        entry = self.cluster.images.get(image)
        if entry is None:
            ref = normalize_image(image)
            if c.waiting and c.waiting[0] in ("ErrImagePull", "ImagePullBackOff"):
                if now - (c.waiting_since or now) >= self.cluster.config.image_pull_backoff_seconds:
                    self._wait(c, "ImagePullBackOff", f'Back-off pulling image "{image}"', now)
            else:
                self._wait(c, "ErrImagePull",
                           f'Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull and '
                           f'unpack image "{ref}": failed to resolve reference "{ref}": {ref}: not found', now)
            return
        try:
            env = self._environment(pod, cspec)
        except LookupError as e:
            self._wait(c, "CreateContainerConfigError", str(e), now)
            return
        mounts, dirs, files = self._mounts(pod, run, cspec)
        env = {k: self._map_path(v, mounts) for k, v in env.items()}
        if any(mp == "/tmp" for mp, _ in mounts) and "TMPDIR" not in env:
            env["TMPDIR"] = dict(mounts)["/tmp"]
        argv = self._argv(entry, cspec, env)
        # The image's own entrypoint is a path on this machine, never inside a volume:
        # only the container's command/args can name mounted paths.
        own = 0 if cspec.get("command") else len(entry)
        argv = argv[:own] + [self._map_path(a, mounts) for a in argv[own:]]
        cwd = self._cwd(cspec, mounts, run)
        dirs += [cwd, os.path.join(run.dir, "logs")]
        c.prev_log_path = c.log_path
        c.log_path = os.path.join(run.dir, "logs", f"{c.name}.{c.restart_count}.log")
        lim = ((cspec.get("resources") or {}).get("limits") or {}).get("memory")
        c.memory_limit = int(quantity.parse(lim)) if lim is not None else None
        c.container_id = "containerd://" + uuid.uuid4().hex + uuid.uuid4().hex
        c.waiting = None
        c.oom = False
        c.reason = c.message = None
        c.signal = None
        c.starting = True
        # the process is started by run_pending(), outside the store lock
        self.pending.append(_Spawn(run, c, pod["spec"], argv, env, cwd, dirs, files))

    def run_pending(self):
        """Starts the containers sync() prepared (called without the store lock held)."""
        with self.lock:
            batch, self.pending = self.pending, []
        if not batch:
            return
        for sp in batch:
            c, run = sp.c, sp.run
            proc, error = None, None
            try:
                for d in sp.dirs:
                    os.makedirs(d, exist_ok=True)
                for path, data in sp.files:
                    with open(path, "wb") as f:
                        f.write(data)
                with open(c.log_path, "ab") as log:
                    proc = subprocess.Popen(sp.argv, env=sp.env, cwd=sp.cwd, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
            except (OSError, ValueError, TypeError) as e:   # e.g. no such executable, NUL in an argument
                error = e
            with self.lock:
                c.starting = False
                if error is not None:
                    c.started_at = c.finished_at = _now_iso()
                    c.exit_code = 128
                    c.reason = "StartError"
                    c.message = (f"failed to create containerd task: failed to create shim task: OCI runtime "
                                 f"create failed: runc create failed: unable to start container process: exec: "
                                 f'"{sp.argv[0] if sp.argv else ""}": {getattr(error, "strerror", None) or error}: '
                                 f"unknown")
                    c.proc = _Exited()
                    self._after_exit(sp.spec, run, c, time.time())
                else:
                    c.proc, c.pgid, c.started_at = proc, proc.pid, _now_iso()
                    if self.runs.get(run.uid) is not run or self.stopping:
                        self._killpg(c, signal.SIGKILL)       # the pod went away meanwhile
                    elif run.term_sent is not None:
                        self._killpg(c, signal.SIGTERM)       # being deleted: the grace period runs
                    self.reaper.add(proc, lambda rc, run=run, c=c, proc=proc: self._on_exit(run, c, proc, rc))
                    c.members = {}
                    self.mem_wakeup.set()  # track its processes from now on
                self.store.poke()
        self.write_pgids()

    def _environment(self, pod: dict, cspec: dict) -> dict:
        meta = pod["metadata"]
        ns = meta["namespace"]
        base = {
            "PATH": os.environ.get("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "HOSTNAME": meta["name"],
            "KUBERNETES_SERVICE_HOST": "127.0.0.1",
            "KUBERNETES_SERVICE_PORT": str(self.cluster.port),
            "KUBERNETES_SERVICE_PORT_HTTPS": str(self.cluster.port),
        }
        env = dict(base)

        def secret(name, optional):
            s = self.store.get("secrets", ns, name)
            if s is None and not optional:
                raise LookupError(f'secret "{name}" not found')
            return s

        for ef in cspec.get("envFrom") or []:
            prefix = ef.get("prefix", "")
            if ef.get("secretRef"):
                s = secret(ef["secretRef"]["name"], ef["secretRef"].get("optional"))
                for k, v in ((s or {}).get("data") or {}).items():
                    env[prefix + k] = base64.b64decode(v).decode(errors="replace")
            elif ef.get("configMapRef") and not ef["configMapRef"].get("optional"):
                raise LookupError(f'configmap "{ef["configMapRef"]["name"]}" not found')
        for e in cspec.get("env") or []:
            name = e["name"]
            if e.get("valueFrom"):
                vf = e["valueFrom"]
                if vf.get("secretKeyRef"):
                    ref = vf["secretKeyRef"]
                    s = secret(ref["name"], ref.get("optional"))
                    data = (s or {}).get("data") or {}
                    if ref["key"] not in data:
                        if ref.get("optional"):
                            continue
                        raise LookupError(f"couldn't find key {ref['key']} in Secret {ns}/{ref['name']}")
                    env[name] = base64.b64decode(data[ref["key"]]).decode(errors="replace")
                elif vf.get("configMapKeyRef"):
                    if vf["configMapKeyRef"].get("optional"):
                        continue
                    raise LookupError(f'configmap "{vf["configMapKeyRef"]["name"]}" not found')
                elif vf.get("fieldRef"):
                    env[name] = self._field(pod, vf["fieldRef"]["fieldPath"])
                elif vf.get("resourceFieldRef"):
                    env[name] = self._resource_field(cspec, vf["resourceFieldRef"])
            else:
                env[name] = _expand(e.get("value", ""), env)
        return env

    def _field(self, pod: dict, path: str) -> str:
        meta = pod["metadata"]
        m = re.fullmatch(r"metadata\.(labels|annotations)\['(.*)'\]", path)
        if m:
            return (meta.get(m.group(1)) or {}).get(m.group(2), "")
        return {
            "metadata.name": meta["name"], "metadata.namespace": meta["namespace"], "metadata.uid": meta["uid"],
            "spec.nodeName": pod["spec"].get("nodeName", ""),
            "spec.serviceAccountName": pod["spec"].get("serviceAccountName", ""),
            "status.podIP": "127.0.0.1", "status.hostIP": "127.0.0.1",
        }.get(path, "")

    @staticmethod
    def _resource_field(cspec: dict, ref: dict) -> str:
        section, _, name = ref.get("resource", "").partition(".")
        value = ((cspec.get("resources") or {}).get(section) or {}).get(name)
        if value is None:
            return "0"
        q = quantity.parse(value) / quantity.parse(ref.get("divisor", "1"))
        return str(int(q) if q == q.to_integral_value() else int(q) + 1)

    def _mounts(self, pod: dict, run: PodRun, cspec: dict):
        """([(mountPath, local dir)] longest mountPath first, dirs to create, [(file, bytes)] to write)."""
        volumes = {v["name"]: v for v in pod["spec"].get("volumes") or []}
        out, dirs, files = [], [], []
        for m in cspec.get("volumeMounts") or []:
            vol = volumes.get(m["name"], {})
            if vol.get("hostPath"):
                local = vol["hostPath"]["path"]
            else:
                # emptyDir (and any other volume type): a fresh local directory per pod
                local = os.path.join(run.dir, "volumes", m["name"])
                dirs.append(local)
                if vol.get("secret"):
                    s = self.store.get("secrets", run.namespace, vol["secret"].get("secretName", ""))
                    for k, v in ((s or {}).get("data") or {}).items():
                        files.append((os.path.join(local, k), base64.b64decode(v)))
            if m.get("subPath"):
                local = os.path.join(local, m["subPath"])
                dirs.append(local)
            out.append((m["mountPath"].rstrip("/") or "/", local))
        out.sort(key=lambda x: -len(x[0]))
        return out, dirs, files

    @staticmethod
    def _map_path(value: str, mounts) -> str:
        for mp, local in mounts:
            if value == mp or value.startswith(mp + "/"):
                return local + value[len(mp):]
        return value

    @staticmethod
    def _argv(entry: list, cspec: dict, env: dict) -> list[str]:
        """command replaces the image's entrypoint, args follow it; $(VAR) expanded in both."""
        command, args = cspec.get("command"), cspec.get("args") or []
        head = [_expand(a, env) for a in command] if command else list(entry)
        return head + [_expand(a, env) for a in args]

    def _cwd(self, cspec: dict, mounts, run: PodRun) -> str:
        wd = cspec.get("workingDir")
        if wd:
            mapped = self._map_path(wd, mounts)
            if mapped != wd or os.path.isdir(wd):
                return mapped
        if mounts:
            # the first mount in the container's order
            first = (cspec.get("volumeMounts") or [])[0]["mountPath"].rstrip("/") or "/"
            return dict(mounts)[first]
        return os.path.join(run.dir, "root")

    # ---- processes ends -------------------------------------------------------------
    def _on_exit(self, run: PodRun, c: ContainerRun, proc: subprocess.Popen, rc: int):
        with self.lock:
            if c.proc is not proc:
                return
            # the container's "PID namespace" ends with its main process
            self._killpg(c, signal.SIGKILL)
            pod = self.store.get("pods", run.namespace, run.name)
            if pod is not None and pod["metadata"]["uid"] != run.uid:
                pod = None
            c.finished_at = _now_iso()
            if rc < 0:
                c.signal = -rc
                c.exit_code = 128 - rc
            else:
                c.exit_code = rc
            if c.oom:
                c.reason, c.exit_code = "OOMKilled", 137
            else:
                c.reason = "Completed" if c.exit_code == 0 else "Error"
            self._after_exit(pod["spec"] if pod else {}, run, c, time.time())
            c.pgid = None
            self.pgids_dirty = True
            self.store.poke()

    def _after_exit(self, spec: dict, run: PodRun, c: ContainerRun, now: float):
        """Schedules a restart when the pod's restartPolicy asks for one."""
        policy = spec.get("restartPolicy", "Never")
        if c.init and c.exit_code == 0:
            return
        restart = policy == "Always" or (policy == "OnFailure" and c.exit_code != 0)
        if restart and run.term_sent is None and not self.stopping:
            c.last_state = {"terminated": self._terminated_state(c)}
            c.restart_count += 1
            c.restart_at = now + self.cluster.config.restart_backoff_seconds

    @staticmethod
    def _terminated_state(c: ContainerRun) -> dict:
        t = {"exitCode": c.exit_code, "reason": c.reason, "startedAt": c.started_at, "finishedAt": c.finished_at,
             "containerID": c.container_id}
        if c.signal:
            t["signal"] = c.signal
        if c.message:
            t["message"] = c.message
        return t

    def _killpg(self, c: ContainerRun, sig):
        """SIGTERM goes to the container's main process group, as a runtime sends it to
        PID 1; SIGKILL reaches every process the container ever had (its cgroup)."""
        if c.pgid is not None:
            try:
                os.killpg(c.pgid, sig)
            except (ProcessLookupError, PermissionError):
                pass
        if sig == signal.SIGKILL:
            for pid, started in list(c.members.items()):
                if _start_time(pid) == started:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass

    # ---- status -------------------------------------------------------------------
    def _container_status(self, cspec: dict, c: ContainerRun) -> dict:
        image = cspec.get("image", "")
        st = {"name": c.name, "state": {}, "lastState": c.last_state, "ready": False,
              "restartCount": c.restart_count, "image": normalize_image(image),
              "imageID": "", "started": False}
        if c.running:
            st["state"] = {"running": {"startedAt": c.started_at}}
            st["ready"] = not c.init
            st["started"] = True
        elif c.restart_at is not None:
            st["state"] = {"waiting": {"reason": "CrashLoopBackOff",
                                       "message": f"back-off restarting failed container={c.name}"}}
        elif c.exit_code is not None:
            st["state"] = {"terminated": self._terminated_state(c)}
        elif c.waiting:
            st["state"] = {"waiting": {"reason": c.waiting[0], "message": c.waiting[1]}}
        else:
            st["state"] = {"waiting": {"reason": "ContainerCreating"}}
        if c.proc is not None or c.exit_code is not None:
            st["containerID"] = c.container_id
            repo = normalize_image(image).split("@")[0]
            repo = repo.rsplit(":", 1)[0] if ":" in repo.rsplit("/", 1)[-1] else repo
            st["imageID"] = f"{repo}@sha256:" + uuid.uuid5(uuid.NAMESPACE_URL, image).hex * 2
        if c.init:
            del st["started"]
        return st

    def _write_status(self, pod: dict, run: PodRun, now_s: str):
        spec = pod["spec"]
        specs = {c["name"]: c for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])}
        init_st = [self._container_status(specs[c.name], c) for c in run.init]
        main_st = [self._container_status(specs[c.name], c) for c in run.main]
        init_done = all(c.exit_code == 0 for c in run.init)
        init_failed = any(c.terminated and c.exit_code != 0 for c in run.init)
        if not init_done and not init_failed:
            for st in main_st:
                st["state"] = {"waiting": {"reason": "PodInitializing"}}
        phase = "Pending"
        if init_failed:
            phase = "Failed"
        elif init_done:
            if run.main and all(c.terminated for c in run.main):
                phase = "Succeeded" if all(c.exit_code == 0 for c in run.main) else "Failed"
            elif any(c.proc is not None for c in run.main):
                phase = "Running"
        ready = phase == "Running" and all(c.running for c in run.main)
        terminal = phase in TERMINAL
        unready = [c.name for c in run.main if not c.running]
        conds = [
            {"type": "PodReadyToStartContainers", "status": "False" if terminal else "True", "lastProbeTime": None},
            {"type": "Initialized", "status": "True" if init_done else "False", "lastProbeTime": None},
            {"type": "Ready", "status": "True" if ready else "False", "lastProbeTime": None},
            {"type": "ContainersReady", "status": "True" if ready else "False", "lastProbeTime": None},
            {"type": "PodScheduled", "status": "True", "lastProbeTime": None},
        ]
        if not init_done:
            pending = [c.name for c in run.init if c.exit_code != 0]
            conds[1].update(reason="ContainersNotInitialized", message=f"containers with incomplete status: {pending}".replace("'", ""))
        for cond in conds[2:4]:
            if cond["status"] == "False":
                if terminal:
                    cond["reason"] = "PodCompleted"
                else:
                    cond["reason"] = "ContainersNotReady"
                    cond["message"] = f"containers with unready status: [{' '.join(unready)}]"

        st = dict(pod["status"])
        st["phase"] = phase
        st["conditions"] = _merge_conditions(st.get("conditions"), conds, now_s)
        st["hostIP"] = "127.0.0.1"
        st["hostIPs"] = [{"ip": "127.0.0.1"}]
        st["podIP"] = "127.0.0.1"
        st["podIPs"] = [{"ip": "127.0.0.1"}]
        st["startTime"] = run.started_at
        if init_st:
            st["initContainerStatuses"] = init_st
        st["containerStatuses"] = main_st
        if st == pod["status"]:
            return      # unchanged: no write, no event

        def apply(p):
            p["status"] = st
        self.store.update("pods", run.namespace, run.name, apply)

    # ---- memory limits -------------------------------------------------------------
    def _memory_loop(self):
        """Tracks each running container's processes (the root's descendants, kept even
        when they start their own session or are orphaned) and enforces memory limits
        on their summed RSS, as the container's cgroup would."""
        page = os.sysconf("SC_PAGE_SIZE")
        interval = self.cluster.config.memory_poll_interval
        while not self.stopping:
            with self.lock:
                watched = [c for run in self.runs.values() for c in run.main + run.init if c.running and c.pgid]
            if not watched:
                self.mem_wakeup.wait(1.0)
                self.mem_wakeup.clear()
                continue
            procs = {}  # pid -> (ppid, start time, rss bytes)
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry}/stat", "rb") as f:
                        fields = f.read().rsplit(b")", 1)[1].split()
                except OSError:
                    continue
                procs[int(entry)] = (int(fields[1]), fields[19], int(fields[21]) * page)
            with self.lock:
                for c in watched:
                    if not c.running or c.pgid is None:
                        continue
                    if c.pgid in procs:
                        c.members.setdefault(c.pgid, procs[c.pgid][1])
                    alive = {pid: st for pid, st in c.members.items() if pid in procs and procs[pid][1] == st}
                    grew = True
                    while grew:
                        grew = False
                        for pid, (ppid, st, _) in procs.items():
                            if ppid in alive and pid not in alive:
                                alive[pid] = st
                                grew = True
                    c.members = alive
                    used = sum(procs[pid][2] for pid in alive)
                    if c.memory_limit is not None and used > c.memory_limit:
                        c.oom = True
                        self._killpg(c, signal.SIGKILL)
            time.sleep(interval)

    # ---- bookkeeping -----------------------------------------------------------------
    def write_pgids(self):
        """live-pgids.json: what a harness kills if this server dies without cleaning up."""
        with self.lock:
            pgids = sorted(c.pgid for run in self.runs.values() for c in run.all() if c.pgid)
            self.pgids_dirty = False
        tmp = self.pgids_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(pgids, f)
        os.replace(tmp, self.pgids_file)

    def processes(self) -> list[dict]:
        with self.lock:
            return [{"pod": run.name, "namespace": run.namespace, "container": c.name, "pid": c.proc.pid,
                     "pgid": c.pgid, "running": c.running}
                    for run in self.runs.values() for c in run.all() if c.proc is not None and c.pgid]

    def log_path(self, uid: str, container: str, previous: bool = False) -> tuple[str | None, ContainerRun | None]:
        run = self.runs.get(uid)
        c = run.by_name(container) if run else None
        if c is None:
            return None, None
        return (c.prev_log_path if previous else c.log_path), c

    def shutdown(self):
        """Kills every process group (SIGKILL) and waits briefly for them."""
        with self.lock:
            self.stopping = True
            groups = [c for run in self.runs.values() for c in run.all() if c.pgid]
            for c in groups:
                self._killpg(c, signal.SIGKILL)
        deadline = time.time() + 2
        for c in groups:
            if c.proc is not None and not isinstance(c.proc, _Exited):
                try:
                    c.proc.wait(timeout=max(0.0, deadline - time.time()))
                except subprocess.TimeoutExpired:
                    pass
        with self.lock:
            self.runs.clear()
        self.write_pgids()


class _Spawn:
    def __init__(self, run, c, spec, argv, env, cwd, dirs, files):
        self.run, self.c, self.spec = run, c, spec
        self.argv, self.env, self.cwd, self.dirs, self.files = argv, env, cwd, dirs, files


class Reaper:
    """One thread waiting for every container process (pidfds), calling back on exit."""

    def __init__(self):
        self.lock = threading.Lock()
        self.procs: dict[int, tuple] = {}
        self.rfd, self.wfd = os.pipe()
        threading.Thread(target=self._loop, name="kubelet-reaper", daemon=True).start()

    def add(self, proc, callback):
        try:
            fd = os.pidfd_open(proc.pid)
        except (AttributeError, OSError):
            threading.Thread(target=lambda: callback(proc.wait()), daemon=True).start()
            return
        with self.lock:
            self.procs[fd] = (proc, callback)
        os.write(self.wfd, b"x")

    def _loop(self):
        poller = select.poll()
        poller.register(self.rfd, select.POLLIN)
        registered = set()
        while True:
            with self.lock:
                for fd in self.procs.keys() - registered:
                    poller.register(fd, select.POLLIN)
                    registered.add(fd)
            for fd, _ in poller.poll():
                if fd == self.rfd:
                    os.read(self.rfd, 4096)
                    continue
                with self.lock:
                    proc, callback = self.procs.pop(fd)
                poller.unregister(fd)
                registered.discard(fd)
                os.close(fd)
                try:
                    callback(proc.wait())
                except Exception:
                    traceback.print_exc()


class _Exited:
    """Stands in for a process that could not be started."""
    pid = 0

    def wait(self, timeout=None):
        return 128


def _expand(value: str, env: dict) -> str:
    """Kubernetes' $(VAR) expansion: known variables are replaced, $$ escapes."""
    def sub(m):
        if m.group(0).startswith("$$"):
            return m.group(0)[1:]
        name = m.group(1)
        return env[name] if name in env else m.group(0)
    return re.sub(r"\$\$\([^)]*\)|\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)", sub, value)
