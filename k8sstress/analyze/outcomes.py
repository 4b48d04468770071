"""Every launch's final outcome: the pod's verdict, or Lost / Orphaned / AdmissionRejected / Stopped.

Rules (per launch, in order):

1. The launch has pods (matched by the launch-id label or the target's tie):
   *   the runner confirmed a stop, yet a pod that was not finished when the stop was
       sent is still there ``orphan_grace_s`` after the confirmation -> **Orphaned**;
   *   otherwise the verdict of its latest pod (earlier pods are retries; their
       outcomes are kept in ``detail.pod_outcomes``).
2. No pod ever appeared: the launch's own verdict (AdmissionRejected from the
   runner's HTTP error or the owner's FailedCreate event, Stopped before any pod,
   else **Lost**). A launch accepted (or still unanswered) less than
   ``lost_grace_s`` before the end of observation is **Pending** with
   ``no_pod_yet: true``: too early to call it lost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from k8sstress.analyze.inputs import Options
from k8sstress.analyze.pods import TERMINAL_PHASES, PodFacts
from k8sstress.classify import classify_orphaned
from k8sstress.records import LaunchRecord, Outcome, StopRecord, Verdict

__all__ = ["LaunchOutcome", "launch_outcomes", "leaked_pods"]


@dataclass
class LaunchOutcome:
    """One launch, its pods and its final outcome."""

    launch: LaunchRecord
    outcome: Outcome
    detail: dict[str, Any]
    pods: list[PodFacts] = field(default_factory=list)
    stop: StopRecord | None = None
    outcome_at: float | None = None
    """When the outcome became true (epoch seconds), for "first time X happened"."""
    leaked: list[PodFacts] = field(default_factory=list)
    """Pods still present at the end although a stop was sent (and answered) long enough before."""

    @property
    def launch_id(self) -> str:
        return self.launch.launch_id

    def as_json(self) -> dict[str, Any]:
        return {
            "launch_id": self.launch_id,
            "namespace": self.pods[-1].namespace if self.pods else self.launch.namespace,
            "mode": self.launch.mode,
            "limits": self.launch.limits,
            "template": self.launch.template,
            "status": self.launch.status,
            "http_status": self.launch.http_status,
            "run_id": self.launch.run_id,
            "outcome": self.outcome.value,
            "pods": [p.name for p in self.pods],
            "detail": self.detail,
        }


def leaked_pods(pods: Sequence[PodFacts], stop: StopRecord | None, end: float, grace_s: float) -> list[PodFacts]:
    """Pods of a launch whose stop was sent (answered or not) still there at the end, that were
    not already finished when the stop was sent."""
    if stop is None:
        return []
    answered = stop.answered_at if stop.answered_at is not None else stop.sent_at
    if end - answered < grace_s:
        return []
    out: list[PodFacts] = []
    for p in pods:
        if p.gone is not None and p.gone <= end:
            continue
        if p.created is not None and p.created > end:
            continue
        if p.phase_before(stop.sent_at) in TERMINAL_PHASES:
            continue
        if p.finished is not None and p.finished <= stop.sent_at:
            continue
        out.append(p)
    return out


def _pod_launch_outcome(launch: LaunchRecord, pods: list[PodFacts], stop: StopRecord | None, end: float,
                        options: Options) -> LaunchOutcome:
    pods = sorted(pods, key=lambda p: (p.created if p.created is not None else float("inf"), p.name))
    leaked = leaked_pods(pods, stop, end, options.orphan_grace_s)
    final = pods[-1]
    extra: dict[str, Any] = {"pods": len(pods), "pod": final.name}
    if len(pods) > 1:
        extra["pod_outcomes"] = [p.outcome.value for p in pods]
    if stop is not None and stop.status == "accepted" and leaked:
        pod = leaked[-1]
        answered = stop.answered_at if stop.answered_at is not None else stop.sent_at
        v = classify_orphaned(pod.history.pod, pod.history.events, launch=launch,
                              since_stop_s=round(end - answered, 3))
        detail = {**v.detail, **extra, "leaked_pods": [p.name for p in leaked]}
        return LaunchOutcome(launch, Outcome.ORPHANED, detail, pods, stop, answered + options.orphan_grace_s,
                             leaked)
    detail = {**final.verdict.detail, **extra}
    return LaunchOutcome(launch, final.outcome, detail, pods, stop, final.outcome_at, leaked)


def _podless_outcome(launch: LaunchRecord, verdict: Verdict | None, stop: StopRecord | None, end: float,
                     options: Options) -> LaunchOutcome:
    if verdict is None:
        verdict = Verdict(namespace=launch.namespace or "", name=launch.pod_name or launch.launch_id,
                          outcome=Outcome.LOST, detail={"answered": launch.answered_at is not None},
                          launch_id=launch.launch_id)
    detail = {**verdict.detail, "pods": 0}
    outcome = verdict.outcome
    at = launch.answered_at if launch.answered_at is not None else launch.sent_at
    if outcome is Outcome.LOST:
        if at > end - options.lost_grace_s:
            outcome = Outcome.PENDING
            detail["no_pod_yet"] = True
            at = end
        else:
            at = at + options.lost_grace_s
    return LaunchOutcome(launch, outcome, detail, [], stop, at)


def launch_outcomes(launches: Sequence[LaunchRecord], stops: Sequence[StopRecord], facts: Sequence[PodFacts],
                    podless: Sequence[Verdict], end: float, options: Options) -> list[LaunchOutcome]:
    """The final outcome of every launch, in the order they were sent."""
    by_launch: dict[str, list[PodFacts]] = defaultdict(list)
    for f in facts:
        if f.launch_id:
            by_launch[f.launch_id].append(f)
    stop_by = {s.launch_id: s for s in stops}
    podless_by = {v.launch_id: v for v in podless if v.launch_id}
    out: list[LaunchOutcome] = []
    for launch in sorted(launches, key=lambda x: (x.sent_at, x.launch_id)):
        stop = stop_by.get(launch.launch_id)
        pods = by_launch.get(launch.launch_id)
        if pods:
            out.append(_pod_launch_outcome(launch, pods, stop, end, options))
        else:
            out.append(_podless_outcome(launch, podless_by.get(launch.launch_id), stop, end, options))
    return out
