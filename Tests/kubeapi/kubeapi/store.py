"""Object store, the global resourceVersion, the bounded event log and watchers.

Stored objects are never mutated in place: a writer copies, changes and
replaces (``Store.update``), so readers, events and watchers can share them.
One re-entrant lock guards everything; ``Store.cond`` is notified on every
write so the controllers wake up.
"""

from __future__ import annotations

import collections
import copy
import json
import queue
import threading
import time
import uuid

from . import errors
from .selection import FieldSelector, LabelSelector

ADDED, MODIFIED, DELETED, BOOKMARK, ERROR = "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"


def iso(t: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if t is None else t))


def dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"))


class Event:
    __slots__ = ("rv", "type", "resource", "namespace", "name", "obj", "old", "_lines")

    def __init__(self, rv, type_, resource, namespace, name, obj, old):
        self.rv, self.type, self.resource = rv, type_, resource
        self.namespace, self.name, self.obj, self.old = namespace, name, obj, old
        self._lines = {}

    def line(self, type_: str) -> bytes:
        """The JSON line a watcher receives when this event reaches it as `type_`."""
        cached = self._lines.get(type_)
        if cached is None:
            if type_ == DELETED:
                # As the watch cache: the previous state, with the event's resourceVersion
                # (a deletion, or a change that made the object stop matching a selector).
                obj = dict(self.old, metadata=dict(self.old["metadata"], resourceVersion=str(self.rv)))
            else:
                obj = self.obj
            cached = (dumps({"type": type_, "object": obj}) + "\n").encode()
            self._lines[type_] = cached
        return cached


# Sentinels a watcher's queue can carry besides event lines.
CLOSE = "close"      # end the stream cleanly (terminating chunk)
DROP = "drop"        # cut the connection abruptly


class Watcher:
    def __init__(self, store: Store, resource: str, namespace: str | None, labels: LabelSelector,
                 fields: FieldSelector, user: str):
        self.store = store
        self.resource, self.namespace = resource, namespace
        self.labels, self.fields = labels, fields
        self.user = user
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.opened = time.time()
        self.last_rv = 0   # rv of the last event queued (for bookmarks)

    def _matches(self, obj) -> bool:
        return obj is not None and self.labels.matches(obj["metadata"].get("labels")) and self.fields.matches(obj)

    def classify(self, ev: Event) -> str | None:
        """The event type this watcher sees for ev, or None (selector transitions as the watch cache)."""
        if ev.resource != self.resource or (self.namespace and ev.namespace != self.namespace):
            return None
        cur = ev.type != DELETED and self._matches(ev.obj)
        old = self._matches(ev.old)
        if cur and not old:
            return ADDED
        if cur and old:
            return MODIFIED
        if old:
            return DELETED
        return None

    def offer(self, ev: Event):
        t = self.classify(ev)
        if t is not None:
            self.queue.put(ev.line(t))
        self.last_rv = ev.rv

    def get(self, timeout: float):
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None


