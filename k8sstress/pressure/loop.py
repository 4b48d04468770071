"""The pressure model's I/O: watch pods and nodes, tick, carry out the decisions.

Threads: one watch per resource (list, then watch; relist on 410 Gone or a broken
stream), one ticker that runs :func:`k8sstress.pressure.model.decide` for every
node and applies the actions through :class:`k8sstress.kube.Kube`, and a small
pool for the pods/status patches and events. Only one model acts on a cluster at a
time: the holder of the Lease ``kube-system/k8sstress-pressure-model``; a second
one stands by. Every decision is written as one JSON line to the decision log.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from k8sstress.errors import ClusterError
from k8sstress.kube import ApiError, Kube
from k8sstress.pressure import kubelet, model
from k8sstress.records import RawObject

__all__ = ["PressureConfig", "PressureModel", "LEASE_NAME", "LEASE_NAMESPACE"]

log = logging.getLogger("k8sstress.pressure")

LEASE_NAMESPACE = "kube-system"
LEASE_NAME = "k8sstress-pressure-model"
SMP = "application/strategic-merge-patch+json"


@dataclass(frozen=True)
class PressureConfig:
    tick_s: float = 0.5
    """How often the model looks at every node (the kubelet's own eviction interval is per node)."""
    lease_s: int = 15
    """Lease duration; a model that stops renewing loses the cluster to a standby after this."""
    workers: int = 8
    """Parallel pods/status patches."""


def _micro_time(t: float) -> str:
    import datetime as dt
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class PressureModel:
    """The kubelet stand-in for one sim cluster. ``start()`` then ``stop()``; or ``run()`` in the foreground."""

    def __init__(self, kube: Kube, *, config: PressureConfig | None = None,
                 decision_log: str | Path | None = None, clock: Callable[[], float] = time.time) -> None:
        self.kube = kube
        self.config = config or PressureConfig()
        self.clock = clock
        self.identity = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._lock = threading.Lock()
        self._pods: dict[str, model.PodView] = {}
        self._nodes: dict[str, model.NodeView] = {}
        self._node_uids: dict[str, str] = {}
        self._books: dict[str, model.NodeBook] = {}
        self._inflight: set[str] = set()
        self._backoff_until: dict[tuple[str, str], float] = {}
        self._previous_backoff: dict[tuple[str, str], float] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pool = ThreadPoolExecutor(max_workers=self.config.workers, thread_name_prefix="pressure-act")
        self._leader = False
        self._lease_checked = 0.0
        self._log_fh: TextIO | None = open(decision_log, "a", buffering=1) if decision_log else None  # noqa: SIM115
        self._synced = {"pods": threading.Event(), "nodes": threading.Event()}
        self.stats = {"ticks": 0, "actions": 0, "tick_seconds": 0.0, "errors": 0}

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> PressureModel:
        for resource in ("nodes", "pods"):
            t = threading.Thread(target=self._watch, args=(resource,), name=f"pressure-watch-{resource}",
                                 daemon=True)
            t.start()
            self._threads.append(t)
        t = threading.Thread(target=self._ticker, name="pressure-tick", daemon=True)
        t.start()
        self._threads.append(t)
        self._decision("started", identity=self.identity)
        return self

    def wait_synced(self, timeout: float = 30) -> bool:
        return all(e.wait(timeout) for e in self._synced.values())

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        for t in self._threads:  # watchers are daemons blocked on a stream: do not wait long for them
            t.join(timeout if t.name == "pressure-tick" else 0.2)
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._leader:
            self._release_lease()
        self._decision("stopped", identity=self.identity)
        if self._log_fh:
            self._log_fh.close()
            self._log_fh = None

    def run(self) -> None:
        self.start()
        try:
            while not self._stop.wait(1):
                pass
        finally:
            self.stop()

    @property
    def leader(self) -> bool:
        return self._leader

    # -- decision log --------------------------------------------------------------------------
    def _decision(self, what: str, **fields: Any) -> None:
        rec = {"t": round(self.clock(), 3), "decision": what, **fields}
        log.info("%s %s", what, json.dumps(fields, default=str))
        if self._log_fh:
            try:
                self._log_fh.write(json.dumps(rec, default=str) + "\n")
            except ValueError:  # closed while stopping
                pass

    # -- watching ------------------------------------------------------------------------------
    def _apply_event(self, resource: str, type_: str, obj: RawObject) -> None:
        if resource == "nodes":
            name = obj["metadata"]["name"]
            with self._lock:
                if type_ == "DELETED":
                    self._nodes.pop(name, None)
                    self._books.pop(name, None)
                else:
                    nview = model.node_view(obj)
                    self._nodes[name] = nview
                    self._node_uids[name] = obj["metadata"].get("uid", name)
                    if name not in self._books:
                        book = model.NodeBook()
                        if nview.memory_pressure:
                            book.last_threshold_met = self.clock()
                        self._books[name] = book
            return
        uid = obj["metadata"].get("uid", "")
        with self._lock:
            if type_ == "DELETED":
                self._pods.pop(uid, None)
                return
            view = model.pod_view(obj)
            old = self._pods.get(uid)
            if old is not None and old.resource_version > view.resource_version:
                return  # a stale event after our own patch's answer
            if view.phase in ("Succeeded", "Failed") or not view.node:
                self._pods.pop(uid, None)
            else:
                self._pods[uid] = view

    def _watch(self, resource: str) -> None:
        path = f"/api/v1/{resource}"
        backoff = 0.5
        while not self._stop.is_set():
            try:
                listing = self.kube.get(path, limit=0) if resource == "nodes" else self.kube.get(path)
                rv = listing["metadata"]["resourceVersion"]
                seen = set()
                for obj in listing.get("items") or []:
                    seen.add(obj["metadata"].get("uid") if resource == "pods" else obj["metadata"]["name"])
                    self._apply_event(resource, "ADDED", obj)
                with self._lock:
                    store = self._pods if resource == "pods" else self._nodes
                    for key in [k for k in store if k not in seen]:
                        store.pop(key, None)
                self._synced[resource].set()
                backoff = 0.5
                while not self._stop.is_set():
                    gone = False
                    for ev in self.kube.watch_lines(path, rv, timeout_s=30):
                        if self._stop.is_set():
                            return
                        t = str(ev.get("type"))
                        obj = ev.get("object") or {}
                        if t == "ERROR":
                            gone = True
                            break
                        rv = obj.get("metadata", {}).get("resourceVersion", rv)
                        if t == "BOOKMARK":
                            continue
                        self._apply_event(resource, t, obj)
                    if gone:
                        break
            except (ClusterError, ValueError, KeyError, OSError) as exc:
                if self._stop.is_set():
                    return
                log.warning("watch %s: %s; relisting in %.1fs", resource, exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10)

    # -- leadership ------------------------------------------------------------------------------
    def _lease_body(self, now: float, rv: str | None = None, transitions: int = 0) -> RawObject:
        md: RawObject = {"name": LEASE_NAME, "namespace": LEASE_NAMESPACE}
        if rv:
            md["resourceVersion"] = rv
        return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": md,
                "spec": {"holderIdentity": self.identity, "leaseDurationSeconds": self.config.lease_s,
                         "acquireTime": _micro_time(now), "renewTime": _micro_time(now),
                         "leaseTransitions": transitions}}

    def _check_lease(self, now: float) -> None:
        if now - self._lease_checked < self.config.lease_s / 3:
            return
        self._lease_checked = now
        path = f"/apis/coordination.k8s.io/v1/namespaces/{LEASE_NAMESPACE}/leases"
        was = self._leader
        try:
            try:
                lease = self.kube.get(f"{path}/{LEASE_NAME}")
            except ApiError as exc:
                if exc.status != 404:
                    raise
                self.kube.create(path, self._lease_body(now))
                self._leader = True
            else:
                spec = lease.get("spec") or {}
                holder = spec.get("holderIdentity")
                renewed = model.parse_time((spec.get("renewTime") or "").split(".")[0] + "Z") or 0
                expired = now - renewed > int(spec.get("leaseDurationSeconds") or self.config.lease_s)
                if holder == self.identity or expired or not holder:
                    body = self._lease_body(now, lease["metadata"]["resourceVersion"],
                                            int(spec.get("leaseTransitions") or 0) + (holder != self.identity))
                    if holder == self.identity and spec.get("acquireTime"):
                        body["spec"]["acquireTime"] = spec["acquireTime"]
                    self.kube.request("PUT", f"{path}/{LEASE_NAME}", body=body)
                    self._leader = True
                else:
                    self._leader = False
        except ClusterError as exc:
            log.warning("lease: %s", exc)
            self._leader = False
        if self._leader != was:
            self._decision("leader" if self._leader else "standby", identity=self.identity)

    def _release_lease(self) -> None:
        path = f"/apis/coordination.k8s.io/v1/namespaces/{LEASE_NAMESPACE}/leases/{LEASE_NAME}"
        try:
            lease = self.kube.get(path)
            if (lease.get("spec") or {}).get("holderIdentity") == self.identity:
                self.kube.delete(path)
        except ClusterError:
            pass
        self._leader = False

    # -- ticking ------------------------------------------------------------------------------
    def _ticker(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self._check_lease(self.clock())
                if self._leader and all(e.is_set() for e in self._synced.values()):
                    self.tick()
            except Exception:  # keep the model alive; the error is logged
                self.stats["errors"] += 1
                log.exception("pressure tick failed")
            self.stats["tick_seconds"] += time.monotonic() - started
            self._stop.wait(max(0.0, self.config.tick_s - (time.monotonic() - started)))

    def tick(self) -> list[model.Action]:
        """One look at every node: decide, then act. Returns the actions taken."""
        now = self.clock()
        by_node: dict[str, list[model.PodView]] = {}
        with self._lock:
            for p in self._pods.values():
                if p.uid not in self._inflight and p.active:
                    by_node.setdefault(p.node, []).append(p)
            nodes = dict(self._nodes)
            books = self._books
        actions: list[model.Action] = []
        for name, node in nodes.items():
            pods = by_node.get(name, [])
            book = books.setdefault(name, model.NodeBook())
            if not pods and not node.memory_pressure and book.last_threshold_met is None:
                continue
            actions.extend(model.decide(node, pods, now, book, self._backoff_until, self._previous_backoff))
        self.stats["ticks"] += 1
        for a in actions:
            self._act(a, now)
        self.stats["actions"] += len(actions)
        return actions

    # -- acting -------------------------------------------------------------------------------
    def _act(self, a: model.Action, now: float) -> None:
        if a.kind == "node-pressure":
            self._set_node_pressure(a.node, a.pressure, now)
            return
        if a.kind == "threshold-met":
            self._post_event(self._node_event(a.node, "Warning", "EvictionThresholdMet",
                                              "Attempting to reclaim memory", now, "threshold-met"))
            self._decision("threshold-met", node=a.node, available=a.detail.get("available"))
            return
        pod = a.pod
        assert pod is not None
        with self._lock:
            self._inflight.add(pod.uid)
        c = pod.containers[a.container]
        key = (pod.uid, c.name)
        if a.kind == "oom-kill" and a.backoff_s:
            self._backoff_until[key] = now + a.backoff_s
            self._previous_backoff[key] = a.backoff_s
        elif a.kind == "restart":
            self._backoff_until.pop(key, None)
        elif a.kind in ("evict", "complete"):
            self._backoff_until.pop(key, None)
            self._previous_backoff.pop(key, None)
        fields: dict[str, Any] = {"pod": pod.key, "node": pod.node, "container": c.name}
        if a.kind == "oom-kill":
            fields.update(usage=kubelet.format_binary(a.usage), limit=kubelet.format_binary(c.limit) if c.limit
                          else None, system_oom=a.system_oom, restart_policy=pod.restart_policy,
                          backoff_s=a.backoff_s or None, qos=pod.qos_class)
        elif a.kind == "evict":
            fields.update(usage=kubelet.format_binary(a.usage), request=kubelet.format_binary(pod.memory_request),
                          priority=pod.priority, qos=pod.qos_class, **a.detail)
        elif a.kind == "complete":
            fields.update(duration_s=pod.duration_s)
        self._decision(a.kind, **fields)
        self._pool.submit(self._act_on_pod, a, now)

    def _act_on_pod(self, a: model.Action, now: float) -> None:
        pod = a.pod
        assert pod is not None
        try:
            patch = model.pod_patch(a, now)
            path = f"/api/v1/namespaces/{pod.namespace}/pods/{pod.name}/status"
            try:
                updated = self.kube.request("PATCH", path, body=patch, content_type=SMP)
            except ApiError as exc:
                if exc.status not in (404, 409, 422):
                    raise
                log.info("%s %s skipped: %s", a.kind, pod.key, exc.api_message)
                return
            if updated:
                self._apply_event("pods", "MODIFIED", updated)
            now_text = model.format_time(now)
            c = pod.containers[a.container]
            if a.kind == "evict":
                self._post_event(self._pod_event(pod, "Warning", "Evicted", a.message, now, None,
                                                 a.event_annotations, "evicted"))
            elif a.kind == "oom-kill":
                if a.system_oom:
                    pid = 1000 + (abs(hash(pod.uid)) % 60000)
                    self._post_event(self._node_event(pod.node, "Warning", "SystemOOM",
                                                      kubelet.system_oom_message(c.name, pid), now,
                                                      "system-oom"))
                if a.backoff_s:
                    self._post_event(self._pod_event(pod, "Warning", "BackOff",
                                                     kubelet.backoff_event_message(c.name, pod.name), now,
                                                     f"spec.containers{{{c.name}}}", None, "crash-loop"))
            elif a.kind == "restart":
                self._post_event(self._pod_event(pod, "Normal", "Started", f"Started container {c.name}", now,
                                                 f"spec.containers{{{c.name}}}", None, "restarted"))
            del now_text
        except Exception:
            self.stats["errors"] += 1
            log.exception("%s on %s failed", a.kind, pod.key)
        finally:
            with self._lock:
                self._inflight.discard(pod.uid)

    def _pod_event(self, pod: model.PodView, type_: str, reason: str, message: str, now: float,
                   field_path: str | None, annotations: dict[str, str] | None, what: str) -> RawObject:
        return kubelet.event_body(kind="Pod", namespace=pod.namespace, name=pod.name, uid=pod.uid,
                                  reason=reason, message=message, type_=type_, host=pod.node,
                                  now_text=model.format_time(now), now_ns=time.time_ns(),
                                  field_path=field_path, annotations=annotations, simulated=what)

    def _node_event(self, node: str, type_: str, reason: str, message: str, now: float, what: str) -> RawObject:
        return kubelet.event_body(kind="Node", namespace="default", name=node, uid=node, reason=reason,
                                  message=message, type_=type_, host=node, now_text=model.format_time(now),
                                  now_ns=time.time_ns(), simulated=what)

    def _post_event(self, body: RawObject) -> None:
        ns = body["metadata"]["namespace"]
        try:
            self.kube.create(f"/api/v1/namespaces/{ns}/events", body)
        except ClusterError as exc:
            log.info("event %s not posted: %s", body.get("reason"), exc)

    def _set_node_pressure(self, node: str, pressure: bool, now: float) -> None:
        cond = kubelet.node_memory_condition(pressure, model.format_time(now))
        try:
            updated = self.kube.request("PATCH", f"/api/v1/nodes/{node}/status",
                                        body={"status": {"conditions": [cond]}}, content_type=SMP)
        except ClusterError as exc:
            log.warning("MemoryPressure on %s not set: %s", node, exc)
            return
        if updated:
            self._apply_event("nodes", "MODIFIED", updated)
        status = "NodeHasInsufficientMemory" if pressure else "NodeHasSufficientMemory"
        self._post_event(self._node_event(node, "Normal", status, f"Node {node} status is now: {status}", now,
                                          "memory-pressure" if pressure else "memory-pressure-cleared"))
        self._decision("node-pressure", node=node, memory_pressure=pressure)
