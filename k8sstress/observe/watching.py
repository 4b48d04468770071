"""List+watch of pods, events, nodes and pod owners: one thread per resource, raw JSON throughout.

Each :class:`ResourceWatcher` runs the informer loop by hand, on the parsed JSON
that :meth:`k8sstress.kube.Kube.watch_lines` yields (never client models):

1.  LIST (paged, under the label selector) and emit every object as ADDED;
2.  WATCH from the list's ``resourceVersion`` with ``allowWatchBookmarks``, keeping
    the newest ``resourceVersion`` from every object and BOOKMARK;
3.  when the watch ends (server timeout) resume from that ``resourceVersion``;
4.  on 410 Gone (an HTTP 410, or an ERROR event with code 410: the version was
    compacted away) LIST again and diff against what it knew (:class:`Inventory`):
    an object changed since is emitted as a synthetic ``RELIST`` event, one that
    vanished as a synthetic ``DELETED`` (so no deletion is missed, even one that
    happened while the connection was down);
5.  on a connection error, reconnect with exponential backoff (tenacity) and resume
    from the last ``resourceVersion``.

:class:`Observer` runs one watcher per resource, keeps only the events about the
pods and owners it tracks (Events carry no labels, so they are matched by
``involvedObject``; an event that comes before its pod is held until the pod
shows up), stamps each with the local time (``seen``) as an
:class:`~k8sstress.records.ObservedEvent`, and, under one lock so the order is the
same everywhere: appends it to ``observer.jsonl`` when recording, folds it into
:class:`~k8sstress.observe.timelines.Timelines`, classifies the pod it touched when
asked to, and hands it to the caller's sink.
"""

from __future__ import annotations

import http.client
import logging
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tenacity
import urllib3

from k8sstress.errors import ClusterError
from k8sstress.kube import ApiError, Kube
from k8sstress.observe.raw import event_target
from k8sstress.observe.raw import obj as as_object
from k8sstress.observe.timelines import OWNER_KINDS, Timelines
from k8sstress.records import LaunchRecord, ObservedEvent, PodHistory, RawObject, StopRecord, Verdict
from k8sstress.rundir import JsonlWriter, RunDir

__all__ = [
    "Resource",
    "RESOURCES",
    "DEFAULT_RESOURCES",
    "Inventory",
    "Interest",
    "node_fingerprint",
    "ResourceWatcher",
    "Observer",
    "Emit",
]

log = logging.getLogger(__name__)

Emit = Callable[[str, str, RawObject, bool], None]
"""``emit(resource, type, object, synthetic)``: what a watcher hands on."""


@dataclass(frozen=True)
class Resource:
    """A watched resource: its plural name, kind and API path."""

    plural: str
    kind: str
    api: str
    namespaced: bool = True
    selectable: bool = True
    """Whether the observer's label selector applies (not to Events or Nodes)."""

    @property
    def api_version(self) -> str:
        return self.api.removeprefix("/apis/").removeprefix("/api/")

    def path(self, namespace: str | None) -> str:
        if self.namespaced and namespace:
            return f"{self.api}/namespaces/{namespace}/{self.plural}"
        return f"{self.api}/{self.plural}"


RESOURCES: dict[str, Resource] = {
    "pods": Resource("pods", "Pod", "/api/v1"),
    "events": Resource("events", "Event", "/api/v1", selectable=False),
    "nodes": Resource("nodes", "Node", "/api/v1", namespaced=False, selectable=False),
    "jobs": Resource("jobs", "Job", "/apis/batch/v1"),
    "replicasets": Resource("replicasets", "ReplicaSet", "/apis/apps/v1"),
}
DEFAULT_RESOURCES = ("pods", "events", "nodes", "jobs", "replicasets")


