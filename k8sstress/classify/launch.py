"""Launches that never got a pod: AdmissionRejected, Stopped or Lost.

Evidence, strongest first:

1. ``admission_error``: what the create call got back (a ``Status`` body, its
   message, or a :class:`~k8sstress.classify.admission.Refusal`) -> AdmissionRejected.
2. A ``FailedCreate`` event on the owner (Job, ReplicaSet) -> AdmissionRejected.
3. The runner's error text for the launch reads like an apiserver refusal
   (``... is forbidden: exceeded quota: ...``) -> AdmissionRejected.
4. The runner refused the launch itself (launch status ``rejected`` / ``error``)
   -> AdmissionRejected with ``reason: other`` and ``refused_by: runner``: no create
   reached the cluster, so nothing can be Lost.
5. The runner confirmed a stop before any pod appeared -> Stopped (``pod_seen: false``).
6. Otherwise the runner took the launch and no pod ever appeared -> Lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from k8sstress.classify import admission, traits
from k8sstress.classify.events import EventLike
from k8sstress.records import LaunchRecord, Outcome, RawObject, StateReport, Verdict

__all__ = ["classify_launch_without_pod"]


def _verdict(launch: LaunchRecord, outcome: Outcome, detail: dict[str, Any], pod_name: str | None = None) -> Verdict:
    name = launch.pod_name or pod_name or launch.launch_id
    return Verdict(namespace=launch.namespace or "", name=name, outcome=outcome,
                   detail={**detail, **traits.launch_detail(launch)}, launch_id=launch.launch_id)


def _strip_runner_prefix(message: str) -> str:
    """``gave up after 3 attempts: pods "x" is forbidden: ...`` -> the API server's text."""
    i = message.find('pods "')
    return message[i:] if i > 0 else message


def _rejected(launch: LaunchRecord, refusal: admission.Refusal, source: str, **extra: Any) -> Verdict:
    return _verdict(launch, Outcome.ADMISSION_REJECTED, {**refusal.as_detail(), "source": source, **extra},
                    refusal.pod_name)


def classify_launch_without_pod(
    launch: LaunchRecord,
    admission_error: RawObject | str | admission.Refusal | None = None,
    owner_events: Sequence[EventLike] = (),
    *,
    stop_confirmed: bool = False,
    stop_latency_s: float | None = None,
    runner_reports: Sequence[StateReport] = (),
) -> Verdict:
    """The outcome of a launch for which no Pod object was ever seen.

    ``runner_reports``: the runner's state reports for this launch; a runner that keeps a
    launch Pending while it retries a create the API server refuses (e.g. quota 403) says
    so in its report's message, which makes the launch AdmissionRejected (source
    ``runner-report``) rather than Lost.
    """
    if admission_error is not None:
        refusal = admission.refusal_from_error(admission_error, launch.http_status)
        return _rejected(launch, refusal, "api")
    refused = admission.latest_refusal(owner_events)
    if refused is not None:
        refusal, count = refused
        return _rejected(launch, refusal, "owner-event", refusals=count)
    for report in reversed(list(runner_reports)):
        message = str(getattr(report, "message", None) or "")
        if message and admission.is_refusal_message(message):
            refusal = admission.classify_refusal(403, _strip_runner_prefix(message))
            return _rejected(launch, refusal, "runner-report", runner_state=report.state,
                             runner_reason=getattr(report, "reason", None))
    error = launch.error or ""
    if admission.is_refusal_message(error):
        return _rejected(launch, admission.classify_refusal(launch.http_status, error), "runner-error")
    if launch.status in ("rejected", "error"):
        detail: dict[str, Any] = {"reason": "other", "message": error or None, "refused_by": "runner",
                                  "http_status": launch.http_status, "source": "runner"}
        return _verdict(launch, Outcome.ADMISSION_REJECTED, detail)
    if stop_confirmed:
        return _verdict(launch, Outcome.STOPPED, {"stop_latency_s": stop_latency_s, "pod_seen": False})
    return _verdict(launch, Outcome.LOST, {
        "run_id": launch.run_id,
        "launch_status": launch.status,
        "answered": launch.answered_at is not None,
    })
