"""What a kubelet writes, as pure functions: quantities, durations, messages, status shapes.

No I/O. Every string here is the upstream one (``reference/failure-shapes.md``;
``pkg/kubelet/eviction/helpers.go``, ``pkg/kubelet/kuberuntime``, ``pkg/kubelet/qos``).
"""

from __future__ import annotations

from typing import Any

from k8sstress.classify.quantity import parse_quantity
from k8sstress.records import SIMULATED_ANNOTATION, RawObject

__all__ = [
    "bytes_of",
    "format_binary",
    "canonical_quantity",
    "go_duration",
    "eviction_message",
    "eviction_event_annotations",
    "backoff_message",
    "backoff_event_message",
    "system_oom_message",
    "oom_score_adj",
    "BACKOFF_INITIAL_S",
    "BACKOFF_MAX_S",
    "BACKOFF_RESET_S",
    "terminated_state",
    "not_ready_conditions",
    "ready_conditions",
    "evicted_status",
    "node_memory_condition",
    "simulated_annotations",
    "event_body",
]

BACKOFF_INITIAL_S = 10
"""kubelet ``initialBackOff`` for container restarts."""
BACKOFF_MAX_S = 300
"""kubelet ``MaxContainerBackOff`` (5 minutes)."""
BACKOFF_RESET_S = 600
"""A container that ran this long before dying starts its back-off over (2 × the cap)."""

