"""Pods, events and owners shaped as a kube-apiserver sends them (strings from reference/failure-shapes.md)."""

from __future__ import annotations

import copy
from typing import Any

from k8sstress.records import LAUNCH_ID_LABEL, MODE_LABEL

T0 = "2026-11-21T21:06:18Z"
T0_EPOCH = 1795295178.0

UNSCHEDULABLE_CPU = ("0/3 nodes are available: 3 Insufficient cpu. no new claims to deallocate, preemption: "
                     "0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
QUOTA_REFUSAL = ('Error creating: pods "node-run-" is forbidden: exceeded quota: compute, requested: cpu=1, '
                 "used: cpu=4, limited: cpu=4")
EVICTION_MESSAGE = ("The node was low on resource: memory. Threshold quantity: 100Mi, available: 87304Ki. "
                    "Container app was using 1Gi, request is 128Mi, has larger consumption of memory. ")


def ts(offset: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(T0_EPOCH + offset, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pod(name: str = "p1", uid: str = "uid-p1", *, ns: str = "ns1", rv: int = 100, launch: str | None = "L1",
        owner: tuple[str, str] | None = None, node: str | None = None, phase: str = "Pending",
        conditions: list[dict[str, Any]] | None = None, containers: list[dict[str, Any]] | None = None,
        reason: str | None = None, message: str | None = None, deletion: float | None = None,
        limits: bool = True) -> dict[str, Any]:
    labels: dict[str, str] = {"app": "x", MODE_LABEL: "batch"}
    if launch:
        labels[LAUNCH_ID_LABEL] = launch
    meta: dict[str, Any] = {"name": name, "namespace": ns, "uid": uid, "resourceVersion": str(rv),
                            "creationTimestamp": T0, "labels": labels,
                            "managedFields": [{"manager": "test", "operation": "Update"}]}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": owner[0], "name": owner[1],
                                    "uid": f"uid-{owner[1]}", "controller": True, "blockOwnerDeletion": True}]
    if deletion is not None:
        meta["deletionTimestamp"] = ts(deletion + 30)
        meta["deletionGracePeriodSeconds"] = 30
    res: dict[str, Any] = {"requests": {"cpu": "100m", "memory": "64Mi"}}
    if limits:
        res["limits"] = {"cpu": "100m", "memory": "64Mi"}
    spec: dict[str, Any] = {"containers": [{"name": "app", "image": "busybox", "resources": res,
                                            "terminationMessagePath": "/dev/termination-log"}],
                            "restartPolicy": "Never", "volumes": [{"name": "token"}]}
    if node:
        spec["nodeName"] = node
    status: dict[str, Any] = {"phase": phase, "qosClass": "Guaranteed" if limits else "Burstable"}
    if conditions:
        status["conditions"] = conditions
    if containers:
        status["containerStatuses"] = containers
    if reason:
        status["reason"] = reason
    if message:
        status["message"] = message
    return {"kind": "Pod", "apiVersion": "v1", "metadata": meta, "spec": spec, "status": status}


def cond(kind: str, status: str, offset: float = 0, reason: str | None = None,
         message: str | None = None) -> dict[str, Any]:
    c: dict[str, Any] = {"type": kind, "status": status, "lastProbeTime": None, "lastTransitionTime": ts(offset)}
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def running(offset: float = 0) -> dict[str, Any]:
    return {"name": "app", "state": {"running": {"startedAt": ts(offset)}}, "lastState": {}, "ready": True,
            "restartCount": 0, "image": "busybox", "imageID": "", "started": True}


def ready_conditions(scheduled: float = 1, ready: float = 3) -> list[dict[str, Any]]:
    return [cond("Initialized", "True", scheduled + 1), cond("Ready", "True", ready),
            cond("ContainersReady", "True", ready), cond("PodScheduled", "True", scheduled)]


def event(reason: str, message: str, *, about: dict[str, Any], uid: str | None = None, kind: str = "Warning",
          count: int = 1, offset: float = 0, with_uid: bool = True) -> dict[str, Any]:
    meta = about["metadata"]
    target = {"kind": about["kind"], "namespace": meta.get("namespace"), "name": meta["name"],
              "apiVersion": about.get("apiVersion", "v1")}
    if with_uid:
        target["uid"] = meta["uid"]
    return {"kind": "Event", "apiVersion": "v1",
            "metadata": {"name": f"{meta['name']}.{reason.lower()}", "namespace": meta.get("namespace"),
                         "uid": uid or f"ev-{meta['name']}-{reason}", "resourceVersion": "1"},
            "involvedObject": target, "reason": reason, "message": message, "type": kind, "count": count,
            "firstTimestamp": ts(offset), "lastTimestamp": ts(offset), "source": {"component": "kubelet"}}


def job(name: str = "job1", *, ns: str = "ns1", launch: str | None = "L9") -> dict[str, Any]:
    labels = {LAUNCH_ID_LABEL: launch, MODE_LABEL: "batch"} if launch else {}
    return {"kind": "Job", "apiVersion": "batch/v1",
            "metadata": {"name": name, "namespace": ns, "uid": f"uid-{name}", "resourceVersion": "5",
                         "labels": labels, "creationTimestamp": T0},
            "spec": {"parallelism": 1, "completions": 1, "backoffLimit": 0}, "status": {"active": 0}}


def evolve(base: dict[str, Any], rv: int, **status: Any) -> dict[str, Any]:
    """A copy of ``base`` with a new resourceVersion and status fields."""
    out = copy.deepcopy(base)
    out["metadata"]["resourceVersion"] = str(rv)
    out["status"].update(status)
    return out
