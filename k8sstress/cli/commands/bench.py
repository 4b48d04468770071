"""``k8sstress bench observer|launch``: the benchmarks. They print figures; nothing here asserts.

Each benchmark is one subcommand. ``observer`` is defined here (its measurements live
in :mod:`k8sstress.observe.benchmark`); others register themselves: every module in
:data:`BENCH_MODULES` that exists defines ``register_bench(subparsers)``, which adds
its parser and sets ``func`` (as the command modules do for ``k8sstress``).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import platform
import sys
import time
import uuid
from typing import Any

from k8sstress.cli import output
from k8sstress.errors import InputError
from k8sstress.kube import ApiError, Kube

__all__ = ["register", "register_observer", "cmd_observer", "machine", "BENCH_MODULES"]

BENCH_MODULES: tuple[str, ...] = ("k8sstress.cli.commands.bench_launch", "k8sstress.cli.commands.bench_cluster")
"""Modules adding more benchmarks (``register_bench(subparsers)``); a missing one is skipped."""

GOALS = {"events_per_s": (">=", 20_000), "bytes_per_pod": ("<=", 2_048), "lag_p99_s": ("<", 1.0)}

EPILOG = """\
examples:
  k8sstress bench observer                       all four figures (brings up and tears down a sim cluster)
  k8sstress bench observer --json | tail -1      the figures as one JSON object (the last line)
  k8sstress bench observer --no-live --pods 20000 --events 50000      quick, no cluster
  k8sstress bench observer --kubeconfig ~/.kube/config               live part on a cluster already up

