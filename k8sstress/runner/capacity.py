"""Room for one more pod: namespace quota and node allocatable (the ``backpressure`` policy).

:func:`quota_room` and :func:`node_room` are pure; :class:`CapacityTracker` keeps
their inputs fresh with list+watch of nodes and pods (cluster-wide, read-only) and
the namespace's ResourceQuotas. The answer is an estimate made before the create:
the scheduler and the quota admission plugin remain the judges.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from k8sstress.classify.quantity import parse_quantity
from k8sstress.errors import ClusterError
from k8sstress.kube import Kube
from k8sstress.records import RawObject

__all__ = ["Want", "NodeCap", "pod_want", "quota_room", "node_room", "tolerates", "CapacityTracker"]

log = logging.getLogger("k8sstress.runner.capacity")


def _q(v: object) -> float:
    f = parse_quantity(v) if v is not None else None
    return float(f) if f is not None else 0.0


@dataclass(frozen=True)
class Want:
    """What one pod asks for: requests and limits of cpu (cores) and memory (bytes)."""

    cpu: float = 0.0
    memory: float = 0.0
    limits_cpu: float = 0.0
    limits_memory: float = 0.0
    missing_limits: tuple[str, ...] = ()
    """``limits.cpu``/``limits.memory`` when some container sets none (quota on limits refuses it)."""


def pod_want(spec: RawObject) -> Want:
    cpu = mem = lcpu = lmem = 0.0
    missing: set[str] = set()
    for c in spec.get("containers") or []:
        res = c.get("resources") or {}
        lim = res.get("limits") or {}
        req = {**lim, **(res.get("requests") or {})}
        cpu += _q(req.get("cpu"))
        mem += _q(req.get("memory"))
        lcpu += _q(lim.get("cpu"))
        lmem += _q(lim.get("memory"))
        if "cpu" not in lim:
            missing.add("limits.cpu")
        if "memory" not in lim:
            missing.add("limits.memory")
    return Want(cpu, mem, lcpu, lmem, tuple(sorted(missing)))


_QUOTA_KEYS = {
    "pods": lambda w: 1.0, "count/pods": lambda w: 1.0,
    "cpu": lambda w: w.cpu, "requests.cpu": lambda w: w.cpu,
    "memory": lambda w: w.memory, "requests.memory": lambda w: w.memory,
    "limits.cpu": lambda w: w.limits_cpu, "limits.memory": lambda w: w.limits_memory,
}


def quota_room(quotas: Iterable[RawObject], want: Want, reserved: dict[str, float] | None = None) -> str | None:
    """None when every quota has room for ``want``; else why not (``quota q: requests.memory``)."""
    reserved = reserved or {}
    for q in quotas:
        name = (q.get("metadata") or {}).get("name", "?")
        hard = (q.get("status") or {}).get("hard") or (q.get("spec") or {}).get("hard") or {}
        used = (q.get("status") or {}).get("used") or {}
        for key, limit in hard.items():
            fn = _QUOTA_KEYS.get(key)
            if fn is None:
                continue
            if key in want.missing_limits:
                return f"quota {name}: must specify {key}"
            need = fn(want)
            if need and _q(used.get(key)) + reserved.get(f"{name}/{key}", 0.0) + need > _q(limit) + 1e-9:
                return f"quota {name}: {key}"
    return None


@dataclass
class NodeCap:
    name: str
    cpu: float
    memory: float
    pods: float
    labels: dict[str, str]
    taints: list[RawObject]
    schedulable: bool
    used_cpu: float = 0.0
    used_memory: float = 0.0
    used_pods: float = 0.0


def tolerates(tolerations: list[RawObject], taint: RawObject) -> bool:
    for t in tolerations:
        if t.get("effect") and t.get("effect") != taint.get("effect"):
            continue
        if t.get("operator") == "Exists":
            if not t.get("key") or t.get("key") == taint.get("key"):
                return True
        elif t.get("key") == taint.get("key") and (t.get("value") or "") == (taint.get("value") or ""):
            return True
    return False


def node_room(nodes: Iterable[NodeCap], want: Want, spec: RawObject,
              pending: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> str | None:
    """None when some node fits ``want`` and the fitting nodes' spare room covers the pending pods too."""
    selector = spec.get("nodeSelector") or {}
    tolerations = spec.get("tolerations") or []
    fits = False
    spare = [0.0, 0.0, 0.0]
    for n in nodes:
        if not n.schedulable or any(n.labels.get(k) != v for k, v in selector.items()):
            continue
        if any(t.get("effect") in ("NoSchedule", "NoExecute") and not tolerates(tolerations, t) for t in n.taints):
            continue
        free = (n.cpu - n.used_cpu, n.memory - n.used_memory, n.pods - n.used_pods)
        spare = [s + max(f, 0.0) for s, f in zip(spare, free, strict=True)]
        if free[0] >= want.cpu and free[1] >= want.memory and free[2] >= 1:
            fits = True
    if not fits:
        return "no node has room"
    need = (want.cpu, want.memory, 1.0)
    for i, what in enumerate(("cpu", "memory", "pods")):
        if need[i] and spare[i] - pending[i] < need[i]:
            return f"pending pods already claim the spare {what}"
    return None


