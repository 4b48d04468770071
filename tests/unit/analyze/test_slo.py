"""SLO verdicts: bounds, skipped metrics, unreached quantiles, bad specs."""

from __future__ import annotations

from k8sstress.analyze import evaluate_slos


def test_max_and_min_bounds():
    r = evaluate_slos({"lost": {"max": 0}, "launch_success_rate": {"min": 0.9}},
                      {"lost": 2, "launch_success_rate": 0.95}, lambda m: f"evidence for {m}")
    assert r.passed is False
    lost, rate = r.results
    assert (lost.passed, lost.value, lost.evidence) == (False, 2, "evidence for lost")
    assert "required at most 0" in lost.message
    assert rate.passed and rate.evidence == ""


def test_unreached_quantile_fails_and_missing_data_skips():
    metrics = {"stop_to_gone_p99_s": None, "stop_to_gone_unreached": 3, "launch_to_pod_p99_s": None,
               "launch_to_pod_unreached": 0, "runner_memory_max_bytes": None}
    r = evaluate_slos({"stop_to_gone_p99_s": {"max": 5}, "launch_to_pod_p99_s": {"max": 5},
                       "runner_memory_max_bytes": {"max": 1e9}}, metrics)
    a, b, c = r.results
    assert not a.passed and "never reached" in a.message
    assert b.passed and b.skipped and "no data" in b.message
    assert c.skipped and "no Prometheus" in c.message
    assert r.passed is False


def test_unknown_metric_and_bad_bounds_fail_with_a_reason():
    r = evaluate_slos({"launch_api_p999": {"max": 1}, "lost": {"maximum": 0}, "orphaned": {"max": "zero"}}, {})
    msgs = [x.message for x in r.results]
    assert "unknown metric 'launch_api_p999'" in msgs[0] and "launch_api_p99_s" in msgs[0]
    assert "invalid SLO for lost" in msgs[1]
    assert "must be a number" in msgs[2]
    assert not any(x.passed for x in r.results)


def test_fixture_slos_carry_evidence(analysed):
    s = analysed("exhaustion").summary
    res = {r.metric: r for r in s.slo.results}
    assert not res["lost"].passed and "e-037" in res["lost"].evidence
    assert not res["launch_api_p99_s"].passed and "slowest" in res["launch_api_p99_s"].evidence
    assert res["runner_memory_max_bytes"].skipped
    assert res["launch_success_rate"].passed
    assert s.slo.passed is False
