"""Baseline comparison: which metrics of run B are worse than run A, beyond a tolerance.

Only metrics with a direction (:mod:`k8sstress.analyze.catalog`) are judged:

*   seconds: worse when B exceeds A by more than ``tolerance`` (relative) *and* by more
    than ``floor_s`` (absolute); a quantile reached in A but unreached in B is worse;
*   counts of bad things (lost, evicted, leaked_pods, ...): compared per launch, so a
    bigger run is not blamed for being bigger; from none to some is always worse;
*   ratios: worse by more than ``tolerance`` relative and one percentage point absolute;
*   "higher is better" metrics mirror the above.

An SLO that passed in A and fails in B is a regression too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from k8sstress.analyze.catalog import METRICS
from k8sstress.analyze.summary import Summary

__all__ = ["MetricDelta", "Comparison", "compare"]


@dataclass(frozen=True)
class MetricDelta:
    metric: str
    a: float | int | None
    b: float | int | None
    better: str | None
    unit: str
    regressed: bool
    improved: bool
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"metric": self.metric, "a": self.a, "b": self.b, "better": self.better, "unit": self.unit,
                "regressed": self.regressed, "improved": self.improved, "note": self.note}


@dataclass
class Comparison:
    a: str
    b: str
    rows: list[MetricDelta] = field(default_factory=list)
    slo_regressions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> list[MetricDelta]:
        return [r for r in self.rows if r.regressed]

    @property
    def regressed(self) -> bool:
        return bool(self.regressions or self.slo_regressions)

    def as_json(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "regressed": self.regressed,
                "regressions": [r.metric for r in self.regressions],
                "slo_regressions": self.slo_regressions, "notes": self.notes,
                "metrics": [r.as_json() for r in self.rows]}


_INF = float("inf")


def _value(metrics: Mapping[str, Any], name: str) -> float | None:
    """A metric as a float; an unreached latency quantile (None with unreached > 0) is infinity."""
    v = metrics.get(name)
    if v is not None:
        return float(v)
    for suffix in ("_p50_s", "_p95_s", "_p99_s", "_max_s"):
        if name.endswith(suffix) and metrics.get(name[: -len(suffix)] + "_unreached"):
            return _INF
    return None


def _worse(a: float | None, b: float | None, unit: str, lower_better: bool, *, tolerance: float,
           floor_s: float, launches: tuple[int, int]) -> tuple[bool, str]:
    if a is None or b is None:
        return False, "" if a is None and b is None else "no value in one run"
    if a == _INF or b == _INF:
        if a == b:
            return False, "unreached in both"
        worse = (b == _INF) if lower_better else (a == _INF)
        return worse, ("reached in A, unreached in B" if b == _INF else "unreached in A, reached in B")
    if not lower_better:
        a, b = -a, -b
    if unit == "count":
        na, nb = max(launches[0], 1), max(launches[1], 1)
        if a <= 0 < b:
            return True, "none before"
        ra, rb = a / na, b / nb
        return rb > ra * (1 + tolerance) and (b - a * nb / na) >= 1, f"per launch {ra:.4g} -> {rb:.4g}"
    if unit == "s":
        return b > a + max(abs(a) * tolerance, floor_s), ""
    if unit in ("ratio", "bool"):
        return b > a + max(abs(a) * tolerance, 0.01 if unit == "ratio" else 0.5), ""
    return b > a + abs(a) * tolerance and b - a > 1e-9, ""


def compare(a: Summary, b: Summary, *, tolerance: float = 0.10, floor_s: float = 0.05,
            a_name: str = "A", b_name: str = "B") -> Comparison:
    """Metric by metric, is B worse than A (the baseline)?"""
    cmp = Comparison(a_name, b_name)
    launches = (int(a.metrics.get("launches") or 0), int(b.metrics.get("launches") or 0))
    if a.run.get("scenario") != b.run.get("scenario"):
        cmp.notes.append(f"different scenarios: {a.run.get('scenario')} vs {b.run.get('scenario')}")
    if a.partial or b.partial:
        cmp.notes.append("a partial record is compared: " + ", ".join(
            n for n, s in ((a_name, a), (b_name, b)) if s.partial))
    names = [n for n in METRICS if n in a.metrics or n in b.metrics]
    for name in names:
        spec = METRICS[name]
        va, vb = a.metrics.get(name), b.metrics.get(name)
        if spec.better is None:
            cmp.rows.append(MetricDelta(name, va, vb, None, spec.unit, False, False))
            continue
        lower = spec.better == "lower"
        fa = _value(a.metrics, name)
        fb = _value(b.metrics, name)
        worse, note = _worse(fa, fb, spec.unit, lower, tolerance=tolerance, floor_s=floor_s, launches=launches)
        better, _ = _worse(fb, fa, spec.unit, lower, tolerance=tolerance, floor_s=floor_s,
                           launches=(launches[1], launches[0]))
        cmp.rows.append(MetricDelta(name, va, vb, spec.better, spec.unit, worse, better and not worse, note))
    passed_a = {r.name: r.passed for r in a.slo.results}
    for r in b.slo.results:
        if not r.passed and passed_a.get(r.name, True) and r.name in passed_a:
            cmp.slo_regressions.append(r.name)
        elif not r.passed and r.name not in passed_a:
            cmp.notes.append(f"SLO {r.name} fails in {b_name} and was not set in {a_name}")
    return cmp


def summary_from_json(data: Mapping[str, Any]) -> Summary:
    return Summary.model_validate(data)
