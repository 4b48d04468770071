"""Per-pod timelines folded from observed events (pure: no I/O, no clocks, no threads).

:class:`Timelines` takes :class:`~k8sstress.records.ObservedEvent` s (live from the
watchers or replayed from ``observer.jsonl``) one at a time and keeps, for every pod:

*   its last state, trimmed to what classification and analysis read
    (:func:`~k8sstress.observe.raw.trim_pod`);
*   the events about it, trimmed the same way; an Event object updated in place
    (its ``count`` going up) replaces its earlier version;
*   a timeline: every phase, condition and container-state change, with the
    Kubernetes timestamp of the change (``at``, whole seconds, None when the API
    gives none) and the local time it was observed (``seen``), plus its creation
    (``at`` = creationTimestamp), the deletion request (``at`` = when it was asked
    for) and the deletion itself (``gone``, or ``vanished`` when only a relist
    noticed it).

It also keeps the pods' owners (Jobs, ReplicaSets) with their events — a refused
create (``FailedCreate``) exists only there — and the nodes' last state and events.

Memory (goal: <= 2 KiB per tracked pod at 100,000 pods): a pod is one ``__slots__``
object. The pods changed lately stay "hot" (parsed dicts, in a bounded cache);
when one goes quiet its state and events are packed with
:class:`~k8sstress.observe.packing.Codec` (~200 bytes) and its timeline is 12
bytes an entry (:class:`~k8sstress.observe.packing.TimelinePacker`). Strings that
repeat (uids, names, namespaces) are interned. :class:`~k8sstress.records.PodHistory`
objects are built on demand.

Classification is lazy: a pod whose state or events changed is marked dirty;
:meth:`Timelines.classify_changed` classifies each dirty pod once (the observer calls
it in small batches), :meth:`Timelines.classify` one pod now. Folding and
classifying are deterministic: the same events in the same order give the same
histories and verdicts, which is what makes a recording replayable.
"""

from __future__ import annotations

import copy
import sys
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from k8sstress.classify import admission, classify_launch_without_pod, classify_pod
from k8sstress.classify import events as events_mod
from k8sstress.observe.packing import Codec, TimelinePacker
from k8sstress.observe.raw import (
    controller_of,
    deletion_requested,
    event_target,
    parse_time,
    trim_event,
    trim_meta,
    trim_pod,
)
from k8sstress.observe.raw import obj as as_object
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
    StateReport,
    StopRecord,
    TimelineEntry,
    Verdict,
)

__all__ = ["Timelines", "verdicts", "OWNER_KINDS", "OWNER_RESOURCES"]

OWNER_KINDS: dict[str, str] = {"Job": "jobs", "ReplicaSet": "replicasets"}
"""Owner kinds tracked (kind -> plural resource)."""
OWNER_RESOURCES: dict[str, str] = {v: k for k, v in OWNER_KINDS.items()}

_MAX_PENDING_EVENTS = 50_000
_MAX_NODE_EVENTS = 50
_HOT_MAX = 2048
_GONE = 1
_VANISHED = 2


class _Owner:
    """A Job or ReplicaSet: last state (trimmed), its events, how many pods it had."""

    __slots__ = ("kind", "namespace", "name", "uid", "obj", "events", "pods", "gone")

    def __init__(self, kind: str, namespace: str, name: str) -> None:
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid: str | None = None
        self.obj: RawObject | None = None
        self.events: list[RawObject] = []
        self.pods = 0
        self.gone = False


class _Pod:
    """One tracked pod, kept small (see the module docstring)."""

    __slots__ = ("namespace", "name", "uid", "blob", "timeline", "owner", "outcome", "flags")

    def __init__(self, namespace: str, name: str, uid: str) -> None:
        self.namespace = namespace
        self.name = name
        self.uid = uid
        self.blob: bytes | None = None
        """``[trimmed pod, [trimmed events]]`` packed (None until the pod first went quiet)."""
        self.timeline = b""
        self.owner: _Owner | None = None
        self.outcome: Outcome | None = None
        self.flags = 0


