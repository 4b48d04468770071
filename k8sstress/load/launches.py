"""What the load generator asks of a runner, and what it hears back.

:class:`Launcher` is the small interface the session drives (launch, stop, status);
the adapters in :mod:`k8sstress.targets` implement it. :func:`render_launch_pod`
builds the pod a launch asks for from a mix entry's template. Pure: no I/O.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from k8sstress.records import LAUNCH_ID_LABEL, RawObject
from k8sstress.templates import LaunchParams, render_pod

__all__ = [
    "LaunchRequest",
    "LaunchResult",
    "StopRequest",
    "StopResult",
    "StatusResult",
    "Launcher",
    "render_launch_pod",
    "deep_merge",
    "DEDICATED_LABEL",
    "DEDICATED_TAINT_PREFIX",
    "TERMINAL_STATES",
]

DEDICATED_LABEL = "k8sstress.io/dedicated"
"""Node label whose value is the dedicated pool a run's pods are pinned to."""
DEDICATED_TAINT_PREFIX = "k8sstress.io/dedicated-"
"""Dedicated nodes carry the NoSchedule taint ``k8sstress.io/dedicated-<pool>``."""

TERMINAL_STATES = frozenset({"Succeeded", "Failed", "Stopped"})


@dataclass(frozen=True)
class LaunchRequest:
    """One launch: everything a target needs to start a node run."""

    launch_id: str
    mode: Literal["batch", "online"]
    limits: Literal["with", "without"]
    template: str
    mix: str
    manifest: RawObject
    """The pod to run (labels, annotations, namespace, pinning applied)."""
    namespace: str
    run: str
    params: dict[str, Any] = field(default_factory=dict)
    scheduled_at: float = 0.0


@dataclass(frozen=True)
class LaunchResult:
    status: Literal["accepted", "rejected", "error"]
    http_status: int | None = None
    run_id: str | None = None
    pod_name: str | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Target-specific facts for the record (e.g. the owning Job's name)."""


@dataclass(frozen=True)
class StopRequest:
    launch_id: str
    run_id: str | None
    mode: str
    namespace: str
    pod_name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    stopped: bool = False
    """A stop of this run was already confirmed (for status: gone then means Stopped)."""


@dataclass(frozen=True)
class StopResult:
    status: Literal["accepted", "rejected", "error", "not-found"]
    http_status: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class StatusResult:
    state: str
    """Ours: Pending, Running, Succeeded, Failed, Stopped, Unknown."""
    runner_state: str | None = None
    http_status: int | None = None
    error: str | None = None
    message: str | None = None
    """The runner's explanation of the state (e.g. the API server's refusal it keeps retrying)."""


class Launcher(Protocol):
    """What the session needs of a target."""

    async def launch(self, request: LaunchRequest) -> LaunchResult: ...

    async def stop(self, request: StopRequest) -> StopResult: ...

    async def status(self, request: StopRequest) -> StatusResult | None:
        """The runner's view of a run; None when the target cannot say."""
        ...


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """``overlay`` merged into a copy of ``base``: mappings merge, everything else (lists too) replaces."""
    out = dict(base)
    for k, v in overlay.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def render_launch_pod(template: RawObject, *, launch_id: str, mode: str, run: str, namespace: str,
                      params: dict[str, Any], overrides: dict[str, Any] | None = None,
                      pin_pool: str | None = None) -> RawObject:
    """The pod for one launch: the template rendered (labels, pressure-model annotations),
    ``overrides`` merged in, and pinned to a dedicated pool when ``pin_pool`` is set."""
    pod = render_pod(template, LaunchParams(
        launch_id=launch_id, mode=mode, run=run,
        memory_usage=params.get("memory_usage"), memory_ramp_s=params.get("memory_ramp"),
        cpu_busy=params.get("cpu_busy"), duration_s=params.get("duration"),
    ), namespace=namespace)
    if overrides:
        pod = deep_merge(pod, overrides)
        pod.setdefault("metadata", {}).setdefault("labels", {})[LAUNCH_ID_LABEL] = launch_id
    if pin_pool:
        spec = pod.setdefault("spec", {})
        spec["nodeSelector"] = {**(spec.get("nodeSelector") or {}), DEDICATED_LABEL: pin_pool}
        tol = list(spec.get("tolerations") or [])
        tol.append({"key": f"{DEDICATED_TAINT_PREFIX}{pin_pool}", "operator": "Exists", "effect": "NoSchedule"})
        spec["tolerations"] = tol
    return pod
