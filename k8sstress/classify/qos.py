"""QoS class and "with/without limits" of a pod, from its status or its spec.

The QoS rule is Kubernetes' own (``pkg/apis/core/v1/helper/qos``): only cpu and
memory count, zero quantities are ignored, init containers count, and
``spec.resources`` (pod-level resources) replaces the per-container sums when set.

*   BestEffort: no cpu/memory request or limit anywhere.
*   Guaranteed: every container has cpu and memory limits, and the pod's summed
    requests equal its summed limits.
*   Burstable: everything else.

A spec read from a manifest has not been through API defaulting, so a container's
missing request is taken from its limit first, as the apiserver would.

``limits`` (a k8sstress term): ``"with"`` when any container (init or app, or the
pod-level ``spec.resources``) sets a non-zero limit on any resource (cpu, memory,
ephemeral-storage, ...), else ``"without"``. It describes the pod as admitted, so a
LimitRange default makes a "without" template come out ``"with"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any, Literal

from k8sstress.classify import fields
from k8sstress.classify.quantity import parse_quantity

__all__ = ["QOS_CLASSES", "QosClass", "qos_class", "qos_class_from_spec", "limits_of"]

QosClass = Literal["Guaranteed", "Burstable", "BestEffort"]
QOS_CLASSES: tuple[QosClass, ...] = ("Guaranteed", "Burstable", "BestEffort")
_COMPUTE = ("cpu", "memory")


def _resource_sets(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    pod_level = fields.obj(spec.get("resources"))
    if fields.obj(pod_level.get("requests")) or fields.obj(pod_level.get("limits")):
        return [pod_level]
    containers = fields.dicts(spec.get("initContainers")) + fields.dicts(spec.get("containers"))
    return [fields.obj(c.get("resources")) for c in containers]


def _positive(raw: Mapping[str, Any]) -> dict[str, Fraction]:
    out: dict[str, Fraction] = {}
    for name in _COMPUTE:
        q = parse_quantity(raw.get(name))
        if q is not None and q > 0:
            out[name] = q
    return out


def qos_class_from_spec(spec: Any) -> QosClass:
    """The QoS class Kubernetes would give a pod with this ``spec``."""
    requests: dict[str, Fraction] = {}
    limits: dict[str, Fraction] = {}
    guaranteed = True
    for resources in _resource_sets(fields.obj(spec)):
        lim = _positive(fields.obj(resources.get("limits")))
        req = _positive(fields.obj(resources.get("requests")))
        for name, q in lim.items():
            req.setdefault(name, q)  # API defaulting: request := limit
        for name, q in req.items():
            requests[name] = requests.get(name, Fraction(0)) + q
        for name, q in lim.items():
            limits[name] = limits.get(name, Fraction(0)) + q
        if not all(name in lim for name in _COMPUTE):
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and requests == limits:
        return "Guaranteed"
    return "Burstable"


def qos_class(pod: Any) -> QosClass:
    """``status.qosClass`` when the API set it, else computed from ``spec``."""
    reported = fields.text(fields.path(pod, "status", "qosClass"))
    if reported in QOS_CLASSES:
        return reported
    return qos_class_from_spec(fields.path(pod, "spec"))


def limits_of(pod: Any) -> Literal["with", "without"]:
    """``"with"`` when any container (or the pod) sets a non-zero limit on any resource."""
    spec = fields.obj(fields.path(pod, "spec"))
    containers = fields.dicts(spec.get("initContainers")) + fields.dicts(spec.get("containers"))
    candidates = [fields.obj(spec.get("resources"))] + [fields.obj(c.get("resources")) for c in containers]
    for resources in candidates:
        for value in fields.obj(resources.get("limits")).values():
            q = parse_quantity(value)
            if q is not None and q > 0:
                return "with"
    return "without"
