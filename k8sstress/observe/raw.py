"""Raw Kubernetes JSON on the hot path: trimming objects to what is kept, reading timestamps.

The observer never deserializes client models: it reads the parsed JSON dicts the
watch gives, and keeps a trimmed copy of each pod and event — only what
classification and analysis read:

*   pods: name, namespace, uid, creation/deletion timestamps, owner references, the
    ``k8sstress.io/*`` labels and annotations and KWOK stage knobs (the rest of the
    labels and annotations are dropped), node name, restart policy, priority, the
    containers' names and resources, and the status (phase, reason, message,
    conditions without probe times, container states; no IPs, image IDs, container IDs);
*   events (either API shape): the target, reason, message, type, counts,
    timestamps, reporting component and the annotations the kubelet's eviction
    events carry.

A field missing or of the wrong type is skipped, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

__all__ = ["parse_time", "trim_pod", "trim_event", "trim_meta", "event_target", "controller_of", "deletion_requested",
           "obj"]

_KWOK_STAGE_SUFFIX = ".stage.kwok.x-k8s.io"
_TIME_CACHE_MAX = 8192
_time_cache: dict[str, float] = {}


def obj(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def parse_time(value: Any) -> float | None:
    """An RFC 3339 timestamp (``2024-05-01T12:00:00Z``, with or without fraction) as epoch seconds."""
    if not isinstance(value, str) or not value:
        return None
    cached = _time_cache.get(value)
    if cached is not None:
        return cached
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    if dt.tzinfo is None:
        return None
    t = dt.timestamp()
    if len(_time_cache) >= _TIME_CACHE_MAX:
        _time_cache.clear()
    _time_cache[value] = t
    return t


# --- trimming ------------------------------------------------------------------------------


def _kept_key(key: str) -> bool:
    """Labels/annotations classification reads: ours and KWOK stage knobs."""
    return key.startswith("k8sstress.io/") or key.partition("/")[0].endswith(_KWOK_STAGE_SUFFIX)


def _kept_map(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict) or not value:
        return None
    kept = {k: v for k, v in value.items() if isinstance(k, str) and _kept_key(k)}
    return kept or None


def trim_meta(meta: Mapping[str, Any], *, owners: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
                "deletionGracePeriodSeconds"):
        v = meta.get(key)
        if v is not None:
            out[key] = v
    labels = _kept_map(meta.get("labels"))
    if labels:
        out["labels"] = labels
    annotations = _kept_map(meta.get("annotations"))
    if annotations:
        out["annotations"] = annotations
    if owners:
        refs = meta.get("ownerReferences")
        if isinstance(refs, list) and refs:
            out["ownerReferences"] = [
                {k: r[k] for k in ("apiVersion", "kind", "name", "uid", "controller") if k in r}
                for r in refs if isinstance(r, dict)
            ]
    return out


def _trim_containers(value: Any) -> list[dict[str, Any]] | None:
    if not isinstance(value, list) or not value:
        return None
    out = []
    for c in value:
        if isinstance(c, dict):
            t: dict[str, Any] = {"name": c.get("name")}
            if c.get("resources"):
                t["resources"] = c["resources"]
            out.append(t)
    return out


_STATUS_KEYS = ("phase", "reason", "message", "qosClass", "startTime", "nominatedNodeName", "resize")
_CONDITION_KEYS = ("type", "status", "reason", "message", "lastTransitionTime")
_CONTAINER_STATUS_KEYS = ("name", "state", "lastState", "ready", "restartCount", "started")


def _trim_container_statuses(value: Any) -> list[dict[str, Any]] | None:
    if not isinstance(value, list) or not value:
        return None
    out = []
    for cs in value:
        if not isinstance(cs, dict):
            continue
        t = {k: cs[k] for k in _CONTAINER_STATUS_KEYS if k in cs}
        state = cs.get("state")
        if isinstance(state, dict) and "waiting" in state and "image" in cs:
            t["image"] = cs["image"]  # only an image-pull failure reports it
        out.append(t)
    return out


def trim_pod(pod: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a pod that classification and analysis read (see the module docstring)."""
    meta = pod.get("metadata")
    out: dict[str, Any] = {"metadata": trim_meta(meta if isinstance(meta, dict) else {})}
    spec = pod.get("spec")
    if isinstance(spec, dict):
        s: dict[str, Any] = {}
        for key in ("nodeName", "restartPolicy", "priority"):
            if spec.get(key) is not None:
                s[key] = spec[key]
        if spec.get("resources"):
            s["resources"] = spec["resources"]
        for key in ("initContainers", "containers"):
            cs = _trim_containers(spec.get(key))
            if cs:
                s[key] = cs
        out["spec"] = s
    status = pod.get("status")
    if isinstance(status, dict):
        st: dict[str, Any] = {k: status[k] for k in _STATUS_KEYS if status.get(k) is not None}
        conds = status.get("conditions")
        if isinstance(conds, list) and conds:
            st["conditions"] = [{k: c[k] for k in _CONDITION_KEYS if c.get(k) is not None}
                                for c in conds if isinstance(c, dict)]
        for key in ("initContainerStatuses", "containerStatuses"):
            cs = _trim_container_statuses(status.get(key))
            if cs:
                st[key] = cs
        out["status"] = st
    return out


_EVENT_KEYS = ("reason", "message", "note", "type", "count", "deprecatedCount", "series", "firstTimestamp",
               "lastTimestamp", "eventTime", "deprecatedFirstTimestamp", "deprecatedLastTimestamp",
               "reportingComponent", "reportingController", "deprecatedSource")


def event_target(ev: Mapping[str, Any]) -> Mapping[str, Any]:
    t = ev.get("involvedObject")
    if not isinstance(t, dict):
        t = ev.get("regarding")
    return t if isinstance(t, dict) else {}


def trim_event(ev: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of an Event (either API shape) classification reads."""
    meta = obj(ev.get("metadata"))
    m: dict[str, Any] = {k: meta[k] for k in ("name", "namespace", "uid") if meta.get(k) is not None}
    ann = _kept_map(meta.get("annotations"))
    for key in ("offending_containers", "offending_containers_usage", "starved_resource"):
        v = obj(meta.get("annotations")).get(key)
        if v is not None:
            ann = {**(ann or {}), key: v}
    if ann:
        m["annotations"] = ann
    out: dict[str, Any] = {"kind": "Event", "metadata": m}
    target = event_target(ev)
    out["involvedObject" if "involvedObject" in ev else "regarding"] = {
        k: target[k] for k in ("kind", "namespace", "name", "uid") if target.get(k) is not None}
    for key in _EVENT_KEYS:
        v = ev.get(key)
        if v is not None:
            out[key] = v
    source = ev.get("source")
    if isinstance(source, dict) and source.get("component"):
        out["source"] = {"component": source["component"]}
    return out


def deletion_requested(meta: Mapping[str, Any]) -> float | None:
    """When a deletion was asked for: ``deletionTimestamp`` is that plus the grace period."""
    deadline = parse_time(meta.get("deletionTimestamp"))
    grace = meta.get("deletionGracePeriodSeconds")
    if deadline is None:
        return None
    return deadline - grace if isinstance(grace, int) and not isinstance(grace, bool) else deadline


def controller_of(meta: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(kind, name, uid) of the controlling owner reference, if any."""
    refs = meta.get("ownerReferences")
    if not isinstance(refs, list):
        return None
    for r in refs:
        if isinstance(r, dict) and r.get("controller"):
            return str(r.get("kind") or ""), str(r.get("name") or ""), str(r.get("uid") or "")
    return None
