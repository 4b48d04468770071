"""Pod start-up latency, kube-burner's podLatency definitions, over ALL pods. Pure.

For each pod, the latency of a phase is the time from ``metadata.creationTimestamp``
to the ``lastTransitionTime`` of the first time its condition became True:
``PodScheduled``, ``Initialized``, ``ContainersReady``, ``Ready`` (the same four
kube-burner reports). Both are Kubernetes timestamps (1 s resolution).

Unlike kube-burner and ClusterLoader2, a pod that never reached a phase is not
dropped: it is counted in ``not_reached`` (and, given the outcomes, by outcome),
and the percentiles are taken over all pods, the unreached ones ranked last (their
latency is "more than we saw"). So with 10 % of pods never Ready, ``p95`` and
``p99`` of Ready are ``None`` (not reached), not a flattering number from the 90 %
that made it. The same figures over the reached pods only are kept as
``reached_p50`` ... for comparison with tools that drop.

Percentiles are nearest-rank: the value at rank ``ceil(q/100 * n)`` of the sorted list.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from k8sstress.observe.raw import parse_time
from k8sstress.records import PodHistory

__all__ = ["PHASES", "PhaseLatency", "reached_at", "pod_latencies", "pod_latency", "percentile"]

PHASES: tuple[str, ...] = ("PodScheduled", "Initialized", "ContainersReady", "Ready")


def percentile(values: Sequence[float], q: float, total: int | None = None) -> float | None:
    """Nearest-rank percentile of sorted ``values`` among ``total`` subjects (the rest rank above all).

    None when the rank falls among the subjects without a value.
    """
    n = len(values) if total is None else total
    if n == 0:
        return None
    rank = max(math.ceil(q / 100.0 * n), 1)
    return values[rank - 1] if rank <= len(values) else None


def reached_at(history: PodHistory, condition: str) -> float | None:
    """When ``condition`` first became True (its lastTransitionTime), or None."""
    prefix = f"{condition}=True"
    for entry in history.timeline:
        if entry.kind == "condition" and (entry.what == prefix or entry.what.startswith(prefix + "/")):
            if entry.at is not None:
                return entry.at
    # a pod known from a dump, without a timeline: its current conditions
    for cond in (history.pod.get("status") or {}).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == condition and cond.get("status") == "True":
            return parse_time(cond.get("lastTransitionTime"))
    return None


def _created(history: PodHistory) -> float | None:
    if history.created_at is not None:
        return history.created_at
    return parse_time((history.pod.get("metadata") or {}).get("creationTimestamp"))


def pod_latencies(history: PodHistory, phases: Iterable[str] = PHASES) -> dict[str, float | None]:
    """Seconds from creation to each phase for one pod (None: never reached)."""
    created = _created(history)
    out: dict[str, float | None] = {}
    for phase in phases:
        at = reached_at(history, phase)
        out[phase] = None if at is None or created is None else max(at - created, 0.0)
    return out


@dataclass(frozen=True)
class PhaseLatency:
    """One phase's latency over all pods."""

    phase: str
    pods: int
    reached: int
    not_reached: int
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None
    """None as soon as one pod never reached the phase."""
    reached_p50: float | None = None
    reached_p95: float | None = None
    reached_p99: float | None = None
    reached_max: float | None = None
    reached_min: float | None = None
    reached_avg: float | None = None
    not_reached_by_outcome: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "phase": self.phase, "pods": self.pods, "reached": self.reached, "not_reached": self.not_reached,
            "p50": self.p50, "p95": self.p95, "p99": self.p99, "max": self.max,
            "reached_p50": self.reached_p50, "reached_p95": self.reached_p95, "reached_p99": self.reached_p99,
            "reached_max": self.reached_max, "reached_min": self.reached_min, "reached_avg": self.reached_avg,
            "not_reached_by_outcome": dict(self.not_reached_by_outcome),
        }


def pod_latency(histories: Iterable[PodHistory], *, outcomes: Mapping[str, str] | None = None,
                phases: Sequence[str] = PHASES) -> list[PhaseLatency]:
    """podLatency per phase over every pod; ``outcomes`` (uid -> outcome) breaks down the unreached."""
    values: dict[str, list[float]] = {p: [] for p in phases}
    missing: dict[str, Counter[str]] = {p: Counter() for p in phases}
    pods = 0
    for h in histories:
        pods += 1
        lat = pod_latencies(h, phases)
        for phase in phases:
            v = lat[phase]
            if v is None:
                missing[phase][(outcomes or {}).get(h.uid, "unknown") if outcomes is not None else "unknown"] += 1
            else:
                values[phase].append(v)
    out = []
    for phase in phases:
        vs = sorted(values[phase])
        not_reached = pods - len(vs)
        out.append(PhaseLatency(
            phase=phase, pods=pods, reached=len(vs), not_reached=not_reached,
            p50=percentile(vs, 50, pods), p95=percentile(vs, 95, pods), p99=percentile(vs, 99, pods),
            max=(vs[-1] if vs and not not_reached else None),
            reached_p50=percentile(vs, 50), reached_p95=percentile(vs, 95), reached_p99=percentile(vs, 99),
            reached_max=vs[-1] if vs else None, reached_min=vs[0] if vs else None,
            reached_avg=(sum(vs) / len(vs)) if vs else None,
            not_reached_by_outcome=dict(missing[phase]) if outcomes is not None else {},
        ))
    return out
