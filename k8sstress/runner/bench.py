"""Benchmarks of the runner and the pressure model (``k8sstress runner bench``). Figures, never assertions.

1. launch throughput: N launches through the runner's HTTP API (a subprocess, kopf
   following on) at a fixed concurrency, next to N plain creates of the same pods
   from this process (the API server's own ceiling, same client library, same
   concurrency): when the two are close, the API server is the limit.
2. runner memory (RSS) with M live runs (pods Running on big bench nodes).
3. pressure-model CPU with M pods whose memory ramps (the model as a subprocess).

Everything runs in a namespace of its own, deleted at the end, with two bench nodes
(tainted, 10,000-pod capacity) removed at the end.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from k8sstress.errors import ClusterError
from k8sstress.kube import ApiError, Kube
from k8sstress.templates import LaunchParams, load_template, render_pod

__all__ = ["run_all", "launch_throughput", "runner_memory", "pressure_cpu"]

BENCH_TAINT = "k8sstress.io/bench"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, timeout: float = 60) -> None:
    import urllib.request
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise ClusterError(f"the runner did not answer {url} within {timeout:.0f}s")


class _Env:
    """A bench namespace and two big tainted nodes; cleaned up on exit."""

    def __init__(self, kube: Kube) -> None:
        self.kube = kube
        self.ns = f"bench-{uuid.uuid4().hex[:6]}"
        self.nodes = [f"bench-{self.ns[-6:]}-{i}" for i in range(2)]

    def __enter__(self) -> _Env:
        self.kube.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                "metadata": {"name": self.ns}})
        for name in self.nodes:
            res = {"cpu": "1000", "memory": "4Ti", "pods": "10000"}
            self.kube.create("/api/v1/nodes", {
                "apiVersion": "v1", "kind": "Node",
                "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "type": "kwok",
                                                      BENCH_TAINT: self.ns},
                             "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"}},
                "spec": {"taints": [{"key": BENCH_TAINT, "value": self.ns, "effect": "NoSchedule"}]},
                "status": {"allocatable": res, "capacity": res}})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            while True:
                try:
                    self.kube.get(f"/api/v1/namespaces/{self.ns}/serviceaccounts/default")
                    break
                except ApiError:
                    time.sleep(0.2)
            ready = 0
            for name in self.nodes:
                conds = self.kube.get(f"/api/v1/nodes/{name}")["status"].get("conditions") or []
                ready += any(c["type"] == "Ready" and c["status"] == "True" for c in conds)
            if ready == len(self.nodes):
                break
            time.sleep(0.3)
        return self

    @property
    def spec(self) -> dict[str, Any]:
        return {"nodeSelector": {BENCH_TAINT: self.ns},
                "tolerations": [{"key": BENCH_TAINT, "operator": "Exists", "effect": "NoSchedule"}]}

    def clear_pods(self) -> None:
        self.kube.request("DELETE", f"/api/v1/namespaces/{self.ns}/pods", query={"gracePeriodSeconds": 0})
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if not self.kube.get(f"/api/v1/namespaces/{self.ns}/pods", limit=1)["items"]:
                return
            time.sleep(0.5)

    def __exit__(self, *exc: object) -> None:
        try:
            self.kube.request("DELETE", f"/api/v1/namespaces/{self.ns}/pods", query={"gracePeriodSeconds": 0})
            self.kube.delete(f"/api/v1/namespaces/{self.ns}")
        except ClusterError:
            pass
        for name in self.nodes:
            try:
                self.kube.delete(f"/api/v1/nodes/{name}")
            except ClusterError:
                pass


class _RunnerProcess:
    def __init__(self, kubeconfig: str, namespace: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.gettempdir()) / f"k8sstress-bench-runner-{self.port}.log"
        code = "import sys; from k8sstress.cli.main import main; sys.exit(main(sys.argv[1:]))"
        cmd = [sys.executable, "-c", code, "runner", "serve", "--kubeconfig", kubeconfig,
               "--namespace", namespace, "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                     stderr=self.log.open("w"), start_new_session=True)
        _wait_http(self.url + "/healthz")

    def rss_mb(self) -> float:
        return float(psutil.Process(self.proc.pid).memory_info().rss) / 2**20

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


async def _flood(url: str, bodies: list[dict[str, Any]], concurrency: int) -> tuple[float, dict[int, int]]:
    codes: dict[int, int] = {}
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)
    conn = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=conn) as session:
        async def worker() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                async with session.post(url + "/runs", json=body) as resp:
                    await resp.read()
                    codes[resp.status] = codes.get(resp.status, 0) + 1
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, codes


def _plain_creates(kube: Kube, ns: str, pods: list[dict[str, Any]], concurrency: int) -> tuple[float, int]:
    errors = 0

    def create(p: dict[str, Any]) -> None:
        nonlocal errors
        try:
            kube.create(f"/api/v1/namespaces/{ns}/pods", p)
        except ClusterError:
            errors += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(create, pods))
    return time.perf_counter() - started, errors


def launch_throughput(kubeconfig: str, env: _Env, launches: int, concurrency: int,
                      progress: Callable[[str], None]) -> dict[str, Any]:
    kube = env.kube
    tpl = load_template("batch-without-limits")
    pods = []
    for i in range(launches):
        p = render_pod(tpl, LaunchParams(launch_id=f"plain-{i}", mode="batch"), env.ns)
        p["spec"].update(env.spec)
        pods.append(p)
    progress(f"plain client: {launches} creates, concurrency {concurrency}")
    plain_s, plain_err = _plain_creates(kube, env.ns, pods, concurrency)
    env.clear_pods()
    runner = _RunnerProcess(kubeconfig, env.ns)
    try:
        bodies = [{"template": "batch-without-limits", "launch_id": f"bench-{i}", "spec": env.spec}
                  for i in range(launches)]
        progress(f"runner: {launches} launches over HTTP, concurrency {concurrency}")
        runner_s, codes = asyncio.run(_flood(runner.url, bodies, concurrency))
        cpu = psutil.Process(runner.proc.pid).cpu_times()
        rss = runner.rss_mb()
    finally:
        runner.stop()
    env.clear_pods()
    return {
        "launches": launches, "concurrency": concurrency,
        "plain_create_per_s": round(launches / plain_s, 1), "plain_errors": plain_err,
        "runner_launch_per_s": round(launches / runner_s, 1), "runner_answers": codes,
        "runner_vs_plain": round(plain_s / runner_s, 3),
        "runner_cpu_s_per_launch_ms": round((cpu.user + cpu.system) / launches * 1000, 3),
        "runner_rss_mb_after": round(rss, 1),
    }


def runner_memory(kubeconfig: str, env: _Env, runs: int, concurrency: int,
                  progress: Callable[[str], None]) -> dict[str, Any]:
    runner = _RunnerProcess(kubeconfig, env.ns)
    try:
        base = runner.rss_mb()
        bodies = [{"template": "online-without-limits", "launch_id": f"mem-{i}", "spec": env.spec,
                   "params": {"memory_usage": "64Mi", "memory_ramp_seconds": 60}} for i in range(runs)]
        progress(f"runner memory: {runs} live runs")
        elapsed, codes = asyncio.run(_flood(runner.url, bodies, concurrency))
        deadline = time.monotonic() + 300
        import json
        import urllib.request
        running = 0
        while time.monotonic() < deadline:
            with urllib.request.urlopen(runner.url + "/healthz", timeout=10) as r:
                running = json.load(r)["counts"]["Running"]
            if running >= runs:
                break
            time.sleep(2)
        rss = runner.rss_mb()
    finally:
        runner.stop()
    return {"runs": runs, "running": running, "launch_s": round(elapsed, 1), "answers": codes,
            "rss_mb_idle": round(base, 1), "rss_mb_with_runs": round(rss, 1),
            "kb_per_run": round((rss - base) * 1024 / max(runs, 1), 2)}


def pressure_cpu(kubeconfig: str, env: _Env, pods: int, seconds: float,
                 progress: Callable[[str], None]) -> dict[str, Any]:
    """The pressure model over the live pods (created by :func:`runner_memory`) for ``seconds``."""
    from k8sstress.pressure import start_pressure

    log = Path(tempfile.gettempdir()) / f"k8sstress-bench-pressure-{os.getpid()}.jsonl"
    log.unlink(missing_ok=True)
    progress(f"pressure model over {pods} pods for {seconds:.0f}s")
    handle = start_pressure(kubeconfig, log_path=log, detach=True)
    try:
        proc = psutil.Process(handle.pid)
        time.sleep(5)  # its first listing
        c0 = proc.cpu_times()
        time.sleep(seconds)
        c1 = proc.cpu_times()
        rss = proc.memory_info().rss / 2**20
    finally:
        handle.stop()
    cpu = (c1.user + c1.system) - (c0.user + c0.system)
    return {"pods": pods, "seconds": seconds, "cpu_s": round(cpu, 2), "cpu_percent_of_one_core":
            round(100 * cpu / seconds, 1), "rss_mb": round(rss, 1), "decision_log": str(log)}


def run_all(kubeconfig: str, *, launches: int = 2000, concurrency: int = 64, memory_runs: int = 0,
            pressure_pods: int = 0, progress: Callable[[str], None] = print) -> dict[str, Any]:
    kube = Kube(kubeconfig)
    out: dict[str, Any] = {}
    with _Env(kube) as env:
        if launches:
            out["launch"] = launch_throughput(kubeconfig, env, launches, concurrency, progress)
            progress(f"launch: {out['launch']}")
        n = max(memory_runs, pressure_pods)
        if n:
            out["memory"] = runner_memory(kubeconfig, env, n, concurrency, progress)
            progress(f"memory: {out['memory']}")
            if pressure_pods:
                out["pressure"] = pressure_cpu(kubeconfig, env, n, 30, progress)
                progress(f"pressure: {out['pressure']}")
    return out