def node_fingerprint(node: RawObject) -> Hashable:
    """What matters about a node: conditions' status and reason, taints, schedulability, allocatable.

    Node heartbeats rewrite timestamps every few seconds; a change that leaves this
    fingerprint alone is not passed on.
    """
    spec = as_object(node.get("spec"))
    status = as_object(node.get("status"))
    conds = tuple(sorted((str(c.get("type")), str(c.get("status")), str(c.get("reason")))
                         for c in status.get("conditions") or [] if isinstance(c, dict)))
    taints = tuple(sorted((str(t.get("key")), str(t.get("value")), str(t.get("effect")))
                          for t in spec.get("taints") or [] if isinstance(t, dict)))
    alloc = tuple(sorted((str(k), str(v)) for k, v in (status.get("allocatable") or {}).items()))
    return conds, taints, bool(spec.get("unschedulable")), alloc


def _meta(obj: RawObject) -> dict[str, Any]:
    m = obj.get("metadata")
    return m if isinstance(m, dict) else {}


class Inventory:
    """What one list+watch has seen: uid -> (resourceVersion, namespace, name, fingerprint). Pure.

    It is what a relist is diffed against, and (with a ``fingerprint``) what lets a
    watcher skip changes that do not matter. With ``keep=False`` it remembers nothing
    (for Events: numerous, and folded idempotently): a relist then hands on every
    listed object, and reports no vanished ones.
    """

    def __init__(self, fingerprint: Callable[[RawObject], Hashable] | None = None, *, keep: bool = True) -> None:
        self._known: dict[str, tuple[str, str, str, Hashable]] = {}
        self._fingerprint = fingerprint
        self.keep = keep

    def __len__(self) -> int:
        return len(self._known)

    def __contains__(self, uid: object) -> bool:
        return uid in self._known

    def note(self, type_: str, obj: RawObject) -> bool:
        """Record a watch event; False when it changes nothing that matters (same fingerprint)."""
        meta = _meta(obj)
        uid = meta.get("uid")
        if not isinstance(uid, str) or not self.keep:
            return True
        if type_ == "DELETED":
            self._known.pop(uid, None)
            return True
        fp = self._fingerprint(obj) if self._fingerprint is not None else None
        prev = self._known.get(uid)
        self._known[sys.intern(uid)] = (str(meta.get("resourceVersion") or ""),
                                        sys.intern(str(meta.get("namespace") or "")),
                                        sys.intern(str(meta.get("name") or "")), fp)
        return prev is None or self._fingerprint is None or prev[3] != fp

    def relist(self, items: Iterable[RawObject], *, kind: str, api_version: str,
               fresh: str = "RELIST") -> list[tuple[str, RawObject]]:
        """Replace what is known by a LIST's items; returns the events that bring a watcher up to date.

        New or changed objects (another ``resourceVersion``) come back as ``fresh``
        (``RELIST``; ``ADDED`` for a first list), objects no longer listed as ``DELETED``
        with a stub (``metadata`` only: name, namespace, uid, last resourceVersion).
        """
        out: list[tuple[str, RawObject]] = []
        old = self._known
        self._known = {}
        for obj in items:
            meta = _meta(obj)
            uid = meta.get("uid")
            if not isinstance(uid, str):
                continue
            if not self.keep:
                out.append((fresh, obj))
                continue
            rv = str(meta.get("resourceVersion") or "")
            fp = self._fingerprint(obj) if self._fingerprint is not None else None
            prev = old.get(uid)
            self._known[sys.intern(uid)] = (rv, sys.intern(str(meta.get("namespace") or "")),
                                            sys.intern(str(meta.get("name") or "")), fp)
            if prev is None or prev[0] != rv:
                out.append((fresh, obj))
        for uid, (rv, ns, name, _fp) in old.items():
            if uid not in self._known:
                stub_meta = {"name": name, "uid": uid, "resourceVersion": rv}
                if ns:
                    stub_meta["namespace"] = ns
                out.append(("DELETED", {"apiVersion": api_version, "kind": kind, "metadata": stub_meta}))
        return out


class _Expired(Exception):
    """The watch's resourceVersion is too old (410 Gone): relist."""


