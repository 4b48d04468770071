"""Refused creates: the apiserver said no, so no Pod object exists.

The refusal comes back to whoever called create: as an HTTP error (a ``Status``
body: ``code``, ``reason``, ``message``) to a runner that creates pods itself, or
as a ``FailedCreate`` Warning event on the owner when a controller (Job,
ReplicaSet) made the call, with message ``Error creating: <the same text>``.

Messages (``plugin/pkg/admission/resourcequota``, ``.../limitranger``)::

    pods "node-run-" is forbidden: exceeded quota: compute, requested: cpu=1, used: cpu=4, limited: cpu=4
    pods "node-run-" is forbidden: failed quota: compute: must specify limits.cpu for: app; limits.memory for: app
    pods "node-run-" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi

:func:`classify_refusal` sorts them into ``quota`` / ``limitrange`` / ``other``
(webhooks, PodSecurity, validation) and keeps what the message says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from k8sstress.classify import events as events_mod
from k8sstress.classify import fields

__all__ = [
    "AdmissionReason",
    "Refusal",
    "FAILED_CREATE",
    "classify_refusal",
    "refusal_from_status",
    "refusal_from_error",
    "refusal_from_event",
    "latest_refusal",
    "is_refusal_message",
]

AdmissionReason = Literal["quota", "limitrange", "other"]
FAILED_CREATE = "FailedCreate"
_ERROR_CREATING = "Error creating: "

_POD_NAME = re.compile(r'pods "(?P<name>[^"]*)" is (?:forbidden|invalid)')
_EXCEEDED = re.compile(
    r"exceeded quota: (?P<quota>[^,]+), requested: (?P<requested>\S*), used: (?P<used>\S*), limited: (?P<limited>\S*)"
)
_FAILED = re.compile(r"failed quota: (?P<quota>[^:]+): must specify (?P<what>.+)$", re.S)
_OTHER_QUOTA = re.compile(r"status unknown for quota: |insufficient quota to (?:match these scopes|consume)")
_LIMITRANGE = re.compile(
    r"\b(?:minimum|maximum) \S+ usage per (?:Container|Pod|PersistentVolumeClaim) is "
    r"|\S+ max limit to request ratio per (?:Container|Pod) is "
)
_WEBHOOK = re.compile(r'admission webhook "(?P<name>[^"]+)" denied the request|failed calling webhook "(?P<called>[^"]+)"')
_POD_SECURITY = re.compile(r'violates PodSecurity "(?P<level>[^"]+)"')
_REFUSAL_HINTS = re.compile(r'is forbidden: |is invalid: |admission webhook "|exceeded quota: |failed quota: ')


@dataclass(frozen=True)
class Refusal:
    """One refused create, sorted and taken apart."""

    reason: AdmissionReason
    message: str
    http_status: int | None = None
    pod_name: str | None = None
    """The name in ``pods "<name>" is forbidden`` (the generateName prefix for controllers)."""
    quota: str | None = None
    requested: dict[str, str] = field(default_factory=dict)
    used: dict[str, str] = field(default_factory=dict)
    limited: dict[str, str] = field(default_factory=dict)
    must_specify: dict[str, list[str]] = field(default_factory=dict)
    webhook: str | None = None
    pod_security: str | None = None

    def as_detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"reason": self.reason, "message": self.message}
        if self.http_status is not None:
            detail["http_status"] = self.http_status
        if self.quota is not None:
            detail["quota"] = self.quota
        for key in ("requested", "used", "limited", "must_specify"):
            value = getattr(self, key)
            if value:
                detail[key] = dict(value)
        if self.webhook is not None:
            detail["webhook"] = self.webhook
        if self.pod_security is not None:
            detail["pod_security"] = self.pod_security
        return detail


def _pairs(text: str) -> dict[str, str]:
    out = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if sep and key.strip():
            out[key.strip()] = value.strip()
    return out


def _must_specify(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in text.strip().rstrip(".").split(";"):
        resource, sep, containers = part.strip().partition(" for: ")
        if resource:
            out[resource.strip()] = [c.strip() for c in containers.split(",") if c.strip()] if sep else []
    return out


def is_refusal_message(message: str) -> bool:
    """True when ``message`` reads like an apiserver admission refusal."""
    return isinstance(message, str) and bool(_REFUSAL_HINTS.search(message))


def classify_refusal(http_status: int | None, message: str) -> Refusal:
    """Sort a refused create (HTTP status and message) into quota / limitrange / other."""
    msg = (message if isinstance(message, str) else "").strip()
    if msg.startswith(_ERROR_CREATING):
        msg = msg[len(_ERROR_CREATING):]
    status = http_status if isinstance(http_status, int) and not isinstance(http_status, bool) else None
    name_match = _POD_NAME.search(msg)
    common: dict[str, Any] = {"message": msg, "http_status": status,
                              "pod_name": name_match["name"] if name_match else None}
    if m := _EXCEEDED.search(msg):
        return Refusal("quota", quota=m["quota"].strip(), requested=_pairs(m["requested"]),
                       used=_pairs(m["used"]), limited=_pairs(m["limited"]), **common)
    if m := _FAILED.search(msg):
        return Refusal("quota", quota=m["quota"].strip(), must_specify=_must_specify(m["what"]), **common)
    if _OTHER_QUOTA.search(msg):
        return Refusal("quota", **common)
    if _LIMITRANGE.search(msg):
        return Refusal("limitrange", **common)
    webhook = _WEBHOOK.search(msg)
    pod_security = _POD_SECURITY.search(msg)
    return Refusal(
        "other",
        webhook=(webhook["name"] or webhook["called"]) if webhook else None,
        pod_security=pod_security["level"] if pod_security else None,
        **common,
    )


def refusal_from_status(status: Mapping[str, Any]) -> Refusal:
    """From a ``metav1.Status`` error body (``{"kind": "Status", "code": 403, "message": ...}``)."""
    return classify_refusal(fields.integer(status.get("code")), fields.text(status.get("message")))


def refusal_from_error(error: Any, http_status: int | None = None) -> Refusal:
    """From whatever the create call gave back: a :class:`Refusal`, a Status body or a message."""
    if isinstance(error, Refusal):
        return error
    if isinstance(error, Mapping):
        refusal = refusal_from_status(error)
        if refusal.http_status is None and http_status is not None:
            refusal = classify_refusal(http_status, refusal.message)
        return refusal
    return classify_refusal(http_status, error if isinstance(error, str) else str(error))


def refusal_from_event(event: Any) -> Refusal | None:
    """From an owner's ``FailedCreate`` event (raw or read); None for any other event."""
    ev = event if isinstance(event, events_mod.EventView) else events_mod.view(event)
    if ev is None or ev.reason != FAILED_CREATE:
        return None
    return classify_refusal(None, ev.message)


def latest_refusal(owner_events: Iterable[events_mod.EventLike]) -> tuple[Refusal, int] | None:
    """The most recent ``FailedCreate`` refusal among owner events, and how many there were."""
    evs = events_mod.views(owner_events or ())
    last = events_mod.latest(evs, FAILED_CREATE)
    refusal = refusal_from_event(last) if last is not None else None
    if refusal is None:
        return None
    return refusal, events_mod.total_count(evs, FAILED_CREATE)
