"""``k8sstress report``, ``runbook`` and ``compare``: artifacts printed, exit codes as documented."""

from __future__ import annotations

import json

from k8sstress.cli.main import main


def test_report_prints_every_artifact_and_exits_3_on_slo_failure(copy_run, capsys):
    d = copy_run("exhaustion")
    assert main(["report", str(d), "--no-prometheus"]) == 3
    err = capsys.readouterr().err
    for name in ("summary.json", "report.html", "runbook.md", "junit.xml"):
        assert str(d / name) in err
        assert (d / name).exists()
    assert "SLO(s) failed" in err


def test_report_exits_0_when_slos_pass(copy_run, capsys):
    d = copy_run("backpressure")
    assert main(["report", str(d), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["slo"]["passed"] is True
    assert set(data["artifacts"]) == {"summary", "report", "runbook", "junit"}


def test_report_detects_a_partial_record(copy_run, capsys):
    d = copy_run("partial")
    main(["report", str(d), "--format", "json"])
    assert json.loads(capsys.readouterr().out)["partial"] is True


def test_report_on_a_missing_directory_is_an_input_error(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope")]) == 1
    assert "not a run directory" in capsys.readouterr().err


def test_runbook_command(copy_run, capsys):
    d = copy_run("orphaned")
    assert main(["runbook", str(d)]) == 0
    assert (d / "runbook.md").read_text().startswith("# Runbook: orphaned")
    assert str(d / "runbook.md") in capsys.readouterr().err
    assert main(["runbook", str(d), "--stdout"]) == 0
    assert "## Outcome: Orphaned" in capsys.readouterr().out


def test_compare_flags_an_injected_regression(copy_run, tmp_path, capsys):
    base = copy_run("exhaustion")
    assert main(["report", str(base)]) == 3
    capsys.readouterr()
    cand = tmp_path / "candidate"
    cand.mkdir()
    summary = json.loads((base / "summary.json").read_text())
    assert main(["compare", str(base), str(base)]) == 0
    capsys.readouterr()
    summary["metrics"]["launch_api_p99_s"] = summary["metrics"]["launch_api_p99_s"] * 3
    summary["metrics"]["orphaned"] = 4
    (cand / "summary.json").write_text(json.dumps(summary))
    assert main(["compare", str(base), str(cand), "--format", "json"]) == 3
    data = json.loads(capsys.readouterr().out)
    assert data["regressed"] is True
    assert set(data["regressions"]) == {"launch_api_p99_s", "orphaned"}
    assert main(["compare", str(base), str(cand)]) == 3
    out = capsys.readouterr()
    assert "launch_api_p99_s" in out.out and "regressed" in out.err


def test_compare_analyses_a_run_without_summary(runs_dir, capsys):
    runs = runs_dir
    assert main(["compare", str(runs / "lost"), str(runs / "lost")]) == 0
    assert not (runs / "lost" / "summary.json").exists()  # nothing written into the fixtures
