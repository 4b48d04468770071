"""How the runner reacted: API latency and errors, launch->pod and stop->gone, drift, leaks,
back-pressure, saturation and recovery, retries.

All functions are pure; times are epoch seconds on the harness's clock.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from k8sstress.analyze.inputs import Options
from k8sstress.analyze.outcomes import LaunchOutcome
from k8sstress.analyze.pods import PodFacts
from k8sstress.analyze.stats import Buckets, quantile, quantiles
from k8sstress.records import LaunchRecord, Outcome, StateReport

__all__ = [
    "BACKPRESSURE_STATUSES",
    "launch_api",
    "launch_series",
    "launch_to_pod",
    "pod_phase_latency",
    "stop_to_gone",
    "retries",
    "DriftEpisode",
    "Drift",
    "drift",
    "drift_series",
    "saturation",
    "backpressure",
    "leaks",
]

BACKPRESSURE_STATUSES = frozenset({429})
"""HTTP statuses that mean "slow down" (Too Many Requests)."""


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None else round(x, nd)


def launch_api(launches: Sequence[LaunchRecord]) -> dict[str, Any]:
    """Launch API latency over answered launches, and how many were never answered."""
    answered = [lr.latency_s for lr in launches if lr.latency_s is not None]
    stats = quantiles(x for x in answered if x is not None)
    stats["unanswered"] = sum(1 for lr in launches if lr.answered_at is None)
    stats["unreached"] = 0
    return stats


def _trailing_rate(times: Sequence[float], ends: Sequence[float], window: float) -> list[float]:
    ts = sorted(times)
    return [round((bisect.bisect_right(ts, e) - bisect.bisect_right(ts, e - window)) / window, 4) for e in ends]


def launch_series(launches: Sequence[LaunchRecord], b: Buckets, window: float | None = None) -> dict[str, Any]:
    """Per time bucket: launches sent/accepted/rejected/errored/429, rate, API latency, lateness.

    ``rate_per_s``/``offered_per_s`` are per bucket; ``sent_rate_per_s``/``offered_rate_per_s``
    average over the trailing ``window`` seconds (smoother when buckets are short)."""
    n = b.count
    sent = [0] * n
    scheduled = [0] * n
    accepted = [0] * n
    rejected = [0] * n
    errors = [0] * n
    throttled = [0] * n
    lat: list[list[float]] = [[] for _ in range(n)]
    late: list[list[float]] = [[] for _ in range(n)]
    for lr in launches:
        i = b.index(lr.sent_at)
        sent[i] += 1
        scheduled[b.index(lr.scheduled_at)] += 1
        late[i].append(lr.lateness_s)
        j = b.index(lr.answered_at) if lr.answered_at is not None else i
        if lr.status == "accepted":
            accepted[j] += 1
        elif lr.status == "rejected":
            rejected[j] += 1
        elif lr.status == "error":
            errors[j] += 1
        if lr.http_status in BACKPRESSURE_STATUSES:
            throttled[j] += 1
        if lr.latency_s is not None:
            lat[i].append(lr.latency_s)
    w = window or b.width
    ends = b.ends()
    return {
        "t": b.starts(),
        "window_s": w,
        "sent_rate_per_s": _trailing_rate([lr.sent_at for lr in launches], ends, w),
        "offered_rate_per_s": _trailing_rate([lr.scheduled_at for lr in launches], ends, w),
        "sent": sent,
        "accepted": accepted,
        "rejected": rejected,
        "errors": errors,
        "throttled": throttled,
        "rate_per_s": [round(x / b.width, 4) for x in sent],
        "offered_per_s": [round(x / b.width, 4) for x in scheduled],
        "error_rate": [round((rejected[i] + errors[i]) / sent[i], 4) if sent[i] else None for i in range(n)],
        "api_p50_s": [_r(quantile(sorted(x), 0.5)) if x else None for x in lat],
        "api_p95_s": [_r(quantile(sorted(x), 0.95)) if x else None for x in lat],
        "api_p99_s": [_r(quantile(sorted(x), 0.99)) if x else None for x in lat],
        "api_samples": [len(x) for x in lat],
        "lateness_p99_s": [_r(quantile(sorted(x), 0.99)) if x else None for x in late],
    }


def launch_to_pod(outcomes: Sequence[LaunchOutcome]) -> dict[str, Any]:
    """Launch sent -> its first pod seen, over accepted launches; those with no pod count as unreached."""
    values: list[float] = []
    unreached = 0
    for lo in outcomes:
        if lo.launch.status != "accepted":
            continue
        created = [p.created for p in lo.pods if p.created is not None]
        if created:
            values.append(max(0.0, min(created) - lo.launch.sent_at))
        else:
            unreached += 1
    return quantiles(values, unreached)


_PHASES = ("scheduled", "running", "ready")


def pod_phase_latency(facts: Sequence[PodFacts]) -> dict[str, dict[str, Any]]:
    """Pod created -> scheduled / running / ready, over all pods (podLatency with nobody dropped).

    A pod that never reached the phase counts as unreached, unless the run itself
    stopped it first (outcome Stopped); a pod that ran to completion without a
    Ready condition counts as reached for "ready" at its start.
    """
    out: dict[str, dict[str, Any]] = {}
    for phase in _PHASES:
        values: list[float] = []
        unreached = 0
        excluded = 0
        for f in facts:
            if f.created is None:
                continue
            at = getattr(f, phase)
            if phase == "ready" and at is None and f.outcome is Outcome.SUCCEEDED:
                at = f.running
            if at is None:
                if f.outcome is Outcome.STOPPED:
                    excluded += 1
                else:
                    unreached += 1
                continue
            values.append(max(0.0, at - f.created))
        stats = quantiles(values, unreached)
        stats["excluded_stopped"] = excluded
        out[phase] = stats
    return out


def stop_to_gone(outcomes: Sequence[LaunchOutcome]) -> dict[str, Any]:
    """Stop sent -> the last of the launch's live pods gone; pods still there count as unreached."""
    values: list[float] = []
    unreached = 0
    for lo in outcomes:
        stop = lo.stop
        if stop is None or not lo.pods:
            continue
        live = [p for p in lo.pods
                if not (p.finished is not None and p.finished <= stop.sent_at)
                and not (p.gone is not None and p.gone <= stop.sent_at)]
        if not live:
            continue
        gone = [p.gone for p in live]
        if any(g is None for g in gone):
            unreached += 1
        else:
            values.append(max(0.0, max(g for g in gone if g is not None) - stop.sent_at))
    return quantiles(values, unreached)


