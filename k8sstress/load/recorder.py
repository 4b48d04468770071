"""The run record as the load generator writes it (on top of :class:`~k8sstress.rundir.RunDir`).

Append-only JSON lines, flushed at least once a second by :meth:`Recorder.flusher`,
so a kill -9 loses at most the last second: ``launches.jsonl`` (a line when a launch
is sent, status pending, and another when it is answered), ``stops.jsonl`` (same),
``states.jsonl`` (the runner's reported states), ``metrics.jsonl``. ``run.json`` is
written first and rewritten (atomically) at the end with how the run ended.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from k8sstress.records import LaunchRecord, StateReport, StopRecord
from k8sstress.rundir import RunDir

__all__ = ["Recorder"]


class Recorder:
    def __init__(self, run_dir: RunDir) -> None:
        self.run_dir = run_dir
        self.run_info: dict[str, Any] = {}
        self.counts = {"launches": 0, "stops": 0, "states": 0, "metrics": 0}

    @property
    def path(self) -> Path:
        return self.run_dir.path

    def write_run(self, info: dict[str, Any]) -> Path:
        self.run_info = dict(info)
        return self.run_dir.write_json("run", self.run_info)

    def update_run(self, **fields: Any) -> Path:
        self.run_info.update(fields)
        return self.run_dir.write_json("run", self.run_info)

    def launch(self, rec: LaunchRecord) -> None:
        self.run_dir.append("launches", rec)
        self.counts["launches"] += 1

    def stop(self, rec: StopRecord) -> None:
        self.run_dir.append("stops", rec)
        self.counts["stops"] += 1

    def state(self, rec: StateReport) -> None:
        self.run_dir.append("states", rec)
        self.counts["states"] += 1

    def metric(self, name: str, value: float, labels: dict[str, str] | None = None, t: float | None = None) -> None:
        self.run_dir.append("metrics", {"t": time.time() if t is None else t, "name": name, "value": value,
                                        "labels": labels or {}})
        self.counts["metrics"] += 1

    def flush(self) -> None:
        self.run_dir.flush_all()

    async def flusher(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        """Flush every ``interval`` seconds until ``stop`` is set (then once more)."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except TimeoutError:
                pass
            await asyncio.to_thread(self.flush)

    def close(self) -> None:
        self.run_dir.close()
