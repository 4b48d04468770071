"""One pod (+ its events, + its launch record) -> one :class:`~k8sstress.records.Verdict`.

Pod status decides the outcome; events only add detail (they are lossy under
load). The checks run in the order of the outcome taxonomy (design.md), first
match wins:

 1. Evicted           ``status.reason: Evicted``, or DisruptionTarget TerminationByKubelet /
                      DeletionByTaintManager / EvictionByEvictionAPI
 2. Preempted         DisruptionTarget PreemptionByScheduler, or a ``Preempted`` event
 3. OOMKilled         a container's state or lastState terminated with reason OOMKilled
 4. KubeletRejected   phase Failed with ``OutOf<resource>`` (or another kubelet admission reason)
 5. ImagePullFailed   a container waiting in ErrImagePull / ImagePullBackOff / InvalidImageName / ...
 6. CrashLoopBackOff  a container waiting in CrashLoopBackOff (its last exit not OOM, see 3)
 7. Failed            phase Failed
 8. Succeeded         phase Succeeded
 9. Running           phase Running
10. Unschedulable     PodScheduled=False, reason Unschedulable
11. Pending           anything else, including phases and reasons never seen before
                      (their raw text kept in ``raw_reason``)

A pod known only from events (no ``status`` at all) lets the events decide
Evicted (kubelet ``Evicted``, ``TaintManagerEviction``) and Preempted.

Deletion (``deleted=True``, the pod is gone): a pod whose status already explains
the deletion (Evicted, Preempted, KubeletRejected) or that had finished before the
deletion was requested keeps its outcome, with ``deleted: true``. Otherwise it is
``Stopped`` when the run asked for the stop, else ``Deleted``; both keep what the
status said before in ``prior_outcome`` / ``prior_detail``. A container that
terminated after ``deletionTimestamp - deletionGracePeriodSeconds`` was stopped by
the deletion (kubelets move deleted pods to Failed/Succeeded before removing them).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from k8sstress.classify import admission, eviction, fields, rejection, scheduling, traits
from k8sstress.classify import events as events_mod
from k8sstress.records import LAUNCH_ID_LABEL, LaunchRecord, Outcome, RawObject, Verdict

__all__ = [
    "IMAGE_PULL_REASONS",
    "classify_pod",
    "classify_orphaned",
]

Detail = dict[str, Any]

IMAGE_PULL_REASONS = frozenset({
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "ErrImageNeverPull",
    "ImageInspectError",
    "SignatureValidationFailed",
})
CRASH_LOOP = "CrashLoopBackOff"
OOM_KILLED = "OOMKilled"
_ORDINARY_WAITING = frozenset({"ContainerCreating", "PodInitializing", CRASH_LOOP, *IMAGE_PULL_REASONS})
_KNOWN_FAILED_REASONS = frozenset({"", "DeadlineExceeded", "Error", "Terminated", "Shutdown"})
_KNOWN_SCHEDULED_REASONS = frozenset({"", "Unschedulable", "SchedulingGated"})
_BACK_OFF = re.compile(r"back-off (?P<delay>\S+) restarting failed container")
_PREEMPTED_BY = re.compile(r"Preempted by (?:pod )?(?P<preemptor>\S+) on node (?P<node>\S+)")
_MESSAGE_LIMIT = 500


# --- small readers ---------------------------------------------------------------------------


def _container_statuses(status: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Init containers first (their failure explains the rest), then app containers."""
    return fields.dicts(status.get("initContainerStatuses")) + fields.dicts(status.get("containerStatuses"))


def _terminated(cs: Mapping[str, Any], which: str) -> Mapping[str, Any]:
    return fields.obj(fields.path(cs, which, "terminated"))


def _waiting_reason(cs: Mapping[str, Any]) -> str:
    return fields.text(fields.path(cs, "state", "waiting", "reason"))


def _restarts(cs: Mapping[str, Any]) -> int:
    return fields.integer(cs.get("restartCount")) or 0


def _state_name(cs: Mapping[str, Any]) -> str:
    state = fields.obj(cs.get("state"))
    if "waiting" in state:
        return _waiting_reason(cs) or "waiting"
    for key in ("running", "terminated"):
        if key in state:
            return key
    return "unknown"


def _condition(status: Mapping[str, Any], kind: str) -> Mapping[str, Any] | None:
    for cond in fields.dicts(status.get("conditions")):
        if cond.get("type") == kind:
            return cond
    return None


