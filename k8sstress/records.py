"""Plain record types shared by every part: the outcome taxonomy and what a run writes.

No I/O and no third-party imports but pydantic. Frozen dataclasses for values that
live in memory; pydantic models for records written to or read from disk.
The names of ``Outcome`` are a contract (design.md): tools and tests rely on them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "Outcome",
    "OUTCOMES",
    "Verdict",
    "RawObject",
    "Mode",
    "Limits",
    "LaunchRecord",
    "StopRecord",
    "StateReport",
    "ObservedEvent",
    "TimelineEntry",
    "PodHistory",
    "SIMULATED_ANNOTATION",
    "LAUNCH_ID_LABEL",
    "RUN_LABEL",
    "MODE_LABEL",
    "LIMITS_LABEL",
]

RawObject = dict[str, Any]
"""A Kubernetes object as the API returns it (parsed JSON): a pod, an event, a node."""

Mode = Literal["batch", "online"]
Limits = Literal["with", "without"]

SIMULATED_ANNOTATION = "k8sstress.io/simulated"
"""Set (value ``"true"`` or a short reason) by the sim pressure model on what it caused."""
LAUNCH_ID_LABEL = "k8sstress.io/launch-id"
RUN_LABEL = "k8sstress.io/run"
MODE_LABEL = "k8sstress.io/mode"
LIMITS_LABEL = "k8sstress.io/limits"


class Outcome(enum.StrEnum):
    """Exactly one per pod or launch. Pod status decides; events add detail."""

    PENDING = "Pending"
    UNSCHEDULABLE = "Unschedulable"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    OOMKILLED = "OOMKilled"
    CRASHLOOPBACKOFF = "CrashLoopBackOff"
    EVICTED = "Evicted"
    PREEMPTED = "Preempted"
    KUBELET_REJECTED = "KubeletRejected"
    IMAGE_PULL_FAILED = "ImagePullFailed"
    ADMISSION_REJECTED = "AdmissionRejected"
    DELETED = "Deleted"
    STOPPED = "Stopped"
    LOST = "Lost"
    ORPHANED = "Orphaned"

    def __str__(self) -> str:
        return self.value


OUTCOMES: tuple[str, ...] = tuple(o.value for o in Outcome)


@dataclass(frozen=True)
class Verdict:
    """The outcome of one pod (or of one launch that never got a pod)."""

    namespace: str
    name: str
    outcome: Outcome
    detail: dict[str, Any] = field(default_factory=dict)
    uid: str | None = None
    launch_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "name": self.name,
            "uid": self.uid,
            "launch_id": self.launch_id,
            "outcome": self.outcome.value,
            "detail": self.detail,
        }


class _Record(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class LaunchRecord(_Record):
    """One launch request sent to the runner under test, and its answer."""

    launch_id: str
    mode: Mode
    limits: Limits
    template: str
    scheduled_at: float
    """When the open-model schedule wanted it sent (epoch seconds)."""
    sent_at: float
    answered_at: float | None = None
    status: Literal["accepted", "rejected", "error", "pending"] = "pending"
    http_status: int | None = None
    error: str | None = None
    run_id: str | None = None
    """The runner's id for the run, when it gave one."""
    pod_name: str | None = None
    namespace: str | None = None

    @property
    def latency_s(self) -> float | None:
        return None if self.answered_at is None else self.answered_at - self.sent_at

    @property
    def lateness_s(self) -> float:
        return self.sent_at - self.scheduled_at


class StopRecord(_Record):
    """One stop request sent to the runner under test, and its answer."""

    launch_id: str
    run_id: str | None
    sent_at: float
    answered_at: float | None = None
    status: Literal["accepted", "rejected", "error", "not-found", "pending"] = "pending"
    http_status: int | None = None
    error: str | None = None


class StateReport(_Record):
    """What the runner said a run's state was, and when (callback or status poll)."""

    run_id: str
    launch_id: str | None = None
    state: str
    """Our state name (after mapping the runner's): Pending, Running, Succeeded, Failed, Stopped, Unknown."""
    runner_state: str | None = None
    reported_at: float
    received_at: float
    source: Literal["callback", "poll"] = "poll"


class ObservedEvent(_Record):
    """One line of a run's ``observer.jsonl``: a watch event as the observer saw it.

    ``resource`` is the plural resource name (pods, events, nodes, jobs, replicasets,
    deployments); ``type`` is ADDED, MODIFIED, DELETED, or RELIST (a synthetic event
    for an object found changed or gone by a relist after a 410 Gone / reconnect).
    ``seen`` is the local observation time (epoch seconds).
    """

    seen: float
    resource: str
    type: str
    object: RawObject


@dataclass(frozen=True)
class TimelineEntry:
    """One change in a pod's life: a phase, a condition or a container state, or its deletion."""

    seen: float
    """Local observation time (epoch seconds)."""
    at: float | None
    """The Kubernetes timestamp of the change when it has one (epoch seconds)."""
    kind: str
    """"created", "phase", "condition", "container", "deleted"."""
    what: str
    """e.g. "Pending", "PodScheduled=False/Unschedulable", "c:waiting/CrashLoopBackOff"."""


@dataclass
class PodHistory:
    """Everything observed about one pod: its last state, events, timeline and verdict."""

    namespace: str
    name: str
    uid: str
    pod: RawObject
    """The last version seen (for a deleted pod, the object in the DELETED event)."""
    events: list[RawObject] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    created_at: float | None = None
    first_seen: float | None = None
    deleted_seen: float | None = None
    launch_id: str | None = None
    owner: tuple[str, str] | None = None
    """(kind, name) of the controlling owner, when there is one."""
