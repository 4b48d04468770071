"""Evictions and other disruptions: DisruptionTarget conditions and eviction messages.

Who disrupted a pod is written in its ``DisruptionTarget`` condition reason:

==========================  ===============  =============================================
reason                      ``by``           written by
==========================  ===============  =============================================
TerminationByKubelet        kubelet          node-pressure eviction, node shutdown
DeletionByTaintManager      taint-manager    NoExecute taint (node not-ready/unreachable)
EvictionByEvictionAPI       api              ``pods/eviction`` (kubectl drain, autoscalers)
PreemptionByScheduler       (Preempted)      kube-scheduler preemption
==========================  ===============  =============================================

A kubelet eviction also sets ``status.reason: Evicted`` and a message built from
``pkg/kubelet/eviction/helpers.go`` fragments, each ending in a space::

    The node was low on resource: memory. Threshold quantity: 100Mi, available: 87304Ki. Container app was using 1Gi, request is 128Mi, has larger consumption of memory.

Ephemeral-storage evictions use other fragments and carry no DisruptionTarget.
:func:`parse_eviction_message` reads all of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from k8sstress.classify import fields

__all__ = [
    "EVICTION_DISRUPTIONS",
    "PREEMPTION_DISRUPTIONS",
    "ContainerUsage",
    "EvictionMessage",
    "disruption_condition",
    "parse_eviction_message",
    "eviction_event_detail",
]

EVICTION_DISRUPTIONS: dict[str, str] = {
    "TerminationByKubelet": "kubelet",
    "DeletionByTaintManager": "taint-manager",
    "EvictionByEvictionAPI": "api",
}
PREEMPTION_DISRUPTIONS = frozenset({"PreemptionByScheduler", "PreemptionByKubeScheduler"})

_CONDITION_RESOURCE = {"MemoryPressure": "memory", "DiskPressure": "ephemeral-storage", "PIDPressure": "pids"}

_NODE_LOW = re.compile(r"The node was low on resource: (?P<resource>[^\s.]+)\.")
_THRESHOLD = re.compile(r"Threshold quantity: (?P<threshold>[^,\s]+), available: (?P<available>\S+?)\.(?:\s|$)")
_CONTAINER = re.compile(
    r"Container (?P<container>\S+) was using (?P<usage>[^,\s]+), request is (?P<request>[^,\s]+), "
    r"has larger consumption of (?P<resource>[^\s.]+)\."
)
_NODE_CONDITION = re.compile(r"The node had condition: \[?(?P<conditions>[^\].]*)\]?\.")
_POD_EPHEMERAL = re.compile(r"Pod ephemeral local storage usage exceeds the total limit of containers (?P<limit>\S+?)\.(?:\s|$)")
_CONTAINER_EPHEMERAL = re.compile(r'Container (?P<container>\S+) exceeded its local ephemeral storage limit "(?P<limit>[^"]*)"\.')
_EMPTYDIR = re.compile(r'Usage of EmptyDir volume "(?P<volume>[^"]*)" exceeds the limit "(?P<limit>[^"]*)"\.')


@dataclass(frozen=True)
class ContainerUsage:
    """One ``Container <c> was using <usage>, request is <request>, ...`` part."""

    container: str
    usage: str
    request: str | None = None
    resource: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"container": self.container, "usage": self.usage, "request": self.request,
                "resource": self.resource}


@dataclass(frozen=True)
class EvictionMessage:
    """What an eviction message says; every field None/empty when it does not say."""

    resource: str | None = None
    threshold: str | None = None
    available: str | None = None
    containers: tuple[ContainerUsage, ...] = ()
    node_conditions: tuple[str, ...] = ()
    limit: str | None = None

    def as_detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {}
        if self.threshold is not None:
            detail["threshold"] = self.threshold
            detail["available"] = self.available
        if self.limit is not None:
            detail["limit"] = self.limit
        if self.containers:
            detail["containers"] = [c.as_json() for c in self.containers]
        if self.node_conditions:
            detail["node_conditions"] = list(self.node_conditions)
        return detail


def parse_eviction_message(message: str) -> EvictionMessage:
    """Read a kubelet eviction (or pressure-rejection) message; unknown text gives an empty result."""
    msg = message if isinstance(message, str) else ""
    resource: str | None = None
    limit: str | None = None
    threshold = available = None
    conditions: tuple[str, ...] = ()
    containers: list[ContainerUsage] = []
    if m := _NODE_LOW.search(msg):
        resource = m["resource"]
    if m := _THRESHOLD.search(msg):
        threshold, available = m["threshold"], m["available"]
    for m in _CONTAINER.finditer(msg):
        containers.append(ContainerUsage(m["container"], m["usage"], m["request"], m["resource"]))
    if m := _NODE_CONDITION.search(msg):
        conditions = tuple(c.strip() for c in re.split(r"[\s,]+", m["conditions"]) if c.strip())
        if resource is None:
            resource = next((_CONDITION_RESOURCE[c] for c in conditions if c in _CONDITION_RESOURCE), None)
    if m := _POD_EPHEMERAL.search(msg):
        resource, limit = "ephemeral-storage", m["limit"]
    for m in _CONTAINER_EPHEMERAL.finditer(msg):
        resource, limit = "ephemeral-storage", limit or m["limit"]
        containers.append(ContainerUsage(m["container"], "", None, "ephemeral-storage"))
    if m := _EMPTYDIR.search(msg):
        resource, limit = "ephemeral-storage", limit or m["limit"]
    return EvictionMessage(resource, threshold, available, tuple(containers), conditions, limit)


def disruption_condition(pod: Any) -> Mapping[str, Any] | None:
    """The pod's ``DisruptionTarget`` condition when its status is ``"True"``."""
    for cond in fields.dicts(fields.path(pod, "status", "conditions")):
        if cond.get("type") == "DisruptionTarget" and fields.text(cond.get("status")) == "True":
            return cond
    return None


def eviction_event_detail(annotations: Mapping[str, str]) -> tuple[str | None, tuple[ContainerUsage, ...]]:
    """``starved_resource`` and the offending containers from a kubelet ``Evicted`` event's annotations."""
    resource = annotations.get("starved_resource") or None
    names = [n for n in annotations.get("offending_containers", "").split(",") if n]
    usages = annotations.get("offending_containers_usage", "").split(",")
    containers = tuple(
        ContainerUsage(n, usages[i] if i < len(usages) else "", None, resource) for i, n in enumerate(names)
    )
    return resource, containers
