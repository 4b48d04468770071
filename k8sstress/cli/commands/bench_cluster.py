"""``k8sstress bench cluster``: warm `cluster up` to all nodes Ready, and the plain-client
pod-creation baseline (figures for docs/benchmarks.md; nothing asserts)."""

from __future__ import annotations

import argparse
import json
import sys

from k8sstress.cli import output
from k8sstress.cli.commands.cluster import resolve_config

__all__ = ["register_bench"]


def register_bench(bsub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = bsub.add_parser("cluster", help="sim cluster: up to all nodes Ready; plain-client pods/s",
                        description="Brings a sim cluster up from cached binaries, times it to all nodes "
                                    "Ready, measures a plain kubernetes-client pod-create loop against it, "
                                    "and tears it down. The last line of --json is one JSON object.",
                        epilog="examples:\n  k8sstress bench cluster\n"
                               "  k8sstress bench cluster --config sim-1k --pods 0 --json | tail -1",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="sim-small", help="cluster file or name (default sim-small)")
    p.add_argument("--pods", type=int, default=2000, help="pods for the plain-client loop (0 skips it)")
    p.add_argument("--workers", type=int, default=8, help="threads of the plain-client loop")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON line (last line)")
    p.set_defaults(func=cmd_bench_cluster)


def cmd_bench_cluster(args: argparse.Namespace) -> int:
    from k8sstress.cluster.bench import bench_plain_pod_loop, bench_up
    from k8sstress.cluster.sim import SimBackend

    config = resolve_config(args.config)
    config = config.model_copy(update={"name": f"bench-{config.name}"[:40]})
    with output.steps() as on_progress:
        result = bench_up(config, keep=True, on_progress=on_progress)
    try:
        if args.pods > 0:
            output.info(f"plain client loop: {args.pods} pods, {args.workers} threads")
            result["plain_client"] = bench_plain_pod_loop(result["kubeconfig"], pods=args.pods, workers=args.workers)
    finally:
        SimBackend().down(config.name)
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
    else:
        output.info(f"up to {result['nodes_ready']}/{result['nodes']} nodes Ready: {result['up_to_ready_s']} s")
        if "plain_client" in result:
            output.info(f"plain client: {result['plain_client']['pods_per_s']} pods/s")
    return 0
