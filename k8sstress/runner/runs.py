"""Runs: the runner's record of one launch, and its state read from the cluster. Pure.

A run's ``state`` is one of :data:`STATES`; ``reason`` says why when Kubernetes
said (``Unschedulable``, ``OOMKilled``, ``CrashLoopBackOff``, ``Evicted``,
``AdmissionRejected``, ``PendingTimeout``, ``Deleted``, ...). Everything needed to
rebuild a run after a restart of the runner is on its pod (or Job): the labels
below and the annotations ``k8sstress.io/runner-*``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from k8sstress.records import LAUNCH_ID_LABEL, LIMITS_LABEL, MODE_LABEL, RawObject

__all__ = [
    "STATES",
    "TERMINAL",
    "RUNNER_LABEL",
    "RUN_ID_LABEL",
    "CALLBACK_ANNOTATION",
    "TEMPLATE_ANNOTATION",
    "ACCEPTED_ANNOTATION",
    "PARAMS_ANNOTATION",
    "Observed",
    "Transition",
    "Run",
    "observe_pod",
    "observe_job",
    "run_from_object",
]

STATES = ("Pending", "Running", "Succeeded", "Failed", "Stopped")
TERMINAL = frozenset({"Succeeded", "Failed", "Stopped"})

RUNNER_LABEL = "k8sstress.io/runner"
"""Which runner instance owns the object (its ``--name``); kopf follows only these."""
RUN_ID_LABEL = "k8sstress.io/run-id"
CALLBACK_ANNOTATION = "k8sstress.io/runner-callback"
TEMPLATE_ANNOTATION = "k8sstress.io/runner-template"
ACCEPTED_ANNOTATION = "k8sstress.io/runner-accepted-at"
PARAMS_ANNOTATION = "k8sstress.io/runner-params"


@dataclass(frozen=True)
class Observed:
    """What one pod (or Job) version says about its run."""

    state: str
    reason: str | None = None
    message: str | None = None
    ready: bool = False
    restarts: int = 0


@dataclass(frozen=True, slots=True)
class Transition:
    state: str
    reason: str | None
    message: str | None
    seen_at: float
    """When the runner saw the change (epoch seconds)."""
    sequence: int

    def as_json(self) -> dict[str, Any]:
        return {"sequence": self.sequence, "state": self.state, "reason": self.reason,
                "message": self.message, "seen_at": self.seen_at}


@dataclass(slots=True)
class Run:
    run_id: str
    launch_id: str
    mode: str
    limits: str
    template: str
    namespace: str
    kind: str = "Pod"
    name: str | None = None
    """The Pod's (or Job's) name once created."""
    pod: str | None = None
    """The pod that carries the run now (for a Job: its latest pod)."""
    callback_url: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    accepted_at: float = field(default_factory=time.time)
    state: str = "Pending"
    reason: str | None = None
    message: str | None = None
    ready: bool = False
    restarts: int = 0
    attempts: int = 0
    stop_requested_at: float | None = None
    pending_since: float | None = None
    history: list[Transition] = field(default_factory=list)
    rebuilt: bool = False

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    def transition(self, state: str, reason: str | None, message: str | None,
                   now: float | None = None) -> Transition | None:
        """Move to ``state``; returns the transition, or None when nothing changed."""
        if state == self.state and reason == self.reason and self.history:
            return None
        t = Transition(state, reason, message, time.time() if now is None else now, len(self.history) + 1)
        if state == "Pending" and self.state != "Pending":
            self.pending_since = t.seen_at
        elif state != "Pending":
            self.pending_since = None
        elif self.pending_since is None:
            self.pending_since = t.seen_at
        self.state, self.reason, self.message = state, reason, message
        self.history.append(t)
        return t

    def as_json(self, history: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "run_id": self.run_id, "launch_id": self.launch_id, "mode": self.mode, "limits": self.limits,
            "template": self.template, "namespace": self.namespace, "kind": self.kind, "name": self.name,
            "pod": self.pod, "state": self.state, "reason": self.reason, "message": self.message,
            "ready": self.ready, "restarts": self.restarts, "attempts": self.attempts,
            "accepted_at": self.accepted_at,
            "updated_at": self.history[-1].seen_at if self.history else self.accepted_at,
            "stop_requested_at": self.stop_requested_at, "callback_url": self.callback_url,
            "params": self.params, "rebuilt": self.rebuilt,
        }
        if history:
            out["history"] = [t.as_json() for t in self.history]
        return out


def _container_problem(status: RawObject) -> tuple[str | None, str | None, int, bool]:
    """(reason, message, restarts, all ready) from the container statuses."""
    reason = message = None
    restarts = 0
    statuses = status.get("containerStatuses") or []
    ready = bool(statuses) and all(s.get("ready") for s in statuses)
    for s in statuses:
        restarts += int(s.get("restartCount") or 0)
        state = s.get("state") or {}
        last = (s.get("lastState") or {}).get("terminated") or {}
        if reason is None and "waiting" in state and state["waiting"].get("reason") not in (None, "ContainerCreating",
                                                                                               "PodInitializing"):
            reason = state["waiting"].get("reason")
            message = state["waiting"].get("message")
            if reason == "CrashLoopBackOff" and last.get("reason") == "OOMKilled":
                message = f"OOMKilled (exit {last.get('exitCode')}); {message or ''}".strip("; ")
        elif reason is None and "terminated" in state and state["terminated"].get("exitCode"):
            reason = state["terminated"].get("reason") or "Error"
            message = state["terminated"].get("message") or f"exit code {state['terminated'].get('exitCode')}"
    return reason, message, restarts, ready


def observe_pod(pod: RawObject) -> Observed:
    """A run's state as its pod shows it (pod phase decides; containers and conditions add the reason)."""
    status = pod.get("status") or {}
    phase = status.get("phase") or "Pending"
    reason, message, restarts, ready = _container_problem(status)
    if phase == "Succeeded":
        return Observed("Succeeded", None, None, False, restarts)
    if phase == "Failed":
        if status.get("reason"):
            return Observed("Failed", status["reason"], status.get("message"), False, restarts)
        return Observed("Failed", reason or "Error", message, False, restarts)
    if phase == "Running":
        return Observed("Running", reason, message, ready, restarts)
    for c in status.get("conditions") or []:
        if c.get("type") == "PodScheduled" and c.get("status") == "False":
            return Observed("Pending", c.get("reason") or "Unschedulable", c.get("message"), False, restarts)
    return Observed("Pending", reason, message, False, restarts)