class _WatchError(Exception):
    """The watch stream reported an error other than 410."""


_RETRYABLE: tuple[type[BaseException], ...] = (
    ClusterError, urllib3.exceptions.HTTPError, OSError, ValueError, http.client.HTTPException, _WatchError,
)


class ResourceWatcher:
    """List+watch of one resource in a thread (see the module docstring for the loop)."""

    def __init__(self, kube: Kube, resource: Resource | str, emit: Emit, *,
                 namespace: str | None = None, label_selector: str | None = None,
                 resource_version: str | None = None, timeout_s: int = 60, page_size: int = 500,
                 backoff_initial_s: float = 0.2, backoff_max_s: float = 10.0,
                 fingerprint: Callable[[RawObject], Hashable] | None = None, inventory: bool = True) -> None:
        self.kube = kube
        self.resource = RESOURCES[resource] if isinstance(resource, str) else resource
        self.namespace = namespace
        self.label_selector = label_selector if self.resource.selectable else None
        self.timeout_s = timeout_s
        self.page_size = page_size
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.inventory = Inventory(fingerprint, keep=inventory)
        self.stats: Counter[str] = Counter()
        self.last_error: str | None = None
        self.synced = threading.Event()
        """Set once the first LIST was emitted (or at once when resuming from a resourceVersion)."""
        self._emit = emit
        self._rv = resource_version
        self._need_list = resource_version is None
        self._listed_once = resource_version is not None  # resumed: the next LIST is a relist
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if resource_version is not None:
            self.synced.set()

    @property
    def resource_version(self) -> str | None:
        """The newest resourceVersion seen (where a resumed watch would start)."""
        return self._rv

    def start(self) -> ResourceWatcher:
        self._thread = threading.Thread(target=self._run, name=f"watch-{self.resource.plural}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop emitting at once; the thread ends when its open watch request returns."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def resync(self) -> None:
        """LIST and diff again on the next (re)connect, as after a 410."""
        self._need_list = True

    # -- the loop -------------------------------------------------------------------------------
    def _emit_one(self, type_: str, obj: RawObject, synthetic: bool) -> None:
        if self._stop.is_set():
            return
        try:
            self._emit(self.resource.plural, type_, obj, synthetic)
        except Exception:  # a bug downstream must not end the observation silently
            self.stats["emit_errors"] += 1
            log.exception("observer: handling a %s %s event failed", self.resource.plural, type_)

    def _list(self) -> None:
        path = self.resource.path(self.namespace)
        while True:
            items: list[RawObject] = []
            query: dict[str, Any] = {"limit": self.page_size}
            if self.label_selector:
                query["labelSelector"] = self.label_selector
            rv: str | None = None
            try:
                while True:
                    page = self.kube.get(path, **query)
                    if rv is None:
                        rv = str(_meta(page).get("resourceVersion") or "")
                    items.extend(i for i in page.get("items") or [] if isinstance(i, dict))
                    token = _meta(page).get("continue")
                    if not token:
                        break
                    query["continue"] = token
            except ApiError as exc:
                if exc.status == 410 and "continue" in query:  # the continue token expired: start over
                    self.stats["list_restarts"] += 1
                    continue
                raise
            break
        first = not self._listed_once
        changes = self.inventory.relist(items, kind=self.resource.kind, api_version=self.resource.api_version,
                                        fresh="ADDED" if first else "RELIST")
        self.stats["lists" if first else "relists"] += 1
        self.stats["relist_changes"] += 0 if first else len(changes)
        for type_, obj in changes:
            self._emit_one(type_, obj, not first)
        self._rv = rv or self._rv
        self._need_list = False
        self._listed_once = True
        self.synced.set()

    def _session(self) -> bool:
        """List if needed, then watch until the stream ends; False when it ended at once with nothing."""
        if self._need_list:
            self._list()
        progressed = False
        started = time.monotonic()
        try:
            for ev in self.kube.watch_lines(self.resource.path(self.namespace), self._rv, timeout_s=self.timeout_s,
                                            label_selector=self.label_selector, bookmarks=True):
                if self._stop.is_set():
                    return True
                type_ = ev.get("type")
                obj = ev.get("object")
                if not isinstance(obj, dict):
                    continue
                if type_ == "ERROR":
                    if obj.get("code") == 410:
                        raise _Expired(str(obj.get("message") or "Gone"))
                    raise _WatchError(f"watch error {obj.get('code')}: {obj.get('message')}")
                progressed = True
                rv = _meta(obj).get("resourceVersion")
                if rv:
                    self._rv = str(rv)
                if type_ == "BOOKMARK":
                    self.stats["bookmarks"] += 1
                    continue
                self.stats["events"] += 1
                if self.inventory.note(str(type_), obj):
                    self._emit_one(str(type_), obj, False)
                else:
                    self.stats["unchanged"] += 1
        except _Expired:
            self._expired()
            return True
        except ApiError as exc:
            if exc.status == 410:
                self._expired()
                return True
            raise
        except _RETRYABLE as exc:
            if progressed:  # the stream broke after working: resume at once from the last version
                self.stats["reconnects"] += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                return True
            raise
        self.stats["watch_ends"] += 1
        return progressed or time.monotonic() - started >= 1.0

    def _expired(self) -> None:
        self.stats["expired"] += 1
        self._need_list = True

    def _sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)  # a stop ends the backoff at once

    def _before_sleep(self, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        self.stats["retries"] += 1
        self.last_error = f"{type(exc).__name__}: {exc}" if exc else None
        sleep = state.next_action.sleep if state.next_action is not None else 0.0
        log.warning("observer: %s watch failed (%s); retrying in %.1fs", self.resource.plural, self.last_error, sleep)

    def _run(self) -> None:
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_RETRYABLE),
            wait=tenacity.wait_exponential_jitter(multiplier=self.backoff_initial_s, max=self.backoff_max_s,
                                                 jitter=self.backoff_initial_s),
            stop=tenacity.stop_when_event_set(self._stop),
            sleep=self._sleep,
            before_sleep=self._before_sleep,
            reraise=True,
        )
        while not self._stop.is_set():
            try:
                if not retrying(self._session):  # a server that ends every watch at once: do not spin
                    self.stats["empty_watches"] += 1
                    self._stop.wait(self.backoff_initial_s * 5)
            except Exception as exc:  # stopped while backing off, or something not retryable
                if self._stop.is_set():
                    break
                self.stats["errors"] += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("observer: %s watch failed", self.resource.plural)
                self._stop.wait(self.backoff_max_s)


