"""Nodes over time: allocation (requests of bound pods vs allocatable) and pressure/readiness.

Reads the observer's node events (allocatable, conditions, taints as they changed)
and the pods' placement. Without node events the allocation fractions are unknown
(None) and only pod counts per node are given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from k8sstress.analyze.pods import PodFacts
from k8sstress.analyze.stats import Buckets
from k8sstress.classify import fields
from k8sstress.classify.quantity import parse_quantity
from k8sstress.records import ObservedEvent

__all__ = ["NodeTrack", "node_tracks", "node_series", "PRESSURE_CONDITIONS"]

PRESSURE_CONDITIONS = ("MemoryPressure", "DiskPressure", "PIDPressure")


@dataclass
class NodeTrack:
    name: str
    cpu: float = 0.0
    memory: float = 0.0
    pods: float = 0.0
    # (seen, ready, pressure conditions true, present)
    changes: list[tuple[float, bool, tuple[str, ...], bool]] = field(default_factory=list)

    def at(self, t: float) -> tuple[bool, tuple[str, ...], bool]:
        state: tuple[bool, tuple[str, ...], bool] = (True, (), False)
        for seen, ready, pressure, present in self.changes:
            if seen > t:
                break
            state = (ready, pressure, present)
        return state


def _q(value: Any) -> float:
    q = parse_quantity(value)
    return float(q) if q is not None else 0.0


def node_tracks(events: Sequence[ObservedEvent]) -> dict[str, NodeTrack]:
    tracks: dict[str, NodeTrack] = {}
    for ev in sorted(events, key=lambda e: e.seen):
        if ev.resource != "nodes":
            continue
        obj = fields.obj(ev.object)
        name = fields.text(fields.path(obj, "metadata", "name"))
        if not name:
            continue
        track = tracks.setdefault(name, NodeTrack(name))
        alloc = fields.obj(fields.path(obj, "status", "allocatable"))
        if alloc:
            track.cpu, track.memory, track.pods = _q(alloc.get("cpu")), _q(alloc.get("memory")), _q(alloc.get("pods"))
        conds = {fields.text(c.get("type")): fields.text(c.get("status"))
                 for c in fields.dicts(fields.path(obj, "status", "conditions"))}
        ready = conds.get("Ready", "True") == "True"
        pressure = tuple(c for c in PRESSURE_CONDITIONS if conds.get(c) == "True")
        present = ev.type != "DELETED"
        track.changes.append((ev.seen, ready, pressure, present))
    return tracks


def node_series(events: Sequence[ObservedEvent], facts: Sequence[PodFacts], b: Buckets) -> dict[str, Any]:
    """Per bucket: allocated cpu/memory/pod fractions, nodes under pressure, nodes not ready."""
    tracks = node_tracks(events)
    mids = b.mids()
    cpu: list[float | None] = []
    mem: list[float | None] = []
    pods: list[float | None] = []
    bound: list[int] = []
    pressure: list[int] = []
    not_ready: list[int] = []
    present_n: list[int] = []
    n = b.count
    # pods bound at each bucket's middle, by difference arrays (one pass over the pods)
    d_n = [0.0] * (n + 1)
    d_cpu = [0.0] * (n + 1)
    d_mem = [0.0] * (n + 1)
    for f in facts:
        start = f.scheduled if f.scheduled is not None else f.running
        if f.node is None or start is None:
            continue
        k0 = max(0, math.ceil((start - b.start) / b.width - 0.5))
        end = f.end
        k1 = n if end is None else max(0, min(n, math.ceil((end - b.start) / b.width - 0.5)))
        if k0 >= k1:
            continue
        for arr, v in ((d_n, 1.0), (d_cpu, f.cpu_request), (d_mem, f.memory_request)):
            arr[k0] += v
            arr[k1] -= v
    acc_n = acc_cpu = acc_mem = 0.0
    for k, t in enumerate(mids):
        acc_n += d_n[k]
        acc_cpu += d_cpu[k]
        acc_mem += d_mem[k]
        states = {name: tr.at(t) for name, tr in tracks.items()}
        live = [name for name, (_, _, present) in states.items() if present]
        tot_cpu = sum(tracks[x].cpu for x in live)
        tot_mem = sum(tracks[x].memory for x in live)
        tot_pods = sum(tracks[x].pods for x in live)
        bound.append(int(round(acc_n)))
        cpu.append(round(acc_cpu / tot_cpu, 4) if tot_cpu else None)
        mem.append(round(acc_mem / tot_mem, 4) if tot_mem else None)
        pods.append(round(acc_n / tot_pods, 4) if tot_pods else None)
        pressure.append(sum(1 for n in live if states[n][1]))
        not_ready.append(sum(1 for n in live if not states[n][0]))
        present_n.append(len(live))
    pressure_s = 0.0
    not_ready_s = 0.0
    for tr in tracks.values():
        for i, (seen, ready, press, present) in enumerate(tr.changes):
            nxt = tr.changes[i + 1][0] if i + 1 < len(tr.changes) else b.end
            span = max(0.0, min(nxt, b.end) - max(seen, b.start))
            if present and press:
                pressure_s += span
            if present and not ready:
                not_ready_s += span
    per_node: dict[str, int] = {}
    for f in facts:
        if f.node:
            per_node[f.node] = per_node.get(f.node, 0) + 1

    def _max(xs: Sequence[float | int | None]) -> float | int | None:
        vals = [x for x in xs if x is not None]
        return max(vals) if vals else None

    return {
        "t": b.starts(),
        "cpu_allocated": cpu,
        "memory_allocated": mem,
        "pods_allocated": pods,
        "pods_bound": bound,
        "nodes": present_n,
        "nodes_pressure": pressure,
        "nodes_not_ready": not_ready,
        "summary": {
            "nodes_seen": len(tracks),
            "cpu_allocated_max": _max(cpu),
            "memory_allocated_max": _max(mem),
            "pods_allocated_max": _max(pods),
            "nodes_pressure_max": _max(pressure) if tracks else None,
            "nodes_not_ready_max": _max(not_ready) if tracks else None,
            "pressure_node_s": round(pressure_s, 3) if tracks else None,
            "not_ready_node_s": round(not_ready_s, 3) if tracks else None,
            "pods_per_node": dict(sorted(per_node.items())),
        },
    }
