"""batch/v1 Job controller (the parts Assay relies on), the TTL-after-finished
controller and the garbage collector.

Counting follows the Job controller with pod tracking: a pod that ended
Succeeded/Failed is counted once even after it is deleted; a pod that vanished
while active counts as failed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from .errors import ApiError
from .store import iso

FINISHED = ("Complete", "Failed")
FOREGROUND = "foregroundDeletion"


@dataclass
class Tracking:
    seen: set = field(default_factory=set)
    succeeded: set = field(default_factory=set)
    failed: set = field(default_factory=set)
    start: float | None = None
    finished: float | None = None
    last_failure: float | None = None
    create_error_at: float | None = None


def condition(job: dict, type_: str) -> dict | None:
    for c in (job.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_ and c.get("status") == "True":
            return c
    return None


def controller_uid(obj: dict) -> str | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("uid")
    return None


def _pod_ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


class JobController:
    def __init__(self, cluster):
        self.cluster = cluster
        self.store = cluster.store
        self.tracking: dict[str, Tracking] = {}

    # ---- Jobs ---------------------------------------------------------------------
    def sync_all(self, now: float):
        pods_by_owner: dict[str, list] = {}
        for pod in self.store.list("pods"):
            uid = controller_uid(pod)
            if uid:
                pods_by_owner.setdefault(uid, []).append(pod)
        alive = set()
        for job in self.store.list("jobs"):
            uid = job["metadata"]["uid"]
            alive.add(uid)
            try:
                self._sync(job, pods_by_owner.get(uid, []), now)
            except ApiError as e:
                self.cluster.log(f"job controller: {job['metadata']['name']}: {e.message}")
        for uid in list(self.tracking):
            if uid not in alive:
                del self.tracking[uid]

    def next_wakeup(self, now: float) -> float | None:
        times = []
        for job in self.store.list("jobs"):
            t = self.tracking.get(job["metadata"]["uid"])
            if t is None:
                continue
            spec = job["spec"]
            if t.finished is not None:
                if spec.get("ttlSecondsAfterFinished") is not None:
                    times.append(t.finished + spec["ttlSecondsAfterFinished"])
            elif t.start is not None and spec.get("activeDeadlineSeconds") is not None:
                times.append(t.start + spec["activeDeadlineSeconds"])
            if t.create_error_at is not None:
                times.append(t.create_error_at + 1.0)
        return min(times) if times else None

    def _sync(self, job: dict, pods: list, now: float):
        meta, spec = job["metadata"], job["spec"]
        uid = meta["uid"]
        t = self.tracking.setdefault(uid, Tracking())
        status = job.get("status") or {}
        finished = condition(job, "Complete") or condition(job, "Failed")
        if finished:
            if t.finished is None:
                t.finished = now
            ttl = spec.get("ttlSecondsAfterFinished")
            if ttl is not None and now >= t.finished + ttl and not meta.get("deletionTimestamp"):
                # the TTL-after-finished controller deletes in the foreground
                self.cluster.delete_object("jobs", meta["namespace"], meta["name"], "Foreground")
            return

        present = set()
        for pod in pods:
            puid = pod["metadata"]["uid"]
            present.add(puid)
            t.seen.add(puid)
            phase = pod["status"].get("phase")
            if phase == "Succeeded":
                t.succeeded.add(puid)
            elif phase == "Failed":
                if puid not in t.failed:
                    t.last_failure = now
                t.failed.add(puid)
        for puid in t.seen - present - t.succeeded - t.failed:
            t.failed.add(puid)       # deleted while active
            t.last_failure = now
        active = [p for p in pods if p["status"].get("phase") not in ("Succeeded", "Failed")
                  and not p["metadata"].get("deletionTimestamp")]
        terminating = [p for p in pods if p["status"].get("phase") not in ("Succeeded", "Failed")
                       and p["metadata"].get("deletionTimestamp")]
        restarts = 0
        if spec["template"]["spec"].get("restartPolicy") == "OnFailure":
            for p in pods:
                restarts += sum(c.get("restartCount", 0) for c in p["status"].get("containerStatuses") or [])
        failed = len(t.failed) + restarts
        succeeded = len(t.succeeded)
        conds = copy.deepcopy(status.get("conditions") or [])
        now_s = iso(now)
        new_status = dict(status)
        suspended = spec.get("suspend")
        if t.start is None and status.get("startTime"):
            t.start = now
        if t.start is None and not suspended:
            t.start = now
            new_status["startTime"] = now_s

        def add(type_, reason, message, status_="True"):
            for c in conds:
                if c["type"] == type_:
                    if c["status"] != status_:
                        c.update(status=status_, lastProbeTime=now_s, lastTransitionTime=now_s, reason=reason,
                                 message=message)
                    return
            conds.append({"type": type_, "status": status_, "lastProbeTime": now_s, "lastTransitionTime": now_s,
                          "reason": reason, "message": message})

        if suspended:
            add("Suspended", "JobSuspended", "Job suspended")
        elif any(c["type"] == "Suspended" and c["status"] == "True" for c in conds):
            add("Suspended", "JobResumed", "Job resumed", "False")
            t.start = now                    # the active deadline counts from the resume
            new_status["startTime"] = now_s

        target = next((c for c in conds if c["type"] in ("FailureTarget", "SuccessCriteriaMet")
                       and c["status"] == "True"), None)
        if target is None:
            ads = spec.get("activeDeadlineSeconds")
            completions = spec.get("completions")
            if failed > spec.get("backoffLimit", 6):
                add("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
            elif ads is not None and t.start is not None and now - t.start >= ads:
                add("FailureTarget", "DeadlineExceeded", "Job was active longer than specified deadline")
            elif not active and ((completions is None and succeeded > 0)
                                 or (completions is not None and succeeded >= completions)):
                add("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods")
            target = next((c for c in conds if c["type"] in ("FailureTarget", "SuccessCriteriaMet")
                           and c["status"] == "True"), None)

        deleting = bool(meta.get("deletionTimestamp"))
        if target is not None and target["type"] == "FailureTarget":
            for p in active:
                self.cluster.delete_object("pods", p["metadata"]["namespace"], p["metadata"]["name"])
                terminating.append(p)
            active = []
            if not terminating:
                add("Failed", target["reason"], target["message"])
                t.finished = now
        elif target is not None:
            if not terminating and not active:
                add("Complete", target["reason"], target["message"])
                new_status["completionTime"] = now_s
                t.finished = now
        elif suspended:
            for p in active:
                self.cluster.delete_object("pods", p["metadata"]["namespace"], p["metadata"]["name"])
                terminating.append(p)
            active = []
        elif not deleting:
            completions = spec.get("completions")
            parallelism = spec.get("parallelism", 1)
            if completions is None:
                want = parallelism - len(active) if succeeded == 0 else 0
            else:
                want = min(parallelism, completions - succeeded) - len(active)
            backoff = self.cluster.config.pod_failure_backoff_seconds
            if want > 0 and failed and backoff and t.last_failure is not None:
                delay = backoff * (2 ** (min(failed, 10) - 1))
                if now < t.last_failure + delay:
                    want = 0
            if want > 0 and t.create_error_at is not None and now < t.create_error_at + 1.0:
                want = 0
            for _ in range(max(want, 0)):
                pod = self._create_pod(job, t, now)
                if pod is None:
                    break
                active.append(pod)

        if active:
            new_status["active"] = len(active)
        else:
            new_status.pop("active", None)
        new_status["ready"] = sum(1 for p in active if _pod_ready(p))
        new_status["terminating"] = len(terminating)
        for key, n in (("succeeded", succeeded), ("failed", failed)):
            if n:
                new_status[key] = n
            else:
                new_status.pop(key, None)
        new_status["uncountedTerminatedPods"] = {}
        if conds:
            new_status["conditions"] = conds
        if new_status != status:
            def apply(j):
                j["status"] = new_status
            self.store.update("jobs", meta["namespace"], meta["name"], apply)

    def _create_pod(self, job: dict, t: Tracking, now: float) -> dict | None:
        meta, template = job["metadata"], job["spec"]["template"]
        tmeta = template.get("metadata") or {}
        pod = {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {
                "generateName": meta["name"] + "-",
                "namespace": meta["namespace"],
                "labels": dict(tmeta.get("labels") or {}),
                "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": meta["name"],
                                     "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True}],
            },
            "spec": copy.deepcopy(template["spec"]),
        }
        if tmeta.get("annotations"):
            pod["metadata"]["annotations"] = dict(tmeta["annotations"])
        try:
            created = self.cluster.create_object("pods", meta["namespace"], pod)
        except ApiError as e:
            t.create_error_at = now
            self.cluster.log(f"job controller: Error creating: {e.message} (Job {meta['namespace']}/{meta['name']}, "
                             "reason FailedCreate)")
            return None
        t.create_error_at = None
        t.seen.add(created["metadata"]["uid"])
        return created


class GarbageCollector:
    """Deletes dependents whose owners are all gone, and finishes foreground deletions."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.store = cluster.store

    def sync(self, now: float):
        store = self.store
        dependents: dict[str, list] = {}
        for resource in ("jobs", "pods", "secrets"):
            for obj in store.list(resource):
                refs = obj["metadata"].get("ownerReferences") or []
                if not refs:
                    continue
                for ref in refs:
                    dependents.setdefault(ref.get("uid"), []).append((resource, obj))
                owners = [store.by_uid_get(ref.get("uid")) for ref in refs]
                gone = all(o is None for o in owners)
                foreground = any(o is not None and FOREGROUND in (o[1]["metadata"].get("finalizers") or [])
                                 for o in owners)
                if (gone or foreground) and not obj["metadata"].get("deletionTimestamp"):
                    meta = obj["metadata"]
                    policy = "Foreground" if foreground else "Background"
                    self.cluster.delete_object(resource, meta["namespace"], meta["name"], policy)
        for resource in ("jobs", "pods", "secrets"):
            for obj in store.list(resource):
                meta = obj["metadata"]
                if FOREGROUND not in (meta.get("finalizers") or []):
                    continue
                blocking = [d for _, d in dependents.get(meta["uid"], [])
                            if store.by_uid_get(d["metadata"]["uid"]) is not None]
                if not blocking:
                    store.remove(resource, meta["namespace"], meta["name"])