def _short(message: str) -> str:
    return message if len(message) <= _MESSAGE_LIMIT else message[: _MESSAGE_LIMIT - 1] + "…"


def _total_restarts(containers: Sequence[Mapping[str, Any]]) -> int:
    return sum(_restarts(cs) for cs in containers)


# --- one function per outcome's detail -------------------------------------------------------


def _evicted(status: Mapping[str, Any], disruption: Mapping[str, Any] | None,
             evs: Sequence[events_mod.EventView]) -> Detail:
    reason = fields.text(status.get("reason"))
    d_reason = fields.text(disruption.get("reason")) if disruption else ""
    by = eviction.EVICTION_DISRUPTIONS.get(d_reason) or "kubelet"
    message = fields.text(status.get("message")) or (fields.text(disruption.get("message")) if disruption else "")
    event = events_mod.latest(evs, "Evicted")
    if not message and event is not None and by == "kubelet":
        message = event.message
    parsed = eviction.parse_eviction_message(message)
    resource = parsed.resource
    extra = parsed.as_detail()
    if event is not None:
        starved, offending = eviction.eviction_event_detail(event.annotations)
        resource = resource or starved
        if offending and "containers" not in extra:
            extra["containers"] = [c.as_json() for c in offending]
    detail: Detail = {"by": by, "resource": resource, "message": _short(message) or None, **extra}
    if d_reason:
        detail["disruption_reason"] = d_reason
    if reason and reason != "Evicted":
        detail["status_reason"] = reason
    if message.startswith(rejection.REJECTION_PREFIX):
        detail["rejected_at_admission"] = True
    return detail


def _preempted(disruption: Mapping[str, Any] | None, event: events_mod.EventView | None) -> Detail:
    detail: Detail = {}
    if disruption is not None:
        message = fields.text(disruption.get("message"))
        scheduler, sep, _ = message.partition(": preempting")
        detail["message"] = message or None
        detail["scheduler"] = scheduler if sep else None
    if event is not None:
        m = _PREEMPTED_BY.search(event.message)
        detail.setdefault("message", event.message)
        detail["preemptor"] = m["preemptor"] if m else None
        detail["node"] = m["node"] if m else None
    return detail


def _oom_killed(containers: Sequence[Mapping[str, Any]]) -> Detail | None:
    found: list[tuple[int, int, Mapping[str, Any], Mapping[str, Any]]] = []
    for cs in containers:
        now, last = _terminated(cs, "state"), _terminated(cs, "lastState")
        if now.get("reason") == OOM_KILLED:
            found.append((0, -_restarts(cs), cs, now))
        elif last.get("reason") == OOM_KILLED:
            found.append((1, -_restarts(cs), cs, last))
    if not found:
        return None
    found.sort(key=lambda f: (f[0], f[1]))
    rank, _, cs, term = found[0]
    detail: Detail = {
        "container": fields.text(cs.get("name")) or None,
        "restarts": _restarts(cs),
        "exit_code": fields.integer(term.get("exitCode")),
        "final": rank == 0,
        "state": _state_name(cs),
    }
    if len(found) > 1:
        detail["oom_containers"] = [fields.text(f[2].get("name")) for f in found]
    return detail


def _image_pull(containers: Sequence[Mapping[str, Any]]) -> Detail | None:
    for cs in containers:
        reason = _waiting_reason(cs)
        if reason in IMAGE_PULL_REASONS:
            return {
                "container": fields.text(cs.get("name")) or None,
                "reason": reason,
                "image": fields.text(cs.get("image")) or None,
                "message": _short(fields.text(fields.path(cs, "state", "waiting", "message"))) or None,
            }
    return None


def _crash_loop(containers: Sequence[Mapping[str, Any]]) -> Detail | None:
    for cs in containers:
        if _waiting_reason(cs) != CRASH_LOOP:
            continue
        last = _terminated(cs, "lastState")
        m = _BACK_OFF.search(fields.text(fields.path(cs, "state", "waiting", "message")))
        return {
            "container": fields.text(cs.get("name")) or None,
            "restarts": _restarts(cs),
            "exit_code": fields.integer(last.get("exitCode")),
            "last_reason": fields.text(last.get("reason")) or None,
            "back_off": m["delay"] if m else None,
        }
    return None


