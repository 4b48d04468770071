"""Per-pod timelines folded from observed events (pure: no I/O, no clocks, no threads).

:class:`Timelines` takes :class:`~k8sstress.records.ObservedEvent` s (live from the
watchers or replayed from ``observer.jsonl``) one at a time and keeps, for every pod:

*   its last state, **trimmed** to what classification and analysis read (status,
    the launch/mode/limits labels, the simulated markers, owner, container
    resources; no managedFields, volumes or IPs);
*   the events about it (trimmed the same way; an Event object updated in place,
    e.g. its ``count`` going up, replaces its earlier version);
*   a timeline: every phase, condition and container-state change, with the
    Kubernetes timestamp of the change (``at``, 1 s resolution, None when the API
    gives none) and the local time it was observed (``seen``), plus its creation,
    the deletion request and the deletion itself.

It also keeps the pods' owners (Jobs, ReplicaSets) with their events — a refused
create (``FailedCreate``) exists only there — and the nodes' last state.

Memory: the goal is <= 2 KiB per tracked pod at 100,000 pods. A pod is one
``__slots__`` object; its state and events are compact JSON bytes; its timeline is
packed binary (20 bytes an entry) whose kind/what strings live once in a shared
table. :class:`~k8sstress.records.PodHistory` objects are built on demand.

Folding is deterministic: the same events in the same order give the same
histories and verdicts, which is what makes a recording replayable.
"""

from __future__ import annotations

import json
import math
import struct
import sys
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from k8sstress.classify import admission, classify_launch_without_pod, classify_pod
from k8sstress.records import (
    LAUNCH_ID_LABEL,
    LIMITS_LABEL,
    MODE_LABEL,
    SIMULATED_ANNOTATION,
    LaunchRecord,
    ObservedEvent,
    Outcome,
    PodHistory,
    RawObject,
    StopRecord,
    TimelineEntry,
    Verdict,
)

__all__ = [
    "Timelines",
    "verdicts",
    "parse_time",
    "trim_pod",
    "trim_event",
    "OWNER_KINDS",
    "OWNER_RESOURCES",
]

OWNER_KINDS: dict[str, str] = {"Job": "jobs", "ReplicaSet": "replicasets"}
"""Owner kinds tracked (kind -> plural resource)."""
OWNER_RESOURCES: dict[str, str] = {v: k for k, v in OWNER_KINDS.items()}

_ENTRY = struct.Struct("<ddI")
"""One packed timeline entry: seen, at (NaN when none), index into the (kind, what) table."""
_NAN = float("nan")
_KWOK_STAGE_SUFFIX = ".stage.kwok.x-k8s.io"
_MAX_PENDING_EVENTS = 50_000
_MAX_NODE_EVENTS = 50
_TIME_CACHE_MAX = 8192
_time_cache: dict[str, float] = {}


def parse_time(value: Any) -> float | None:
    """An RFC 3339 timestamp (``2024-05-01T12:00:00Z``, with or without fraction) as epoch seconds."""
    if not isinstance(value, str) or not value:
        return None
    cached = _time_cache.get(value)
    if cached is not None:
        return cached
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    if dt.tzinfo is None:
        return None
    t = dt.timestamp()
    if len(_time_cache) >= _TIME_CACHE_MAX:
        _time_cache.clear()
    _time_cache[value] = t
    return t


# --- trimming ------------------------------------------------------------------------------


def _kept_key(key: str) -> bool:
    """Labels/annotations classification reads: ours and KWOK stage knobs."""
    return key.startswith("k8sstress.io/") or key.partition("/")[0].endswith(_KWOK_STAGE_SUFFIX)


def _kept_map(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict) or not value:
        return None
    kept = {k: v for k, v in value.items() if isinstance(k, str) and _kept_key(k)}
    return kept or None


