"""Server-side printing (`meta.k8s.io/v1` Table), so `kubectl get` prints the
same columns as against a real cluster."""

from __future__ import annotations

import calendar
import json
import time

from .resources import ResourceType
from .store import dumps


def _ts(s: str | None) -> float | None:
    if not s:
        return None
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration."""
    if seconds < -1:
        return "<invalid>"
    s = int(max(seconds, 0))
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    days = hours // 24
    if hours < 24 * 365 * 8:
        return f"{days // 365}y" if days % 365 == 0 else f"{days // 365}y{days % 365}d"
    return f"{days // 365}y"


def _age(obj: dict) -> str:
    t = _ts(obj["metadata"].get("creationTimestamp"))
    return "<unknown>" if t is None else human_duration(time.time() - t)


def _col(name, type_="string", fmt="", description="", priority=0):
    return {"name": name, "type": type_, "format": fmt, "description": description, "priority": priority}


COLUMNS = {
    "jobs": [_col("Name", fmt="name", description="Name must be unique within a namespace."),
             _col("Status", description="Status of the job."),
             _col("Completions", description="The desired number of successfully finished pods the job should be run with."),
             _col("Duration", description="Time required to complete the job."),
             _col("Age", description="CreationTimestamp is a timestamp representing the server time when this object was created."),
             _col("Containers", description="Names of each container in the template.", priority=1),
             _col("Images", description="Images referenced by each container in the template.", priority=1),
             _col("Selector", description="A label query over pods that should match the pod count.", priority=1)],
    "pods": [_col("Name", fmt="name", description="Name must be unique within a namespace."),
             _col("Ready", description="The aggregate readiness state of this pod for accepting traffic."),
             _col("Status", description="The aggregate status of the containers in this pod."),
             _col("Restarts", description="The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
             _col("Age", description="CreationTimestamp is a timestamp representing the server time when this object was created."),
             _col("IP", description="IP address allocated to the pod.", priority=1),
             _col("Node", description="Name of the node this pod is assigned to.", priority=1),
             _col("Nominated Node", description="Name of the node this pod is nominated to run on.", priority=1),
             _col("Readiness Gates", description="Readiness gates of this pod.", priority=1)],
    "events": [_col("Last Seen"), _col("Type"), _col("Reason"), _col("Object"), _col("Message")],
    "secrets": [_col("Name", fmt="name", description="Name must be unique within a namespace."),
                _col("Type", description="The type of secret"),
                _col("Data", type_="integer", description="The number of keys in the secret."),
                _col("Age", description="CreationTimestamp is a timestamp representing the server time when this object was created.")],
}


def _has(obj: dict, type_: str) -> bool:
    return any(c.get("type") == type_ and c.get("status") == "True"
               for c in (obj.get("status") or {}).get("conditions") or [])


def _job_cells(job: dict) -> list:
    spec, st = job.get("spec") or {}, job.get("status") or {}
    succeeded = st.get("succeeded", 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif (spec.get("parallelism") or 1) > 1:
        completions = f"{succeeded}/1 of {spec['parallelism']}"
    else:
        completions = f"{succeeded}/1"
    start, end = _ts(st.get("startTime")), _ts(st.get("completionTime"))
    duration = "" if start is None else human_duration((end or time.time()) - start)
    if _has(job, "Complete"):
        status = "Complete"
    elif _has(job, "Failed"):
        status = "Failed"
    elif job["metadata"].get("deletionTimestamp"):
        status = "Terminating"
    elif _has(job, "FailureTarget"):
        status = "FailureTarget"
    elif _has(job, "Suspended"):
        status = "Suspended"
    elif _has(job, "SuccessCriteriaMet"):
        status = "SuccessCriteriaMet"
    else:
        status = "Running"
    containers = (spec.get("template") or {}).get("spec", {}).get("containers") or []
    selector = ",".join(f"{k}={v}" for k, v in sorted(((spec.get("selector") or {}).get("matchLabels") or {}).items()))
    return [job["metadata"]["name"], status, completions, duration, _age(job),
            ",".join(c["name"] for c in containers), ",".join(c.get("image", "") for c in containers), selector]


def _pod_cells(pod: dict) -> list:
    st = pod.get("status") or {}
    statuses = st.get("containerStatuses") or []
    total = len((pod.get("spec") or {}).get("containers") or [])
    ready = sum(1 for c in statuses if c.get("ready"))
    restarts = sum(c.get("restartCount", 0) for c in statuses)
    reason = st.get("reason") or st.get("phase") or "Pending"
    for i, c in enumerate(st.get("initContainerStatuses") or []):
        term = (c.get("state") or {}).get("terminated")
        waiting = (c.get("state") or {}).get("waiting")
        if term and term.get("exitCode") == 0:
            continue
        if term:
            reason = "Init:" + (term.get("reason") or f"ExitCode:{term.get('exitCode')}")
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(st.get('initContainerStatuses'))}"
        break
    else:
        has_running = False
        for c in reversed(statuses):
            state = c.get("state") or {}
            if (state.get("waiting") or {}).get("reason"):
                reason = state["waiting"]["reason"]
            elif state.get("terminated"):
                term = state["terminated"]
                reason = term.get("reason") or (f"Signal:{term['signal']}" if term.get("signal")
                                                else f"ExitCode:{term.get('exitCode')}")
            elif state.get("running") and c.get("ready"):
                has_running = True
        if reason == "Completed" and has_running:
            reason = "Running" if _has(pod, "Ready") else "NotReady"
    if pod["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    return [pod["metadata"]["name"], f"{ready}/{total}", reason, str(restarts), _age(pod),
            st.get("podIP") or "<none>", (pod.get("spec") or {}).get("nodeName") or "<none>",
            st.get("nominatedNodeName") or "<none>", "<none>"]


def _secret_cells(secret: dict) -> list:
    return [secret["metadata"]["name"], secret.get("type", "Opaque"), len(secret.get("data") or {}), _age(secret)]


CELLS = {"jobs": _job_cells, "pods": _pod_cells, "secrets": _secret_cells,
         "events": lambda e: ["", e.get("type", ""), e.get("reason", ""), "", e.get("message", "")]}


def _row(rt: ResourceType, obj: dict, include_object: str) -> dict:
    row = {"cells": CELLS[rt.name](obj)}
    if include_object == "Object":
        row["object"] = dict(obj, kind=rt.kind, apiVersion=rt.api_version)
    elif include_object != "None":
        row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                         "metadata": obj["metadata"]}
    return row


def table(rt: ResourceType, items: list, rv: int, meta: dict | None = None, include_object: str = "Metadata") -> dict:
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "metadata": dict(meta or {}, resourceVersion=str((meta or {}).get("resourceVersion", rv))),
            "columnDefinitions": COLUMNS[rt.name], "rows": [_row(rt, o, include_object) for o in items]}


def convert_line(rt: ResourceType, line: bytes, rv: int) -> bytes:
    """A watch event line with its object rendered as a one-row Table (BOOKMARK and ERROR unchanged)."""
    ev = json.loads(line)
    if ev["type"] in ("BOOKMARK", "ERROR"):
        return line
    obj = ev["object"]
    t = table(rt, [obj], int(obj["metadata"].get("resourceVersion", rv)))
    return (dumps({"type": ev["type"], "object": t}) + "\n").encode()
