"""What the analysis reads: one run's record, already parsed into plain records.

:class:`RunInput` is built by the I/O edge (``k8sstress.report.loading``) from a run
directory, or by hand in tests. Nothing here reads files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from k8sstress.records import LaunchRecord, ObservedEvent, PodHistory, StateReport, StopRecord, Verdict

__all__ = ["RunInput", "Options", "PromSeries", "epoch"]


@dataclass(frozen=True)
class PromSeries:
    """One Prometheus range query's answer, reduced to one line: ``points`` are ``(epoch, value)``."""

    name: str
    """Our name for the query (``runner_memory_bytes``, ``apiserver_429_per_s``, ...)."""
    query: str
    points: tuple[tuple[float, float], ...]
    unit: str = ""
    label: str = ""
    """Which series (e.g. the pod or instance) when the query returned several."""


@dataclass(frozen=True)
class Options:
    """Tolerances of the analysis (seconds). Kubernetes' own reaction times do not scale with
    ``--time-scale``, so neither do these."""

    lost_grace_s: float = 10.0
    """An accepted launch with no pod yet within this long of the end is Pending, not Lost."""
    orphan_grace_s: float = 10.0
    """A pod still present less than this long after its stop was confirmed is not (yet) Orphaned."""
    drift_grace_s: float = 5.0
    """A runner report that matches the truth of this long ago is late, not drift."""
    knee_factor: float = 2.0
    """The latency knee: the first sustained window above this x the early baseline."""
    knee_floor_s: float = 0.05
    """... and above the baseline by at least this much."""
    slo_window_min_samples: int = 5
    """A time window needs this many samples before a windowed SLO is judged in it."""
    buckets: int = 120
    """About how many time buckets the series have."""


@dataclass
class RunInput:
    """One run's record. ``launches``/``stops`` hold the last record per launch_id.

    ``verdicts`` may be left empty: the analysis then classifies every pod history and
    every launch without a pod itself (:func:`k8sstress.analyze.classification.classify_run`).
    ``owner_events`` are the events of the pods' owners (Jobs, ReplicaSets), whose
    ``FailedCreate`` warnings explain launches refused at admission.
    """

    meta: Mapping[str, Any]
    launches: Sequence[LaunchRecord]
    stops: Sequence[StopRecord] = ()
    states: Sequence[StateReport] = ()
    histories: Sequence[PodHistory] = ()
    verdicts: Sequence[Verdict] = ()
    owner_events: Mapping[tuple[str, str, str], Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    """(namespace, kind, name) of an owner -> its events."""
    nodes: Sequence[ObservedEvent] = ()
    """The observer's node events, in order (allocatable, conditions, taints over time)."""
    samples: Sequence[Mapping[str, Any]] = ()
    """metrics.jsonl lines: ``{"t", "name", "value", "labels"}``."""
    prometheus: Sequence[PromSeries] | None = None
    """None: no Prometheus in this run. Empty: there was one and it returned nothing."""
    prometheus_note: str | None = None
    pending_survival: Mapping[str, Any] | None = None
    """The Kaplan–Meier Pending-time curve (``k8sstress.observe.pending_survival(...).as_json()``):
    ``median``, ``subjects``, ``events``, ``censored``, ``points`` [{t, survival, at_risk, events, censored}]."""
    partial: bool = False
    notes: Sequence[str] = ()
    ended_at: float | None = None
    """End of observation (epoch seconds); default: the latest time anything was recorded."""

    @property
    def slo(self) -> Mapping[str, Any]:
        scenario = self.meta.get("scenario")
        slo = scenario.get("slo") if isinstance(scenario, Mapping) else None
        return slo if isinstance(slo, Mapping) else {}

    @property
    def scenario_name(self) -> str:
        scenario = self.meta.get("scenario")
        if isinstance(scenario, Mapping) and isinstance(scenario.get("name"), str):
            return str(scenario["name"])
        src = self.meta.get("scenario_file")
        if isinstance(src, str) and src:
            return src.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        return "run"


def epoch(value: Any) -> float | None:
    """Epoch seconds from a number or an ISO 8601 text (``run.json`` allows both)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip():
        try:
            return float(value)
        except ValueError:
            pass
        try:
            dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return dt.timestamp()
    return None
