"""Injected faults: error answers and slow answers for API requests (never for the admin token)."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Fault:
    kind: str                     # "error" | "delay"
    status: int = 500             # error: the HTTP status answered
    seconds: float = 0.0          # delay: how long each matching request waits
    count: int | None = None      # how many requests it applies to (None: unlimited)
    until: float | None = None    # monotonic deadline (None: no deadline)
    verbs: tuple | None = None    # e.g. ("create", "watch"); None: any
    paths: tuple | None = None    # path prefixes, or regexes when starting with "^"; None: any
    resources: tuple | None = None  # e.g. ("jobs", "pods/log")
    message: str | None = None
    hits: int = 0
    id: int = 0

    def matches(self, verb: str | None, path: str, resource: str | None) -> bool:
        if self.until is not None and time.monotonic() >= self.until:
            return False
        if self.count is not None and self.hits >= self.count:
            return False
        if self.verbs is not None and verb not in self.verbs:
            return False
        if self.resources is not None and resource not in self.resources:
            return False
        if self.paths is not None and not any(
                re.search(p, path) if p.startswith("^") else path.startswith(p) for p in self.paths):
            return False
        return True

    def expired(self) -> bool:
        return ((self.until is not None and time.monotonic() >= self.until)
                or (self.count is not None and self.hits >= self.count))

    def describe(self) -> dict:
        return {"id": self.id, "kind": self.kind, "status": self.status, "seconds": self.seconds,
                "count": self.count, "hits": self.hits,
                "remaining_seconds": None if self.until is None else max(0.0, self.until - time.monotonic()),
                "verbs": self.verbs, "paths": self.paths, "resources": self.resources}


@dataclass
class Faults:
    lock: threading.Lock = field(default_factory=threading.Lock)
    active: list = field(default_factory=list)
    next_id: int = 1

    def add(self, spec: dict) -> Fault:
        """spec: {"kind": "error", "status", "count" | "seconds", "verbs", "paths", "resources", "message"}
        or {"kind": "delay", "seconds", "count" | "seconds_total", ...}."""
        kind = spec.get("kind")
        if kind not in ("error", "delay"):
            raise ValueError("kind must be 'error' or 'delay'")
        window = spec.get("seconds") if kind == "error" else spec.get("seconds_total")
        f = Fault(kind=kind,
                  status=int(spec.get("status", 500)),
                  seconds=float(spec.get("seconds", 0.0)) if kind == "delay" else 0.0,
                  count=None if spec.get("count") is None else int(spec["count"]),
                  until=None if window is None else time.monotonic() + float(window),
                  verbs=tuple(spec["verbs"]) if spec.get("verbs") else None,
                  paths=tuple(spec["paths"]) if spec.get("paths") else None,
                  resources=tuple(spec["resources"]) if spec.get("resources") else None,
                  message=spec.get("message"))
        if f.count is None and f.until is None:
            raise ValueError("a fault needs count or a duration (seconds for errors, seconds_total for delays)")
        with self.lock:
            f.id = self.next_id
            self.next_id += 1
            self.active.append(f)
        return f

    def clear(self):
        with self.lock:
            self.active.clear()

    def take(self, verb: str | None, path: str, resource: str | None) -> tuple[float, Fault | None]:
        """For one request: (seconds to delay, error fault to answer or None); counts the hits."""
        delay, error = 0.0, None
        with self.lock:
            for f in self.active:
                if not f.matches(verb, path, resource):
                    continue
                if f.kind == "delay":
                    f.hits += 1
                    delay += f.seconds
                elif error is None:
                    f.hits += 1
                    error = f
            self.active = [f for f in self.active if not f.expired()]
        return delay, error

    def describe(self) -> list:
        with self.lock:
            return [f.describe() for f in self.active]
