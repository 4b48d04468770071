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
