"""podLatency over all pods: the unstarted are counted, never dropped."""

from __future__ import annotations

from k8sstress.observe import Timelines, pod_latency
from k8sstress.observe.latency import percentile, pod_latencies

from .shapes import UNSCHEDULABLE_CPU, cond, evolve, pod, ready_conditions, running


def started(i: int, ready_after: float) -> list[tuple[float, str, str, dict]]:
    p = pod(f"p{i}", f"u{i}")
    up = evolve(p, 101, phase="Running", conditions=ready_conditions(scheduled=1, ready=ready_after),
                containerStatuses=[running(2)])
    return [(1.0, "pods", "ADDED", p), (2.0, "pods", "MODIFIED", up)]


def stuck(i: int) -> list[tuple[float, str, str, dict]]:
    p = pod(f"s{i}", f"us{i}")
    return [(1.0, "pods", "ADDED", p),
            (2.0, "pods", "MODIFIED", evolve(p, 101, conditions=[cond("PodScheduled", "False", 0, "Unschedulable",
                                                                      UNSCHEDULABLE_CPU)]))]


def fold(n_ok: int, n_stuck: int) -> Timelines:
    t = Timelines()
    for i in range(n_ok):
        for item in started(i, ready_after=3 + i % 5):
            t.apply_raw(*item)
    for i in range(n_stuck):
        for item in stuck(i):
            t.apply_raw(*item)
    return t


def test_nearest_rank_percentiles_rank_the_missing_last() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2
    assert percentile([1, 2, 3, 4], 100) == 4
    assert percentile([1, 2, 3], 50, total=10) is None
    assert percentile([1, 2, 3], 25, total=10) == 3
    assert percentile([], 50) is None


def test_one_pod_latencies_from_its_timeline() -> None:
    t = fold(1, 0)
    [h] = t.histories()
    assert pod_latencies(h) == {"PodScheduled": 1.0, "Initialized": 2.0, "ContainersReady": 3.0, "Ready": 3.0}


def test_pods_that_never_reached_a_phase_are_counted_and_make_high_percentiles_unknown() -> None:
    t = fold(90, 10)
    outcomes = {v.uid: v.outcome.value for v in t.verdicts() if v.uid}
    by_phase = {p.phase: p for p in pod_latency(t.histories(), outcomes=outcomes)}
    ready = by_phase["Ready"]
    assert (ready.pods, ready.reached, ready.not_reached) == (100, 90, 10)
    assert ready.p50 == 5.0
    assert ready.p95 is None and ready.p99 is None and ready.max is None  # beyond what 90 % reached
    assert ready.reached_p99 == 7.0 and ready.reached_max == 7.0 and ready.reached_min == 3.0
    assert ready.not_reached_by_outcome == {"Unschedulable": 10}
    assert by_phase["PodScheduled"].reached == 90
    j = ready.as_json()
    assert j["phase"] == "Ready" and j["not_reached"] == 10 and j["p99"] is None


def test_all_reached_gives_plain_percentiles() -> None:
    [sched, *_] = pod_latency(fold(20, 0).histories())
    assert sched.not_reached == 0 and sched.max == 1.0 and sched.p99 == 1.0