# --- which events to keep --------------------------------------------------------------------

SKIP = ("skip",)
"""What :meth:`Interest.route` returns for an event about nothing the observer tracks."""
_TRACKED_RESOURCES = ("pods", "jobs", "replicasets")


class Interest:
    """Which Events the observer keeps: those about tracked pods and owners, and nodes. Pure.

    Events carry no labels, so they cannot be selected like pods: an Event is kept
    when its ``involvedObject`` is a tracked pod (by uid, else by namespace + name) or
    a tracked owner (by kind + namespace + name; owners named in a tracked pod's
    ``ownerReferences`` count). An Event that arrives before its object (the two come
    on different watches) is parked and released when the object is tracked; parked
    events expire after ``ttl_s`` (or beyond ``max_pending``) and are counted in
    ``stats["events_about_untracked_objects"]``.
    """

    def __init__(self, *, nodes: bool = True, max_pending: int = 20_000, ttl_s: float = 120.0) -> None:
        self.nodes = nodes
        self.max_pending = max_pending
        self.ttl_s = ttl_s
        self.stats: Counter[str] = Counter()
        self._pod_uids: set[str] = set()
        self._pod_names: dict[str, set[str]] = {}
        self._owners: set[tuple[str, str, str]] = set()
        self._pending: dict[Hashable, list[Any]] = {}
        self._order: deque[tuple[float, Hashable]] = deque()
        self._pending_count = 0

    def __len__(self) -> int:
        return len(self._pod_uids)

    @property
    def pending(self) -> int:
        return self._pending_count

    def track(self, resource: str, obj: RawObject) -> list[Hashable]:
        """Remember a pod or owner; returns the keys its early events may be parked under."""
        if resource not in _TRACKED_RESOURCES:
            return []
        meta = _meta(obj)
        ns = sys.intern(str(meta.get("namespace") or ""))
        name = sys.intern(str(meta.get("name") or ""))
        uid = meta.get("uid")
        keys: list[Hashable] = []
        if isinstance(uid, str) and uid:
            uid = sys.intern(uid)
            keys.append(uid)
        if resource == "pods":
            if isinstance(uid, str) and uid:
                self._pod_uids.add(uid)
            self._pod_names.setdefault(ns, set()).add(name)
            keys.append(("Pod", ns, name))
        else:
            okey = (RESOURCES[resource].kind, ns, name)
            self._owners.add(okey)
            keys.append(okey)
        for ref in meta.get("ownerReferences") or []:
            if isinstance(ref, dict) and ref.get("kind") in OWNER_KINDS:
                okey = (str(ref["kind"]), ns, sys.intern(str(ref.get("name") or "")))
                self._owners.add(okey)
                keys.append(okey)
                if ref.get("uid"):
                    keys.append(str(ref["uid"]))
        return keys

    def route(self, ev: RawObject) -> Hashable | None:
        """None: keep the event now. :data:`SKIP`: not about anything tracked. Else the key to park it under."""
        target = event_target(ev)
        kind = target.get("kind")
        if kind == "Node":
            return None if self.nodes else SKIP
        if kind != "Pod" and kind not in OWNER_KINDS:
            return SKIP
        uid = target.get("uid")
        ns = str(target.get("namespace") or _meta(ev).get("namespace") or "")
        name = str(target.get("name") or "")
        if kind == "Pod":
            if isinstance(uid, str) and uid:
                return None if uid in self._pod_uids else uid
            return None if name in self._pod_names.get(ns, ()) else ("Pod", ns, name)
        key = (str(kind), ns, name)
        return None if key in self._owners else key

    def park(self, key: Hashable, item: Any, now: float) -> None:
        """Hold an event until its object is tracked (or it expires)."""
        self._pending.setdefault(key, []).append(item)
        self._order.append((now, key))
        self._pending_count += 1
        self.stats["events_parked"] += 1
        while self._order and (self._pending_count > self.max_pending or now - self._order[0][0] > self.ttl_s):
            _t, old = self._order.popleft()
            dropped = self._pending.pop(old, None)
            if dropped:
                self._pending_count -= len(dropped)
                self.stats["events_about_untracked_objects"] += len(dropped)

    def release(self, keys: Iterable[Hashable]) -> list[Any]:
        """The parked events for these keys (now tracked), oldest first."""
        out: list[Any] = []
        if not self._pending:
            return out
        for key in keys:
            items = self._pending.pop(key, None)
            if items:
                self._pending_count -= len(items)
                out.extend(items)
        return out