def observe_job(job: RawObject) -> Observed | None:
    """A Job's own verdict (Complete / Failed), or None while it is still going."""
    for c in (job.get("status") or {}).get("conditions") or []:
        if c.get("status") != "True":
            continue
        if c.get("type") == "Complete":
            return Observed("Succeeded")
        if c.get("type") == "Failed":
            return Observed("Failed", c.get("reason") or "Failed", c.get("message"))
    return None


def run_from_object(obj: RawObject, kind: str | None = None) -> Run | None:
    """Rebuild a run from the labels and annotations of its pod or Job (after a restart of the runner)."""
    md = obj.get("metadata") or {}
    labels = md.get("labels") or {}
    ann = md.get("annotations") or {}
    run_id = labels.get(RUN_ID_LABEL)
    if not run_id:
        return None
    kind, name = kind or obj.get("kind") or "Pod", md.get("name")
    for ref in md.get("ownerReferences") or []:
        if ref.get("kind") == "Job":
            kind, name = "Job", ref.get("name")
    try:
        params = json.loads(ann.get(PARAMS_ANNOTATION) or "{}")
    except ValueError:
        params = {}
    try:
        accepted = float(ann.get(ACCEPTED_ANNOTATION) or 0) or time.time()
    except ValueError:
        accepted = time.time()
    return Run(run_id=run_id, launch_id=labels.get(LAUNCH_ID_LABEL, run_id), mode=labels.get(MODE_LABEL, "batch"),
               limits=labels.get(LIMITS_LABEL, "without"), template=ann.get(TEMPLATE_ANNOTATION, ""),
               namespace=md.get("namespace", ""), kind=kind, name=name,
               callback_url=ann.get(CALLBACK_ANNOTATION) or None, params=params if isinstance(params, dict) else {},
               accepted_at=accepted, rebuilt=True, attempts=1,
               state="Pending")