class Store:
    def __init__(self, event_log_size: int = 10000):
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.rv = 1
        self.ticks = 0           # bumped on every write and poke(): wakes the controllers
        self.objects: dict[str, dict[tuple[str, str], dict]] = collections.defaultdict(dict)
        self.by_uid: dict[str, tuple[str, str, str]] = {}
        self.events: collections.deque[Event] = collections.deque()
        self.event_log_size = event_log_size
        self.horizon = 1         # events with rv <= horizon are no longer in the log
        self.watchers: set[Watcher] = set()

    # ---- reads -----------------------------------------------------------------
    def get(self, resource: str, namespace: str, name: str) -> dict | None:
        return self.objects[resource].get((namespace, name))

    def list(self, resource: str, namespace: str | None = None, labels: LabelSelector | None = None,
             fields: FieldSelector | None = None) -> list[dict]:
        with self.lock:
            items = [o for (ns, _), o in self.objects[resource].items() if namespace is None or ns == namespace]
        if labels:
            items = [o for o in items if labels.matches(o["metadata"].get("labels"))]
        if fields:
            items = [o for o in items if fields.matches(o)]
        items.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        return items

    def by_uid_get(self, uid: str) -> tuple[str, dict] | None:
        key = self.by_uid.get(uid)
        if key is None:
            return None
        return key[0], self.objects[key[0]][(key[1], key[2])]

    # ---- writes (caller holds no lock or the lock; all re-entrant) --------------
    def _emit(self, type_, resource, namespace, name, obj, old):
        ev = Event(self.rv, type_, resource, namespace, name, obj, old)
        self.events.append(ev)
        while len(self.events) > self.event_log_size:
            self.horizon = self.events.popleft().rv
        for w in list(self.watchers):
            w.offer(ev)
        self.ticks += 1
        self.cond.notify_all()

    def create(self, resource: str, obj: dict) -> dict:
        """Stores a new object (metadata.name and namespace set); fills uid, rv, timestamps."""
        with self.lock:
            meta = obj["metadata"]
            key = (meta["namespace"], meta["name"])
            if key in self.objects[resource]:
                from .resources import RESOURCES
                raise errors.already_exists(resource, RESOURCES[resource].group, meta["name"])
            self.rv += 1
            meta.setdefault("uid", str(uuid.uuid4()))
            meta["resourceVersion"] = str(self.rv)
            meta.setdefault("creationTimestamp", iso())
            self.objects[resource][key] = obj
            self.by_uid[meta["uid"]] = (resource, key[0], key[1])
            self._emit(ADDED, resource, key[0], key[1], obj, None)
            return obj

    def replace(self, resource: str, obj: dict) -> dict:
        """Replaces the stored object of the same name with obj (a modified copy)."""
        with self.lock:
            meta = obj["metadata"]
            key = (meta["namespace"], meta["name"])
            old = self.objects[resource].get(key)
            if old is None:
                from .resources import RESOURCES
                raise errors.not_found(resource, RESOURCES[resource].group, meta["name"])
            self.rv += 1
            meta["resourceVersion"] = str(self.rv)
            self.objects[resource][key] = obj
            self._emit(MODIFIED, resource, key[0], key[1], obj, old)
            return obj

    def update(self, resource: str, namespace: str, name: str, mutate) -> dict | None:
        """Applies mutate(copy) to the object; writes only if something changed. None if gone."""
        with self.lock:
            old = self.get(resource, namespace, name)
            if old is None:
                return None
            new = copy.deepcopy(old)
            mutate(new)
            if new == old:
                return old
            return self.replace(resource, new)

    def remove(self, resource: str, namespace: str, name: str) -> dict | None:
        with self.lock:
            old = self.objects[resource].pop((namespace, name), None)
            if old is None:
                return None
            self.by_uid.pop(old["metadata"]["uid"], None)
            self.rv += 1
            self._emit(DELETED, resource, namespace, name, None, old)
            return dict(old, metadata=dict(old["metadata"], resourceVersion=str(self.rv)))

    def compact(self):
        """Drops the event log up to the current resourceVersion."""
        with self.lock:
            self.events.clear()
            self.horizon = self.rv

    def poke(self):
        with self.lock:
            self.ticks += 1
            self.cond.notify_all()

    # ---- watches ----------------------------------------------------------------
    def open_watch(self, resource: str, namespace: str | None, labels: LabelSelector, fields: FieldSelector,
                   resource_version: str | None, send_initial: bool, user: str = ""):
        """Registers a watcher. Returns (watcher, initial lines, error Status or None, snapshot rv).

        Initial lines are the synthetic ADDED events (no or "0" resourceVersion, or
        sendInitialEvents) or the replayed log after resource_version.
        """
        with self.lock:
            w = Watcher(self, resource, namespace, labels, fields, user)
            initial: list[bytes] = []
            if resource_version in (None, "", "0") or send_initial:
                for obj in self.list(resource, namespace, labels, fields):
                    initial.append((dumps({"type": ADDED, "object": obj}) + "\n").encode())
            else:
                try:
                    since = int(resource_version)
                except ValueError:
                    raise errors.bad_request(f'invalid resource version "{resource_version}"')
                if since < self.horizon:
                    return None, [], errors.expired(
                        f"too old resource version: {since} ({self.horizon})").status(), self.rv
                for ev in self.events:
                    if ev.rv > since:
                        t = w.classify(ev)
                        if t is not None:
                            initial.append(ev.line(t))
            w.last_rv = self.rv
            self.watchers.add(w)
            return w, initial, None, self.rv

    def close_watch(self, w: Watcher):
        with self.lock:
            self.watchers.discard(w)

    def bookmark_line(self, w: Watcher, kind: str, api_version: str, initial_end_rv: int | None = None
                      ) -> bytes | None:
        """A BOOKMARK at the last resourceVersion w has seen, or None while w has lines queued.

        With initial_end_rv: the bookmark closing the initial events of a watch-list
        (sendInitialEvents), at the resourceVersion of that snapshot.
        """
        if initial_end_rv is not None:
            meta = {"resourceVersion": str(initial_end_rv),
                    "annotations": {"k8s.io/initial-events-end": "true"}}
        else:
            with self.lock:
                if not w.queue.empty():
                    return None
                meta = {"resourceVersion": str(w.last_rv)}
        return (dumps({"type": BOOKMARK, "object": {"kind": kind, "apiVersion": api_version,
                                                    "metadata": meta}}) + "\n").encode()

    def signal_watchers(self, what: str) -> int:
        with self.lock:
            ws = list(self.watchers)
        for w in ws:
            w.queue.put(what)
        return len(ws)