figures:
  events_per_s           replayed events parsed, folded and classified per CPU second of one thread
  bytes_per_pod          memory per tracked pod at --pods pods (RSS delta)
  lag_p99_s              pod create call returned -> the observer classified that resourceVersion
  stream_events_per_s    the live stream's lines, the observer's way (parse, fold, classify), per CPU second
  baseline_events_per_s  the same lines through kubernetes.watch.Watch (V1Pod models), per CPU second
  ratio                  stream_events_per_s / baseline_events_per_s ("stream.wire": the same over the wire)
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("bench", help="benchmarks: the observer's speed, memory and lag (figures, not tests)",
                       description="Benchmarks that print figures (see docs/benchmarks.md).",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    bsub = p.add_subparsers(dest="bench", metavar="BENCH", required=True)
    register_observer(bsub)
    for name in BENCH_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # a benchmark not built yet
            raise
        module.register_bench(bsub)


def register_observer(bsub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ob = bsub.add_parser("observer", help="replay throughput, memory per pod, live lag, kubernetes.watch baseline",
                         description="Measure the observer: (a) replayed events classified per second on one "
                                     "core, (b) memory per tracked pod, (c) live lag on a sim cluster at "
                                     "--rate events/s, (d) a plain kubernetes.watch.Watch loop on the same stream.",
                         epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    ob.add_argument("--json", action="store_true", help="print the figures as one JSON object (last line of stdout)")
    ob.add_argument("--pods", type=int, default=100_000, metavar="N", help="pods tracked for bytes_per_pod "
                    "(default 100000)")
    ob.add_argument("--events", type=int, default=200_000, metavar="N", help="replayed events for events_per_s "
                    "(default 200000)")
    ob.add_argument("--rate", type=float, default=500.0, metavar="EV/S", help="live watch events per second "
                    "(default 500)")
    ob.add_argument("--duration", type=float, default=10.0, metavar="SECONDS", help="live phase (default 10)")
    ob.add_argument("--no-live", action="store_true", help="skip (c) and (d): no cluster needed")
    ob.add_argument("--kubeconfig", metavar="FILE", help="run (c) and (d) on this cluster instead of a fresh sim one")
    ob.set_defaults(func=cmd_observer)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = ""
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), "")
    except OSError:
        pass
    mem = None
    try:
        import psutil

        mem = round(psutil.virtual_memory().total / 2**30, 1)
    except Exception:  # psutil is a dependency, but a figure is not worth a crash
        pass
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {"cpus": os.cpu_count(), "cpu_model": model or platform.processor() or None, "memory_gib": mem,
            "load_avg": load, "python": platform.python_version(), "platform": platform.platform()}


def _validate(args: argparse.Namespace) -> None:
    if args.pods < 1 or args.events < 1:
        raise InputError("--pods and --events must be at least 1")
    if args.rate <= 0 or args.duration <= 0:
        raise InputError("--rate and --duration must be positive")


def _live(args: argparse.Namespace, on_progress: Any) -> dict[str, Any]:
    """(c) and (d) on a sim cluster brought up for this (or on --kubeconfig); always torn down."""
    from k8sstress.observe import benchmark

    backend = None
    name = "bench-observer"
    if args.kubeconfig:
        kubeconfig = args.kubeconfig
    else:
        from k8sstress.cluster.config import ClusterConfig
        from k8sstress.cluster.sim import SimBackend

        nodes = max(10, int(args.rate * args.duration / 4 / 100) + 3)  # ~4 watch events per pod, 110 pods a node
        config = ClusterConfig.model_validate({
            "name": name,
            "node-pools": [{"name": "bench", "count": nodes, "cpu": "64", "memory": "256Gi", "pods": 110}],
        })
        backend = SimBackend()
        info = backend.up(config, on_progress=on_progress, wait_s=180)
        kubeconfig = info.kubeconfig
    kube = Kube(kubeconfig)
    namespace = f"bench-observer-{uuid.uuid4().hex[:5]}"
    try:
        kube.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        live = benchmark.measure_live(kube, namespace, rate=args.rate, duration_s=args.duration,
                                      progress=on_progress)
        stream = benchmark.measure_stream(kube, namespace, live["start_resource_version"],
                                          live["observed_pod_events"], progress=on_progress)
        return {"live": live, "stream": stream, "cluster": name if backend else kubeconfig}
    finally:
        if backend is not None:
            on_progress("tearing the sim cluster down", 0, 1)
            backend.down(name)
            on_progress("tearing the sim cluster down", 1, 1)
        else:
            try:
                kube.delete(f"/api/v1/namespaces/{namespace}")
            except ApiError:
                pass
        kube.close()


def cmd_observer(args: argparse.Namespace) -> int:
    from k8sstress.observe import benchmark

    _validate(args)
    started = time.monotonic()
    result: dict[str, Any] = {}
    with output.steps() as on_progress:
        replay = benchmark.measure_replay(args.events, progress=on_progress)
        gc.collect()
        on_progress(f"memory: {args.pods:,} pods (in a fresh process)", 0, 1)
        memory = benchmark.measure_memory_fresh(args.pods)
        on_progress(f"memory: {args.pods:,} pods (in a fresh process)", 1, 1)
        live = None if args.no_live else _live(args, on_progress)
    result = {
        "events_per_s": replay["events_per_s"],
        "bytes_per_pod": memory["bytes_per_pod"],
        "lag_p99_s": live["live"]["lag_p99_s"] if live else None,
        "baseline_events_per_s": live["stream"]["baseline_events_per_s"] if live else None,
        "stream_events_per_s": live["stream"]["stream_events_per_s"] if live else None,
        "ratio": live["stream"]["ratio"] if live else None,
        "goals": {k: f"{op} {v}" for k, (op, v) in GOALS.items()},
        "replay": replay,
        "memory": memory,
        "live": live["live"] if live else None,
        "stream": live["stream"] if live else None,
        "machine": machine(),
        "command": _command(args),
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    if args.json:
        # one object on one line: the contract is "the last line of stdout"
        sys.stdout.write(json.dumps(result, separators=(",", ":"), default=str) + "\n")
        sys.stdout.flush()
        return 0
    _print_table(result)
    return 0


def _command(args: argparse.Namespace) -> str:
    parts = ["k8sstress bench observer", f"--pods {args.pods}", f"--events {args.events}"]
    if args.no_live:
        parts.append("--no-live")
    else:
        parts += [f"--rate {args.rate:g}", f"--duration {args.duration:g}"]
        if args.kubeconfig:
            parts.append("--kubeconfig FILE")
    if args.json:
        parts.append("--json")
    return " ".join(parts)


def _met(key: str, value: Any) -> str:
    if value is None:
        return "-"
    op, goal = GOALS[key]
    ok = value >= goal if op == ">=" else value <= goal if op == "<=" else value < goal
    return "[green]yes[/green]" if ok else "[red]no[/red]"


def _print_table(r: dict[str, Any]) -> None:
    t = output.Table(title="k8sstress bench observer")
    t.add_column("figure")
    t.add_column("value", justify="right")
    t.add_column("goal")
    t.add_column("met")
    t.add_row("events_per_s (replay, one core)", f"{r['events_per_s']:,}", ">= 20,000", _met("events_per_s",
                                                                                         r["events_per_s"]))
    t.add_row(f"bytes_per_pod (at {r['memory']['pods']:,} pods)", f"{r['bytes_per_pod']:,}", "<= 2,048",
              _met("bytes_per_pod", r["bytes_per_pod"]))
    if r["live"] is not None:
        lag = r["live"]["lag_s"]
        t.add_row(f"lag_p99_s (at {r['live']['events_per_s']} events/s)", f"{r['lag_p99_s']:.3f}", "< 1",
                  _met("lag_p99_s", r["lag_p99_s"]))
        t.add_row("lag p50 / p95 / max (s)", f"{lag['p50']:.3f} / {lag['p95']:.3f} / {lag['max']:.3f}", "", "")
        t.add_row("observer on the live stream's lines (events/CPU s)", f"{r['stream_events_per_s']:,}", "", "")
        t.add_row("kubernetes.watch.Watch on the same (events/CPU s)", f"{r['baseline_events_per_s']:,}", "", "")
        t.add_row("ratio", f"{r['ratio']}x", "", "")
        wire = r["stream"]["wire"]
        t.add_row("over the wire: observer / Watch (events/s)",
                  f"{wire['observer_events_per_s']:,} / {wire['baseline_events_per_s']:,}", "", "")
    else:
        t.add_row("live lag, baseline", "skipped (--no-live)", "", "")
    output.print_table(t)
    m = r["machine"]
    output.info(f"machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, Python {m['python']}; "
                f"{r['elapsed_s']}s")
