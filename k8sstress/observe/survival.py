"""How long pods stay Pending: a Kaplan–Meier survival curve. Pure.

Each pod is one subject. Its time is measured from ``creationTimestamp``:

*   **event** (it left Pending): the first ``PodScheduled=True`` transition;
*   **censored** (we stopped watching before it did): still unscheduled at the end of
    the observation, or deleted while still unscheduled (at its deletion).

The curve S(t) is the estimated share of pods still pending after t seconds,
S(t) = prod over event times t_i <= t of (1 - d_i / n_i), with d_i pods scheduled at
t_i and n_i pods still pending and watched just before t_i (pods censored at t_i
count as at risk at t_i). The median is the first t where S(t) <= 0.5; None when
more than half the pods never left Pending while watched — which is the point:
dropping them, as latency tools do, would hide exactly that.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from k8sstress.observe.latency import reached_at
from k8sstress.records import PodHistory

__all__ = ["SurvivalPoint", "SurvivalCurve", "kaplan_meier", "pending_durations", "pending_survival"]


@dataclass(frozen=True)
class SurvivalPoint:
    t: float
    """Seconds since creation."""
    survival: float
    """Share of pods still pending after ``t``."""
    at_risk: int
    events: int
    censored: int

    def as_json(self) -> dict[str, Any]:
        return {"t": self.t, "survival": self.survival, "at_risk": self.at_risk, "events": self.events,
                "censored": self.censored}


@dataclass(frozen=True)
class SurvivalCurve:
    points: tuple[SurvivalPoint, ...]
    median: float | None
    subjects: int
    events: int
    censored: int

    def survival_at(self, t: float) -> float:
        """S(t): the step function's value at ``t``."""
        s = 1.0
        for p in self.points:
            if p.t > t:
                break
            s = p.survival
        return s

    def as_json(self) -> dict[str, Any]:
        return {"median": self.median, "subjects": self.subjects, "events": self.events,
                "censored": self.censored, "points": [p.as_json() for p in self.points]}


def kaplan_meier(subjects: Iterable[tuple[float, bool]]) -> SurvivalCurve:
    """The Kaplan–Meier estimate from ``(time, event_observed)`` pairs (False = censored)."""
    data = sorted((max(float(t), 0.0), bool(e)) for t, e in subjects)
    n = len(data)
    points = [SurvivalPoint(0.0, 1.0, n, 0, 0)]
    at_risk = n
    s = 1.0
    median: float | None = None
    i = 0
    total_events = 0
    while i < n:
        t = data[i][0]
        d = c = 0
        while i < n and data[i][0] == t:
            if data[i][1]:
                d += 1
            else:
                c += 1
            i += 1
        if d:
            s *= 1.0 - d / at_risk
        total_events += d
        if t == 0.0 and points[0].t == 0.0:
            points[0] = SurvivalPoint(0.0, s, at_risk, d, c)
        else:
            points.append(SurvivalPoint(t, s, at_risk, d, c))
        if median is None and d and s <= 0.5:
            median = t
        at_risk -= d + c
    return SurvivalCurve(points=tuple(points), median=median, subjects=n, events=total_events,
                         censored=n - total_events)


def _deleted_at(h: PodHistory) -> float | None:
    for e in h.timeline:
        if e.kind == "deleted" and e.what == "requested" and e.at is not None:
            return e.at
    return h.deleted_seen


def pending_durations(histories: Iterable[PodHistory], *, end: float) -> list[tuple[float, bool]]:
    """``(seconds pending, scheduled?)`` per pod; ``end`` is when observation stopped (epoch s)."""
    out = []
    for h in histories:
        created = h.created_at if h.created_at is not None else h.first_seen
        if created is None:
            continue
        scheduled = reached_at(h, "PodScheduled")
        if scheduled is not None:
            out.append((scheduled - created, True))
            continue
        deleted = _deleted_at(h)
        stop = deleted if deleted is not None and deleted < end else end
        out.append((stop - created, False))
    return out


def pending_survival(histories: Iterable[PodHistory], *, end: float | None = None) -> SurvivalCurve:
    """The Pending-time curve; ``end`` defaults to the last local observation time in the histories."""
    hs = list(histories)
    if end is None:
        seen = [e.seen for h in hs for e in h.timeline[-1:]]
        end = max(seen) if seen else 0.0
    return kaplan_meier(pending_durations(hs, end=end))
