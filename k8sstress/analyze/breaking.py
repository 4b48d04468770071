"""The breaking point: the load at the first Unschedulable pod, the first eviction, the first
OOM kill, the first SLO break, and the launch-latency knee.

"Load" at a moment is the launch rate the schedule offered over the trailing window
(scheduled launches / window), the profile's target rate and step at that moment (when the
load generator recorded them on the launches), the launches sent so far, and the pods alive
(created, not finished or gone). Times are seconds from the first scheduled launch.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from k8sstress.analyze.pods import PodFacts
from k8sstress.analyze.stats import Buckets, knee_index
from k8sstress.records import LaunchRecord, Outcome

__all__ = ["LoadProbe", "breaking_point"]


class LoadProbe:
    """Answers "what was the load at time t" for one run."""

    def __init__(self, launches: Sequence[LaunchRecord], facts: Sequence[PodFacts], start: float, end: float,
                 window_s: float) -> None:
        self.start = start
        self.window = max(window_s, 1e-6)
        ordered = sorted(launches, key=lambda x: x.scheduled_at)
        self._scheduled = [x.scheduled_at for x in ordered]
        self._sent = sorted(x.sent_at for x in launches)
        self._rates = [(x.model_extra or {}).get("rate") for x in ordered]
        self._steps = [(x.scheduled_at, (x.model_extra or {}).get("step")) for x in ordered]
        if len({step for _, step in self._steps}) <= 1:  # one step (or none recorded): not worth naming
            self._steps = [(t, None) for t, _ in self._steps]
        self._facts = facts

    def at(self, t: float) -> dict[str, Any]:
        lo = bisect.bisect_left(self._scheduled, t - self.window)
        hi = bisect.bisect_right(self._scheduled, t)
        window = min(self.window, max(t - self.start, 1e-6))
        alive = sum(1 for f in self._facts if f.created is not None and f.created <= t
                    and (f.end is None or f.end > t))
        step = target = None
        idx = hi - 1
        if 0 <= idx < len(self._steps):
            step = self._steps[idx][1]
            rate = self._rates[idx]
            target = round(float(rate), 3) if isinstance(rate, int | float) else None
        return {
            "at_s": round(t - self.start, 3),
            "rate_per_s": round((hi - lo) / window, 3),
            "target_rate_per_s": target,
            "launches_sent": bisect.bisect_right(self._sent, t),
            "pods_alive": alive,
            "step": step,
        }


def _first(times: Sequence[float | None]) -> float | None:
    vals = [t for t in times if t is not None]
    return min(vals) if vals else None


def breaking_point(launches: Sequence[LaunchRecord], facts: Sequence[PodFacts], series: dict[str, Any],
                   b: Buckets, *, slo_break: tuple[str, float] | None, knee_factor: float,
                   knee_floor_s: float) -> dict[str, Any]:
    probe = LoadProbe(launches, facts, b.start, b.end, max(b.width, min(10.0, (b.end - b.start) / 10 or 1.0)))
    out: dict[str, Any] = {"window_s": round(probe.window, 3)}

    def mark(key: str, t: float | None, what: str, **extra: Any) -> None:
        out[key] = None if t is None else {"what": what, **probe.at(t), **extra}

    t_uns = _first([f.unschedulable for f in facts])
    reason = None
    if t_uns is not None:
        first = min((f for f in facts if f.unschedulable is not None), key=lambda f: f.unschedulable or 0.0)
        reasons = first.verdict.detail.get("reasons") or first.history.pod.get("status", {}).get("reason")
        reason = reasons
    mark("first_unschedulable", t_uns, "first pod the scheduler could not place", reasons=reason)
    evicted = [(at, f) for f in facts for at, s in f.states if s == Outcome.EVICTED.value]
    t_ev = min((at for at, _ in evicted), default=None)
    mark("first_eviction", t_ev, "first pod evicted",
         pod=min(evicted, key=lambda x: x[0])[1].name if evicted else None)
    ooms = [(at, f) for f in facts for at, s in f.states if s == Outcome.OOMKILLED.value]
    t_oom = min((at for at, _ in ooms), default=None)
    mark("first_oom", t_oom, "first container OOM-killed",
         pod=min(ooms, key=lambda x: x[0])[1].name if ooms else None)
    if slo_break is not None:
        mark("first_slo_break", slo_break[1], f"SLO {slo_break[0]} first broken", slo=slo_break[0])
    else:
        out["first_slo_break"] = None
    p95 = series.get("api_p95_s") or []
    idx, base = knee_index(p95, factor=knee_factor, floor=knee_floor_s)
    if idx is not None:
        t_knee = b.start + idx * b.width
        mark("latency_knee", t_knee, "launch API p95 bent upwards", baseline_p95_s=base, p95_s=p95[idx])
    else:
        out["latency_knee"] = None
        out["latency_baseline_p95_s"] = base
    out["max_held"] = max_held(launches, out.get("first_slo_break"))
    firsts = [(k, out[k]["at_s"]) for k in ("first_unschedulable", "first_eviction", "first_oom",
                                           "first_slo_break", "latency_knee") if out.get(k)]
    out["earliest"] = min(firsts, key=lambda x: x[1])[0] if firsts else None
    return out


def max_held(launches: Sequence[LaunchRecord], slo_break: dict[str, Any] | None) -> dict[str, Any] | None:
    """The methodology's maximum: the rate of the last profile step held within the SLOs.

    A step's rate is its plateau: the highest target rate the load generator recorded on
    the step's launches. With an SLO break, the maximum is the step before the break's
    step (None when the first step already broke); without one, the highest step run
    (a lower bound: the real maximum may be higher). None for runs without steps.
    """
    rates: dict[int, float] = {}
    for x in launches:
        extra = x.model_extra or {}
        step, rate = extra.get("step"), extra.get("rate")
        if isinstance(step, int) and isinstance(rate, int | float):
            rates[step] = max(rates.get(step, 0.0), float(rate))
    if not rates:
        return None
    broke = slo_break.get("step") if slo_break else None
    held = [s for s in rates if s > 0 and (not isinstance(broke, int) or s < broke)]
    if not held:
        return {"step": None, "rate_per_s": None, "broken_at_step": broke,
                "why": "the first step already broke an SLO"}
    top = max(held)
    return {"step": top, "rate_per_s": round(rates[top], 3), "broken_at_step": broke,
            "why": ("the last step before the first SLO break" if isinstance(broke, int)
                    else "no SLO broke: the highest step run (a lower bound)")}
