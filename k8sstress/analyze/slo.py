"""SLO verdicts: the scenario's ``slo:`` section judged against the summary's metrics.

The section maps a metric name (see :mod:`k8sstress.analyze.catalog`) to bounds::

    slo:
      launch_api_p99_s: {max: 1.0}
      launch_error_rate: {max: 0.01}
      lost: {max: 0}
      launch_success_rate: {min: 0.95}

A metric that was measured but has no value (nothing of the kind happened: no stops,
no Prometheus) is *skipped*. A latency quantile that landed on an unreached pod or
launch has no value but fails: "never reached" is worse than any bound.
An unknown metric name, or bounds that are not numbers, fail with a message saying so.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel

from k8sstress.analyze.catalog import METRICS

__all__ = ["SloResult", "SloReport", "evaluate_slos", "slo_bounds"]


class SloResult(BaseModel):
    name: str
    metric: str
    op: Literal["max", "min"]
    threshold: float | None
    value: float | int | None
    passed: bool
    skipped: bool = False
    message: str
    evidence: str = ""


class SloReport(BaseModel):
    passed: bool = True
    results: list[SloResult] = []

    @property
    def failed(self) -> list[SloResult]:
        return [r for r in self.results if not r.passed]


def _fmt(x: float | int | None) -> str:
    if x is None:
        return "none"
    if isinstance(x, float) and not x.is_integer():
        return f"{x:.4g}"
    return str(int(x)) if isinstance(x, float) else str(x)


def slo_bounds(spec: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    """(metric, op, threshold) for every bound in the section, in order."""
    out: list[tuple[str, str, Any]] = []
    for metric, bounds in spec.items():
        if isinstance(bounds, Mapping):
            keys = [k for k in ("max", "min") if k in bounds]
            extra = [k for k in bounds if k not in ("max", "min")]
            for k in keys:
                out.append((str(metric), k, bounds[k]))
            for k in extra:
                out.append((str(metric), f"?{k}", bounds[k]))
            if not keys and not extra:
                out.append((str(metric), "?", None))
        else:
            out.append((str(metric), "?", bounds))
    return out


def _unreached_name(metric: str) -> str | None:
    for suffix in ("_p50_s", "_p95_s", "_p99_s", "_max_s"):
        if metric.endswith(suffix):
            return metric[: -len(suffix)] + "_unreached"
    return None


def evaluate_slos(spec: Mapping[str, Any], metrics: Mapping[str, float | int | None],
                  evidence: Callable[[str], str] = lambda _m: "", *,
                  prometheus: bool = False) -> SloReport:
    results: list[SloResult] = []
    for metric, op, threshold in slo_bounds(spec):
        shown = _fmt(threshold) if isinstance(threshold, int | float) and not isinstance(threshold, bool) else threshold
        name = f"{metric} {'<=' if op == 'max' else '>=' if op == 'min' else op} {shown}"
        if op not in ("max", "min"):
            results.append(SloResult(name=f"{metric} (invalid)", metric=metric, op="max", threshold=None,
                                     value=metrics.get(metric), passed=False,
                                     message=f"invalid SLO for {metric}: expected {{max: n}} or {{min: n}}, "
                                             f"got {op.lstrip('?') or 'nothing'} {threshold!r}"))
            continue
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            results.append(SloResult(name=name, metric=metric, op=op, threshold=None, value=metrics.get(metric),  # type: ignore[arg-type]
                                     passed=False, message=f"invalid SLO for {metric}: {op} must be a number, "
                                                           f"got {threshold!r}"))
            continue
        limit = float(threshold)
        if metric not in METRICS:
            close = difflib.get_close_matches(metric, list(METRICS), n=4, cutoff=0.6)
            results.append(SloResult(name=name, metric=metric, op=op, threshold=limit, value=None,  # type: ignore[arg-type]
                                     passed=False, message=f"unknown metric {metric!r}"
                                     + (f" (did you mean one of: {', '.join(close)}?)" if close else "")
                                     + "; metric names are listed in docs/report.md"))
            continue
        value = metrics.get(metric)
        if value is None:
            unreached_key = _unreached_name(metric)
            unreached = metrics.get(unreached_key) if unreached_key else None
            if unreached:
                results.append(SloResult(
                    name=name, metric=metric, op=op, threshold=limit, value=None, passed=False,  # type: ignore[arg-type]
                    message=f"{metric} was never reached: {_fmt(unreached)} unreached "
                            f"({unreached_key}), so the quantile lies beyond the run",
                    evidence=evidence(metric)))
                continue
            group = METRICS[metric].group
            why = "no Prometheus in this run" if group == "prometheus" and not prometheus else "no data in this run"
            results.append(SloResult(name=name, metric=metric, op=op, threshold=limit, value=None,  # type: ignore[arg-type]
                                     passed=True, skipped=True, message=f"{metric}: {why}; not judged"))
            continue
        ok = value <= limit if op == "max" else value >= limit
        word = "at most" if op == "max" else "at least"
        msg = (f"{metric} = {_fmt(value)} (required {word} {_fmt(limit)})" if ok
               else f"{metric} = {_fmt(value)}, required {word} {_fmt(limit)}")
        results.append(SloResult(name=name, metric=metric, op=op, threshold=limit, value=value,  # type: ignore[arg-type]
                                 passed=ok, message=msg, evidence=evidence(metric) if not ok else ""))
    return SloReport(passed=all(r.passed for r in results), results=results)
