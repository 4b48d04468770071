"""``k8sstress demo``: the main job on a fresh machine, end to end.

1. the control-plane binaries (built on first use, with progress; cached afterwards);
2. a sim cluster, the pressure model and the reference runner;
3. the exhaustion suite, compressed: cpu, memory with and without limits, quota, pod count,
   node loss, online flood, stop storm, staircase — launched through the reference runner;
4. a summary table, ``summary.json`` (every outcome class seen, by name), each scenario's
   report.html and runbook.md, and every path printed;
5. everything torn down (cluster, pressure model, runner).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from k8sstress.cli import output
from k8sstress.cli.commands.run import RunOptions, RunOutcome, run_suite
from k8sstress.cluster import deps
from k8sstress.load import load_suite, resolve_scenario_path

__all__ = ["register", "demo_summary"]

EPILOG = """\
examples:
  k8sstress demo                         everything, into runs/demo-<timestamp>/
  k8sstress demo --out /tmp/demo         choose the directory
  k8sstress demo --target direct         launch pods directly instead of through the reference runner
  k8sstress demo --only cpu-limits --only namespace-quota     a subset of the suite

What is real: the kube-apiserver, scheduler, controllers and etcd (quota, scheduling, taint
eviction are Kubernetes' own). What is simulated: the nodes (KWOK) and the kubelet's OOM kills,
restarts and memory-pressure evictions (the pressure model) — those outcomes say simulated: true.
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="the main job: sim cluster + reference runner + exhaustion suite + report",
                       description="On a fresh machine: builds the control-plane binaries if needed, brings a "
                                   "sim cluster up with the pressure model and the reference runner, runs the "
                                   "exhaustion suite (compressed), prints a summary, writes summary.json, "
                                   "report.html and runbook.md per scenario, and tears everything down.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", metavar="DIR", help="the demo's directory (default runs/demo-<timestamp>)")
    p.add_argument("--target", default="reference",
                   help="the runner under test: reference (default), direct, job, or http:TEMPLATE_FILE")
    p.add_argument("--target-option", action="append", default=[], metavar="KEY=VALUE",
                   help="a target option, e.g. policy=backpressure for the reference runner")
    p.add_argument("--time-scale", type=float, default=None, metavar="X", help="compress the scenarios further")
    p.add_argument("--only", action="append", metavar="NAME", help="run only this scenario of the suite")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_demo)


def demo_summary(outcomes: list[RunOutcome], started: float, target: str) -> dict[str, Any]:
    """The demo's own summary.json: outcome counts over the whole suite, and each run's verdicts."""
    launch_outcomes: dict[str, int] = {}
    pod_outcomes: dict[str, int] = {}
    for o in outcomes:
        for k, v in o.outcomes.items():
            launch_outcomes[k] = launch_outcomes.get(k, 0) + int(v)
        for k, v in o.pod_outcomes.items():
            pod_outcomes[k] = pod_outcomes.get(k, 0) + int(v)
    seen = sorted({k for k, v in {**launch_outcomes, **pod_outcomes}.items() if v})
    runs = []
    for o in outcomes:
        s = o.summary or {}
        runs.append({"scenario": o.scenario, "run_dir": str(o.run_dir), "exit_code": o.exit_code,
                     "outcomes": o.outcomes, "pod_outcomes": o.pod_outcomes, "expected": o.expected,
                     "missing": o.missing, "error": o.error,
                     "slo_passed": (s.get("slo") or {}).get("passed"),
                     "artifacts": {k: str(v) for k, v in o.artifacts.items()}})
    return {"demo": True, "target": target, "started_at": started, "finished_at": time.time(),
            "partial": any((o.summary or {}).get("partial") for o in outcomes) or not outcomes,
            "outcomes": launch_outcomes, "pod_outcomes": pod_outcomes, "outcome_classes_seen": seen,
            "runs": runs}


def _table(summary: dict[str, Any]) -> output.Table:
    t = output.Table(title="k8sstress demo: what Kubernetes did with every launch")
    for col in ("scenario", "launch outcomes", "expected", "SLOs"):
        t.add_column(col)
    for r in summary["runs"]:
        outs = ", ".join(f"{k} {v}" for k, v in sorted(r["outcomes"].items(), key=lambda kv: -kv[1]) if v)
        exp = "-" if not r["expected"] else ("seen" if not r["missing"] else "missing " + ", ".join(r["missing"]))
        slo = {True: "passed", False: "FAILED", None: "-"}[r["slo_passed"]]
        t.add_row(r["scenario"], outs or (r["error"] or "-"), exp, slo)
    return t


def cmd_demo(args: argparse.Namespace) -> int:
    from k8sstress.cli.commands.run import _parse_target_options

    started = time.time()
    out = Path(args.out or f"runs/demo-{time.strftime('%Y%m%d-%H%M%S')}")
    with output.progress() as prog:
        task = prog.add_task("control-plane binaries", total=len(deps.COMPONENTS))

        def on_step(c: deps.Component, state: str) -> None:
            if state == "building":
                prog.update(task, description=f"building {c.name} {c.version} (first run only; minutes)")
            else:
                prog.advance(task)
                prog.update(task, description=f"{c.name} {c.version}: {state}")

        deps.ensure_binaries(on_step)
    suite = load_suite(resolve_scenario_path("exhaustion"))
    opts = RunOptions(target=args.target, target_options=_parse_target_options(args.target_option), out=out,
                      time_scale=args.time_scale, show_progress=not args.no_progress)
    output.info(f"[bold]k8sstress demo[/bold]: suite {suite.name} through the {args.target} target "
                f"on a sim cluster (real control plane, KWOK nodes, simulated kubelet pressure)")
    parent, outcomes = run_suite(suite, opts, only=args.only)
    summary = demo_summary(outcomes, started, args.target)
    path = parent / "summary.json"
    path.write_text(json.dumps(summary, indent=2, default=str))
    output.print_table(_table(summary))
    output.info("outcome classes seen: " + ", ".join(summary["outcome_classes_seen"]))
    output.info(f"demo finished in {time.time() - started:.0f}s; cluster, pressure model and runner torn down")
    for r in summary["runs"]:
        for key in ("report", "runbook"):
            if key in r["artifacts"]:
                output.artifact(f"{r['scenario']} {key}", r["artifacts"][key])
    output.artifact("demo summary", path.resolve())
    output.artifact("run directory", parent.resolve())
    aborted = [o for o in outcomes if o.exit_code == 4]
    return 4 if aborted else 0