def retries(outcomes: Sequence[LaunchOutcome]) -> dict[str, Any]:
    """Pods per launch: how many launches got more than one pod, and overlapping duplicates."""
    with_pods = [lo for lo in outcomes if lo.pods]
    counts = Counter(len(lo.pods) for lo in with_pods)
    retried = [lo for lo in with_pods if len(lo.pods) > 1]
    duplicates: list[str] = []
    for lo in retried:
        spans = sorted((p.created, p.end if p.end is not None else float("inf"))
                       for p in lo.pods if p.created is not None)
        if any(spans[i + 1][0] < spans[i][1] for i in range(len(spans) - 1)):
            duplicates.append(lo.launch_id)
    return {
        "launches_with_pods": len(with_pods),
        "pods_per_launch": {str(k): v for k, v in sorted(counts.items())},
        "max": max(counts) if counts else 0,
        "mean": round(sum(k * v for k, v in counts.items()) / len(with_pods), 4) if with_pods else None,
        "retried_launches": len(retried),
        "retry_pods": sum(len(lo.pods) - 1 for lo in retried),
        "duplicate_launches": len(duplicates),
        "examples": [{"launch_id": lo.launch_id, "pods": [p.name for p in lo.pods],
                      "outcomes": [p.outcome.value for p in lo.pods]} for lo in retried[:10]],
        "duplicate_examples": duplicates[:10],
    }


