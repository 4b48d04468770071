"""``k8sstress bench launch``: the load generator's launch rate and schedule accuracy.

Against a no-op HTTP runner (an aiohttp app in a child process that answers every
launch ``201 {"id": ...}``), the real load path runs: the open-model scheduler, the
mix, rendering each launch's pod, a JSON POST, reading the run id, and writing
``launches.jsonl`` twice per launch through the recorder (status polls off). The
generator is pinned to one core and the no-op runner to another when the machine has
two, so "on one core" means what it says; CPU seconds are measured too.

Two measurements (docs/benchmarks.md, "Load generator"):

* throughput: a schedule far faster than the generator can go (all launches due at
  once, in effect); launches answered per second of wall time, and per CPU second.
  Goal: >= 2,000/s on one core.
* accuracy: a constant 500 launches/s; lateness (sent - due) p50/p99/max.
  Goal: p99 < 50 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from k8sstress.load.launches import LaunchRequest, LaunchResult, StatusResult, StopRequest, StopResult
from k8sstress.load.recorder import Recorder
from k8sstress.load.scenario import parse_scenario
from k8sstress.load.session import LoadSession
from k8sstress.rundir import RunDir

__all__ = ["run_launch_bench", "NOOP_RUNNER", "HttpJsonLauncher"]

NOOP_RUNNER = r"""
import itertools, sys
from aiohttp import web
n = itertools.count()
async def launch(request):
    await request.read()
    return web.json_response({"id": f"r-{next(n)}", "state": "Pending"}, status=201)
async def ok(request):
    return web.json_response({"state": "Running"})
app = web.Application()
app.router.add_post("/runs", launch)
app.router.add_get("/runs/{rid}", ok)
app.router.add_delete("/runs/{rid}", ok)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None, backlog=4096)
"""

_SCENARIO = """\
name: bench-launch
mix:
  - {{name: batch, mode: batch, template: batch-with-limits, params: {{duration: 30s, memory-usage: 300Mi}}}}
  - {{name: online, mode: online, template: online-without-limits}}
