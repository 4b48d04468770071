"""A run's directory: append-only, crash-safe JSON-lines files and their readers.

Layout (one directory per run)::

    run.json           what was run: scenario, target, cluster, time scale, start (written first)
    launches.jsonl     LaunchRecord lines; a launch is written when sent (status pending) and
                       again when answered; readers keep the last line per launch_id
    stops.jsonl        StopRecord lines, same rule per launch_id
    states.jsonl       StateReport lines (the runner's reported states)
    observer.jsonl     ObservedEvent lines (the raw watch stream; replayable)
    metrics.jsonl      metric samples {"t", "name", "value", "labels"}
    summary.json       written at the end (also after Ctrl-C, marked partial)

Every writer flushes at least once a second (and on close), so a kill -9 loses at
most the last second. A torn last line (crash mid-write) is skipped by the readers.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from k8sstress.errors import InputError

__all__ = ["RunDir", "JsonlWriter", "read_jsonl", "FILES"]

FILES = {
    "run": "run.json",
    "launches": "launches.jsonl",
    "stops": "stops.jsonl",
    "states": "states.jsonl",
    "observer": "observer.jsonl",
    "metrics": "metrics.jsonl",
    "summary": "summary.json",
}

M = TypeVar("M", bound=BaseModel)


class JsonlWriter:
    """Thread-safe append-only JSON-lines writer, flushed at most ``flush_s`` after a write."""

    def __init__(self, path: Path, flush_s: float = 1.0) -> None:
        self.path = path
        self._fh = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()
        self._flush_s = flush_s
        self._last_flush = time.monotonic()
        self.count = 0

    def write(self, obj: BaseModel | dict[str, Any]) -> None:
        line = obj.model_dump_json() if isinstance(obj, BaseModel) else json.dumps(obj, separators=(",", ":"))
        with self._lock:
            self._fh.write(line + "\n")
            self.count += 1
            now = time.monotonic()
            if now - self._last_flush >= self._flush_s:
                self._fh.flush()
                self._last_flush = now

    def flush(self) -> None:
        with self._lock:
            if not self._fh.closed:
                self._fh.flush()
                os.fsync(self._fh.fileno())
                self._last_flush = time.monotonic()

    def close(self) -> None:
        with self._lock:
            if not self._fh.closed:
                self._fh.flush()
                self._fh.close()


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Each complete JSON line of ``path``; a torn or corrupt line is skipped."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                yield json.loads(line)
            except ValueError:
                continue


class RunDir:
    """One run's directory. Writers are opened lazily and flushed by :meth:`flush_all`."""

    def __init__(self, path: str | Path, create: bool = False) -> None:
        self.path = Path(path)
        if create:
            self.path.mkdir(parents=True, exist_ok=True)
        elif not self.path.is_dir():
            raise InputError(f"{self.path} is not a run directory (it does not exist)")
        self._writers: dict[str, JsonlWriter] = {}
        self._lock = threading.Lock()

    def file(self, key: str) -> Path:
        return self.path / FILES[key]

    def writer(self, key: str) -> JsonlWriter:
        with self._lock:
            w = self._writers.get(key)
            if w is None:
                w = self._writers[key] = JsonlWriter(self.file(key))
            return w

    def append(self, key: str, obj: BaseModel | dict[str, Any]) -> None:
        self.writer(key).write(obj)

    def flush_all(self) -> None:
        for w in list(self._writers.values()):
            w.flush()

    def close(self) -> None:
        for w in list(self._writers.values()):
            w.close()

    def write_json(self, key: str, obj: Any) -> Path:
        """Write a whole JSON file atomically (write to a temp name, then rename)."""
        target = self.file(key)
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(obj, indent=2, default=str))
        tmp.replace(target)
        return target

    def read_json(self, key: str) -> Any:
        p = self.file(key)
        if not p.exists():
            return None
        try:
            return json.loads(p.read_text())
        except ValueError as exc:
            raise InputError(f"{p}: not valid JSON ({exc})") from exc

    def records(self, key: str, model: type[M], id_field: str | None = None) -> list[M]:
        """Parse a JSON-lines file into models; with ``id_field``, keep the last line per id."""
        items = [model.model_validate(d) for d in read_jsonl(self.file(key))]
        if id_field is None:
            return items
        last: dict[Any, M] = {}
        for it in items:
            last[getattr(it, id_field)] = it
        return list(last.values())
