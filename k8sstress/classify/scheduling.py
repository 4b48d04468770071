"""kube-scheduler's "why not" messages, parsed.

The scheduler writes one message to the pod's ``PodScheduled=False`` condition and
to its ``FailedScheduling`` event (``pkg/scheduler/framework/types.go`` FitError)::

    0/3 nodes are available: 1 Insufficient memory, 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..

*   ``0/<N> nodes are available:`` then ``<n> <reason>`` parts sorted as text and
    joined with ``", "``, then ``"."``. A PreFilter failure gives one reason with no
    count (``pod has unbound immediate PersistentVolumeClaims``).
*   Optionally `` preemption: <the same shape>.`` from the PostFilter (preemption)
    plugin; its own trailing period makes the message end in ``..``.
*   Event messages longer than the event limit are cut and end in `` ...``; the
    part cut in half is dropped and ``truncated`` is set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["NodeReason", "SchedulingFailure", "parse_scheduling_message", "taint_of"]

_TRUNCATED_SUFFIX = " ..."
_PREEMPTION = " preemption: "
_HEAD = re.compile(r"^\s*0/(?P<total>\d+) nodes are available(?::\s*(?P<body>.*))?$", re.S)
_NO_NODES = re.compile(r"^\s*no nodes available to schedule pods", re.I)
_SPLIT = re.compile(r",\s+(?=\d+\s)")
_COUNTED = re.compile(r"^(?P<n>\d+)\s+(?P<reason>\S.*)$", re.S)
_TAINT = re.compile(r"had untolerated taint \{(?P<key>[^:}]*):\s*(?P<value>[^}]*)\}")


@dataclass(frozen=True)
class NodeReason:
    """One reason and how many nodes gave it (None when the scheduler gave no count)."""

    reason: str
    nodes: int | None = None

    def __str__(self) -> str:
        return self.reason if self.nodes is None else f"{self.nodes} {self.reason}"


@dataclass(frozen=True)
class SchedulingFailure:
    """A parsed FailedScheduling / PodScheduled message."""

    message: str
    nodes_total: int | None = None
    reasons: tuple[NodeReason, ...] = ()
    preemption: tuple[NodeReason, ...] = ()
    truncated: bool = False
    parsed: bool = True
    """False when the message did not have the scheduler's shape (kept verbatim)."""

    @property
    def reason_names(self) -> list[str]:
        return [r.reason for r in self.reasons]

    @property
    def insufficient(self) -> list[str]:
        """The resources named by ``Insufficient <resource>`` reasons."""
        return [r.reason[len("Insufficient "):] for r in self.reasons if r.reason.startswith("Insufficient ")]

    @property
    def taints(self) -> list[str]:
        """Keys of the untolerated taints named in the reasons."""
        out = []
        for r in self.reasons:
            t = taint_of(r.reason)
            if t is not None:
                out.append(t[0])
        return out

    def as_detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {
            "reasons": self.reason_names,
            "nodes_total": self.nodes_total,
            "reason_nodes": {r.reason: r.nodes for r in self.reasons},
        }
        if self.preemption:
            detail["preemption"] = [str(r) for r in self.preemption]
        if self.insufficient:
            detail["insufficient"] = self.insufficient
        if self.taints:
            detail["taints"] = self.taints
        if self.truncated:
            detail["truncated"] = True
        if not self.parsed:
            detail["unparsed_message"] = self.message
        return detail


def taint_of(reason: str) -> tuple[str, str] | None:
    """``(key, value)`` of a ``node(s) had untolerated taint {key: value}`` reason."""
    m = _TAINT.search(reason)
    if m is None:
        return None
    return m["key"].strip(), m["value"].strip()


def _split_reasons(body: str, *, cut: bool) -> tuple[tuple[NodeReason, ...], bool]:
    """Parse ``<n> <reason>, <n> <reason>.``; ``cut``: the text may end mid-reason.

    Returns the reasons and whether the body ended cleanly (with its period).
    """
    body = body.strip()
    end = body.find(". ")
    complete = False
    if end >= 0:
        body, complete = body[:end], True
    elif body.endswith("."):
        body, complete = body.rstrip("."), True
    parts = [p.strip() for p in _SPLIT.split(body) if p.strip()] if body else []
    if cut and not complete and parts:
        parts = parts[:-1]  # the last part was cut in half
    reasons = []
    for part in parts:
        m = _COUNTED.match(part)
        if m:
            reasons.append(NodeReason(m["reason"].strip(), int(m["n"])))
        else:
            reasons.append(NodeReason(part))
    return tuple(reasons), complete


def parse_scheduling_message(message: str) -> SchedulingFailure:
    """Parse a scheduler message; never raises (unknown shapes come back ``parsed=False``)."""
    raw = message if isinstance(message, str) else ""
    text = raw.strip()
    truncated = text.endswith(_TRUNCATED_SUFFIX.strip()) and raw.rstrip().endswith(_TRUNCATED_SUFFIX)
    if truncated:
        text = text[: -len(_TRUNCATED_SUFFIX.strip())].rstrip()
    if _NO_NODES.match(text):
        return SchedulingFailure(raw, nodes_total=0, truncated=truncated)
    main, sep, post = text.partition(_PREEMPTION)
    head = _HEAD.match(main)
    if head is None:
        return SchedulingFailure(raw, truncated=truncated, parsed=False)
    total = int(head["total"])
    reasons, _ = _split_reasons(head["body"] or "", cut=truncated and not sep)
    preemption: tuple[NodeReason, ...] = ()
    if sep:
        post_head = _HEAD.match(post)
        if post_head is not None:
            preemption, _ = _split_reasons(post_head["body"] or "", cut=truncated)
        else:
            preemption, _ = _split_reasons(post, cut=truncated)
    return SchedulingFailure(raw, nodes_total=total, reasons=reasons, preemption=preemption,
                             truncated=truncated)
