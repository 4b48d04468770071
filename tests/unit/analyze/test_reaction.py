"""The runner's reaction: API latency, phases, drift, breaking point, matrix."""

from __future__ import annotations

import pytest


def test_launch_api_quantiles_and_latency_knee(analysed):
    s = analysed("exhaustion").summary
    m = s.metrics
    assert m["launch_api_p50_s"] == pytest.approx(0.05)
    assert m["launch_api_max_s"] == pytest.approx(2.5)
    assert m["launch_api_p99_s"] == pytest.approx(2.5)
    assert m["launch_api_p50_s"] <= m["launch_api_p95_s"] <= m["launch_api_p99_s"] <= m["launch_api_max_s"]
    knee = s.breaking_point["latency_knee"]
    assert knee is not None
    # latency grows from the 17th launch of step 2 (46 s after the first launch)
    assert 43 <= knee["at_s"] <= 51
    assert knee["step"] == 2


def test_errors_over_time_are_bucketed(analysed):
    s = analysed("exhaustion").summary
    series = s.series["launches"]
    assert sum(series["sent"]) == 45
    assert sum(series["rejected"]) == 2 and sum(series["errors"]) == 1
    assert len(series["t"]) == len(series["sent"]) == len(series["api_p99_s"])
    assert s.metrics["launch_error_rate"] == pytest.approx(3 / 45, abs=1e-6)


def test_unreached_pods_stay_in_the_denominator(analysed):
    m = analysed("exhaustion").summary.metrics
    # 4 pods never scheduled out of 41: p99 falls on them, so it has no value; p50 does
    assert m["pod_scheduled_unreached"] == 4
    assert m["pod_scheduled_p99_s"] is None
    assert m["pod_scheduled_p50_s"] is not None
    assert m["pending_censored"] == 4


def test_drift_counts_launches_and_durations(analysed):
    s = analysed("drift").summary
    m = s.metrics
    assert m["drift_launches"] == 2
    eps = {e["launch_id"]: e for e in s.reaction["drift"]["episodes"]}
    # d-0 OOM-killed at 8 s, still "Running" until the report at 30 s: 22 s late, minus the 5 s grace
    assert eps["d-0"]["reported"] == "Running"
    assert eps["d-0"]["truth"] == "OOMKilled"
    assert eps["d-0"]["duration_s"] == pytest.approx(17.0)
    # d-2 finished at 5 s; the runner says Pending to the end (50 s)
    assert eps["d-2"]["open"] is True
    assert eps["d-2"]["duration_s"] == pytest.approx(43.0)
    assert m["drift_max_s"] == pytest.approx(43.0)
    assert m["drift_final_launches"] == 1
    assert s.reaction["drift"]["final_mismatch"][0]["launch_id"] == "d-2"
    assert "d-1" not in s.reaction["drift"]["launches"]  # honest within the grace


def test_orphan_claimed_stopped_is_drift(analysed):
    s = analysed("orphaned").summary
    assert s.reaction["drift"]["launches"] == ["o-1"]
    assert s.reaction["drift"]["episodes"][0]["reported"] == "Stopped"
    assert s.reaction["drift"]["episodes"][0]["truth"] == "Running"


def test_breaking_point_names_the_load(analysed):
    bp = analysed("exhaustion").summary.breaking_point
    # seconds from the first launch (1 s after the fixture's t=0)
    assert bp["first_eviction"]["at_s"] == pytest.approx(36.0)
    assert bp["first_oom"]["at_s"] == pytest.approx(43.0)
    assert bp["first_unschedulable"]["at_s"] == pytest.approx(54.5)
    assert bp["first_unschedulable"]["reasons"]
    for key in ("first_eviction", "first_oom", "first_unschedulable"):
        assert bp[key]["rate_per_s"] > 0.5
        assert bp[key]["step"] == 2
    assert bp["earliest"] == "first_eviction"
    # the first SLO break: the 3rd eviction breaks "evicted <= 2" (or an earlier windowed SLO)
    assert bp["first_slo_break"] is not None
    assert bp["first_slo_break"]["at_s"] <= 46


def test_limits_matrix_qos_and_eviction_order(analysed):
    mtx = analysed("exhaustion").summary.matrix
    assert mtx["rows"]["without"]["outcomes"]["Evicted"] == 8
    assert mtx["rows"]["with"]["outcomes"].get("OOMKilled") == 1
    assert mtx["qos"]["without"] == {"BestEffort": 16}  # 17 launches, one Lost (no pod)
    assert mtx["rows"]["without"]["launches"] == 17
    assert set(mtx["qos"]["with"]) == {"Guaranteed", "Burstable"}
    order = [k["qos_class"] for k in mtx["kill_order"] if k["outcome"] == "Evicted"]
    assert order[0] == "BestEffort"
    assert mtx["first_eviction_by_qos_s"]["BestEffort"] < mtx["first_eviction_by_qos_s"]["Burstable"]
    assert mtx["eviction_order_by_qos"] is True


def test_node_allocation_and_pressure(analysed):
    s = analysed("exhaustion").summary
    m = s.metrics
    assert m["nodes_pressure_max"] == 1
    assert m["node_pressure_s"] == pytest.approx(18.0)
    assert 0 < m["node_cpu_allocated_max"] <= 1
    series = s.series["nodes"]
    assert max(series["nodes_pressure"]) == 1 and max(series["nodes"]) == 3


def test_outcome_series_end_in_the_verdicts(analysed):
    s = analysed("exhaustion").summary
    states = s.series["outcomes"]["states"]
    last = {k: v[-1] for k, v in states.items() if v[-1]}
    # at the end every pod sits in its final verdict (Orphaned is a launch verdict: its pod runs)
    assert last.get("Succeeded") == s.pod_outcomes["Succeeded"]
    assert last.get("Evicted") == s.pod_outcomes["Evicted"]
    assert last.get("Lost") == 1


def test_pending_survival_is_passed_through(analysed):
    s = analysed("backpressure").summary
    km = s.series["pending_survival"]
    assert km["subjects"] == 9 and km["censored"] == 0
    assert s.metrics["pending_median_s"] == pytest.approx(11.0)


def test_scenario_actions_are_marked_not_plotted_as_samples(analysed):
    s = analysed("exhaustion").summary
    assert s.series["actions"] == [{"at_s": 38.5, "action": "memory-hog", "detail": {"nodes": "kwok-node-0"}}]
    assert not any(k.startswith("action.") for k in s.samples)
    assert "runner.memory_bytes{pod=reference-runner}" in s.samples