class _Hot:
    """A pod changed lately: its parsed state, events and what classification read from them."""

    __slots__ = ("pod", "events", "views", "state", "changed")

    def __init__(self, pod: RawObject, events: list[RawObject], state: tuple[int, ...]) -> None:
        self.pod = pod
        self.events = events
        self.views: list[events_mod.EventView] | None = None
        self.state = state
        """Codes of the current phase, conditions, container states (diffed on every change)."""
        self.changed = False


def _same_event(a: RawObject, b: RawObject) -> bool:
    ua = (a.get("metadata") or {}).get("uid")
    return bool(ua) and ua == (b.get("metadata") or {}).get("uid")


def _put_event(store: list[RawObject], ev: RawObject) -> int:
    """Add (or replace the earlier version of) an event; returns its index."""
    for i, old in enumerate(store):
        if _same_event(old, ev):
            store[i] = ev
            return i
    store.append(ev)
    return len(store) - 1


class Timelines:
    """Everything observed, folded per pod. Feed it with :meth:`apply` (or :meth:`apply_raw`).

    Iterating gives :class:`~k8sstress.records.PodHistory` objects (built on demand).
    """

    def __init__(self, *, hot_max: int = _HOT_MAX) -> None:
        self._pods: dict[str, _Pod] = {}
        self._by_name: dict[str, dict[str, _Pod]] = {}
        self._owners: dict[tuple[str, str, str], _Owner] = {}
        self._nodes: dict[str, RawObject] = {}
        self._node_events: dict[str, deque[RawObject]] = {}
        self._hot: dict[str, _Hot] = {}
        self._hot_max = max(hot_max, 1)
        self._dirty: dict[str, None] = {}
        self._codec = Codec()
        self._times = TimelinePacker()
        self._pending: dict[str, list[RawObject]] = {}
        self._pending_order: deque[str] = deque()
        self._pending_count = 0
        self.stats: Counter[str] = Counter()
        """Counts: events by resource and type, events ignored or dropped (never silently)."""
        self.last_seen: float | None = None
        code = self._times.code
        self._requested = code("deleted", "requested")
        self._created = code("created", "")
        self._gone = code("deleted", "gone")
        self._vanished = code("deleted", "vanished")

    # -- feeding ------------------------------------------------------------------------------
    def apply(self, event: ObservedEvent) -> str | None:
        """Fold one observed event; returns the uid of the pod it changed, if any."""
        return self.apply_raw(event.seen, event.resource, event.type, event.object)

    def apply_raw(self, seen: float, resource: str, type_: str, obj: RawObject) -> str | None:
        """:meth:`apply` without the record wrapper (the hot path).

        Returns the uid of the pod whose verdict inputs changed (its state or its
        events), else None; such pods wait in :attr:`dirty` until classified.
        """
        self.stats[f"{resource}:{type_}"] += 1
        if self.last_seen is None or seen > self.last_seen:
            self.last_seen = seen
        if not isinstance(obj, dict):
            self.stats["ignored:not-an-object"] += 1
            return None
        if resource == "pods":
            return self._apply_pod(seen, type_, obj)
        if resource == "events":
            return self._apply_event(type_, obj)
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

    # -- the hot cache ------------------------------------------------------------------------
    def _unpack(self, track: _Pod) -> tuple[RawObject, list[RawObject]]:
        if track.blob is None:
            return {}, []
        pod, events = self._codec.unpack(track.blob)
        return pod, events

    def _heat(self, track: _Pod) -> _Hot:
        hot = self._hot.pop(track.uid, None)
        if hot is None:
            pod, events = self._unpack(track)
            hot = _Hot(pod, events, self._state_of(pod, {}) if pod else ())
            if len(self._hot) >= self._hot_max:
                self._cool(next(iter(self._hot)))
        self._hot[track.uid] = hot  # (re)inserted last: the cache is in order of last use
        return hot

    def _cool(self, uid: str) -> None:
        hot = self._hot.pop(uid)
        if hot.changed:
            self._pods[uid].blob = self._codec.pack([hot.pod, hot.events])

    def compact(self) -> None:
        """Pack every hot pod now (a snapshot's worth of memory; the fold works either way)."""
        while self._hot:
            self._cool(next(iter(self._hot)))

    # -- pods -----------------------------------------------------------------------------------
    def _owner(self, kind: str, namespace: str, name: str) -> _Owner:
        key = (kind, namespace, name)
        owner = self._owners.get(key)
        if owner is None:
            owner = self._owners[key] = _Owner(sys.intern(kind), sys.intern(namespace), sys.intern(name))
        return owner

    def _new_pod(self, seen: float, meta: Mapping[str, Any], uid: str) -> _Pod:
        ns = sys.intern(str(meta.get("namespace") or ""))
        track = _Pod(ns, sys.intern(str(meta.get("name") or "")), sys.intern(uid))
        self._pods[track.uid] = track
        self._by_name.setdefault(ns, {})[track.name] = track
        track.timeline = self._times.pack([(seen, parse_time(meta.get("creationTimestamp")), self._created)])
        ctrl = controller_of(meta)
        if ctrl is not None and ctrl[0] in OWNER_KINDS:
            owner = self._owner(ctrl[0], ns, ctrl[1])
            owner.uid = owner.uid or ctrl[2] or None
            owner.pods += 1
            track.owner = owner
        return track

    def _apply_pod(self, seen: float, type_: str, obj: RawObject) -> str | None:
        meta = obj.get("metadata")
        if not isinstance(meta, dict) or not isinstance(meta.get("uid"), str) or not meta["uid"]:
            self.stats["ignored:pod-without-uid"] += 1
            return None
        track = self._pods.get(meta["uid"])
        changed = False
        if track is None:
            track = self._new_pod(seen, meta, meta["uid"])
            changed = True
        elif track.flags:
            self.stats["ignored:pod-after-deletion"] += 1
            return None
        hot = self._heat(track)
        entries: list[tuple[float, float | None, int]] = []
        synthetic_gone = type_ == "DELETED" and "status" not in obj and "spec" not in obj
        if not synthetic_gone:
            at: dict[int, float | None] = {}
            state = self._state_of(obj, at)
            old = hot.state
            for code in state:
                if code not in old:
                    entries.append((seen, at.get(code), code))
            hot.state = state
            trimmed = trim_pod(obj)
            if trimmed != hot.pod:
                hot.pod = trimmed
                hot.changed = changed = True
        elif not hot.pod:  # first heard of in a relist, already gone: its name is all there is
            hot.pod = trim_pod(obj)
            hot.changed = True
        if type_ == "DELETED":
            if self._requested not in hot.state and not synthetic_gone:
                entries.append((seen, deletion_requested(meta), self._requested))
            entries.append((seen, None, self._vanished if synthetic_gone else self._gone))
            track.flags = _VANISHED if synthetic_gone else _GONE
            changed = True
        if entries:
            track.timeline += self._times.pack(entries)
        if changed:
            self._dirty[track.uid] = None
            if self._pending:
                self._adopt_pending(track)
            return track.uid
        return None

    def _state_of(self, obj: RawObject, at: dict[int, float | None]) -> tuple[int, ...]:
        """The codes of the pod's current phase, conditions and container states; ``at`` filled per code."""
        code = self._times.code
        codes: list[int] = []
        status = obj.get("status")
        if not isinstance(status, dict):
            status = {}
        phase = status.get("phase") or ""
        reason = status.get("reason")
        codes.append(code("phase", f"{phase}/{reason}" if reason else str(phase)))
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
            at[self._requested] = deletion_requested(meta)
        return tuple(codes)

    # -- events ---------------------------------------------------------------------------------
    def _pod_for_event(self, target: Mapping[str, Any], namespace: str) -> _Pod | None:
        uid = target.get("uid")
        if isinstance(uid, str) and uid:
            return self._pods.get(uid)
        return self._by_name.get(namespace, {}).get(str(target.get("name") or ""))

    def _apply_event(self, type_: str, ev: RawObject) -> str | None:
        if type_ == "DELETED":  # an Event expired (TTL): what it said still stands
            return None
        target = event_target(ev)
        kind = target.get("kind")
        meta = as_object(ev.get("metadata"))
        namespace = str(target.get("namespace") or meta.get("namespace") or "")
        if kind == "Pod":
            track = self._pod_for_event(target, namespace)
            if track is None:
                self._park(target, namespace, ev)
                return None
            self._add_pod_event(track, ev)
            return track.uid
        if kind in OWNER_KINDS:
            owner = self._owner(kind, namespace, str(target.get("name") or ""))
            owner.uid = owner.uid or target.get("uid") or None
            _put_event(owner.events, trim_event(ev))
            return None
        if kind == "Node":
            name = str(target.get("name") or "")
            self._node_events.setdefault(name, deque(maxlen=_MAX_NODE_EVENTS)).append(trim_event(ev))
            return None
        self.stats["ignored:event-about-other-kind"] += 1
        return None

    def _add_pod_event(self, track: _Pod, ev: RawObject) -> None:
        trimmed = trim_event(ev)
        hot = self._heat(track)
        i = _put_event(hot.events, trimmed)
        hot.changed = True
        if hot.views is not None:
            read = events_mod.view(trimmed)
            if read is None or i > len(hot.views):
                hot.views = None
            elif i == len(hot.views):
                hot.views.append(read)
            else:
                hot.views[i] = read
        self._dirty[track.uid] = None

    def _park(self, target: Mapping[str, Any], namespace: str, ev: RawObject) -> None:
        """Hold a pod event whose pod was not seen yet (it may come on the other watch)."""
        key = str(target.get("uid") or f"{namespace}/{target.get('name')}")
        self._pending.setdefault(key, []).append(ev)
        self._pending_order.append(key)
        self._pending_count += 1
        self.stats["events:before-their-pod"] += 1
        while self._pending_count > _MAX_PENDING_EVENTS and self._pending_order:
            dropped = self._pending.pop(self._pending_order.popleft(), None)
            if dropped:
                self._pending_count -= len(dropped)
                self.stats["events:dropped-no-pod-ever-seen"] += len(dropped)

    def _adopt_pending(self, track: _Pod) -> None:
        for key in (track.uid, f"{track.namespace}/{track.name}"):
            parked = self._pending.pop(key, None)
            if parked:
                self._pending_count -= len(parked)
                for ev in parked:
                    self._add_pod_event(track, ev)

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
            spec = as_object(obj.get("spec"))
            owner.obj = {
                "kind": kind,
                "metadata": trim_meta(meta),
                "spec": {k: spec[k] for k in ("parallelism", "completions", "replicas", "backoffLimit")
                         if k in spec},
                "status": obj.get("status") or {},
            }

    def _apply_node(self, type_: str, obj: RawObject) -> None:
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            return
        name = str(meta.get("name") or "")
        if type_ == "DELETED":
            self._nodes.pop(name, None)
            return
        spec = as_object(obj.get("spec"))
        status = as_object(obj.get("status"))
        self._nodes[name] = {
            "metadata": {"name": name, "labels": meta.get("labels") or {}},
            "spec": {k: spec[k] for k in ("taints", "unschedulable") if k in spec},
            "status": {"allocatable": status.get("allocatable") or {},
                       "conditions": [{k: c.get(k) for k in ("type", "status", "reason", "lastTransitionTime")}
                                      for c in status.get("conditions") or [] if isinstance(c, dict)]},
        }

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
        out = []
        for seen, at, code in self._times.unpack(self._pods[uid].timeline):
            kind, what = self._times.what(code)
            out.append(TimelineEntry(seen=seen, at=at, kind=kind, what=what))
        return out

    def pod(self, uid: str) -> RawObject:
        """The pod's last state (trimmed; a copy of its own)."""
        hot = self._hot.get(uid)
        return copy.deepcopy(hot.pod) if hot is not None else self._unpack(self._pods[uid])[0]

    def pod_events(self, uid: str) -> list[RawObject]:
        """The Events about the pod (trimmed; copies of their own)."""
        hot = self._hot.get(uid)
        return copy.deepcopy(hot.events) if hot is not None else self._unpack(self._pods[uid])[1]

    def _labels(self, uid: str) -> Mapping[str, Any]:
        hot = self._hot.get(uid)
        pod = hot.pod if hot is not None else self._unpack(self._pods[uid])[0]
        return as_object(as_object(pod.get("metadata")).get("labels"))

    def deleted(self, uid: str) -> bool:
        return bool(self._pods[uid].flags)

    def history(self, uid: str) -> PodHistory:
        track = self._pods[uid]
        pod = self.pod(uid)
        timeline = self.timeline(uid)
        meta = pod.get("metadata") or {}
        created = next((e for e in timeline if e.kind == "created"), None)
        deleted = next((e for e in timeline if e.kind == "deleted" and e.what in ("gone", "vanished")), None)
        owner = controller_of(meta)
        return PodHistory(
            namespace=track.namespace,
            name=track.name,
            uid=track.uid,
            pod=pod,
            events=self.pod_events(uid),
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
        return list(owner.events) if owner is not None else []

    def owners(self) -> list[RawObject]:
        """Every owner seen: ``{"kind", "namespace", "name", "uid", "pods", "gone", "object", "events"}``."""
        return [{"kind": o.kind, "namespace": o.namespace, "name": o.name, "uid": o.uid, "pods": o.pods,
                 "gone": o.gone, "object": o.obj, "events": list(o.events)} for o in self._owners.values()]

    def nodes(self) -> dict[str, RawObject]:
        """Each node's last state (trimmed: labels, taints, allocatable, conditions)."""
        return dict(self._nodes)

    def node_events(self, name: str) -> list[RawObject]:
        return list(self._node_events.get(name, ()))

    # -- classification -------------------------------------------------------------------------
    @property
    def dirty(self) -> int:
        """How many pods changed since they were last classified."""
        return len(self._dirty)

    def classify(self, uid: str, *, launch: LaunchRecord | None = None, stop: StopRecord | None = None) -> Verdict:
        """The verdict for one pod now (``stop``: the run asked for it to be stopped).

        Classification reads the same trimmed pod and events live and on replay, so both agree.
        """
        track = self._pods[uid]
        self._dirty.pop(uid, None)
        hot = self._hot.get(uid)
        events: list[Any]
        if hot is not None:
            pod = hot.pod
            if hot.views is None:
                hot.views = events_mod.views(hot.events)
            events = hot.views
        else:
            pod, events = self._unpack(track)
        deleted = bool(track.flags)
        stop_latency = None
        if stop is not None and deleted:
            gone_seen = self._gone_seen(track)
            stop_latency = None if gone_seen is None else max(gone_seen - stop.sent_at, 0.0)
        verdict = classify_pod(pod, events, owner_events=track.owner.events if track.owner is not None else (),
                               launch=launch, deleted=deleted, stop_requested=stop is not None,
                               stop_latency_s=stop_latency)
        track.outcome = verdict.outcome
        return verdict

    def _gone_seen(self, track: _Pod) -> float | None:
        for seen, _at, code in self._times.unpack(track.timeline):
            if code in (self._gone, self._vanished):
                return seen
        return None

    def classify_changed(self) -> list[tuple[str, Verdict]]:
        """Classify every pod changed since its last classification, once each."""
        out = []
        while self._dirty:
            uid = next(iter(self._dirty))
            out.append((uid, self.classify(uid)))
        return out

    def outcome(self, uid: str) -> Outcome | None:
        """The outcome of the last classification of this pod (None before any)."""
        return self._pods[uid].outcome

    def outcome_counts(self) -> Counter[str]:
        return Counter(t.outcome.value for t in self._pods.values() if t.outcome is not None)

    def verdicts(self, launches: Iterable[LaunchRecord] | Mapping[str, LaunchRecord] | None = None,
                 stops: Iterable[StopRecord] | Mapping[str, StopRecord] | None = None,
                 states: Iterable[StateReport] | None = None) -> list[Verdict]:
        """One verdict per pod, per owner whose creates were all refused, and per launch with neither.

        ``states``: the runner's state reports; for a launch with no pod, a report carrying
        the API server's refusal makes it AdmissionRejected rather than Lost.

        Pods are matched to launches by the ``k8sstress.io/launch-id`` label, else by the
        launch record's namespace + pod name.
        """
        by_launch = _by_launch_id(launches)
        by_stop = _by_launch_id(stops)
        reports: dict[str, list[StateReport]] = {}
        for r in states or ():
            if r.launch_id and getattr(r, "message", None):
                reports.setdefault(r.launch_id, []).append(r)
        used: set[str] = set()
        out: list[Verdict] = []
        pod_names = {(lr.namespace, lr.pod_name): lr for lr in by_launch.values() if lr.pod_name}
        for uid, track in self._pods.items():
            lid = self._labels(uid).get(LAUNCH_ID_LABEL)
            launch = by_launch.get(lid) if lid else pod_names.get((track.namespace, track.name))
            if launch is not None:
                used.add(launch.launch_id)
            out.append(self.classify(uid, launch=launch, stop=by_stop.get(launch.launch_id if launch else lid or "")))
        for owner in self._owners.values():
            if owner.pods or admission.latest_refusal(owner.events) is None:
                continue
            meta = (owner.obj or {}).get("metadata") or {}
            launch = by_launch.get((meta.get("labels") or {}).get(LAUNCH_ID_LABEL) or "")
            if launch is not None:
                used.add(launch.launch_id)
            out.append(_owner_verdict(owner, meta, launch))
        for lid, launch in by_launch.items():
            if lid in used:
                continue
            stop = by_stop.get(lid)
            out.append(classify_launch_without_pod(
                launch, runner_reports=reports.get(lid, ()),
                stop_confirmed=stop is not None and stop.status == "accepted",
                stop_latency_s=(stop.answered_at - stop.sent_at) if stop and stop.answered_at else None))
        return out


def _by_launch_id(records: Any) -> dict[str, Any]:
    if records is None:
        return {}
    if isinstance(records, Mapping):
        return dict(records)
    return {r.launch_id: r for r in records}


def _owner_verdict(owner: _Owner, meta: Mapping[str, Any], launch: LaunchRecord | None) -> Verdict:
    """AdmissionRejected for an owner none of whose pods was ever created."""
    owner_detail = {"kind": owner.kind, "name": owner.name, "uid": owner.uid}
    if launch is not None:
        v = classify_launch_without_pod(launch, owner_events=owner.events)
        return Verdict(namespace=v.namespace or owner.namespace, name=v.name, outcome=v.outcome,
                       detail={**v.detail, "owner": owner_detail}, uid=None, launch_id=v.launch_id)
    refused = admission.latest_refusal(owner.events)
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
        deleted = h.deleted_seen is not None
        stop_latency = (max(h.deleted_seen - stop.sent_at, 0.0)
                        if stop is not None and h.deleted_seen is not None else None)
        oev = (owner_events or {}).get((h.namespace, h.owner[0], h.owner[1]), []) if h.owner else []
        out.append(classify_pod(h.pod, h.events, owner_events=oev, launch=launch, deleted=deleted,
                                stop_requested=stop is not None, stop_latency_s=stop_latency))
    return out
