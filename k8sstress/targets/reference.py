"""``reference``: our reference runner, driven over HTTP through the generic ``http`` target.

The requests live in ``manifests/targets/reference-runner.yaml`` (an ordinary http
template, so the ``http`` target is exercised by every reference run). This module
adds the runner's lifecycle: unless ``url`` points at one already running, it starts
``k8sstress runner serve --policy P --kubeconfig F --namespace NS --port N`` as a child
process (its log in the run directory; it gets SIGTERM if the harness dies), waits for
it to answer, samples its memory, cpu, threads and open files into the record, and
stops it at the end. Its pods carry the ``k8sstress.io/run-id`` label (the tie).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import Field

from k8sstress.errors import EnvironmentProblem
from k8sstress.targets.base import Metric, TargetContext, TargetOptions, register_target
from k8sstress.targets.http import HttpOptions, HttpTarget
from k8sstress.targets.http_template import load_http_template

__all__ = ["ReferenceTarget", "ReferenceOptions", "runner_command", "free_port"]

DEFAULT_TEMPLATE = "reference-runner"


class ReferenceOptions(TargetOptions):
    policy: str = Field(default="retry", description="the runner's reaction policy: naive, retry, backpressure, pending-timeout")
    url: str | None = Field(default=None, description="use a runner already running here instead of starting one")
    port: int = Field(default=0, ge=0, le=65535, description="0 picks a free port")
    template: str = DEFAULT_TEMPLATE
    args: list[str] = Field(default_factory=list, description="extra arguments for 'k8sstress runner serve'")
    startup_timeout: float = Field(default=30.0, gt=0)
    health_path: str = "/healthz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def runner_command(policy: str, kubeconfig: str, namespace: str, port: int, extra: list[str]) -> list[str]:
    """The runner's command line (the installed CLI, through this interpreter)."""
    return [sys.executable, "-c", "import sys; from k8sstress.cli.main import main; sys.exit(main())",
            "runner", "serve", "--policy", policy, "--kubeconfig", kubeconfig, "--namespace", namespace,
            "--port", str(port), *extra]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class ReferenceTarget(HttpTarget):
    name = "reference"

    def __init__(self, options: ReferenceOptions) -> None:
        tpl = load_http_template(options.template, options={"port": options.port or 1})
        super().__init__(tpl, HttpOptions(template=options.template, base_url=options.url))
        self.ref = options
        self.process: subprocess.Popen[bytes] | None = None
        self.port = options.port
        self.log_path: Path | None = None
        self._ps: Any = None

    async def start(self, ctx: TargetContext) -> None:
        if self.ref.url is None:
            if not ctx.kubeconfig:
                raise EnvironmentProblem("the reference runner needs a kubeconfig")
            self.port = self.ref.port or free_port()
            self.vars["port"] = self.port
            self.log_path = ctx.run_dir / "runner.log"
            cmd = runner_command(self.ref.policy, ctx.kubeconfig, ctx.namespace, self.port, self.ref.args)
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                                preexec_fn=_die_with_parent if sys.platform == "linux" else None)
            try:
                import psutil

                self._ps = psutil.Process(self.process.pid)
                self._ps.cpu_percent(None)
            except Exception:
                self._ps = None
        await super().start(ctx)
        await self._wait_ready()

    async def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ref.startup_timeout
        url = self.base_url + self.ref.health_path
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                tail = self._log_tail()
                raise EnvironmentProblem(f"the reference runner exited at start (code {self.process.returncode}):\n"
                                         f"{tail}", hint=f"its log: {self.log_path}")
            try:
                assert self.session is not None
                async with self.session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as resp:
                    if resp.status < 500:
                        return
                    last = f"HTTP {resp.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                last = f"{type(exc).__name__}"
            await asyncio.sleep(0.2)
        raise EnvironmentProblem(f"the reference runner did not answer at {url} within "
                                 f"{self.ref.startup_timeout:g}s ({last})", hint=f"its log: {self.log_path}")

    def _log_tail(self, lines: int = 15) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    async def close(self) -> None:
        await super().close()
        proc = self.process
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(proc.wait, 10)
            except subprocess.TimeoutExpired:
                proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    await asyncio.to_thread(proc.wait, 5)
        self.process = None

    def sample_metrics(self) -> list[Metric]:
        ps = self._ps
        if ps is None:
            return []
        try:
            with ps.oneshot():
                labels = {"pid": str(ps.pid)}
                out: list[Metric] = [
                    ("runner.rss_bytes", float(ps.memory_info().rss), labels),
                    ("runner.cpu_percent", float(ps.cpu_percent(None)), labels),
                    ("runner.threads", float(ps.num_threads()), labels),
                ]
                with contextlib.suppress(Exception):
                    out.append(("runner.open_fds", float(ps.num_fds()), labels))
                return out
        except Exception:
            self._ps = None
            return []

    def describe(self) -> dict[str, Any]:
        d = super().describe()
        d.update({"kind": self.name, "options": self.ref.model_dump(mode="json", by_alias=True),
                  "policy": self.ref.policy, "pid": self.process.pid if self.process else None,
                  "log": str(self.log_path) if self.log_path else None, "port": self.port})
        return d


@register_target("reference")
def _factory(options: dict[str, Any], base_dir: Path | None) -> ReferenceTarget:
    return ReferenceTarget(ReferenceOptions.model_validate(options))