def _trim_meta(meta: Mapping[str, Any], *, owners: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
                "deletionGracePeriodSeconds"):
        v = meta.get(key)
        if v is not None:
            out[key] = v
    labels = _kept_map(meta.get("labels"))
    if labels:
        out["labels"] = labels
    annotations = _kept_map(meta.get("annotations"))
    if annotations:
        out["annotations"] = annotations
    if owners:
        refs = meta.get("ownerReferences")
        if isinstance(refs, list) and refs:
            out["ownerReferences"] = [
                {k: r[k] for k in ("apiVersion", "kind", "name", "uid", "controller") if k in r}
                for r in refs if isinstance(r, dict)
            ]
    return out


def _trim_containers(value: Any) -> list[dict[str, Any]] | None:
    if not isinstance(value, list) or not value:
        return None
    out = []
    for c in value:
        if isinstance(c, dict):
            t: dict[str, Any] = {"name": c.get("name")}
            if c.get("resources"):
                t["resources"] = c["resources"]
            out.append(t)
    return out


_STATUS_KEYS = ("phase", "reason", "message", "qosClass", "startTime", "nominatedNodeName", "resize")
_CONDITION_KEYS = ("type", "status", "reason", "message", "lastTransitionTime")
_CONTAINER_STATUS_KEYS = ("name", "state", "lastState", "ready", "restartCount", "started")


def _trim_container_statuses(value: Any) -> list[dict[str, Any]] | None:
    if not isinstance(value, list) or not value:
        return None
    out = []
    for cs in value:
        if not isinstance(cs, dict):
            continue
        t = {k: cs[k] for k in _CONTAINER_STATUS_KEYS if k in cs}
        state = cs.get("state")
        if isinstance(state, dict) and "waiting" in state and "image" in cs:
            t["image"] = cs["image"]  # only an image-pull failure reports it
        out.append(t)
    return out


