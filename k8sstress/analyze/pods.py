"""What happened to one pod, when: read from its observed timeline (or, failing that, its status).

Times are the observer's local clock (``seen``, epoch seconds), which is the clock the
launch and stop records use; Kubernetes' own timestamps (one-second resolution, the
apiserver's clock) are the fallback when a pod has no timeline.

``states`` is the pod's life as a step function over the outcome names, for the
"pods by outcome over time" plot and for the runner-drift check: live states
(Pending, Unschedulable, Running, CrashLoopBackOff, ImagePullFailed, OOMKilled while
restarting) until the pod reaches its final verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from k8sstress.classify import fields
from k8sstress.classify.quantity import parse_quantity
from k8sstress.records import Outcome, PodHistory, Verdict

__all__ = ["PodFacts", "pod_facts", "LIVE_OUTCOMES", "TERMINAL_PHASES", "parse_entry"]

LIVE_OUTCOMES = frozenset({Outcome.PENDING, Outcome.UNSCHEDULABLE, Outcome.RUNNING, Outcome.CRASHLOOPBACKOFF,
                           Outcome.IMAGE_PULL_FAILED})
TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})
_IMAGE_PULL = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"})


@dataclass
class PodFacts:
    """The times and places of one pod's life, and its verdict."""

    history: PodHistory
    verdict: Verdict
    created: float | None = None
    unschedulable: float | None = None
    """First time it was seen PodScheduled=False/Unschedulable."""
    scheduled: float | None = None
    running: float | None = None
    ready: float | None = None
    finished: float | None = None
    """Phase Succeeded or Failed first seen."""
    gone: float | None = None
    node: str | None = None
    cpu_request: float = 0.0
    memory_request: float = 0.0
    states: list[tuple[float, str]] = field(default_factory=list)
    outcome_at: float | None = None
    terminating: bool = False

    @property
    def name(self) -> str:
        return self.history.name

    @property
    def namespace(self) -> str:
        return self.history.namespace

    @property
    def launch_id(self) -> str | None:
        return self.history.launch_id or self.verdict.launch_id

    @property
    def outcome(self) -> Outcome:
        return self.verdict.outcome

    @property
    def end(self) -> float | None:
        """When it stopped holding resources: deletion, or a terminal phase."""
        if self.finished is not None and self.gone is not None:
            return min(self.finished, self.gone)
        return self.finished if self.finished is not None else self.gone

    def state_at(self, t: float) -> str | None:
        """The pod's state at ``t``; None before it existed."""
        current: str | None = None
        for at, state in self.states:
            if at > t:
                break
            current = state
        return current

    def phase_before(self, t: float) -> str | None:
        """The last phase seen at or before ``t`` (from the timeline)."""
        phase: str | None = None
        for e in self.history.timeline:
            if e.kind == "phase" and e.seen <= t:
                phase = e.what
        return phase


def parse_entry(kind: str, what: str) -> tuple[str, str, str]:
    """A timeline entry's ``what`` taken apart: (name, status, reason).

    ``condition``: ``PodScheduled=False/Unschedulable`` -> (PodScheduled, False, Unschedulable);
    ``container``: ``app:terminated/OOMKilled`` -> (app, terminated, OOMKilled);
    ``phase``: ``Failed/Evicted`` -> (Failed, "", Evicted);
    anything else (``deleted``: requested / gone / vanished): (what, "", "").
    """
    if kind == "condition":
        name, _, rest = what.partition("=")
        status, _, reason = rest.partition("/")
        return name, status, reason
    if kind == "container":
        name, sep, rest = what.partition(":")
        if not sep:
            name, rest = "", what
        state, _, reason = rest.partition("/")
        return name, state, reason
    if kind == "phase":
        phase, _, reason = what.partition("/")
        return phase, "", reason
    return what, "", ""


def _ts(value: Any) -> float | None:
    dt = fields.timestamp(value)
    return dt.timestamp() if dt is not None else None


def _requests(pod: Mapping[str, Any]) -> tuple[float, float]:
    cpu = mem = 0.0
    for c in fields.dicts(fields.path(pod, "spec", "containers")):
        req = fields.obj(fields.path(c, "resources", "requests"))
        lim = fields.obj(fields.path(c, "resources", "limits"))
        q_cpu = parse_quantity(req.get("cpu", lim.get("cpu")))
        q_mem = parse_quantity(req.get("memory", lim.get("memory")))
        cpu += float(q_cpu) if q_cpu is not None else 0.0
        mem += float(q_mem) if q_mem is not None else 0.0
    return cpu, mem


