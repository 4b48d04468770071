"""The I/O edge of reporting: a run directory in, summary.json, report.html, runbook.md and junit.xml out."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from k8sstress.analyze import Options, PromSeries, Summary, analyze
from k8sstress.errors import InputError
from k8sstress.metrics import query_run
from k8sstress.report.html import render_html
from k8sstress.report.junit import render_junit
from k8sstress.report.loading import LoadedRun, load_run, prometheus_url
from k8sstress.report.runbook import render_runbook
from k8sstress.rundir import FILES

__all__ = ["finalize", "summarize", "load_summary", "write_artifacts", "ARTIFACTS", "explicitly_partial"]

log = logging.getLogger(__name__)

ARTIFACTS = {"summary": FILES["summary"], "report": "report.html", "runbook": "runbook.md", "junit": "junit.xml"}


def explicitly_partial(meta: Mapping[str, Any]) -> bool:
    """run.json says the run was cut short (aborted, interrupted, timed out)."""
    if meta.get("partial") is True or meta.get("aborted") is True:
        return True
    status = meta.get("status") or meta.get("ended")
    return isinstance(status, str) and status.lower() in ("aborted", "interrupted", "killed", "timeout", "timed-out",
                                                          "partial")


def _write(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def _with_prometheus(loaded: LoadedRun, query: bool) -> None:
    run = loaded.input
    url = prometheus_url(run.meta)
    if url is None:
        return
    if not query:
        run.prometheus_note = f"Prometheus at {url} was not queried (--no-prometheus)"
        return
    starts = [lr.scheduled_at for lr in run.launches]
    ends = [lr.answered_at or lr.sent_at for lr in run.launches]
    start = min(starts) if starts else loaded.timelines.last_seen or 0.0
    end = max(ends + [loaded.timelines.last_seen or 0.0]) if ends else (loaded.timelines.last_seen or start)
    namespace = run.meta.get("namespace") or ".*"
    series, note = query_run(url, start - 30.0, end + 30.0, namespace=str(namespace))
    if series is None:
        kept = _earlier_prometheus(loaded.run_dir)
        if kept:  # the cluster (and its Prometheus) is gone; keep what the first report got
            series, note = kept, f"Prometheus at {url} no longer answers; its series are from the earlier report"
    run.prometheus = series
    run.prometheus_note = note


def _earlier_prometheus(run_dir: Path) -> list[PromSeries] | None:
    p = run_dir / FILES["summary"]
    try:
        prom = json.loads(p.read_text()).get("prometheus") if p.exists() else None
    except (OSError, ValueError):
        return None
    if not isinstance(prom, dict) or not isinstance(prom.get("series"), dict):
        return None
    out = []
    for key, s in prom["series"].items():
        if not isinstance(s, dict):
            continue
        name, _, label = key.partition("{")
        points = tuple((float(t), float(v)) for t, v in s.get("points") or [])
        out.append(PromSeries(name=name, query=str(s.get("query") or ""), points=points, unit=str(s.get("unit") or ""),
                              label=label.rstrip("}")))
    return out or None


def summarize(run_dir: str | Path, *, partial: bool | None = None, prometheus: bool = True,
              options: Options | None = None) -> Summary:
    """Analyse a run directory without writing anything."""
    loaded = load_run(run_dir, partial=partial)
    _with_prometheus(loaded, prometheus)
    return analyze(loaded.input, options)


def write_artifacts(run_dir: str | Path, summary: Summary) -> dict[str, Path]:
    """Write summary.json, report.html, runbook.md and junit.xml (each atomically)."""
    d = Path(run_dir)
    paths: dict[str, Path] = {}
    paths["summary"] = _write(d / ARTIFACTS["summary"], json.dumps(summary.to_json(), indent=2, default=str) + "\n")
    paths["report"] = _write(d / ARTIFACTS["report"], render_html(summary))
    paths["runbook"] = _write(d / ARTIFACTS["runbook"], render_runbook(summary, str(d)))
    paths["junit"] = _write(d / ARTIFACTS["junit"], render_junit(summary))
    return paths


def finalize(run_dir: Path, *, partial: bool = False, prometheus: bool = True) -> dict[str, Path]:
    """Load a run directory, replay its observer stream, classify, analyse (with Prometheus when
    run.json names one), and write every artifact. Returns ``{"summary"|"report"|"runbook"|"junit": path}``.

    ``partial``: the caller knows the run was cut short (Ctrl-C, abort); run.json saying so
    counts too. Works on a torn record (kill -9): broken lines are skipped and noted.
    """
    d = Path(run_dir)
    if not d.is_dir():
        raise InputError(f"{d} is not a run directory (it does not exist)")
    meta: dict[str, Any] = {}
    try:
        raw = json.loads((d / FILES["run"]).read_text())
        meta = raw if isinstance(raw, dict) else {}
    except (OSError, ValueError):
        pass
    summary = summarize(d, partial=partial or explicitly_partial(meta), prometheus=prometheus)
    return write_artifacts(d, summary)


def load_summary(run_dir: str | Path, *, prometheus: bool = False) -> Summary:
    """A run's summary: summary.json when it is there and readable, else a fresh analysis."""
    d = Path(run_dir)
    if not d.is_dir():
        raise InputError(f"{d} is not a run directory (it does not exist)")
    p = d / FILES["summary"]
    if p.exists():
        try:
            return Summary.model_validate(json.loads(p.read_text()))
        except (ValueError, TypeError) as exc:
            log.warning("%s unreadable (%s); analysing the record again", p, exc)
    if not (d / FILES["launches"]).exists() and not (d / FILES["run"]).exists():
        raise InputError(f"{d} holds no run record (no run.json, no launches.jsonl)")
    return summarize(d, prometheus=prometheus)