# --- drift ------------------------------------------------------------------------------------

_TRUTH: Mapping[str, frozenset[str]] = {
    Outcome.PENDING.value: frozenset({"Pending"}),
    Outcome.UNSCHEDULABLE.value: frozenset({"Pending"}),
    Outcome.IMAGE_PULL_FAILED.value: frozenset({"Pending", "Failed"}),
    Outcome.RUNNING.value: frozenset({"Running"}),
    Outcome.CRASHLOOPBACKOFF.value: frozenset({"Running", "Failed"}),
    Outcome.OOMKILLED.value: frozenset({"Running", "Failed"}),
    Outcome.SUCCEEDED.value: frozenset({"Succeeded"}),
    Outcome.STOPPED.value: frozenset({"Stopped"}),
    Outcome.DELETED.value: frozenset({"Failed"}),
}
_FAILED = frozenset({"Failed"})
_LIVE_FAILURES = frozenset({Outcome.OOMKILLED.value, Outcome.CRASHLOOPBACKOFF.value, Outcome.IMAGE_PULL_FAILED.value})


@dataclass
class DriftEpisode:
    launch_id: str
    start: float
    end: float
    reported: str
    truth: str
    open: bool = False

    @property
    def duration_s(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass
class Drift:
    episodes: list[DriftEpisode] = field(default_factory=list)
    final_mismatch: list[dict[str, Any]] = field(default_factory=list)
    reports: int = 0
    judged: int = 0
    """Stretches of time judged (between reports and truth changes)."""
    launches_reported: int = 0
    unmatched_reports: int = 0

    @property
    def launches(self) -> list[str]:
        return sorted({e.launch_id for e in self.episodes})

    def per_launch(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for e in self.episodes:
            out[e.launch_id] = out.get(e.launch_id, 0.0) + e.duration_s
        return out


def _truth_name(lo: LaunchOutcome, t: float) -> str | None:
    """The cluster's truth for a launch at ``t``, as an outcome name (None: nothing to judge)."""
    current = None
    for p in lo.pods:
        if p.created is not None and p.created <= t:
            current = p
    if current is None:
        if lo.launch.status == "accepted" and (lo.launch.answered_at or lo.launch.sent_at) <= t:
            return Outcome.PENDING.value
        return None
    return current.state_at(t)


def _accepts(lo: LaunchOutcome, t: float) -> frozenset[str] | None:
    name = _truth_name(lo, t)
    if name is None:
        return None
    accepted = _TRUTH.get(name, _FAILED)
    if name in _LIVE_FAILURES:
        current = max((p for p in lo.pods if p.created is not None and p.created <= t),
                      key=lambda p: p.created or 0.0, default=None)
        if current is not None and ((current.finished is not None and current.finished <= t)
                                    or (current.gone is not None and current.gone <= t)):
            accepted = _FAILED  # OOM-killed for good (restartPolicy Never): the run failed
    later = any(p.created is not None and p.created > t for p in lo.pods)
    if later and accepted == _FAILED:
        accepted = frozenset({"Failed", "Pending", "Running"})
    return accepted


def _changes(lo: LaunchOutcome) -> list[float]:
    """Every moment the truth about a launch may change."""
    out = [p.created for p in lo.pods if p.created is not None]
    out += [at for p in lo.pods for at, _ in p.states]
    out += [x for p in lo.pods for x in (p.finished, p.gone) if x is not None]
    if lo.launch.answered_at is not None:
        out.append(lo.launch.answered_at)
    return out


def _accepts_around(lo: LaunchOutcome, t: float, grace: float,
                    changes: Sequence[float]) -> frozenset[str] | None:
    """Every state the runner may truthfully claim at ``t``: the truth of any moment within
    ``grace`` of ``t`` (None when there is nothing to judge against)."""
    points = {t, t - grace, t + grace}
    points.update(c for c in changes if t - grace <= c <= t + grace)
    union: set[str] = set()
    judged = False
    for x in points:
        acc = _accepts(lo, x)
        if acc is not None:
            judged = True
            union |= acc
    return frozenset(union) if judged else None


def drift(outcomes: Sequence[LaunchOutcome], states: Sequence[StateReport], end: float,
          options: Options) -> Drift:
    """Compare what the runner claimed about every launch with the cluster's truth, over time.

    The runner's claim at ``t`` is its last report at or before ``t`` (a claim holds until
    the next report). The claim drifts at ``t`` when no state the cluster showed within
    ``drift_grace_s`` of ``t`` matches it: a report that lags the truth by less than the
    grace (polling, watch delay) is not drift. Drifting stretches are the episodes.
    """
    by_launch = {lo.launch_id: lo for lo in outcomes}
    by_run = {lo.launch.run_id: lo for lo in outcomes if lo.launch.run_id}
    reports: dict[str, list[StateReport]] = {}
    result = Drift(reports=len(states))
    grace = options.drift_grace_s
    for s in states:
        lo = by_launch.get(s.launch_id) if s.launch_id else None
        lo = lo or by_run.get(s.run_id)
        if lo is None:
            result.unmatched_reports += 1
            continue
        reports.setdefault(lo.launch_id, []).append(s)
    result.launches_reported = len(reports)
    for launch_id, items in reports.items():
        lo = by_launch[launch_id]
        items.sort(key=lambda s: s.reported_at)
        changes = sorted(set(_changes(lo)))
        cuts = {s.reported_at for s in items}
        for c in changes:
            cuts.update((c - grace, c + grace))
        first = items[0].reported_at
        bounds = sorted(x for x in cuts | {end} if first <= x <= end)
        episode: DriftEpisode | None = None
        k = 0
        for a, b in zip(bounds, bounds[1:], strict=False):
            if b <= a:
                continue
            while k + 1 < len(items) and items[k + 1].reported_at <= a:
                k += 1
            claim = items[k].state
            mid = (a + b) / 2.0
            acc = _accepts_around(lo, mid, grace, changes)
            if acc is not None:
                result.judged += 1
            bad = acc is not None and claim not in acc
            if bad:
                if episode is not None and episode.reported == claim and abs(episode.end - a) < 1e-9:
                    episode.end = b
                else:
                    if episode is not None:
                        result.episodes.append(episode)
                    episode = DriftEpisode(launch_id, a, b, claim, _truth_name(lo, mid) or "?")
            elif episode is not None:
                result.episodes.append(episode)
                episode = None
        if episode is not None:
            episode.open = episode.end >= end
            result.episodes.append(episode)
        last = items[-1]
        acc_end = _accepts(lo, end)
        if acc_end is not None and last.state not in acc_end:
            result.final_mismatch.append({"launch_id": launch_id, "reported": last.state,
                                          "truth": _truth_name(lo, end), "outcome": lo.outcome.value})
    return result


def drift_series(d: Drift, b: Buckets) -> list[int]:
    """How many launches were in a drift episode at each bucket's middle."""
    n = b.count
    spans: dict[str, list[tuple[int, int]]] = {}
    for e in d.episodes:
        k0 = max(0, math.ceil((e.start - b.start) / b.width - 0.5))
        k1 = max(0, min(n, math.ceil((e.end - b.start) / b.width - 0.5)))
        if k0 < k1:
            spans.setdefault(e.launch_id, []).append((k0, k1))
    diff = [0] * (n + 1)
    for items in spans.values():  # a launch counts once per bucket, however many episodes
        merged: list[tuple[int, int]] = []
        for k0, k1 in sorted(items):
            if merged and k0 <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], k1))
            else:
                merged.append((k0, k1))
        for k0, k1 in merged:
            diff[k0] += 1
            diff[k1] -= 1
    out, acc = [], 0
    for k in range(n):
        acc += diff[k]
        out.append(acc)
    return out