# --- the observer --------------------------------------------------------------------------------

Sink = Callable[[ObservedEvent], None]
OnVerdict = Callable[[Verdict, ObservedEvent], None]


class Observer:
    """Watch pods under a label selector, their events and owners, and the nodes.

    ``namespace``: one namespace, or None for all. ``label_selector``: which pods and
    owners (Events and Nodes are not selected by label). ``sink``: called with every
    kept :class:`~k8sstress.records.ObservedEvent`. ``record``: a
    :class:`~k8sstress.rundir.RunDir` (its ``observer.jsonl``), a file path or a
    :class:`~k8sstress.rundir.JsonlWriter` to append every kept event to.
    ``timelines``: the fold to update (a new :class:`Timelines` by default).
    ``on_verdict``: called with a pod's new verdict after it (or an event about it)
    changed, and the last event that changed it; the changed pods are classified in
    batches, each once, at most ``classify_interval_s`` after the change (sooner when
    ``classify_batch`` pods are waiting). ``resume_from``: ``{resource:
    resourceVersion}`` to watch from instead of listing first (e.g.
    :func:`~k8sstress.observe.recording.resume_point`).
    """

    def __init__(self, kube: Kube, *, namespace: str | None = None, label_selector: str | None = None,
                 resources: Iterable[str] = DEFAULT_RESOURCES, sink: Sink | None = None,
                 record: RunDir | JsonlWriter | str | Path | None = None, timelines: Timelines | None = None,
                 on_verdict: OnVerdict | None = None, resume_from: Mapping[str, str] | None = None,
                 timeout_s: int = 60, backoff_max_s: float = 10.0, classify_interval_s: float = 0.05,
                 classify_batch: int = 256, clock: Callable[[], float] = time.time) -> None:
        self.kube = kube
        self.namespace = namespace
        self.label_selector = label_selector
        self.timelines = timelines if timelines is not None else Timelines()
        self.sink = sink
        self.on_verdict = on_verdict
        self.clock = clock
        self.stats: Counter[str] = Counter()
        self.classify_interval_s = classify_interval_s
        self.classify_batch = classify_batch
        self._lock = threading.RLock()  # re-entrant: a callback may read the observer
        self._changed: dict[str, ObservedEvent] = {}
        self._last_classify = time.monotonic()
        self._ticker: threading.Thread | None = None
        self._stopping = threading.Event()
        self._own_writer = False
        self._writer: JsonlWriter | None
        if isinstance(record, RunDir):
            self._writer = record.writer("observer")
        elif isinstance(record, JsonlWriter):
            self._writer = record
        elif record is not None:
            self._writer = JsonlWriter(Path(record))
            self._own_writer = True
        else:
            self._writer = None
        names = list(resources)
        for name in names:
            if name not in RESOURCES:
                raise ValueError(f"cannot observe {name!r}; known: {', '.join(RESOURCES)}")
        self.interest = Interest(nodes="nodes" in names)
        resume = dict(resume_from or {})
        self.watchers: dict[str, ResourceWatcher] = {}
        for name in names:
            self.watchers[name] = ResourceWatcher(
                kube, RESOURCES[name], self._emit, namespace=namespace, label_selector=label_selector,
                resource_version=resume.get(name), timeout_s=timeout_s, backoff_max_s=backoff_max_s,
                fingerprint=node_fingerprint if name == "nodes" else None, inventory=name != "events")

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> Observer:
        # pods and owners first, so their events find them tracked
        for name in sorted(self.watchers, key=lambda n: {"events": 2, "nodes": 1}.get(n, 0)):
            self.watchers[name].start()
        if self.on_verdict is not None:
            self._ticker = threading.Thread(target=self._tick, name="observer-classify", daemon=True)
            self._ticker.start()
        return self

    def _tick(self) -> None:
        while not self._stopping.wait(self.classify_interval_s / 2):
            with self._lock:
                if self._changed and time.monotonic() - self._last_classify >= self.classify_interval_s:
                    self._classify_changed()

    def wait_synced(self, timeout: float = 60.0) -> bool:
        """Wait until every watcher emitted its first LIST."""
        deadline = time.monotonic() + timeout
        for w in self.watchers.values():
            if not w.synced.wait(max(deadline - time.monotonic(), 0.0)):
                return False
        return True

    def stop(self, timeout: float = 0.0) -> None:
        """Stop every watcher (nothing is folded after this returns); flush the record.

        Watch threads blocked on a quiet stream end by themselves within ``timeout_s``;
        ``timeout`` > 0 waits for them that long.
        """
        for w in self.watchers.values():
            w.stop()
        self._stopping.set()
        with self._lock:  # let an emit under way finish, then give the last changes their verdicts
            self._classify_changed()
        if timeout:
            deadline = time.monotonic() + timeout
            for w in self.watchers.values():
                w.join(max(deadline - time.monotonic(), 0.0))
        if self._writer is not None:
            if self._own_writer:
                self._writer.close()
            else:
                self._writer.flush()

    def __enter__(self) -> Observer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def resource_versions(self) -> dict[str, str]:
        """The newest resourceVersion per resource (a resume point)."""
        return {n: w.resource_version for n, w in self.watchers.items() if w.resource_version}

    def resync(self) -> None:
        """Every watcher lists and diffs again on its next (re)connect."""
        for w in self.watchers.values():
            w.resync()

    def watcher_stats(self) -> dict[str, dict[str, int]]:
        return {n: dict(w.stats) for n, w in self.watchers.items()}

    # -- reading the fold while it runs (under the lock the watchers fold under) ------------------
    def verdicts(self, launches: Iterable[LaunchRecord] | Mapping[str, LaunchRecord] | None = None,
                 stops: Iterable[StopRecord] | Mapping[str, StopRecord] | None = None) -> list[Verdict]:
        """:meth:`Timelines.verdicts` now: every pod, refused owner and (given launches) launch."""
        with self._lock:
            return self.timelines.verdicts(launches, stops)

    def histories(self) -> list[PodHistory]:
        with self._lock:
            return self.timelines.histories()

    def verdict(self, namespace: str, name: str) -> Verdict | None:
        """The verdict of the (latest) pod with this name, or None when none was seen."""
        with self._lock:
            uid = self.timelines.find(namespace, name)
            return self.timelines.classify(uid) if uid is not None else None

    # -- the one entry point of all watchers ------------------------------------------------------
    def _emit(self, resource: str, type_: str, obj: RawObject, synthetic: bool) -> None:
        with self._lock:
            seen = self.clock()
            if resource == "events":
                key = self.interest.route(obj)
                if key is None:
                    self._dispatch(seen, resource, type_, obj, synthetic)
                elif key == SKIP:
                    self.stats["events_skipped"] += 1
                else:
                    self.interest.park(key, (seen, type_, obj, synthetic), seen)
                return
            keys = self.interest.track(resource, obj)
            self._dispatch(seen, resource, type_, obj, synthetic)
            for p_seen, p_type, p_obj, p_synthetic in self.interest.release(keys):
                self._dispatch(p_seen, "events", p_type, p_obj, p_synthetic)
            if self._changed and (len(self._changed) >= self.classify_batch
                                  or time.monotonic() - self._last_classify >= self.classify_interval_s):
                self._classify_changed()

    def _classify_changed(self) -> None:
        """Under the lock: each pod changed since the last batch gets its verdict, once."""
        self._last_classify = time.monotonic()
        if not self._changed or self.on_verdict is None:
            return
        changed, self._changed = self._changed, {}
        for uid, ev in changed.items():
            try:
                self.on_verdict(self.timelines.classify(uid), ev)
            except Exception:  # the caller's callback must not end the observation
                self.stats["verdict_errors"] += 1
                log.exception("observer: on_verdict failed")

    def _dispatch(self, seen: float, resource: str, type_: str, obj: RawObject, synthetic: bool) -> None:
        ev = (ObservedEvent.model_construct(seen=seen, resource=resource, type=type_, object=obj, synthetic=True)
              if synthetic else ObservedEvent.model_construct(seen=seen, resource=resource, type=type_, object=obj))
        self.stats[f"{resource}:{type_}"] += 1
        if self._writer is not None:
            self._writer.write(ev)
        uid = self.timelines.apply_raw(seen, resource, type_, obj)
        if uid is not None and self.on_verdict is not None:
            self._changed.pop(uid, None)
            self._changed[uid] = ev
        if self.sink is not None:
            self.sink(ev)
