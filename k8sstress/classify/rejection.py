"""Kubelet admission rejections: the pod was bound to a node whose kubelet refused it.

``pkg/kubelet/kubelet.go`` rejectPod writes ``phase: Failed``, a reason and
``Pod was rejected: <why>``. For resources the reason is ``OutOf<resource>``
(``lifecycle/predicate.go``)::

    reason:  OutOfpods
    message: Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 110, capacity: 110

(A kubelet under pressure rejecting a pod writes reason ``Evicted``; that is an
eviction, see :mod:`k8sstress.classify.eviction`.)
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["REJECTION_REASONS", "is_kubelet_rejection", "rejection_detail"]

REJECTION_PREFIX = "Pod was rejected"
REJECTION_REASONS = frozenset({
    "UnexpectedAdmissionError",
    "NodeAffinity",
    "NodeShutdown",
    "InitContainerRestartPolicyForbidden",
    "SysctlForbidden",
    "PodOSNotSupported",
    "PodOSSelectorNodeLabelDoesNotMatch",
})
_ENOUGH = re.compile(
    r"Node didn't have enough resource: (?P<resource>[^,]+), requested: (?P<requested>-?\d+), "
    r"used: (?P<used>-?\d+), capacity: (?P<capacity>-?\d+)"
)


def is_kubelet_rejection(reason: str, message: str) -> bool:
    """True for a Failed pod's reason/message written by kubelet admission."""
    return (
        reason.startswith("OutOf")
        or reason in REJECTION_REASONS
        or message.startswith(REJECTION_PREFIX)
    )


def rejection_detail(reason: str, message: str) -> dict[str, Any]:
    """``resource`` (and requested/used/capacity when the message gives them)."""
    resource = reason[len("OutOf"):] if reason.startswith("OutOf") else ""
    detail: dict[str, Any] = {"resource": resource or None, "reason": reason or None}
    if m := _ENOUGH.search(message):
        detail["resource"] = detail["resource"] or m["resource"].strip()
        detail["requested"] = int(m["requested"])
        detail["used"] = int(m["used"])
        detail["capacity"] = int(m["capacity"])
    return detail