def _failed(status: Mapping[str, Any], containers: Sequence[Mapping[str, Any]]) -> Detail:
    reason = fields.text(status.get("reason"))
    terminated = [(cs, _terminated(cs, "state")) for cs in containers if _terminated(cs, "state")]
    failing = next(((cs, t) for cs, t in terminated if (fields.integer(t.get("exitCode")) or 0) != 0), None)
    if failing is None and terminated:
        failing = terminated[0]
    detail: Detail = {"exit_code": None, "reason": reason or None}
    if failing is not None:
        cs, term = failing
        detail["exit_code"] = fields.integer(term.get("exitCode"))
        detail["reason"] = reason or fields.text(term.get("reason")) or None
        detail["container"] = fields.text(cs.get("name")) or None
    message = fields.text(status.get("message")) or (
        fields.text(failing[1].get("message")) if failing is not None else "")
    if message:
        detail["message"] = _short(message)
    if reason not in _KNOWN_FAILED_REASONS:
        detail["raw_reason"] = reason
    return detail


def _duration_s(status: Mapping[str, Any], containers: Sequence[Mapping[str, Any]]) -> float | None:
    start = fields.timestamp(status.get("startTime"))
    ends = [fields.timestamp(_terminated(cs, "state").get("finishedAt")) for cs in containers]
    finished = [e for e in ends if e is not None]
    if start is None or not finished:
        return None
    return max((max(finished) - start).total_seconds(), 0.0)


def _unusual_waiting(containers: Sequence[Mapping[str, Any]]) -> str | None:
    for cs in containers:
        reason = _waiting_reason(cs)
        if reason and reason not in _ORDINARY_WAITING:
            return reason
    return None


def _unschedulable(cond: Mapping[str, Any], evs: Sequence[events_mod.EventView]) -> Detail:
    message = fields.text(cond.get("message"))
    parsed = scheduling.parse_scheduling_message(message) if message else None
    source = "condition"
    if parsed is None or not parsed.parsed:
        event = events_mod.latest(evs, "FailedScheduling")
        if event is not None:
            from_event = scheduling.parse_scheduling_message(event.message)
            if from_event.parsed or parsed is None:
                parsed, source, message = from_event, "event", event.message
    detail: Detail = parsed.as_detail() if parsed is not None else {"reasons": [], "nodes_total": None}
    detail["message"] = message or None
    detail["source"] = source if message else None
    detail["since"] = fields.text(cond.get("lastTransitionTime")) or None
    attempts = events_mod.total_count(evs, "FailedScheduling")
    if attempts:
        detail["attempts"] = attempts
    return detail


def _pending(pod: Any, status: Mapping[str, Any], containers: Sequence[Mapping[str, Any]]) -> Detail:
    node = fields.text(fields.path(pod, "spec", "nodeName"))
    detail: Detail = {"since": fields.text(fields.path(pod, "metadata", "creationTimestamp")) or None,
                      "scheduled": bool(node)}
    if node:
        detail["node"] = node
    cond = _condition(status, "PodScheduled")
    sched_reason = fields.text(cond.get("reason")) if cond is not None else ""
    if sched_reason == "SchedulingGated":
        detail["scheduling_gated"] = True
    waiting = next((r for r in (_waiting_reason(cs) for cs in containers) if r), None)
    if waiting:
        detail["waiting"] = waiting
    raw_phase = status.get("phase")
    raw = fields.text(status.get("reason"))
    if not raw and sched_reason not in _KNOWN_SCHEDULED_REASONS:
        raw = sched_reason
    if not raw:
        raw = _unusual_waiting(containers) or ""
    if raw_phase is not None and raw_phase not in ("", "Pending"):
        detail["phase"] = raw_phase if isinstance(raw_phase, str) else repr(raw_phase)
        raw = raw or f"phase {detail['phase']}"
    if raw:
        detail["raw_reason"] = raw
        message = fields.text(status.get("message")) or (fields.text(cond.get("message")) if cond else "")
        if message:
            detail["message"] = _short(message)
    return detail


def _from_events_only(evs: Sequence[events_mod.EventView]) -> tuple[Outcome, Detail] | None:
    """For a pod with no status at all: what its events alone say (Evicted only; Preempted is checked first)."""
    taint = events_mod.latest(evs, "TaintManagerEviction")
    if taint is not None and taint.message.startswith("Marking for deletion"):
        return Outcome.EVICTED, {"by": "taint-manager", "resource": None, "message": taint.message,
                                 "from_events": True}
    evicted = events_mod.latest(evs, "Evicted")
    if evicted is not None:
        detail = _evicted({"reason": "Evicted", "message": evicted.message}, None, evs)
        detail["from_events"] = True
        return Outcome.EVICTED, detail
    return None


