"""Verdicts for a whole run: every pod history, and every launch that never got a pod.

Pure glue between the record and :mod:`k8sstress.classify`: which launch a pod
belongs to, whether the run asked for its stop, and which owner events explain a
refused create.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from k8sstress.classify import classify_launch_without_pod, classify_pod
from k8sstress.records import LaunchRecord, PodHistory, StopRecord, Verdict

__all__ = ["classify_run", "owner_events_for_pod", "owner_events_for_launch", "OwnerEvents"]

OwnerEvents = Mapping[tuple[str, str, str], Sequence[Mapping[str, Any]]]


def owner_events_for_pod(history: PodHistory, owner_events: OwnerEvents) -> Sequence[Mapping[str, Any]]:
    if history.owner is None:
        return ()
    kind, name = history.owner
    return owner_events.get((history.namespace, kind, name), ())


def owner_events_for_launch(launch: LaunchRecord, owner_events: OwnerEvents) -> list[Mapping[str, Any]]:
    """Owner events that may explain a launch with no pod: the owner is named after the run id,
    the launch id or the pod name the launch recorded (or ``owner_name`` when the target gave one)."""
    extra = launch.model_extra or {}
    names = {n for n in (launch.run_id, launch.launch_id, launch.pod_name, extra.get("owner_name"),
                         extra.get("owner")) if isinstance(n, str) and n}
    out: list[Mapping[str, Any]] = []
    for (namespace, _kind, name), events in owner_events.items():
        if name in names and (not launch.namespace or namespace == launch.namespace):
            out.extend(events)
    return out


def classify_run(
    launches: Sequence[LaunchRecord],
    stops: Sequence[StopRecord],
    histories: Sequence[PodHistory],
    owner_events: OwnerEvents | None = None,
) -> list[Verdict]:
    """One verdict per pod history (in order), then one per launch that no history belongs to."""
    owner_events = owner_events or {}
    by_id = {launch.launch_id: launch for launch in launches}
    stop_by_id = {s.launch_id: s for s in stops}
    verdicts: list[Verdict] = []
    with_pods: set[str] = set()
    for h in histories:
        launch = by_id.get(h.launch_id) if h.launch_id else None
        if h.launch_id:
            with_pods.add(h.launch_id)
        stop = stop_by_id.get(h.launch_id) if h.launch_id else None
        deleted = h.deleted_seen is not None
        stop_requested = stop is not None and (not deleted or stop.sent_at <= (h.deleted_seen or 0.0))
        latency = (h.deleted_seen - stop.sent_at) if (deleted and stop is not None and h.deleted_seen) else None
        verdicts.append(classify_pod(
            h.pod, h.events, owner_events=owner_events_for_pod(h, owner_events), launch=launch,
            deleted=deleted, stop_requested=stop_requested, stop_latency_s=latency))
    for launch in launches:
        if launch.launch_id in with_pods:
            continue
        stop = stop_by_id.get(launch.launch_id)
        confirmed = stop is not None and stop.status == "accepted"
        latency = (stop.answered_at - stop.sent_at) if confirmed and stop and stop.answered_at else None
        verdicts.append(classify_launch_without_pod(
            launch, None, owner_events_for_launch(launch, owner_events), stop_confirmed=confirmed,
            stop_latency_s=latency))
    return verdicts
