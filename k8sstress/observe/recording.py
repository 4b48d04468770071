"""Record and replay: the observer's raw stream as ``observer.jsonl``, and folding it back.

While recording, the :class:`~k8sstress.observe.watching.Observer` appends each
:class:`~k8sstress.records.ObservedEvent` it keeps to the run directory's
``observer.jsonl`` (append-only, flushed at least once a second, a torn last line
skipped on reading: see :mod:`k8sstress.rundir`), in the order it folds them. So
:func:`replay` folds the same events in the same order, and gives the same
timelines and verdicts as the live observer did.

:func:`resume_point` reads the newest ``resourceVersion`` per resource from a
recording, for an observer that should carry on where a crashed one stopped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from k8sstress.errors import InputError
from k8sstress.observe.timelines import Timelines
from k8sstress.records import ObservedEvent
from k8sstress.rundir import FILES, read_jsonl

__all__ = ["observer_file", "read_events", "replay", "resume_point"]


def observer_file(path: str | Path) -> Path:
    """``path`` itself, or the ``observer.jsonl`` inside a run directory."""
    p = Path(path)
    if p.is_dir():
        p = p / FILES["observer"]
    if not p.exists():
        raise InputError(f"{p}: no observer recording there")
    return p


def read_events(path: str | Path) -> Iterator[ObservedEvent]:
    """The recorded events, in order (lines that are not observed events are skipped)."""
    for line in read_jsonl(observer_file(path)):
        if isinstance(line, dict) and {"seen", "resource", "type", "object"} <= line.keys():
            yield ObservedEvent.model_construct(**line)


def replay(path: str | Path, into: Timelines | None = None) -> Timelines:
    """Fold a recording into :class:`~k8sstress.observe.timelines.Timelines` (iterate it for PodHistory)."""
    timelines = into if into is not None else Timelines()
    apply = timelines.apply_raw
    for line in read_jsonl(observer_file(path)):
        if not isinstance(line, dict):
            continue
        try:
            apply(float(line["seen"]), str(line["resource"]), str(line["type"]), line["object"])
        except (KeyError, TypeError, ValueError):
            timelines.stats["ignored:unreadable-line"] += 1
    return timelines


def resume_point(path: str | Path) -> dict[str, str]:
    """The newest resourceVersion per resource in a recording (``{"pods": "1234", ...}``).

    Synthetic events (relist results) are skipped: their versions are not watch
    positions. Resuming from an older version than needed only repeats events, which
    the fold absorbs (the same state adds no timeline entry; an Event replaces itself).
    """
    out: dict[str, str] = {}
    for line in read_jsonl(observer_file(path)):
        if not isinstance(line, dict) or line.get("synthetic"):
            continue
        obj = line.get("object")
        meta = obj.get("metadata") if isinstance(obj, dict) else None
        rv = meta.get("resourceVersion") if isinstance(meta, dict) else None
        resource = line.get("resource")
        if not rv or not isinstance(resource, str):
            continue
        rv = str(rv)
        prev = out.get(resource)
        if prev is None or not (rv.isdigit() and prev.isdigit()) or int(rv) > int(prev):
            out[resource] = rv  # versions are opaque, but etcd's are integers: keep the largest
    return out