# --- the decision ----------------------------------------------------------------------------


def _status_verdict(pod: Any, evs: Sequence[events_mod.EventView]) -> tuple[Outcome, Detail]:
    status = fields.obj(fields.path(pod, "status"))
    phase = fields.text(status.get("phase"))
    reason = fields.text(status.get("reason"))
    message = fields.text(status.get("message"))
    disruption = eviction.disruption_condition(pod)
    d_reason = fields.text(disruption.get("reason")) if disruption else ""
    containers = _container_statuses(status)

    if reason == "Evicted" or d_reason in eviction.EVICTION_DISRUPTIONS:
        return Outcome.EVICTED, _evicted(status, disruption, evs)
    preempted_event = events_mod.latest(evs, "Preempted")
    if d_reason in eviction.PREEMPTION_DISRUPTIONS or preempted_event is not None:
        preemption = disruption if d_reason in eviction.PREEMPTION_DISRUPTIONS else None
        return Outcome.PREEMPTED, _preempted(preemption, preempted_event)
    if not status and (decided := _from_events_only(evs)) is not None:
        return decided
    if (detail := _oom_killed(containers)) is not None:
        return Outcome.OOMKILLED, detail
    if phase == "Failed" and rejection.is_kubelet_rejection(reason, message):
        detail = rejection.rejection_detail(reason, message)
        detail["message"] = _short(message) or None
        return Outcome.KUBELET_REJECTED, detail
    if (detail := _image_pull(containers)) is not None:
        return Outcome.IMAGE_PULL_FAILED, detail
    if (detail := _crash_loop(containers)) is not None:
        return Outcome.CRASHLOOPBACKOFF, detail
    if phase == "Failed":
        return Outcome.FAILED, _failed(status, containers)
    if phase == "Succeeded":
        detail = {"restarts": _total_restarts(containers)}
        if (duration := _duration_s(status, containers)) is not None:
            detail["duration_s"] = duration
        return Outcome.SUCCEEDED, detail
    if phase == "Running":
        ready = _condition(status, "Ready")
        detail = {
            "ready": ready is not None and fields.text(ready.get("status")) == "True",
            "restarts": _total_restarts(containers),
            "node": fields.text(fields.path(pod, "spec", "nodeName")) or None,
        }
        if (unusual := _unusual_waiting(containers)) is not None:
            detail["raw_reason"] = unusual
        return Outcome.RUNNING, detail
    scheduled = _condition(status, "PodScheduled")
    if (phase in ("", "Pending") and scheduled is not None
            and fields.text(scheduled.get("status")) == "False"
            and fields.text(scheduled.get("reason")) == "Unschedulable"):
        return Outcome.UNSCHEDULABLE, _unschedulable(scheduled, evs)
    return Outcome.PENDING, _pending(pod, status, containers)


def _terminated_by_deletion(pod: Any) -> bool:
    """True when the containers stopped after the deletion was requested (so the deletion stopped them)."""
    meta = fields.obj(fields.path(pod, "metadata"))
    deadline = fields.timestamp(meta.get("deletionTimestamp"))
    if deadline is None:
        return False
    requested = deadline - timedelta(seconds=fields.integer(meta.get("deletionGracePeriodSeconds")) or 0)
    status = fields.obj(fields.path(pod, "status"))
    ends = [fields.timestamp(_terminated(cs, "state").get("finishedAt")) for cs in _container_statuses(status)]
    finished = [e for e in ends if e is not None]
    return bool(finished) and max(finished) >= requested


_EXPLAINS_DELETION = frozenset({Outcome.EVICTED, Outcome.PREEMPTED, Outcome.KUBELET_REJECTED})


def _after_deletion(pod: Any, outcome: Outcome, detail: Detail, *, stop_requested: bool,
                    stop_latency_s: float | None) -> tuple[Outcome, Detail]:
    phase = fields.text(fields.path(pod, "status", "phase"))
    finished_before = phase in ("Succeeded", "Failed") and not _terminated_by_deletion(pod)
    if outcome in _EXPLAINS_DELETION or finished_before:
        kept = {**detail, "deleted": True}
        if stop_requested:
            kept["stop_requested"] = True
        return outcome, kept
    prior = {"prior_outcome": outcome.value, "prior_detail": detail}
    if stop_requested:
        return Outcome.STOPPED, {"stop_latency_s": stop_latency_s, **prior}
    return Outcome.DELETED, prior