# --- saturation, back-pressure, recovery, leaks ---------------------------------------------------


def _merge(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def saturation(facts: Sequence[PodFacts], end: float) -> dict[str, Any]:
    """Episodes with at least one Unschedulable pod, and how long recovery took in each.

    Recovery of an episode: from the first moment capacity was freed inside it (a
    scheduled pod finished or was deleted) to the moment no pod was unschedulable
    any more. An episode still open at the end did not recover.
    """
    spans: list[tuple[float, float]] = []
    for f in facts:
        if f.unschedulable is None:
            continue
        stop = f.scheduled if (f.scheduled is not None and f.scheduled > f.unschedulable) else None
        if stop is None:
            stop = f.gone if f.gone is not None else end
        spans.append((f.unschedulable, max(stop, f.unschedulable)))
    episodes = _merge(spans)
    frees = sorted(f.end for f in facts if f.end is not None and f.scheduled is not None)
    items: list[dict[str, Any]] = []
    for s, e in episodes:
        open_ = e >= end
        freed = next((t for t in frees if s <= t <= e), None)
        recovery = None if open_ or freed is None else round(e - freed, 4)
        items.append({"start": s, "end": e, "duration_s": round(e - s, 4), "open": open_,
                      "freed_at": freed, "recovery_s": recovery,
                      "pods": sum(1 for f in facts if f.unschedulable is not None and s <= f.unschedulable <= e)})
    total = sum(e - s for s, e in episodes)
    recoveries = [i["recovery_s"] for i in items if i["recovery_s"] is not None]
    return {
        "episodes": items,
        "saturation_s": round(total, 4),
        "recovered": all(not i["open"] for i in items),
        "recovery_s": max(recoveries) if recoveries else None,
        "intervals": episodes,
    }


def _inside(t: float, intervals: Sequence[tuple[float, float]]) -> bool:
    return any(s <= t <= e for s, e in intervals)


def backpressure(launches: Sequence[LaunchRecord], saturated: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """Did the runner push back (HTTP 429), and did it keep accepting launches while the cluster
    could not place pods?"""
    throttled = [lr for lr in launches if lr.http_status in BACKPRESSURE_STATUSES]
    during = [lr for lr in launches if lr.answered_at is not None and _inside(lr.answered_at, saturated)]
    accepted_during = [lr for lr in during if lr.status == "accepted"]
    refused_during = [lr for lr in during if lr.status in ("rejected", "error")]
    retry_after = sum(1 for lr in throttled if (lr.model_extra or {}).get("retry_after") is not None)
    return {
        "seen": bool(throttled),
        "responses": len(throttled),
        "first_at": min((lr.answered_at or lr.sent_at) for lr in throttled) if throttled else None,
        "retry_after": retry_after,
        "launches_while_saturated": len(during),
        "accepted_while_saturated": len(accepted_during),
        "refused_while_saturated": len(refused_during),
        "status_codes": dict(sorted(Counter(str(lr.http_status) for lr in launches
                                            if lr.http_status is not None and lr.status != "accepted").items())),
    }


def leaks(outcomes: Sequence[LaunchOutcome], facts: Sequence[PodFacts], end: float) -> dict[str, Any]:
    """Pods left behind: after a stop, and pods no launch of this run accounts for."""
    leaked = [(lo, p) for lo in outcomes for p in lo.leaked]
    known = {lo.launch_id for lo in outcomes}
    unmatched = [f for f in facts if not f.launch_id or f.launch_id not in known]
    unmatched_alive = [f for f in unmatched if f.gone is None]
    return {
        "leaked_pods": len(leaked),
        "leaked_launches": len({lo.launch_id for lo, _ in leaked}),
        "examples": [{"launch_id": lo.launch_id, "pod": p.name, "namespace": p.namespace,
                      "state": p.state_at(end), "stop_status": lo.stop.status if lo.stop else None,
                      "since_stop_s": round(end - (lo.stop.answered_at or lo.stop.sent_at), 3) if lo.stop else None}
                     for lo, p in leaked[:20]],
        "unmatched_pods": len(unmatched),
        "unmatched_alive": len(unmatched_alive),
        "unmatched_examples": [f"{f.namespace}/{f.name}" for f in unmatched[:10]],
    }