profile: {{kind: constant, rate: {rate}, {length}}}
stop: {{online: never}}
load: {{max-in-flight: {in_flight}, status-poll: null}}
durations: {{settle: 0s}}
"""


class HttpJsonLauncher:
    """The least a runner client does: POST the launch (its pod) as JSON, read the run id."""

    def __init__(self, base_url: str, max_in_flight: int) -> None:
        self.base_url = base_url
        self.max_in_flight = max_in_flight
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self.max_in_flight),
                                             timeout=aiohttp.ClientTimeout(total=30))

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()

    async def launch(self, request: LaunchRequest) -> LaunchResult:
        assert self.session is not None
        body = json.dumps({"launch_id": request.launch_id, "mode": request.mode, "run": request.run,
                           "pod": request.manifest}, separators=(",", ":")).encode()
        try:
            async with self.session.post(self.base_url + "/runs", data=body,
                                         headers={"Content-Type": "application/json"}) as resp:
                raw = await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            return LaunchResult("error", error=f"{type(exc).__name__}: {exc}")
        if status in (200, 201, 202):
            return LaunchResult("accepted", http_status=status, run_id=json.loads(raw).get("id"))
        return LaunchResult("rejected" if status < 500 else "error", http_status=status)

    async def stop(self, request: StopRequest) -> StopResult:
        return StopResult("accepted")

    async def status(self, request: StopRequest) -> StatusResult | None:
        return None


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpus() -> list[int]:
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return []


@contextlib.contextmanager
def _noop_runner(cpu: int | None) -> Any:
    port = _free_port()

    def pin() -> None:  # pragma: no cover - runs in the child
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})

    proc = subprocess.Popen([sys.executable, "-c", NOOP_RUNNER, str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, preexec_fn=pin if cpu is not None else None)
    try:
        import socket

        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the no-op runner did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


LauncherFactory = Callable[[str, int], Any]
"""``make(base_url, max_in_flight)``: a Launcher with ``async start()`` and ``async close()``."""


async def _measure(base_url: str, rate: float, length: str, in_flight: int, work: Path,
                   make_launcher: LauncherFactory | None) -> dict[str, Any]:
    scenario = parse_scenario(_SCENARIO.format(rate=rate, length=length, in_flight=in_flight), "<bench>")
    client = (make_launcher or HttpJsonLauncher)(base_url, in_flight)
    await client.start()
    rd = RunDir(work, create=True)
    recorder = Recorder(rd)
    session = LoadSession(scenario, client, recorder, run="bench", token="bench0", namespace="bench")
    cpu0, t0 = _cpu_seconds(), time.perf_counter()
    try:
        result = await session.run()
    finally:
        await client.close()
    wall = time.perf_counter() - t0
    cpu = _cpu_seconds() - cpu0
    recorder.close()
    lat = result.scheduler["lateness"].get("launch", {})
    lines = sum(1 for _ in (work / "launches.jsonl").open())
    first_sent = min((json.loads(line)["sent_at"] for line in (work / "launches.jsonl").open()), default=0.0)
    return {"launches": result.sent, "answered": result.answered, "accepted": result.accepted,
            "errors": result.errors + result.rejected, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
            "record_lines": lines, "lateness": lat, "first_sent_at": first_sent,
            "result": {"started_at": result.started_at, "ended_at": result.ended_at}}


def run_launch_bench(*, throughput_launches: int = 20000, accuracy_rate: float = 500.0,
                     accuracy_duration_s: float = 10.0, max_in_flight: int = 256, pin: bool = True,
                     make_launcher: LauncherFactory | None = None, base_url: str | None = None) -> dict[str, Any]:
    """Measure the launch rate (goal >= 2,000/s on one core) and the schedule accuracy (goal p99
    lateness < 50 ms at 500/s). Returns the figures; prints nothing.

    ``make_launcher``/``base_url``: measure another client (e.g. the http target with a template
    file) or an already running runner, instead of the built-in client and the no-op runner.
    """
    cpus = _cpus()
    gen_cpu = cpus[0] if pin and cpus else None
    srv_cpu = cpus[1] if pin and len(cpus) > 1 else None
    saved = set(cpus)
    if gen_cpu is not None:
        os.sched_setaffinity(0, {gen_cpu})
    out: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "generator_cpu": gen_cpu, "runner_cpu": srv_cpu,
                                       "python": sys.version.split()[0]},
                           "settings": {"throughput_launches": throughput_launches, "accuracy_rate": accuracy_rate,
                                        "accuracy_duration_s": accuracy_duration_s, "max_in_flight": max_in_flight}}
    try:
        with contextlib.ExitStack() as stack:
            url = base_url or stack.enter_context(_noop_runner(srv_cpu))
            with tempfile.TemporaryDirectory(prefix="k8sstress-bench-") as tmp:
                # warm up (imports, connections, template caches)
                asyncio.run(_measure(url, 200.0, "launches: 200", max_in_flight, Path(tmp) / "warm", make_launcher))
                tp = asyncio.run(_measure(url, 1e6, f"launches: {throughput_launches}", max_in_flight,
                                          Path(tmp) / "throughput", make_launcher))
                acc = asyncio.run(_measure(url, accuracy_rate, f"duration: {accuracy_duration_s}s", max_in_flight,
                                           Path(tmp) / "accuracy", make_launcher))
    finally:
        if gen_cpu is not None and saved:
            os.sched_setaffinity(0, saved)
    wall = tp["wall_s"] or 1e-9
    out["throughput"] = {
        "launches": tp["launches"], "answered": tp["answered"], "errors": tp["errors"], "wall_s": tp["wall_s"],
        "cpu_s": tp["cpu_s"], "launches_per_s": round(tp["answered"] / wall, 1),
        "launches_per_cpu_s": round(tp["answered"] / tp["cpu_s"], 1) if tp["cpu_s"] else None,
        "record_lines": tp["record_lines"], "goal_per_s": 2000,
        "met": tp["answered"] / wall >= 2000,
    }
    lat = acc["lateness"]
    out["accuracy"] = {
        "rate_per_s": accuracy_rate, "launches": acc["launches"], "answered": acc["answered"],
        "errors": acc["errors"], "wall_s": acc["wall_s"], "cpu_s": acc["cpu_s"],
        "lateness_p50_ms": round(lat.get("p50_s", 0.0) * 1000, 3),
        "lateness_p99_ms": round(lat.get("p99_s", 0.0) * 1000, 3),
        "lateness_max_ms": round(lat.get("max_s", 0.0) * 1000, 3),
        "waited_for_slot": lat.get("waited_for_slot", 0), "goal_p99_ms": 50,
        "met": lat.get("p99_s", 1.0) * 1000 < 50,
    }
    return out


if __name__ == "__main__":  # pragma: no cover - python -m k8sstress.load.bench
    print(json.dumps(run_launch_bench(), indent=2))