def _identity(pod: Any, launch: LaunchRecord | None) -> tuple[str, str, str | None, str | None]:
    meta = fields.obj(fields.path(pod, "metadata"))
    namespace = fields.text(meta.get("namespace")) or (launch.namespace if launch and launch.namespace else "")
    name = (fields.text(meta.get("name")) or (launch.pod_name if launch and launch.pod_name else "")
            or fields.text(meta.get("generateName")))
    uid = fields.text(meta.get("uid")) or None
    launch_id = fields.text(fields.obj(meta.get("labels")).get(LAUNCH_ID_LABEL)) or (
        launch.launch_id if launch is not None else None)
    return namespace, name, uid, launch_id


def _pod_events(pod: Any, events: Sequence[events_mod.EventLike], namespace: str, name: str,
                uid: str | None) -> list[events_mod.EventView]:
    return events_mod.about(events_mod.views(events or ()), kind="Pod", namespace=namespace, name=name,
                            uid=uid or "")


def classify_pod(
    pod: RawObject,
    events: Sequence[events_mod.EventLike] = (),
    *,
    owner_events: Sequence[events_mod.EventLike] = (),
    launch: LaunchRecord | None = None,
    deleted: bool = False,
    stop_requested: bool = False,
    stop_latency_s: float | None = None,
) -> Verdict:
    """The outcome of one pod. Never raises: any JSON gives a valid verdict.

    ``events``: events about this pod, raw (either API shape) or read
    (:class:`~k8sstress.classify.events.EventView`); others are ignored.
    ``owner_events``: events of its owner (Job, ReplicaSet); refused creates
    (``FailedCreate``) before this pod appear as ``create_refusals`` in the detail.
    ``deleted``: the pod is gone (last seen as ``pod``). ``stop_requested``: the run
    asked the runner to stop it; ``stop_latency_s`` is how long the stop took.
    """
    namespace, name, uid, launch_id = _identity(pod, launch)
    evs = _pod_events(pod, events, namespace, name, uid)
    try:
        outcome, detail = _status_verdict(pod, evs)
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError) as exc:
        # The readers are defensive; this is the last guard for a shape never seen before.
        outcome, detail = Outcome.PENDING, {"raw_reason": f"unreadable pod status ({type(exc).__name__}: {exc})"}
    if deleted:
        outcome, detail = _after_deletion(pod, outcome, detail, stop_requested=stop_requested,
                                          stop_latency_s=stop_latency_s)
    elif stop_requested:
        detail["stop_requested"] = True
    refused = admission.latest_refusal(owner_events)
    if refused is not None:
        refusal, count = refused
        detail["create_refusals"] = count
        detail["last_refusal"] = {"reason": refusal.reason, "message": refusal.message}
    detail.update(traits.common_detail(pod, launch, evs))
    return Verdict(namespace=namespace, name=name, outcome=outcome, detail=detail, uid=uid,
                   launch_id=launch_id)


def classify_orphaned(
    pod: RawObject,
    events: Sequence[events_mod.EventLike] = (),
    *,
    launch: LaunchRecord | None = None,
    since_stop_s: float | None = None,
) -> Verdict:
    """``Orphaned``: the runner confirmed the stop, yet this pod is still there.

    Deciding *that* it is orphaned (how long after the confirmation to wait) is the
    caller's; this records what the pod looked like: ``prior_outcome`` /
    ``prior_detail`` (what its status says), ``terminating`` (a deletion is under
    way, so it may still go), ``since_stop_s``.
    """
    verdict = classify_pod(pod, events, launch=launch)
    common: Detail = {k: verdict.detail[k] for k in ("simulated", "qos_class", "limits", "limits_template", "mode")
              if k in verdict.detail}
    prior = {k: v for k, v in verdict.detail.items() if k not in common}
    detail: Detail = {
        "since_stop_s": since_stop_s,
        "terminating": fields.path(pod, "metadata", "deletionTimestamp") is not None,
        "prior_outcome": verdict.outcome.value,
        "prior_detail": prior,
        **common,
    }
    return Verdict(namespace=verdict.namespace, name=verdict.name, outcome=Outcome.ORPHANED, detail=detail,
                   uid=verdict.uid, launch_id=verdict.launch_id)
