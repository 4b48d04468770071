"""finalize(): a run directory in, summary.json / report.html / runbook.md / junit.xml out."""

from __future__ import annotations

import json
import re

from k8sstress.records import OUTCOMES
from k8sstress.report import finalize, load_summary


def test_finalize_writes_every_artifact(copy_run):
    d = copy_run("exhaustion")
    paths = finalize(d)
    assert set(paths) == {"summary", "report", "runbook", "junit"}
    for p in paths.values():
        assert p.exists() and p.parent == d and p.stat().st_size > 0
    summary = json.loads(paths["summary"].read_text())
    assert summary["partial"] is False
    assert summary["outcomes"]["Lost"] == 1 and summary["outcomes"]["Orphaned"] == 1
    assert all(name in OUTCOMES for name in summary["outcomes"])
    assert summary["metrics"]["lost"] == 1
    assert summary["slo"]["passed"] is False
    assert {r["metric"] for r in summary["slo"]["results"]} >= {"lost", "launch_api_p99_s"}
    assert not list(d.glob(".*.tmp-*")), "temporary files left behind"


def test_finalize_is_repeatable(copy_run):
    d = copy_run("lost")
    first = json.loads(finalize(d)["summary"].read_text())
    second = json.loads(finalize(d)["summary"].read_text())
    assert first["metrics"] == second["metrics"] and first["outcomes"] == second["outcomes"]


def test_finalize_a_torn_partial_record(copy_run):
    d = copy_run("partial")
    # the fixture's last lines are cut in half, as kill -9 leaves them
    assert not d.joinpath("observer.jsonl").read_text().endswith("\n")
    paths = finalize(d, partial=True)
    s = load_summary(d)
    assert s.partial is True
    assert any("torn" in n for n in s.notes)
    assert "Partial record" in paths["report"].read_text()
    assert "Partial record" in paths["runbook"].read_text()
    assert 'name="partial" value="true"' in paths["junit"].read_text()


def test_run_json_saying_aborted_marks_partial(copy_run):
    d = copy_run("lost")
    meta = json.loads((d / "run.json").read_text())
    meta.update(status="aborted", partial=True)
    (d / "run.json").write_text(json.dumps(meta))
    finalize(d)
    assert load_summary(d).partial is True


def test_missing_observer_stream_is_a_note_not_a_crash(copy_run):
    d = copy_run("lost")
    (d / "observer.jsonl").unlink()
    finalize(d)
    s = load_summary(d)
    assert any("observer.jsonl is missing" in n for n in s.notes)
    # without the cluster's view, accepted launches have no pod: every one is Lost
    assert s.outcomes.get("Lost") == 3


def test_summary_reloads_into_the_model(finalized):
    s = load_summary(finalized("exhaustion"))
    assert s.metrics["launches"] == 45
    assert s.series["launches"]["t"]
    assert s.by_outcome["Evicted"]["reasons"]["by=kubelet"] == 11


def test_report_html_is_self_contained(finalized):
    html = (finalized("exhaustion") / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert 'http-equiv="Content-Security-Policy"' in html and "default-src 'none'" in html
    # nothing is fetched: no src/href/url()/@import pointing anywhere but the page itself
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:|//)""", html)
    assert not re.search(r"url\(\s*['\"]?(?:https?:|//)", html)
    assert "@import" not in html
    # the only absolute URLs are XML namespace names of the inline SVGs
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    assert html.count("<svg") >= 7
    for title in ("Launch rate and runner errors", "Pods by outcome over time", "Pending-time survival",
                  "Latency quantiles per phase", "Runner state drift", "Node allocation and pressure"):
        assert title in html
    assert "No Prometheus in this run" in html
    assert "e-037" in html  # the Lost launch is named
    assert "memory-hog" in html  # the scenario's action is marked on the time plots


def test_report_shows_prometheus_series_when_present(copy_run):
    from k8sstress.analyze import PromSeries, analyze
    from k8sstress.report import render_html
    from k8sstress.report.loading import load_run

    run = load_run(copy_run("lost")).input
    t0 = run.launches[0].sent_at
    run.prometheus = [PromSeries("runner_memory_bytes", "max(process_resident_memory_bytes)",
                                 tuple((t0 + i, 2e8 + i * 1e6) for i in range(30)), "bytes")]
    s = analyze(run)
    assert s.metrics["runner_memory_max_bytes"] == 2e8 + 29e6
    html = render_html(s)
    assert "Runner and apiserver metrics (Prometheus)" in html
    assert "No Prometheus in this run" not in html


def test_prometheus_named_in_run_json_is_queried_and_kept(copy_run, monkeypatch):
    from k8sstress.analyze import PromSeries
    from k8sstress.report import artifacts as finalize_mod

    d = copy_run("lost")
    meta = json.loads((d / "run.json").read_text())
    meta["cluster"]["prometheus_url"] = "http://127.0.0.1:9"
    (d / "run.json").write_text(json.dumps(meta))
    calls = []

    def answering(url, start, end, **kw):
        calls.append((url, start, end))
        return [PromSeries("runner_memory_bytes", "q", ((start + 40, 3e8), (start + 50, 4e8)), "bytes")], "ok"

    monkeypatch.setattr(finalize_mod, "query_run", answering)
    finalize(d)
    s = load_summary(d)
    assert calls and calls[0][0] == "http://127.0.0.1:9"
    assert s.metrics["runner_memory_max_bytes"] == 4e8
    # later, the cluster (and its Prometheus) is gone: the report keeps the series it had
    monkeypatch.setattr(finalize_mod, "query_run", lambda *a, **k: (None, "did not answer"))
    finalize(d)
    s = load_summary(d)
    assert s.metrics["runner_memory_max_bytes"] == 4e8
    assert any("no longer answers" in n for n in s.notes)
