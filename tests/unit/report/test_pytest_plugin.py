"""The pytest plugin: opt-in fixtures and SLO asserts a platform team uses in its own CI.

Running a scenario needs a cluster (the integration tests do that); here the asserts run on
recorded runs, and a separate pytest process proves the fixtures are registered and usable.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from k8sstress.pytest_plugin import (
    SLOAssertionError,
    assert_metric,
    assert_no_regression,
    assert_outcomes,
    assert_slos,
    k8sstress_command,
)
from k8sstress.report import load_summary


def test_assert_slos_fails_with_evidence(finalized):
    s = load_summary(finalized("exhaustion"))
    with pytest.raises(SLOAssertionError) as exc:
        assert_slos(s)
    text = str(exc.value)
    assert "5 of 7 SLOs failed in exhaustion" in text
    assert "lost <= 0" in text and "e-037" in text
    assert_slos(load_summary(finalized("backpressure")))


def test_assert_outcomes_and_metric(finalized):
    s = load_summary(finalized("exhaustion"))
    assert_outcomes(s, Lost=1, Orphaned=1, at_least={"Unschedulable": 1}, at_most={"Evicted": 11})
    with pytest.raises(SLOAssertionError, match="Lost: 1 launches, expected 0") as exc:
        assert_outcomes(s, Lost=0)
    assert "e-037" in str(exc.value)
    assert_metric(s, "launch_api_p50_s", max=0.1)
    with pytest.raises(SLOAssertionError, match="expected at most 1"):
        assert_metric(s, "launch_api_p99_s", max=1)
    with pytest.raises(SLOAssertionError, match="no metric"):
        assert_metric(s, "nonsense", max=1)
    with pytest.raises(SLOAssertionError, match="no value"):
        assert_metric(s, "pod_scheduled_p99_s", max=1)


def test_assert_no_regression(finalized):
    base = finalized("exhaustion")
    s = load_summary(base)
    assert_no_regression(base, s)
    worse = s.model_copy(deep=True)
    worse.metrics["lost"] = 10
    with pytest.raises(SLOAssertionError, match="lost: 1 -> 10"):
        assert_no_regression(base, worse)


def test_the_command_is_found():
    cmd = k8sstress_command()
    proc = subprocess.run([*cmd, "report", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "RUN_DIR" in proc.stdout


def test_fixtures_are_opt_in_and_usable_from_another_project(tmp_path, runs_dir):
    test_file = tmp_path / "test_stress.py"
    test_file.write_text(textwrap.dedent(f"""
        import pytest
        from k8sstress.pytest_plugin import SLOAssertionError

        def test_recorded_run_passes(k8sstress_summary):
            run = k8sstress_summary({str(runs_dir / "backpressure")!r})
            run.assert_slos()
            run.assert_outcomes(Succeeded=9)

        def test_recorded_run_fails(k8sstress_summary):
            run = k8sstress_summary({str(runs_dir / "lost")!r})
            with pytest.raises(SLOAssertionError, match="lost <= 0"):
                run.assert_slos()

        def test_options_are_there(pytestconfig, k8sstress_kubeconfig, k8sstress_run):
            assert pytestconfig.getoption("k8sstress_time_scale") == "0.05"
            assert k8sstress_kubeconfig is None
            assert callable(k8sstress_run)

        def test_plain_test_needs_nothing():
            assert True
    """))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file),
                           "--k8sstress-time-scale", "0.05", "--rootdir", str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "4 passed" in proc.stdout
    help_text = subprocess.run([sys.executable, "-m", "pytest", "--help"], capture_output=True, text=True,
                               cwd=tmp_path).stdout
    assert "--k8sstress-kubeconfig" in help_text