def trim_pod(pod: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a pod that classification and analysis read (see the module docstring)."""
    meta = pod.get("metadata")
    out: dict[str, Any] = {"metadata": _trim_meta(meta if isinstance(meta, dict) else {})}
    spec = pod.get("spec")
    if isinstance(spec, dict):
        s: dict[str, Any] = {}
        for key in ("nodeName", "restartPolicy", "priority"):
            if spec.get(key) is not None:
                s[key] = spec[key]
        if spec.get("resources"):
            s["resources"] = spec["resources"]
        for key in ("initContainers", "containers"):
            cs = _trim_containers(spec.get(key))
            if cs:
                s[key] = cs
        out["spec"] = s
    status = pod.get("status")
    if isinstance(status, dict):
        st: dict[str, Any] = {k: status[k] for k in _STATUS_KEYS if status.get(k) is not None}
        conds = status.get("conditions")
        if isinstance(conds, list) and conds:
            st["conditions"] = [{k: c[k] for k in _CONDITION_KEYS if c.get(k) is not None}
                                for c in conds if isinstance(c, dict)]
        for key in ("initContainerStatuses", "containerStatuses"):
            cs = _trim_container_statuses(status.get(key))
            if cs:
                st[key] = cs
        out["status"] = st
    return out


_EVENT_KEYS = ("reason", "message", "note", "type", "count", "deprecatedCount", "series", "firstTimestamp",
               "lastTimestamp", "eventTime", "deprecatedFirstTimestamp", "deprecatedLastTimestamp",
               "reportingComponent", "reportingController")


def _target(ev: Mapping[str, Any]) -> Mapping[str, Any]:
    t = ev.get("involvedObject")
    if not isinstance(t, dict):
        t = ev.get("regarding")
    return t if isinstance(t, dict) else {}


def trim_event(ev: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of an Event (either API shape) classification reads."""
    meta = ev.get("metadata") if isinstance(ev.get("metadata"), dict) else {}
    m: dict[str, Any] = {k: meta[k] for k in ("name", "namespace", "uid") if meta.get(k) is not None}
    ann = _kept_map(meta.get("annotations"))
    for key in ("offending_containers", "offending_containers_usage", "starved_resource"):
        v = (meta.get("annotations") or {}).get(key) if isinstance(meta.get("annotations"), dict) else None
        if v is not None:
            ann = {**(ann or {}), key: v}
    if ann:
        m["annotations"] = ann
    out: dict[str, Any] = {"kind": "Event", "metadata": m}
    target = _target(ev)
    out["involvedObject" if "involvedObject" in ev else "regarding"] = {
        k: target[k] for k in ("kind", "namespace", "name", "uid") if target.get(k) is not None}
    for key in _EVENT_KEYS:
        v = ev.get(key)
        if v is not None:
            out[key] = v
    source = ev.get("source")
    if isinstance(source, dict) and source.get("component"):
        out["source"] = {"component": source["component"]}
    return out


def _dump(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


# --- compact records -----------------------------------------------------------------------


class _Owner:
    """A Job or ReplicaSet: last state (compact JSON), its events, how many pods it had."""

    __slots__ = ("kind", "namespace", "name", "uid", "obj", "events", "pods", "gone")

    def __init__(self, kind: str, namespace: str, name: str) -> None:
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid: str | None = None
        self.obj: bytes | None = None
        self.events: list[bytes] | None = None
        self.pods = 0
        self.gone = False


class _Pod:
    """One tracked pod, kept small (see the module docstring)."""

    __slots__ = ("namespace", "name", "uid", "pod", "events", "timeline", "state", "owner", "outcome")

    def __init__(self, namespace: str, name: str, uid: str) -> None:
        self.namespace = namespace
        self.name = name
        self.uid = uid
        self.pod: bytes = b"{}"
        self.events: list[bytes] | None = None
        """Each item: the event's uid, a NUL byte, then its trimmed JSON."""
        self.timeline: bytes = b""
        self.state: tuple[int, ...] = ()
        """Codes of the current phase, conditions, container states (diffed on every change)."""
        self.owner: _Owner | None = None
        self.outcome: Outcome | None = None


def _add_event(store: list[bytes] | None, ev: Mapping[str, Any]) -> list[bytes]:
    meta = ev.get("metadata")
    uid = meta.get("uid") if isinstance(meta, dict) else None
    key = (uid if isinstance(uid, str) else "").encode() + b"\0"
    blob = key + _dump(trim_event(ev))
    if store is None:
        return [blob]
    if len(key) > 1:
        for i, old in enumerate(store):
            if old.startswith(key):
                store[i] = blob
                return store
    store.append(blob)
    return store


def _load_events(store: list[bytes] | None) -> list[RawObject]:
    if not store:
        return []
    return [json.loads(b[b.index(b"\0") + 1:]) for b in store]


def _deletion_requested(meta: Mapping[str, Any]) -> float | None:
    """When the deletion was asked for: ``deletionTimestamp`` is that plus the grace period."""
    deadline = parse_time(meta.get("deletionTimestamp"))
    grace = meta.get("deletionGracePeriodSeconds")
    if deadline is None:
        return None
    return deadline - grace if isinstance(grace, int) and not isinstance(grace, bool) else deadline


def _controller(meta: Mapping[str, Any]) -> tuple[str, str, str] | None:
    refs = meta.get("ownerReferences")
    if not isinstance(refs, list):
        return None
    for r in refs:
        if isinstance(r, dict) and r.get("controller"):
            return str(r.get("kind") or ""), str(r.get("name") or ""), str(r.get("uid") or "")
    return None


# --- the fold ------------------------------------------------------------------------------


class Timelines:
    """Everything observed, folded per pod. Feed it with :meth:`apply` (or :meth:`apply_raw`).

    Iterating gives :class:`~k8sstress.records.PodHistory` objects (built on demand).
    """

    def __init__(self) -> None:
        self._pods: dict[str, _Pod] = {}
        self._by_name: dict[str, dict[str, _Pod]] = {}
        self._owners: dict[tuple[str, str, str], _Owner] = {}
        self._nodes: dict[str, bytes] = {}
        self._node_events: dict[str, deque[bytes]] = {}
        self._codes: dict[tuple[str, str], int] = {}
        self._whats: list[tuple[str, str]] = []
        self._pending: dict[str, list[tuple[float, RawObject]]] = {}
        self._pending_order: deque[str] = deque()
        self._pending_count = 0
        self.stats: Counter[str] = Counter()
        """Counts: events by resource and type, events ignored or dropped (never silently)."""
        self.last_seen: float | None = None
        self._gone = self._code("deleted", "gone")
        self._vanished = self._code("deleted", "vanished")
        self._requested = self._code("deleted", "requested")
        self._created = self._code("created", "")

    # -- interning ----------------------------------------------------------------------------
    def _code(self, kind: str, what: str) -> int:
        key = (kind, what)
        code = self._codes.get(key)
        if code is None:
            code = len(self._whats)
            key = (sys.intern(kind), sys.intern(what))
            self._whats.append(key)
            self._codes[key] = code
        return code

    # -- feeding ------------------------------------------------------------------------------
    def apply(self, event: ObservedEvent) -> str | None:
        """Fold one observed event; returns the uid of the pod it concerned, if any."""
        return self.apply_raw(event.seen, event.resource, event.type, event.object)

    def apply_raw(self, seen: float, resource: str, type_: str, obj: RawObject) -> str | None:
        """:meth:`apply` without the record wrapper (the hot path)."""
        self.stats[f"{resource}:{type_}"] += 1
        self.last_seen = seen if self.last_seen is None or seen > self.last_seen else self.last_seen
        if not isinstance(obj, dict):
            self.stats["ignored:not-an-object"] += 1
            return None
        if resource == "pods":
            track = self._apply_pod(seen, type_, obj)
            return track.uid if track is not None else None
        if resource == "events":
            return self._apply_event(seen, type_, obj)
        if resource in OWNER_RESOURCES:
            self._apply_owner(OWNER_RESOURCES[resource], type_, obj)
            return None
        if resource == "nodes":
            self._apply_node(type_, obj)
            return None
        self.stats[f"ignored:{resource}"] += 1
        return None

    def extend(self, events: Iterable[ObservedEvent]) -> Timelines:
        for ev in events:
            self.apply(ev)
        return self

    def _owner(self, kind: str, namespace: str, name: str) -> _Owner:
        key = (kind, namespace, name)
        owner = self._owners.get(key)
        if owner is None:
            owner = self._owners[key] = _Owner(sys.intern(kind), sys.intern(namespace), name)
        return owner

    def _apply_pod(self, seen: float, type_: str, obj: RawObject) -> _Pod | None:
        meta = obj.get("metadata")
        if not isinstance(meta, dict) or not isinstance(meta.get("uid"), str):
            self.stats["ignored:pod-without-uid"] += 1
            return None
        uid: str = meta["uid"]
        track = self._pods.get(uid)
        entries: list[tuple[float, float, int]] = []
        if track is None:
            ns = sys.intern(str(meta.get("namespace") or ""))
            track = _Pod(ns, str(meta.get("name") or ""), uid)
            self._pods[uid] = track
            self._by_name.setdefault(ns, {})[track.name] = track
            created = parse_time(meta.get("creationTimestamp"))
            entries.append((seen, _NAN if created is None else created, self._created))
            ctrl = _controller(meta)
            if ctrl is not None and ctrl[0] in OWNER_KINDS:
                owner = self._owner(ctrl[0], ns, ctrl[1])
                owner.uid = owner.uid or ctrl[2] or None
                owner.pods += 1
                track.owner = owner
            self._adopt_pending(track)
        elif self._gone in track.state or self._vanished in track.state:
            self.stats["ignored:pod-after-deletion"] += 1
            return track
        synthetic_gone = type_ == "DELETED" and "status" not in obj and "spec" not in obj
        if not synthetic_gone:
            new_state = self._state_of(obj, entries_at := {})
            old = set(track.state)
            for code in new_state:
                if code not in old:
                    at = entries_at.get(code)
                    entries.append((seen, _NAN if at is None else at, code))
            track.state = new_state
            track.pod = _dump(trim_pod(obj))
        elif track.pod == b"{}":  # first heard of in a relist, already gone: its name is all there is
            track.pod = _dump(trim_pod(obj))
        if type_ == "DELETED":
            gone = self._vanished if synthetic_gone else self._gone
            if self._requested not in track.state and not synthetic_gone:
                at = _deletion_requested(meta)
                entries.append((seen, _NAN if at is None else at, self._requested))
            entries.append((seen, _NAN, gone))
            track.state = (*track.state, gone)
        if entries:
            track.timeline += b"".join(_ENTRY.pack(*e) for e in entries)
        return track

    def _state_of(self, obj: RawObject, at: dict[int, float | None]) -> tuple[int, ...]:
        """The codes of the pod's current phase, conditions and container states; ``at`` filled per code."""
        code = self._code
        codes: list[int] = []
        status = obj.get("status")
        status = status if isinstance(status, dict) else {}
        phase = status.get("phase") or ""
        reason = status.get("reason")
        c = code("phase", f"{phase}/{reason}" if reason else str(phase))
        codes.append(c)
        at[c] = None
        conds = status.get("conditions")
        if isinstance(conds, list):
            for cond in conds:
                if not isinstance(cond, dict):
                    continue
                r = cond.get("reason")
                what = f"{cond.get('type')}={cond.get('status')}"
                c = code("condition", f"{what}/{r}" if r else what)
                codes.append(c)
                at[c] = parse_time(cond.get("lastTransitionTime"))
        for key in ("initContainerStatuses", "containerStatuses"):
            statuses = status.get(key)
            if not isinstance(statuses, list):
                continue
            for cs in statuses:
                if not isinstance(cs, dict):
                    continue
                name = cs.get("name")
                state = cs.get("state")
                if isinstance(state, dict) and state:
                    kind = next(iter(state))
                    detail = state[kind] if isinstance(state[kind], dict) else {}
                    r = detail.get("reason")
                    c = code("container", f"{name}:{kind}/{r}" if r else f"{name}:{kind}")
                    codes.append(c)
                    at[c] = parse_time(detail.get("finishedAt") or detail.get("startedAt"))
                restarts = cs.get("restartCount")
                if restarts:
                    c = code("container", f"{name}:restarts={restarts}")
                    codes.append(c)
                    last = cs.get("lastState")
                    term = last.get("terminated") if isinstance(last, dict) else None
                    at[c] = parse_time(term.get("finishedAt")) if isinstance(term, dict) else None
        meta = obj.get("metadata")
        if isinstance(meta, dict) and meta.get("deletionTimestamp"):
            codes.append(self._requested)
            at[self._requested] = _deletion_requested(meta)
        return tuple(codes)

    def _pod_for_event(self, target: Mapping[str, Any], namespace: str) -> _Pod | None:
        uid = target.get("uid")
        if isinstance(uid, str) and uid:
            return self._pods.get(uid)
        return self._by_name.get(namespace, {}).get(str(target.get("name") or ""))

    def _apply_event(self, seen: float, type_: str, ev: RawObject) -> str | None:
        if type_ == "DELETED":  # an Event expired (TTL): what it said still stands
            return None
        target = _target(ev)
        kind = target.get("kind")
        meta = ev.get("metadata") if isinstance(ev.get("metadata"), dict) else {}
        namespace = str(target.get("namespace") or meta.get("namespace") or "")
        if kind == "Pod":
            track = self._pod_for_event(target, namespace)
            if track is None:
                self._park(seen, target, namespace, ev)
                return None
            track.events = _add_event(track.events, ev)
            return track.uid
        if kind in OWNER_KINDS:
            owner = self._owner(kind, namespace, str(target.get("name") or ""))
            owner.uid = owner.uid or target.get("uid") or None
            owner.events = _add_event(owner.events, ev)
            return None
        if kind == "Node":
            name = str(target.get("name") or "")
            store = self._node_events.setdefault(name, deque(maxlen=_MAX_NODE_EVENTS))
            store.append(_dump(trim_event(ev)))
            return None
        self.stats["ignored:event-about-other-kind"] += 1
        return None

    # -- events that came before their pod --------------------------------------------------
    def _park(self, seen: float, target: Mapping[str, Any], namespace: str, ev: RawObject) -> None:
        key = target.get("uid") or f"{namespace}/{target.get('name')}"
        self._pending.setdefault(str(key), []).append((seen, ev))
        self._pending_order.append(str(key))
        self._pending_count += 1
        self.stats["events:before-their-pod"] += 1
        while self._pending_count > _MAX_PENDING_EVENTS and self._pending_order:
            old = self._pending_order.popleft()
            dropped = self._pending.pop(old, None)
            if dropped:
                self._pending_count -= len(dropped)
                self.stats["events:dropped-no-pod-ever-seen"] += len(dropped)

    def _adopt_pending(self, track: _Pod) -> None:
        if not self._pending:
            return
        for key in (track.uid, f"{track.namespace}/{track.name}"):
            parked = self._pending.pop(key, None)
            if parked:
                self._pending_count -= len(parked)
                for _seen, ev in parked:
                    track.events = _add_event(track.events, ev)

    @property
    def events_without_pod(self) -> int:
        """Pod events held because their pod was never seen (yet)."""
        return self._pending_count

    # -- owners and nodes ---------------------------------------------------------------------
    def _apply_owner(self, kind: str, type_: str, obj: RawObject) -> None:
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            return
        owner = self._owner(kind, str(meta.get("namespace") or ""), str(meta.get("name") or ""))
        owner.uid = meta.get("uid") or owner.uid
        if type_ == "DELETED":
            owner.gone = True
        if "status" in obj or "spec" in obj or owner.obj is None:
            spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
            trimmed: dict[str, Any] = {
                "kind": kind,
                "metadata": _trim_meta(meta),
                "spec": {k: spec[k] for k in ("parallelism", "completions", "replicas", "backoffLimit")
                         if k in spec},
                "status": obj.get("status") or {},
            }
            owner.obj = _dump(trimmed)

    def _apply_node(self, type_: str, obj: RawObject) -> None:
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            return
        name = str(meta.get("name") or "")
        if type_ == "DELETED":
            self._nodes.pop(name, None)
            return
        spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
        status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
        trimmed = {
            "metadata": {"name": name, "labels": meta.get("labels") or {}},
            "spec": {k: spec[k] for k in ("taints", "unschedulable") if k in spec},
            "status": {"allocatable": status.get("allocatable") or {},
                       "conditions": [{k: c.get(k) for k in ("type", "status", "reason", "lastTransitionTime")}
                                      for c in status.get("conditions") or [] if isinstance(c, dict)]},
        }
        self._nodes[name] = _dump(trimmed)

    # -- reading ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._pods)

    def __contains__(self, uid: object) -> bool:
        return uid in self._pods

    def __iter__(self) -> Iterator[PodHistory]:
        for uid in list(self._pods):
            yield self.history(uid)

    def uids(self) -> list[str]:
        return list(self._pods)

    def find(self, namespace: str, name: str) -> str | None:
        """The uid of the (latest) pod with this name."""
        track = self._by_name.get(namespace, {}).get(name)
        return track.uid if track is not None else None

    def timeline(self, uid: str) -> list[TimelineEntry]:
        track = self._pods[uid]
        out = []
        for seen, at, code in _ENTRY.iter_unpack(track.timeline):
            kind, what = self._whats[code]
            out.append(TimelineEntry(seen=seen, at=None if math.isnan(at) else at, kind=kind, what=what))
        return out

    def pod(self, uid: str) -> RawObject:
        """The pod's last state (trimmed)."""
        return json.loads(self._pods[uid].pod)  # type: ignore[no-any-return]

    def pod_events(self, uid: str) -> list[RawObject]:
        return _load_events(self._pods[uid].events)

    def deleted(self, uid: str) -> bool:
        state = self._pods[uid].state
        return self._gone in state or self._vanished in state

    def history(self, uid: str) -> PodHistory:
        track = self._pods[uid]
        pod = self.pod(uid)
        timeline = self.timeline(uid)
        meta = pod.get("metadata") or {}
        created = next((e for e in timeline if e.kind == "created"), None)
        deleted = next((e for e in timeline if e.kind == "deleted" and e.what in ("gone", "vanished")), None)
        owner = _controller(meta)
        return PodHistory(
            namespace=track.namespace,
            name=track.name,
            uid=track.uid,
            pod=pod,
            events=_load_events(track.events),
            timeline=timeline,
            created_at=created.at if created else None,
            first_seen=timeline[0].seen if timeline else None,
            deleted_seen=deleted.seen if deleted else None,
            launch_id=(meta.get("labels") or {}).get(LAUNCH_ID_LABEL),
            owner=(owner[0], owner[1]) if owner else None,
        )

    def histories(self) -> list[PodHistory]:
        return list(self)

    def owner_events(self, namespace: str, kind: str, name: str) -> list[RawObject]:
        owner = self._owners.get((kind, namespace, name))
        return _load_events(owner.events) if owner is not None else []

    def owners(self) -> list[RawObject]:
        """Every owner seen: ``{"kind", "namespace", "name", "uid", "pods", "gone", "object", "events"}``."""
        out = []
        for o in self._owners.values():
            out.append({"kind": o.kind, "namespace": o.namespace, "name": o.name, "uid": o.uid, "pods": o.pods,
                        "gone": o.gone, "object": json.loads(o.obj) if o.obj else None,
                        "events": _load_events(o.events)})
        return out

    def nodes(self) -> dict[str, RawObject]:
        """Each node's last state (trimmed: labels, taints, allocatable, conditions)."""
        return {name: json.loads(b) for name, b in self._nodes.items()}

    def node_events(self, name: str) -> list[RawObject]:
        return [json.loads(b) for b in self._node_events.get(name, ())]

    # -- classification -------------------------------------------------------------------------
    def classify(self, uid: str, *, launch: LaunchRecord | None = None, stop: StopRecord | None = None,
                 pod: RawObject | None = None) -> Verdict:
        """The verdict for one pod now (``pod``: its trimmed state when the caller already has it)."""
        track = self._pods[uid]
        deleted = self._gone in track.state or self._vanished in track.state
        owner_events = _load_events(track.owner.events) if track.owner is not None else ()
        stop_requested = stop is not None and stop.status in ("accepted", "pending")
        stop_latency = None
        if stop_requested and deleted and stop is not None:
            gone_seen = self._gone_seen(track)
            stop_latency = None if gone_seen is None else max(gone_seen - stop.sent_at, 0.0)
        verdict = classify_pod(
            pod if pod is not None else json.loads(track.pod), _load_events(track.events),
            owner_events=owner_events, launch=launch, deleted=deleted,
            stop_requested=stop_requested, stop_latency_s=stop_latency)
        track.outcome = verdict.outcome
        return verdict

    def _gone_seen(self, track: _Pod) -> float | None:
        for seen, _at, code in _ENTRY.iter_unpack(track.timeline):
            if code in (self._gone, self._vanished):
                return float(seen)
        return None

    def outcome(self, uid: str) -> Outcome | None:
        """The outcome of the last :meth:`classify` of this pod (None before any)."""
        return self._pods[uid].outcome

    def outcome_counts(self) -> Counter[str]:
        return Counter(t.outcome.value for t in self._pods.values() if t.outcome is not None)

    def verdicts(self, launches: Iterable[LaunchRecord] | Mapping[str, LaunchRecord] | None = None,
                 stops: Iterable[StopRecord] | Mapping[str, StopRecord] | None = None) -> list[Verdict]:
        """One verdict per pod, per owner whose creates were all refused, and per launch with neither.

        Pods are matched to launches by the ``k8sstress.io/launch-id`` label, else by the
        launch record's namespace + pod name.
        """
        by_launch = _by_launch_id(launches)
        by_stop = _by_launch_id(stops)
        used: set[str] = set()
        out: list[Verdict] = []
        pod_names = {(lr.namespace, lr.pod_name): lr for lr in by_launch.values() if lr.pod_name}
        for uid, track in self._pods.items():
            pod = json.loads(track.pod)
            labels = (pod.get("metadata") or {}).get("labels") or {}
            lid = labels.get(LAUNCH_ID_LABEL)
            launch = by_launch.get(lid) if lid else pod_names.get((track.namespace, track.name))
            if launch is not None:
                used.add(launch.launch_id)
            out.append(self.classify(uid, launch=launch, stop=by_stop.get(launch.launch_id if launch else lid or ""),
                                     pod=pod))
        for owner in self._owners.values():
            if owner.pods or not owner.events:
                continue
            events = _load_events(owner.events)
            if admission.latest_refusal(events) is None:
                continue
            meta = json.loads(owner.obj).get("metadata", {}) if owner.obj else {}
            labels = meta.get("labels") or {}
            launch = by_launch.get(labels.get(LAUNCH_ID_LABEL) or "")
            if launch is not None:
                used.add(launch.launch_id)
            out.append(_owner_verdict(owner, events, meta, launch))
        for lid, launch in by_launch.items():
            if lid in used:
                continue
            stop = by_stop.get(lid)
            out.append(classify_launch_without_pod(
                launch, stop_confirmed=stop is not None and stop.status == "accepted",
                stop_latency_s=(stop.answered_at - stop.sent_at) if stop and stop.answered_at else None))
        return out


def _by_launch_id(records: Any) -> dict[str, Any]:
    if records is None:
        return {}
    if isinstance(records, Mapping):
        return dict(records)
    return {r.launch_id: r for r in records}


def _owner_verdict(owner: _Owner, events: list[RawObject], meta: Mapping[str, Any],
                   launch: LaunchRecord | None) -> Verdict:
    """AdmissionRejected for an owner none of whose pods was ever created."""
    owner_detail = {"kind": owner.kind, "name": owner.name, "uid": owner.uid}
    if launch is not None:
        v = classify_launch_without_pod(launch, owner_events=events)
        return Verdict(namespace=v.namespace or owner.namespace, name=v.name, outcome=v.outcome,
                       detail={**v.detail, "owner": owner_detail}, uid=None, launch_id=v.launch_id)
    refused = admission.latest_refusal(events)
    assert refused is not None
    refusal, count = refused
    labels = meta.get("labels") or {}
    marker = (meta.get("annotations") or {}).get(SIMULATED_ANNOTATION)
    mode = labels.get(MODE_LABEL)
    limits = labels.get(LIMITS_LABEL)
    detail: dict[str, Any] = {
        **refusal.as_detail(), "source": "owner-event", "refusals": count, "owner": owner_detail,
        "simulated": isinstance(marker, str) and marker.strip().lower() not in ("", "false"),
        "qos_class": None,
        "limits": limits if limits in ("with", "without") else None,
        "mode": mode if mode in ("batch", "online") else None,
    }
    return Verdict(namespace=owner.namespace, name=refusal.pod_name or owner.name,
                   outcome=Outcome.ADMISSION_REJECTED, detail=detail, uid=None,
                   launch_id=labels.get(LAUNCH_ID_LABEL))


def verdicts(histories: Timelines | Iterable[PodHistory],
             launches: Iterable[LaunchRecord] | Mapping[str, LaunchRecord] | None = None, *,
             stops: Iterable[StopRecord] | Mapping[str, StopRecord] | None = None,
             owner_events: Mapping[tuple[str, str, str], list[RawObject]] | None = None) -> list[Verdict]:
    """Verdicts for folded histories (calls :func:`~k8sstress.classify.classify_pod`).

    Given a :class:`Timelines`, owners' events come with it and every launch gets a
    verdict (see :meth:`Timelines.verdicts`). Given plain ``PodHistory`` objects, owner
    events come from ``owner_events`` keyed by (namespace, kind, name).
    """
    if isinstance(histories, Timelines):
        return histories.verdicts(launches, stops)
    by_launch = _by_launch_id(launches)
    by_stop = _by_launch_id(stops)
    out = []
    for h in histories:
        launch = by_launch.get(h.launch_id or "")
        stop = by_stop.get(h.launch_id or "")
        stop_requested = stop is not None and stop.status in ("accepted", "pending")
        deleted = h.deleted_seen is not None
        stop_latency = (max(h.deleted_seen - stop.sent_at, 0.0)
                        if stop_requested and stop is not None and h.deleted_seen is not None else None)
        oev = (owner_events or {}).get((h.namespace, h.owner[0], h.owner[1]), []) if h.owner else []
        out.append(classify_pod(h.pod, h.events, owner_events=oev, launch=launch, deleted=deleted,
                                stop_requested=stop_requested, stop_latency_s=stop_latency))
    return out
