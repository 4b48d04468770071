"""Reading a run directory into the analysis' :class:`~k8sstress.analyze.RunInput`.

Tolerant of partial records (kill -9 mid-run): torn or invalid lines are skipped and
counted in the notes; a missing ``run.json`` or ``observer.jsonl`` is a note, not an error.
Only a path that is not a directory at all is an :class:`~k8sstress.errors.InputError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from k8sstress.analyze import RunInput
from k8sstress.analyze.inputs import epoch
from k8sstress.observe.survival import pending_survival
from k8sstress.observe.timelines import Timelines
from k8sstress.records import LaunchRecord, ObservedEvent, StateReport, StopRecord
from k8sstress.rundir import FILES, RunDir

__all__ = ["LoadedRun", "load_run", "detect_partial", "prometheus_url"]

M = TypeVar("M", bound=BaseModel)


@dataclass
class LoadedRun:
    run_dir: Path
    input: RunInput
    timelines: Timelines
    skipped: dict[str, int] = field(default_factory=dict)


def _lines(path: Path) -> tuple[list[dict[str, Any]], int]:
    """Complete JSON-object lines, and how many lines were torn or not objects."""
    out: list[dict[str, Any]] = []
    bad = 0
    if not path.exists():
        return out, 0
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                bad += 1
                continue
            if isinstance(obj, dict):
                out.append(obj)
            else:
                bad += 1
    return out, bad


def _records(path: Path, model: type[M], key: str | None) -> tuple[list[M], int]:
    lines, bad = _lines(path)
    items: list[M] = []
    for d in lines:
        try:
            items.append(model.model_validate(d))
        except ValidationError:
            bad += 1
    if key is None:
        return items, bad
    last: dict[Any, M] = {}
    for it in items:
        last[getattr(it, key)] = it
    return list(last.values()), bad


def detect_partial(run_dir: Path, meta: Mapping[str, Any]) -> bool:
    """Whether a record looks cut short: run.json says so, or never says how the run ended."""
    if meta.get("partial") is True or meta.get("aborted") is True:
        return True
    status = meta.get("status") or meta.get("ended")
    if isinstance(status, str) and status.lower() in ("aborted", "interrupted", "killed", "timeout", "timed-out",
                                                      "partial"):
        return True
    if meta.get("ended_at") is None:
        summary = run_dir / FILES["summary"]
        if summary.exists():
            try:
                return bool(json.loads(summary.read_text()).get("partial", False))
            except ValueError:
                return True
        return True
    return False


def prometheus_url(meta: Mapping[str, Any]) -> str | None:
    """Where this run's Prometheus was, if it had one (run.json ``prometheus_url`` or ``cluster.prometheus_url``)."""
    for holder in (meta, meta.get("cluster"), meta.get("prometheus")):
        if isinstance(holder, Mapping):
            for key in ("prometheus_url", "url"):
                v = holder.get(key)
                if isinstance(v, str) and v.startswith(("http://", "https://")):
                    return v
    return None


def load_run(run_dir: str | Path, *, partial: bool | None = None) -> LoadedRun:
    """Read everything a run directory holds (no Prometheus queries here).

    ``partial``: whether the record was cut short; None asks :func:`detect_partial`."""
    rd = RunDir(run_dir)
    path = rd.path
    notes: list[str] = []
    skipped: dict[str, int] = {}
    meta: dict[str, Any] = {}
    run_file = rd.file("run")
    if run_file.exists():
        try:
            loaded = json.loads(run_file.read_text())
            meta = loaded if isinstance(loaded, dict) else {}
        except ValueError:
            notes.append("run.json is not valid JSON; the run's metadata is missing")
    else:
        notes.append("run.json is missing; the run's metadata (scenario, SLOs) is unknown")
    launches, bad = _records(rd.file("launches"), LaunchRecord, "launch_id")
    skipped["launches"] = bad
    stops, bad = _records(rd.file("stops"), StopRecord, "launch_id")
    skipped["stops"] = bad
    states, bad = _records(rd.file("states"), StateReport, None)
    skipped["states"] = bad
    samples, bad = _lines(rd.file("metrics"))
    skipped["metrics"] = bad

    timelines = Timelines()
    nodes: list[ObservedEvent] = []
    obs_lines = 0
    bad = 0
    observer = rd.file("observer")
    if observer.exists():
        with observer.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                try:
                    d = json.loads(line)
                    seen, resource, type_, obj = float(d["seen"]), str(d["resource"]), str(d["type"]), d["object"]
                except (ValueError, KeyError, TypeError):
                    bad += 1
                    continue
                obs_lines += 1
                timelines.apply_raw(seen, resource, type_, obj)
                if resource == "nodes" and isinstance(obj, dict):
                    nodes.append(ObservedEvent.model_construct(seen=seen, resource=resource, type=type_, object=obj))
    else:
        notes.append("observer.jsonl is missing: no pod was observed, so no launch can be matched to a pod")
    skipped["observer"] = bad
    for key, n in skipped.items():
        if n:
            notes.append(f"{FILES[key] if key in FILES else key}: {n} torn or invalid line(s) skipped")

    histories = timelines.histories()
    verdicts = timelines.verdicts(launches, stops, states)
    owner_events = {(o["namespace"], o["kind"], o["name"]): o["events"] for o in timelines.owners() if o["events"]}
    partial = detect_partial(path, meta) if partial is None else partial
    ended = epoch(meta.get("ended_at"))
    end = ended
    if end is None:
        cands = [timelines.last_seen] + [lr.answered_at or lr.sent_at for lr in launches] + \
                [s.answered_at or s.sent_at for s in stops] + [s.reported_at for s in states]
        known = [c for c in cands if c is not None]
        end = max(known) if known else None
    survival = pending_survival(histories, end=end) if histories else None
    run = RunInput(
        meta=meta, launches=launches, stops=stops, states=states, histories=histories, verdicts=verdicts,
        owner_events=owner_events, nodes=nodes, samples=samples, partial=partial, notes=notes,
        pending_survival=survival.as_json() if survival is not None else None,
    )
    return LoadedRun(path, run, timelines, skipped)
