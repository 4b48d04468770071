"""The sim backend's kubelet stand-in: per-pod usage, OOM kills, node pressure and ranked eviction.

KWOK has no kubelet, so on the sim cluster this package does what a kubelet and
the kernel would: it ramps each pod's memory as its annotations say, OOM-kills a
container above its limit (restart with the kubelet's back-off, or Failed),
completes batch pods after their duration, raises MemoryPressure and evicts pods
in the kubelet's order, and lets the kernel OOM killer pick a victim when a node
runs out of memory outright. Every object it changes and every event it posts
carries :data:`~k8sstress.records.SIMULATED_ANNOTATION`; every decision is logged.

Layout: :mod:`.kubelet` (upstream strings and shapes) and :mod:`.model` (views and
decisions) are pure; :mod:`.loop` is the I/O; :func:`start_pressure` runs it in a
thread or a detached process. Sim clusters only: never point it at a real cluster.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from k8sstress.kube import Kube
from k8sstress.pressure.loop import LEASE_NAME, LEASE_NAMESPACE, PressureConfig, PressureModel

__all__ = ["start_pressure", "PressureHandle", "PressureConfig", "PressureModel", "LEASE_NAME",
           "LEASE_NAMESPACE"]


class PressureHandle:
    """A running pressure model: in this process (a thread) or a detached process (``pid``)."""

    def __init__(self, model: PressureModel | None = None, process: subprocess.Popen[bytes] | None = None,
                 log_path: str | None = None) -> None:
        self.model = model
        self.process = process
        self.log_path = log_path

    @property
    def pid(self) -> int:
        return self.process.pid if self.process is not None else os.getpid()

    @property
    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return self.model is not None and not self.model._stop.is_set()

    def stop(self, timeout: float = 10) -> None:
        """Stop the model and wait for it (a detached process gets SIGTERM, then SIGKILL)."""
        if self.model is not None:
            self.model.stop(timeout)
            self.model.kube.close()
            self.model = None
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_pressure(kubeconfig: str, *, log_path: str | Path | None = None, detach: bool = False,
                   config: PressureConfig | None = None, wait_s: float = 30) -> PressureHandle:
    """Start the pressure model against the sim cluster behind ``kubeconfig``.

    ``log_path``: the JSON-lines decision log (appended). ``detach=True`` runs it as
    ``python -m k8sstress.pressure`` in its own session (it outlives this process
    until ``handle.stop()`` or a SIGTERM to ``handle.pid``); otherwise it runs in
    threads of this process. Returns once its first listing is done (or ``wait_s``).
    """
    if detach:
        cmd = [sys.executable, "-m", "k8sstress.pressure", "--kubeconfig", str(kubeconfig)]
        if log_path:
            cmd += ["--log", str(log_path)]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        handle = PressureHandle(process=proc, log_path=str(log_path) if log_path else None)
        if log_path:
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline and proc.poll() is None:
                p = Path(log_path)
                if p.exists() and '"started"' in p.read_text(errors="replace"):
                    break
                time.sleep(0.1)
        return handle
    model = PressureModel(Kube(str(kubeconfig)), config=config, decision_log=log_path).start()
    model.wait_synced(wait_s)
    return PressureHandle(model=model, log_path=str(log_path) if log_path else None)
