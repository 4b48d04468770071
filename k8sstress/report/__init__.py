"""Reports: report.html, runbook.md, summary.json, junit.xml and baseline comparison.

The I/O edge over :mod:`k8sstress.analyze`: :func:`finalize` reads a run directory
(replaying ``observer.jsonl`` through :mod:`k8sstress.observe`), queries Prometheus
when the run had one (:mod:`k8sstress.metrics`), analyses, and writes every artifact.
Rendering (:mod:`.html`, :mod:`.runbook`, :mod:`.junit`) works from a
:class:`~k8sstress.analyze.Summary` alone, so a report can be rebuilt from summary.json.
No terminal output here; the CLI prints.
"""

from k8sstress.report.artifacts import ARTIFACTS, finalize, load_summary, summarize, write_artifacts
from k8sstress.report.html import render_html
from k8sstress.report.junit import render_junit
from k8sstress.report.loading import LoadedRun, detect_partial, load_run
from k8sstress.report.runbook import failure_classes, render_runbook

__all__ = [
    "finalize",
    "summarize",
    "load_summary",
    "write_artifacts",
    "ARTIFACTS",
    "load_run",
    "LoadedRun",
    "detect_partial",
    "render_html",
    "render_runbook",
    "render_junit",
    "failure_classes",
]
