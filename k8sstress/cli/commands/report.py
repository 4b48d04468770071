"""``k8sstress report|runbook|compare``: what a person reads from a run, and what CI gates on."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from k8sstress.analyze import Summary, compare
from k8sstress.cli import output
from k8sstress.report import finalize, load_summary, render_runbook, summarize
from k8sstress.report.artifacts import explicitly_partial
from k8sstress.report.loading import detect_partial

__all__ = ["register", "cmd_report", "cmd_runbook", "cmd_compare", "SLO_FAILED", "REGRESSED"]

SLO_FAILED = 3
REGRESSED = 3

REPORT_EPILOG = """\
examples:
  k8sstress report runs/exhaustion-20260101T000000        (re)write every artifact, print their paths
  k8sstress report runs/x --format json | jq .metrics.launch_api_p99_s
  k8sstress report runs/x --no-prometheus                  skip the Prometheus queries

Exit codes: 0 every SLO passed (or none set), 3 an SLO failed, 1 not a run directory.
A record cut short (kill -9, Ctrl-C) is reported too, marked partial.
"""

COMPARE_EPILOG = """\
examples:
  k8sstress compare runs/baseline runs/candidate          table of what got worse (exit 3 if anything did)
  k8sstress compare runs/a runs/b --format json --all     every metric, as JSON
  k8sstress compare runs/a runs/b --tolerance 0.2         allow 20 % before calling it a regression
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("report", help="(re)generate report.html, runbook.md, summary.json and junit.xml",
                       description="Analyse a run directory and write every artifact into it; exit 3 when an SLO "
                                   "of the scenario failed.",
                       epilog=REPORT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run directory written by k8sstress run")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("--no-prometheus", action="store_true", help="do not query the run's Prometheus")
    p.add_argument("--partial", action="store_true", help="treat the record as cut short (detected by default)")
    p.set_defaults(func=cmd_report)

    rb = sub.add_parser("runbook", help="write runbook.md for a run (symptoms, detection, remedies, rerun)",
                        description="Write the run's runbook: for every failure class seen, how to detect it, what "
                                    "the runner did, the likely cause, the remediation and how to rerun.")
    rb.add_argument("run_dir", metavar="RUN_DIR")
    rb.add_argument("--stdout", action="store_true", help="print the runbook instead of writing runbook.md")
    rb.add_argument("--no-prometheus", action="store_true", help="do not query the run's Prometheus")
    rb.set_defaults(func=cmd_runbook)

    c = sub.add_parser("compare", help="flag regressions of run B against baseline run A (exit 3 if any)",
                       description="Compare two runs metric by metric (per launch for counts); a metric worse "
                                   "beyond the tolerance, or an SLO that passed in A and fails in B, is a regression.",
                       epilog=COMPARE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("run_a", metavar="RUN_A", help="the baseline run directory")
    c.add_argument("run_b", metavar="RUN_B", help="the candidate run directory")
    c.add_argument("--format", choices=["table", "json"], default="table")
    c.add_argument("--tolerance", type=float, default=0.10, metavar="FRACTION",
                   help="relative change allowed before a metric counts as worse (default 0.10)")
    c.add_argument("--floor", type=float, default=0.05, metavar="SECONDS",
                   help="latency changes smaller than this never count (default 0.05)")
    c.add_argument("--all", action="store_true", help="show every metric, not only the changed ones")
    c.set_defaults(func=cmd_compare)


def _slo_table(s: Summary) -> None:
    if not s.slo.results:
        output.info("no SLOs in the scenario; nothing judged")
        return
    t = output.Table(title="SLOs")
    t.add_column("SLO")
    t.add_column("value", justify="right")
    t.add_column("result")
    t.add_column("why")
    for r in s.slo.results:
        verdict = "[dim]skipped[/dim]" if r.skipped else ("[green]pass[/green]" if r.passed else "[bold red]FAIL[/bold red]")
        t.add_row(r.name, "-" if r.value is None else f"{r.value:g}", verdict, r.message)
    output.print_table(t)


def _outcome_table(s: Summary) -> None:
    t = output.Table(title=f"{s.run.get('scenario')}: outcomes" + (" (partial record)" if s.partial else ""))
    t.add_column("outcome")
    t.add_column("launches", justify="right")
    t.add_column("pods", justify="right")
    for name in list(s.outcomes) + [n for n in s.pod_outcomes if n not in s.outcomes]:
        t.add_row(name, str(s.outcomes.get(name, 0)), str(s.pod_outcomes.get(name, 0)))
    output.print_table(t)


def cmd_report(args: argparse.Namespace) -> int:
    run_dir = Path(args.run_dir)
    meta: dict[str, Any] = {}
    partial = bool(args.partial)
    if not partial and run_dir.is_dir():
        import json

        try:
            raw = json.loads((run_dir / "run.json").read_text())
            meta = raw if isinstance(raw, dict) else {}
        except (OSError, ValueError):
            meta = {}
        partial = detect_partial(run_dir, meta) or explicitly_partial(meta)
    with output.progress(transient=True) as prog:
        task = prog.add_task(f"analysing {run_dir}", total=None)
        paths = finalize(run_dir, partial=partial, prometheus=not args.no_prometheus)
        prog.update(task, completed=1, total=1)
    summary = load_summary(run_dir)
    if args.format == "json":
        output.print_json({"artifacts": {k: str(v) for k, v in paths.items()}, "partial": summary.partial,
                           "slo": summary.slo.model_dump(mode="json"), "outcomes": summary.outcomes,
                           "metrics": summary.metrics})
    else:
        _outcome_table(summary)
        _slo_table(summary)
    for note in summary.notes:
        output.info(f"note: {note}")
    for label, path in paths.items():
        output.artifact(label, path)
    if not summary.slo.passed:
        failed = [r.name for r in summary.slo.failed]
        output.error(f"{len(failed)} SLO(s) failed: {', '.join(failed)}")
        return SLO_FAILED
    return 0


def cmd_runbook(args: argparse.Namespace) -> int:
    run_dir = Path(args.run_dir)
    summary = summarize(run_dir, prometheus=not args.no_prometheus)
    text = render_runbook(summary, str(run_dir))
    if args.stdout:
        output.console.out(text)
        return 0
    path = run_dir / "runbook.md"
    path.write_text(text, encoding="utf-8")
    output.artifact("runbook", path)
    return 0


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def cmd_compare(args: argparse.Namespace) -> int:
    a = load_summary(args.run_a)
    b = load_summary(args.run_b)
    result = compare(a, b, tolerance=args.tolerance, floor_s=args.floor, a_name=str(args.run_a),
                     b_name=str(args.run_b))
    if args.format == "json":
        data = result.as_json()
        if not args.all:
            data["metrics"] = [r for r in data["metrics"] if r["regressed"] or r["improved"] or r["a"] != r["b"]]
        output.print_json(data)
    else:
        t = output.Table(title=f"{args.run_b} against {args.run_a}")
        t.add_column("metric")
        t.add_column("A", justify="right")
        t.add_column("B", justify="right")
        t.add_column("better")
        t.add_column("verdict")
        t.add_column("note")
        for r in result.rows:
            if not args.all and not (r.regressed or r.improved):
                continue
            verdict = "[bold red]worse[/bold red]" if r.regressed else ("[green]better[/green]" if r.improved else "")
            t.add_row(r.metric, _fmt(r.a), _fmt(r.b), r.better or "", verdict, r.note)
        output.print_table(t)
        for note in result.notes:
            output.info(f"note: {note}")
        for name in result.slo_regressions:
            output.warn(f"SLO {name} passed in A and fails in B")
    if result.regressed:
        output.error(f"regressed: {', '.join([r.metric for r in result.regressions] + result.slo_regressions)}")
        return REGRESSED
    output.info("no regression")
    return 0
