"""Reaction policies: what the runner does when Kubernetes says no. A registry of plain objects.

``naive``           create and forget errors: the launch is answered 202 and the run stays Pending.
``retry``           (default) retry 409/429/5xx/quota-403 with tenacity's exponential back-off.
``backpressure``    answer 429 (with Retry-After) when the namespace quota or the nodes'
                    allocatable resources have no room, and when a create is refused for lack of it.
``pending-timeout`` give up on pods Pending longer than T: delete them, report Failed/PendingTimeout.

The decisions here are pure; the service carries them out.
"""

from __future__ import annotations

from dataclasses import dataclass

from k8sstress.errors import InputError

__all__ = ["Policy", "POLICIES", "get_policy", "is_quota_error", "is_retryable", "error_reason"]


@dataclass(frozen=True)
class Policy:
    name: str
    retries: bool = False
    """Retry refused creates in the background (retryable errors only)."""
    forget_errors: bool = False
    """Answer 202 and keep the run Pending when the create fails (the naive runner's bug)."""
    backpressure: bool = False
    """Check for room before creating; answer 429 when there is none."""
    pending_timeout: bool = False
    """Delete pods Pending longer than the timeout and report them Failed."""
    summary: str = ""


POLICIES: dict[str, Policy] = {
    p.name: p for p in (
        Policy("naive", forget_errors=True, summary="create and forget errors"),
        Policy("retry", retries=True, summary="retry 409/429/5xx/quota 403 with exponential back-off"),
        Policy("backpressure", backpressure=True, summary="answer 429 when the quota or the nodes have no room"),
        Policy("pending-timeout", pending_timeout=True,
               summary="delete pods Pending longer than T and report them Failed"),
    )
}


def get_policy(name: str) -> Policy:
    try:
        return POLICIES[name]
    except KeyError:
        raise InputError(f"unknown policy {name!r}", hint=f"choose one of: {', '.join(POLICIES)}") from None


def is_quota_error(status: int, message: str) -> bool:
    return status == 403 and ("exceeded quota" in message or "failed quota" in message)


def is_retryable(status: int, message: str) -> bool:
    """409 conflict, 429 too many requests, any 5xx, 403 quota; 0 means the API server was not reached."""
    return status in (0, 409, 429) or status >= 500 or is_quota_error(status, message)


def error_reason(status: int, message: str) -> str:
    """The run's ``reason`` when a create was refused for good."""
    if is_quota_error(status, message):
        return "AdmissionRejected"
    if status in (400, 403, 422):
        return "AdmissionRejected"
    return "ApiError"
