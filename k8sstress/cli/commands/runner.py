"""``k8sstress runner serve|pressure|bench``: the reference job runner and the sim pressure model."""

from __future__ import annotations

import argparse
import json

from k8sstress.cli import output
from k8sstress.runner.policies import POLICIES

__all__ = ["register"]

EPILOG = """\
examples:
  KC=$(k8sstress cluster status --format json | jq -r .kubeconfig)
  k8sstress runner serve --kubeconfig $KC --port 8080                   policy retry (the default)
  k8sstress runner serve --kubeconfig $KC --policy pending-timeout --pending-timeout 30
  curl -s localhost:8080/runs -d '{"template": "batch-with-limits", "params": {"duration_seconds": 5}}'
  curl -s localhost:8080/openapi.json                                   the API, documented
  k8sstress runner pressure --kubeconfig $KC --log pressure.jsonl       sim clusters only
  k8sstress runner bench --kubeconfig $KC --launches 2000               launch throughput
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("runner", help="the reference job runner (HTTP + kopf) and the sim pressure model",
                       description="The reference job runner stands in for ms-kubernetes-job-runner: it "
                                   "launches, stops and follows node pods with a chosen reaction policy.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    rsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    s = rsub.add_parser("serve", help="serve the runner's HTTP API until SIGTERM/Ctrl-C")
    s.add_argument("--policy", choices=list(POLICIES), default="retry",
                   help="reaction policy: " + "; ".join(f"{k}: {v.summary}" for k, v in POLICIES.items()))
    s.add_argument("--pending-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="pending-timeout policy: give up on pods Pending longer than this (default 60)")
    s.add_argument("--retry-for", type=float, default=60.0, metavar="SECONDS",
                   help="retry policy: keep retrying one create this long (default 60)")
    s.add_argument("--kubeconfig", metavar="FILE", help="the cluster (default: in a pod, its service account)")
    s.add_argument("--namespace", default="default", help="where node pods go (default: default)")
    s.add_argument("--name", default="reference", help="this runner's name, on the label k8sstress.io/runner")
    s.add_argument("--host", default="127.0.0.1", help="listen address (0.0.0.0 in a pod)")
    s.add_argument("--port", type=int, default=8080)
    s.add_argument("--no-follow", action="store_true", help=argparse.SUPPRESS)  # benchmarks of the launch path
    s.set_defaults(func=cmd_serve)

    pr = rsub.add_parser("pressure", help="run the sim cluster's kubelet pressure model in the foreground")
    pr.add_argument("--kubeconfig", metavar="FILE", required=True)
    pr.add_argument("--log", metavar="FILE", help="decision log (JSON lines, appended)")
    pr.set_defaults(func=cmd_pressure)

    b = rsub.add_parser("bench", help="measure launch throughput, memory with many runs, pressure-model CPU")
    b.add_argument("--kubeconfig", metavar="FILE", required=True)
    b.add_argument("--launches", type=int, default=2000, help="launches for the throughput run")
    b.add_argument("--concurrency", type=int, default=64)
    b.add_argument("--memory-runs", type=int, default=0, help="also measure runner memory with this many runs")
    b.add_argument("--pressure-pods", type=int, default=0, help="also measure pressure-model CPU with this many pods")
    b.add_argument("--json", action="store_true", help="print the figures as JSON")
    b.set_defaults(func=cmd_bench)


def cmd_serve(args: argparse.Namespace) -> int:
    from k8sstress.runner.api import serve
    from k8sstress.runner.service import RunnerConfig

    config = RunnerConfig(kubeconfig=args.kubeconfig, namespace=args.namespace, policy=args.policy,
                          pending_timeout_s=args.pending_timeout, retry_for_s=args.retry_for, name=args.name,
                          host=args.host, port=args.port, follow=not args.no_follow)

    def ready(url: str) -> None:
        output.info(f"runner {args.name} ({args.policy}) serving {url} for namespace {args.namespace}; "
                    f"API: {url}/openapi.json")

    serve(config, ready)
    return 0


def cmd_pressure(args: argparse.Namespace) -> int:
    from k8sstress.kube import Kube
    from k8sstress.pressure.loop import PressureModel

    if args.log:
        output.artifact("decision log", args.log)
    output.info("pressure model running (Ctrl-C to stop); sim clusters only")
    PressureModel(Kube(args.kubeconfig), decision_log=args.log).run()
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from k8sstress.runner import bench

    figures = bench.run_all(args.kubeconfig, launches=args.launches, concurrency=args.concurrency,
                            memory_runs=args.memory_runs, pressure_pods=args.pressure_pods,
                            progress=output.info)
    if args.json:
        output.print_json(figures)
    else:
        output.info(json.dumps(figures, indent=2))
    return 0
