"""Baseline comparison flags an injected regression, and only that."""

from __future__ import annotations

from k8sstress.analyze import compare


def test_identical_runs_do_not_regress(analysed):
    s = analysed("exhaustion").summary
    assert not compare(s, s).regressed


def test_injected_regression_is_flagged(analysed):
    base = analysed("exhaustion").summary
    worse = base.model_copy(deep=True)
    worse.metrics["launch_api_p99_s"] = base.metrics["launch_api_p99_s"] * 2
    worse.metrics["lost"] = 5
    worse.metrics["recovered"] = 0
    result = compare(base, worse)
    assert result.regressed
    assert {r.metric for r in result.regressions} == {"launch_api_p99_s", "lost"}
    # and the other way round, they are improvements
    back = compare(worse, base)
    assert not back.regressed
    assert {r.metric for r in back.rows if r.improved} >= {"launch_api_p99_s", "lost"}


def test_small_changes_are_tolerated_and_counts_are_per_launch(analysed):
    base = analysed("exhaustion").summary
    b = base.model_copy(deep=True)
    b.metrics["launch_api_p50_s"] = base.metrics["launch_api_p50_s"] + 0.01  # under the 50 ms floor
    b.metrics["launches"] = base.metrics["launches"] * 2
    b.metrics["evicted"] = base.metrics["evicted"] * 2  # twice the launches, twice the evictions
    assert not compare(base, b).regressed


def test_reached_to_unreached_is_a_regression(analysed):
    base = analysed("exhaustion").summary
    b = base.model_copy(deep=True)
    b.metrics["pod_scheduled_p50_s"] = None
    b.metrics["pod_scheduled_unreached"] = 40
    names = {r.metric for r in compare(base, b).regressions}
    assert "pod_scheduled_p50_s" in names and "pod_scheduled_unreached" in names


def test_slo_that_starts_failing_is_a_regression(analysed):
    base = analysed("backpressure").summary
    assert base.slo.passed
    b = base.model_copy(deep=True)
    b.slo.results[0].passed = False
    assert compare(base, b).slo_regressions == [b.slo.results[0].name]