def _node_cap(obj: RawObject) -> NodeCap:
    st = obj.get("status") or {}
    alloc = st.get("allocatable") or {}
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in st.get("conditions") or [])
    spec = obj.get("spec") or {}
    return NodeCap(name=obj["metadata"]["name"], cpu=_q(alloc.get("cpu")), memory=_q(alloc.get("memory")),
                   pods=_q(alloc.get("pods")), labels=obj["metadata"].get("labels") or {},
                   taints=spec.get("taints") or [], schedulable=ready and not spec.get("unschedulable"))


class CapacityTracker:
    """Live inputs for :func:`quota_room` and :func:`node_room` (threads: one watch per resource)."""

    def __init__(self, kube: Kube, namespace: str) -> None:
        self.kube = kube
        self.namespace = namespace
        self._lock = threading.Lock()
        self.nodes: dict[str, NodeCap] = {}
        self.quotas: dict[str, RawObject] = {}
        self._pods: dict[str, tuple[str, float, float]] = {}
        self._pending = [0.0, 0.0, 0.0]
        self._reserved: dict[str, float] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.synced = threading.Event()
        self._synced_count = 0

    def start(self) -> CapacityTracker:
        for path in ("/api/v1/nodes", "/api/v1/pods", f"/api/v1/namespaces/{self.namespace}/resourcequotas"):
            t = threading.Thread(target=self._watch, args=(path,), daemon=True, name=f"capacity{path}")
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()

    # -- queries ----------------------------------------------------------------------------
    def room(self, spec: RawObject) -> str | None:
        want = pod_want(spec)
        with self._lock:
            why = quota_room(self.quotas.values(), want, self._reserved)
            if why:
                return why
            return node_room(list(self.nodes.values()), want, spec, tuple(self._pending))  # type: ignore[arg-type]

    def reserve(self, spec: RawObject) -> None:
        """Count a pod just created against the quotas until their status shows it (the next quota event)."""
        want = pod_want(spec)
        with self._lock:
            for q in self.quotas.values():
                name = q["metadata"]["name"]
                for key in ((q.get("status") or {}).get("hard") or {}):
                    fn = _QUOTA_KEYS.get(key)
                    if fn is not None:
                        k = f"{name}/{key}"
                        self._reserved[k] = self._reserved.get(k, 0.0) + fn(want)

    # -- watching ---------------------------------------------------------------------------
    def _apply(self, path: str, type_: str, obj: RawObject) -> None:
        md = obj.get("metadata") or {}
        with self._lock:
            if path.endswith("/nodes"):
                old = self.nodes.get(md.get("name", ""))
                if type_ == "DELETED":
                    self.nodes.pop(md["name"], None)
                    return
                cap = _node_cap(obj)
                if old is not None:
                    cap.used_cpu, cap.used_memory, cap.used_pods = old.used_cpu, old.used_memory, old.used_pods
                self.nodes[cap.name] = cap
            elif path.endswith("/resourcequotas"):
                if type_ == "DELETED":
                    self.quotas.pop(md["name"], None)
                else:
                    self.quotas[md["name"]] = obj
                self._reserved = {k: v for k, v in self._reserved.items() if not k.startswith(md["name"] + "/")}
            else:
                self._apply_pod(type_, obj)

    def _apply_pod(self, type_: str, obj: RawObject) -> None:
        md = obj["metadata"]
        uid = md.get("uid", "")
        phase = (obj.get("status") or {}).get("phase")
        old = self._pods.pop(uid, None)
        if old is not None:
            self._account(old, -1)
        if type_ == "DELETED" or phase in ("Succeeded", "Failed"):
            return
        w = pod_want(obj.get("spec") or {})
        entry = ((obj.get("spec") or {}).get("nodeName") or "", w.cpu, w.memory)
        self._pods[uid] = entry
        self._account(entry, +1)

    def _account(self, entry: tuple[str, float, float], sign: int) -> None:
        node, cpu, mem = entry
        if node:
            n = self.nodes.get(node)
            if n is not None:
                n.used_cpu += sign * cpu
                n.used_memory += sign * mem
                n.used_pods += sign
        else:
            self._pending = [max(0.0, self._pending[0] + sign * cpu), max(0.0, self._pending[1] + sign * mem),
                             max(0.0, self._pending[2] + sign)]

    def _watch(self, path: str) -> None:
        while not self._stop.is_set():
            try:
                listing = self.kube.get(path)
                with self._lock:
                    if path.endswith("/pods"):
                        self._pods.clear()
                        self._pending = [0.0, 0.0, 0.0]
                        for n in self.nodes.values():
                            n.used_cpu = n.used_memory = n.used_pods = 0.0
                    elif path.endswith("/resourcequotas"):
                        self.quotas.clear()
                for obj in listing.get("items") or []:
                    self._apply(path, "ADDED", obj)
                self._synced_count += 1
                if self._synced_count >= 3:
                    self.synced.set()
                rv = listing["metadata"]["resourceVersion"]
                while not self._stop.is_set():
                    for ev in self.kube.watch_lines(path, rv, timeout_s=30):
                        if ev.get("type") == "ERROR":
                            raise ClusterError("watch expired")
                        obj = ev.get("object") or {}
                        rv = obj.get("metadata", {}).get("resourceVersion", rv)
                        if ev.get("type") != "BOOKMARK":
                            self._apply(path, ev["type"], obj)
            except (ClusterError, ValueError, KeyError, OSError) as exc:
                if self._stop.is_set():
                    return
                log.info("capacity watch %s: %s; relisting", path, exc)
                self._stop.wait(1)
