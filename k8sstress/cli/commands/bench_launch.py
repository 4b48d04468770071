"""``k8sstress bench launch``: the load generator's launch rate against a no-op HTTP runner and its
schedule accuracy (figures for docs/benchmarks.md; nothing asserts)."""

from __future__ import annotations

import argparse
import json
import sys

from k8sstress.cli import output

__all__ = ["register_bench"]


def register_bench(bsub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = bsub.add_parser("launch", help="load generator: launches/s against a no-op runner; p99 lateness",
                        description="Runs the open-model load generator against an in-process no-op HTTP "
                                    "runner (generator and runner pinned to different cores when possible): "
                                    "the launch rate (goal >= 2,000/s on one core) and the schedule accuracy "
                                    "(goal p99 lateness < 50 ms at 500 launches/s).",
                        epilog="examples:\n  k8sstress bench launch\n  k8sstress bench launch --json | tail -1\n"
                               "  k8sstress bench launch --launches 5000 --duration 5",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--launches", type=int, default=20000, help="launches for the throughput part")
    p.add_argument("--rate", type=float, default=500.0, help="launches/s for the accuracy part")
    p.add_argument("--duration", type=float, default=10.0, help="seconds of the accuracy part")
    p.add_argument("--max-in-flight", type=int, default=256, help="bound on requests in flight")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON line (last line)")
    p.set_defaults(func=cmd_bench_launch)


def cmd_bench_launch(args: argparse.Namespace) -> int:
    from k8sstress.load.bench import run_launch_bench

    output.info(f"load generator: {args.launches} launches flat out, then {args.rate:g}/s for {args.duration:g}s")
    r = run_launch_bench(throughput_launches=args.launches, accuracy_rate=args.rate,
                         accuracy_duration_s=args.duration, max_in_flight=args.max_in_flight)
    if args.json:
        sys.stdout.write(json.dumps(r) + "\n")
        return 0
    t, a = r["throughput"], r["accuracy"]
    tab = output.Table(title="load generator")
    for col in ("figure", "value", "goal", "met"):
        tab.add_column(col)
    tab.add_row("launches/s (wall)", str(t["launches_per_s"]), ">= 2000", "yes" if t["met"] else "no")
    tab.add_row("launches per CPU second", str(t["launches_per_cpu_s"]), "", "")
    tab.add_row(f"lateness p99 at {a['rate_per_s']:g}/s (ms)", str(a["lateness_p99_ms"]), "< 50",
                "yes" if a["met"] else "no")
    tab.add_row("lateness max (ms)", str(a["lateness_max_ms"]), "", "")
    output.print_table(tab)
    return 0
