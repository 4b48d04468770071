"""``k8sstress demo``: the main job on a fresh machine, end to end.

Sim cluster up (binaries built if needed), a pod that fits and one that does not,
each classified, a summary, everything torn down; the run directory's path printed.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from k8sstress.cli import output
from k8sstress.cli.commands.cluster import resolve_config
from k8sstress.cluster.sim import SimBackend
from k8sstress.kube import Kube
from k8sstress.rundir import RunDir

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="the main job on a fresh machine: sim cluster, pods, outcomes, teardown",
                       description="Brings the sim cluster up (building binaries on first use), launches "
                                   "pods that fit and pods that cannot, classifies every pod, prints a "
                                   "summary, writes the run directory and tears everything down.")
    p.add_argument("--out", metavar="DIR", help="run directory (default runs/demo-<timestamp>)")
    p.add_argument("--config", metavar="FILE", help="cluster file (default clusters/sim-small.yaml)")
    p.set_defaults(func=cmd_demo)


def _pod(name: str, cpu: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": {"k8sstress.io/run": "demo"}},
            "spec": {"containers": [{"name": "node", "image": "registry.example.com/node:1",
                                     "resources": {"requests": {"cpu": cpu}, "limits": {"cpu": cpu}}}]}}


def cmd_demo(args: argparse.Namespace) -> int:
    config = resolve_config(args.config).model_copy(update={"name": "k8sstress-demo"})
    out = Path(args.out or f"runs/demo-{time.strftime('%Y%m%d-%H%M%S')}")
    run = RunDir(out, create=True)
    backend = SimBackend()
    started = time.time()
    try:
        with output.progress() as prog:
            tasks: dict[str, int] = {}

            def on_progress(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = prog.add_task(step, total=total)
                prog.update(tasks[step], completed=done, total=total)

            info = backend.up(config, on_progress=on_progress)
        output.info(f"sim cluster up: {info.nodes_ready}/{info.nodes_total} nodes Ready "
                    f"(kubeconfig {info.kubeconfig})")
        kube = Kube(info.kubeconfig)
        nodes = kube.get("/api/v1/nodes")["items"]
        t = output.Table(title="nodes")
        for col in ("name", "cpu", "memory", "pods"):
            t.add_column(col)
        for n in nodes:
            a = n["status"]["allocatable"]
            t.add_row(n["metadata"]["name"], a["cpu"], a["memory"], a["pods"])
        output.print_table(t)
        ns = "default"
        kube.create(f"/api/v1/namespaces/{ns}/pods", _pod("fits", "1"))
        kube.create(f"/api/v1/namespaces/{ns}/pods", _pod("too-big", "64"))
        deadline = time.monotonic() + 30
        pods: list[dict] = []  # type: ignore[type-arg]
        while time.monotonic() < deadline:
            pods = kube.get(f"/api/v1/namespaces/{ns}/pods", labelSelector="k8sstress.io/run=demo")["items"]
            phases = {p["metadata"]["name"]: p["status"].get("phase") for p in pods}
            conds = {p["metadata"]["name"]: [c.get("reason") for c in p["status"].get("conditions") or []]
                     for p in pods}
            if phases.get("fits") == "Running" and "Unschedulable" in conds.get("too-big", []):
                break
            time.sleep(0.3)
        events = kube.get(f"/api/v1/namespaces/{ns}/events")["items"]
        from k8sstress.classify import classify_pod

        verdicts = [classify_pod(p, [e for e in events if e["involvedObject"].get("uid") == p["metadata"]["uid"]])
                    for p in pods]
        t = output.Table(title="pods and their outcomes")
        for col in ("pod", "outcome", "detail"):
            t.add_column(col)
        for v in verdicts:
            t.add_row(v.name, v.outcome.value, json.dumps(v.detail, default=str)[:100])
        output.print_table(t)
        outcomes: dict[str, int] = {}
        for v in verdicts:
            outcomes[v.outcome.value] = outcomes.get(v.outcome.value, 0) + 1
        summary = {"run": "demo", "partial": False, "started_at": started, "finished_at": time.time(),
                   "cluster": info.as_json(), "outcomes": outcomes,
                   "pods": [v.as_json() for v in verdicts]}
        path = run.write_json("summary", summary)
        output.artifact("summary", path)
    finally:
        backend.down(config.name)
        output.info("sim cluster torn down")
    output.artifact("run directory", out.resolve())
    return 0