_BINARY = (("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))
_DECIMAL = (("E", 10**18), ("P", 10**15), ("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3))


def bytes_of(quantity: Any) -> int:
    """A memory quantity (``"600Mi"``, ``"1G"``, 1024) as whole bytes; 0 when absent or invalid."""
    value = parse_quantity(quantity) if quantity is not None else None
    return int(value) if value is not None and value > 0 else 0


def format_binary(n: int) -> str:
    """``resource.Quantity.String()`` of a BinarySI quantity of ``n`` bytes (``87304Ki``, ``600Mi``, ``0``)."""
    if n == 0:
        return "0"
    sign = "-" if n < 0 else ""
    a = abs(n)
    for suffix, size in _BINARY:
        if a % size == 0:
            return f"{sign}{a // size}{suffix}"
    return f"{sign}{a}"


def canonical_quantity(text: str | None) -> str:
    """``Quantity.String()`` of a quantity as written in a spec: ``1024Mi`` → ``1Gi``, absent → ``0``."""
    if text is None:
        return "0"
    value = parse_quantity(text)
    if value is None:
        return str(text)
    if value.denominator != 1:
        return str(text).strip()
    n = int(value)
    if any(str(text).strip().endswith(s) for s, _ in _BINARY):
        return format_binary(n)
    if n == 0:
        return "0"
    for suffix, size in _DECIMAL:
        if n % size == 0:
            return f"{n // size}{suffix}"
    return str(n)


def go_duration(seconds: float) -> str:
    """Go's ``time.Duration.String()`` for whole seconds: ``10s``, ``1m20s``, ``5m0s``, ``1h0m0s``."""
    s = int(round(seconds))
    if s == 0:
        return "0s"
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if h:
        return f"{h}h{m}m{sec}s"
    if m:
        return f"{m}m{sec}s"
    return f"{sec}s"


def eviction_message(threshold: str, available_bytes: int,
                     containers: list[tuple[str, int, str | None]]) -> str:
    """The kubelet's memory-pressure eviction message.

    ``containers`` are ``(name, usage_bytes, request_text)``; only those using more
    than their request are named, in spec order, each part ending with a space.
    """
    msg = "The node was low on resource: memory. "
    msg += f"Threshold quantity: {canonical_quantity(threshold)}, available: {format_binary(available_bytes)}. "
    for name, usage, request in containers:
        if usage > bytes_of(request):
            msg += (f"Container {name} was using {format_binary(usage)}, request is "
                    f"{canonical_quantity(request)}, has larger consumption of memory. ")
    return msg


def eviction_event_annotations(containers: list[tuple[str, int, str | None]]) -> dict[str, str]:
    """The annotations the kubelet puts on its ``Evicted`` event."""
    over = [(n, u) for n, u, r in containers if u > bytes_of(r)]
    return {
        "offending_containers": ",".join(n for n, _ in over),
        "offending_containers_usage": ",".join(format_binary(u) for _, u in over),
        "starved_resource": "memory",
    }


def backoff_message(backoff_s: float, container: str, pod: str) -> str:
    """``state.waiting.message`` of a container in CrashLoopBackOff."""
    return f"back-off {go_duration(backoff_s)} restarting failed container={container} pod={pod}"


def backoff_event_message(container: str, pod: str) -> str:
    """The Warning ``BackOff`` event's message."""
    return f"Back-off restarting failed container {container} in pod {pod}"


def system_oom_message(process: str, pid: int) -> str:
    """The node's Warning ``SystemOOM`` event (kernel OOM killer outside a container's limit)."""
    return f"System OOM encountered, victim process: {process}, pid: {pid}"


def oom_score_adj(qos_class: str, memory_request: int, memory_capacity: int) -> int:
    """``GetContainerOOMScoreAdjust``: Guaranteed -997, BestEffort 1000, Burstable 3..999."""
    if qos_class == "Guaranteed":
        return -997
    if qos_class == "BestEffort":
        return 1000
    adj = 1000 - (1000 * memory_request) // max(memory_capacity, 1)
    if adj < 3:
        return 3
    if adj == 1000:
        return 999
    return int(adj)


def terminated_state(reason: str, exit_code: int, started_at: str | None, finished_at: str) -> RawObject:
    term: RawObject = {"exitCode": exit_code, "reason": reason, "finishedAt": finished_at}
    if started_at:
        term["startedAt"] = started_at
    return {"terminated": term}


def _cond(type_: str, status: str, now: str, reason: str | None = None, message: str | None = None) -> RawObject:
    c: RawObject = {"type": type_, "status": status, "lastTransitionTime": now, "lastProbeTime": None}
    if reason is not None:
        c["reason"] = reason
    if message is not None:
        c["message"] = message
    return c


def not_ready_conditions(now: str, reason: str, unready: list[str] | None = None) -> list[RawObject]:
    """Ready/ContainersReady False: ``PodFailed``, ``PodCompleted`` or ``ContainersNotReady``."""
    message = None
    if reason == "ContainersNotReady":
        message = f"containers with unready status: [{' '.join(unready or [])}]"
    return [_cond("Ready", "False", now, reason, message), _cond("ContainersReady", "False", now, reason, message)]


def ready_conditions(now: str) -> list[RawObject]:
    return [_cond("Ready", "True", now), _cond("ContainersReady", "True", now)]


def evicted_status(message: str, now: str, container_statuses: list[RawObject]) -> RawObject:
    """The status a kubelet-evicted pod ends with (phase Failed, reason Evicted, DisruptionTarget)."""
    return {
        "phase": "Failed",
        "reason": "Evicted",
        "message": message,
        "conditions": [_cond("DisruptionTarget", "True", now, "TerminationByKubelet", message),
                       *not_ready_conditions(now, "PodFailed")],
        "containerStatuses": container_statuses,
    }


def node_memory_condition(pressure: bool, now: str) -> RawObject:
    """The node's MemoryPressure condition as the kubelet's node-status setter writes it."""
    if pressure:
        return {"type": "MemoryPressure", "status": "True", "reason": "KubeletHasInsufficientMemory",
                "message": "kubelet has insufficient memory available",
                "lastHeartbeatTime": now, "lastTransitionTime": now}
    return {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory",
            "message": "kubelet has sufficient memory available",
            "lastHeartbeatTime": now, "lastTransitionTime": now}


def simulated_annotations(what: str) -> dict[str, str]:
    """The marker on everything the sim pressure model causes (value: what it did)."""
    return {SIMULATED_ANNOTATION: what}


def event_body(*, kind: str, namespace: str, name: str, uid: str, reason: str, message: str,
               type_: str, host: str, now_text: str, now_ns: int, field_path: str | None = None,
               annotations: dict[str, str] | None = None, simulated: str = "true") -> RawObject:
    """A core/v1 Event as the kubelet's recorder posts it (source kubelet on ``host``), marked simulated."""
    involved: RawObject = {"kind": kind, "name": name, "uid": uid, "apiVersion": "v1"}
    if kind == "Pod":
        involved["namespace"] = namespace
    if field_path:
        involved["fieldPath"] = field_path
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{name}.{now_ns:x}", "namespace": namespace,
                     "annotations": {**(annotations or {}), **simulated_annotations(simulated)}},
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "type": type_,
        "source": {"component": "kubelet", "host": host},
        "reportingComponent": "kubelet",
        "reportingInstance": host,
        "firstTimestamp": now_text,
        "lastTimestamp": now_text,
        "count": 1,
    }