def _status_fallback(f: PodFacts, pod: Mapping[str, Any]) -> None:
    """Times from the pod's own status, for whatever the timeline did not show."""
    status = fields.obj(pod.get("status"))
    for cond in fields.dicts(status.get("conditions")):
        t = _ts(cond.get("lastTransitionTime"))
        kind, value, reason = cond.get("type"), cond.get("status"), cond.get("reason")
        if kind == "PodScheduled" and value == "True" and f.scheduled is None:
            f.scheduled = t
        elif kind == "PodScheduled" and reason == "Unschedulable" and f.unschedulable is None:
            f.unschedulable = t
        elif kind == "Ready" and value == "True" and f.ready is None:
            f.ready = t
    phase = fields.text(status.get("phase"))
    if f.running is None and phase in ("Running", "Succeeded", "Failed"):
        starts = [_ts(fields.path(cs, "state", "running", "startedAt")) or
                  _ts(fields.path(cs, "state", "terminated", "startedAt"))
                  for cs in fields.dicts(status.get("containerStatuses"))]
        known = [s for s in starts if s is not None]
        if known:
            f.running = min(known)
        elif phase == "Running":
            f.running = _ts(status.get("startTime"))
    if f.finished is None and phase in TERMINAL_PHASES:
        ends = [_ts(fields.path(cs, "state", "terminated", "finishedAt"))
                for cs in fields.dicts(status.get("containerStatuses"))]
        known = [e for e in ends if e is not None]
        f.finished = max(known) if known else None


def _final_state(verdict: Verdict) -> str:
    return verdict.outcome.value


def pod_facts(history: PodHistory, verdict: Verdict) -> PodFacts:
    """Read one pod's history into :class:`PodFacts`."""
    pod = fields.obj(history.pod)
    f = PodFacts(history=history, verdict=verdict)
    f.created = history.first_seen if history.first_seen is not None else history.created_at
    if f.created is None and history.timeline:
        f.created = min(e.seen for e in history.timeline)
    f.gone = history.deleted_seen
    f.node = fields.text(fields.path(pod, "spec", "nodeName")) or None
    f.cpu_request, f.memory_request = _requests(pod)
    f.terminating = fields.path(pod, "metadata", "deletionTimestamp") is not None

    final = _final_state(verdict)
    states: list[tuple[float, str]] = []

    def push(t: float, state: str) -> None:
        if not states or states[-1][1] != state:
            states.append((t, state))

    if f.created is not None:
        push(f.created, Outcome.PENDING.value)
    for e in sorted(history.timeline, key=lambda e: e.seen):
        t = e.seen
        current = states[-1][1] if states else None
        name, status, reason = parse_entry(e.kind, e.what)
        if e.kind == "created":
            push(t, Outcome.PENDING.value)
        elif e.kind == "condition" and name == "PodScheduled":
            if status == "True":
                f.scheduled = t if f.scheduled is None else f.scheduled
                if current == Outcome.UNSCHEDULABLE.value:
                    push(t, Outcome.PENDING.value)
            elif reason == "Unschedulable":
                f.unschedulable = t if f.unschedulable is None else f.unschedulable
                push(t, Outcome.UNSCHEDULABLE.value)
        elif e.kind == "condition" and name == "Ready" and status == "True":
            f.ready = t if f.ready is None else f.ready
        elif e.kind == "phase":
            if name == "Running":
                f.running = t if f.running is None else f.running
                f.scheduled = f.scheduled if f.scheduled is not None else t
                if current not in (Outcome.CRASHLOOPBACKOFF.value, Outcome.OOMKILLED.value):
                    push(t, Outcome.RUNNING.value)
            elif name in TERMINAL_PHASES:
                f.finished = t if f.finished is None else f.finished
                if name == "Succeeded":
                    f.running = f.running if f.running is not None else t
                    push(t, Outcome.SUCCEEDED.value)
                else:
                    push(t, final if verdict.outcome not in LIVE_OUTCOMES else Outcome.FAILED.value)
        elif e.kind == "container":
            if status == "waiting" and reason == "CrashLoopBackOff":
                push(t, Outcome.CRASHLOOPBACKOFF.value)
            elif status == "waiting" and reason in _IMAGE_PULL:
                push(t, Outcome.IMAGE_PULL_FAILED.value)
            elif status == "terminated" and reason == "OOMKilled":
                push(t, Outcome.OOMKILLED.value)
            elif status == "running" and current in (Outcome.CRASHLOOPBACKOFF.value, Outcome.OOMKILLED.value,
                                                      Outcome.PENDING.value):
                f.running = t if f.running is None else f.running
                push(t, Outcome.RUNNING.value)
        elif e.kind == "deleted" and name == "requested":
            f.terminating = True
        elif e.kind == "deleted":
            f.gone = t if f.gone is None else min(f.gone, t)
            push(t, final if verdict.outcome not in LIVE_OUTCOMES else Outcome.DELETED.value)
    _status_fallback(f, pod)
    if f.scheduled is None and f.running is not None:
        f.scheduled = f.running
    # the final verdict is where the states end
    if verdict.outcome not in LIVE_OUTCOMES and states and states[-1][1] != final:
        t_end = max(x for x in (f.gone, f.finished, states[-1][0]) if x is not None)
        push(t_end, final)
    if not states and f.created is None:
        anchor = next((x for x in (f.running, f.scheduled, f.finished, f.gone) if x is not None), None)
        if anchor is not None:
            f.created = anchor
            push(anchor, final)
    elif verdict.outcome in LIVE_OUTCOMES and states and states[-1][1] != final:
        push(states[-1][0], final)
    f.states = states
    f.outcome_at = next((t for t, s in states if s == final), states[-1][0] if states else None)
    return f
