"""The pressure model's pure core: pod and node views, usage, and the kubelet's decisions.

No I/O. :func:`pod_view` and :func:`node_view` read raw API objects;
:func:`decide` turns the views of one node (and the time) into actions — batch
completions, OOM kills under a container's limit, restarts after back-off,
kernel OOM kills when the node runs out of memory, and one kubelet eviction per
housekeeping interval under memory pressure; :func:`pod_patch` renders an action
into the pods/status patch a kubelet would have caused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from k8sstress.classify.quantity import parse_quantity
from k8sstress.pressure import kubelet
from k8sstress.records import RawObject
from k8sstress.templates import (
    CPU_BUSY_ANNOTATION,
    DURATION_ANNOTATION,
    MEMORY_RAMP_ANNOTATION,
    MEMORY_USAGE_ANNOTATION,
)

__all__ = [
    "EVICTION_HARD_ANNOTATION",
    "EVICTION_INTERVAL_ANNOTATION",
    "PRESSURE_TRANSITION_ANNOTATION",
    "PAGE",
    "ContainerView",
    "PodView",
    "NodeView",
    "NodeBook",
    "Action",
    "pod_view",
    "node_view",
    "parse_time",
    "format_time",
    "memory_usage",
    "pod_usage",
    "next_backoff",
    "rank_for_eviction",
    "kernel_oom_victim",
    "pod_action",
    "decide",
    "pod_patch",
]

EVICTION_HARD_ANNOTATION = "k8sstress.io/eviction-hard-memory"
"""Node annotation: the kubelet's ``evictionHard`` ``memory.available`` threshold (default 100Mi)."""
EVICTION_INTERVAL_ANNOTATION = "k8sstress.io/eviction-interval-seconds"
"""Node annotation: seconds between the kubelet's eviction checks (its housekeeping; default 10)."""
PRESSURE_TRANSITION_ANNOTATION = "k8sstress.io/eviction-pressure-transition-seconds"
"""Node annotation: how long MemoryPressure stays True after the threshold clears (default 300)."""
PAGE = 4096


def parse_time(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def format_time(t: float) -> str:
    return dt.datetime.fromtimestamp(int(t), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _float(text: Any, default: float) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return default


@dataclass
class ContainerView:
    name: str
    request: int
    request_text: str | None
    limit: int
    running_since: float | None
    waiting_reason: str | None
    terminated: bool
    restart_count: int
    status: RawObject


@dataclass
class PodView:
    uid: str
    namespace: str
    name: str
    node: str
    phase: str
    restart_policy: str
    priority: int
    qos_class: str
    deleting: bool
    mem_target: int
    ramp_s: float
    cpu_busy: float
    duration_s: float | None
    containers: list[ContainerView]
    resource_version: int
    raw_status: RawObject

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def memory_request(self) -> int:
        return sum(c.request for c in self.containers)

    @property
    def active(self) -> bool:
        """Running on its node, not terminal and not being deleted: the pressure model's to act on."""
        return self.phase == "Running" and not self.deleting and bool(self.node)


def _qos(containers: list[RawObject]) -> str:
    """``GetPodQOS`` from the spec (when the API server has not filled status.qosClass)."""
    reqs = [(c.get("resources") or {}) for c in containers]
    if not any((r.get("requests") or {}).get(k) or (r.get("limits") or {}).get(k)
               for r in reqs for k in ("cpu", "memory")):
        return "BestEffort"
    for r in reqs:
        limits = r.get("limits") or {}
        requests = {**limits, **(r.get("requests") or {})}
        for k in ("cpu", "memory"):
            if limits.get(k) is None or parse_quantity(requests.get(k)) != parse_quantity(limits.get(k)):
                return "Burstable"
    return "Guaranteed"


def pod_view(pod: RawObject) -> PodView:
    """The parts of a raw Pod the model needs (one parse per watch event)."""
    md = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    ann = md.get("annotations") or {}
    statuses = {s.get("name"): s for s in status.get("containerStatuses") or []}
    containers = []
    for c in spec.get("containers") or []:
        res = c.get("resources") or {}
        limits = res.get("limits") or {}
        requests = res.get("requests") or {}
        req_text = requests.get("memory", limits.get("memory"))
        st = statuses.get(c.get("name")) or {}
        state = st.get("state") or {}
        running = state.get("running")
        containers.append(ContainerView(
            name=c.get("name", ""),
            request=kubelet.bytes_of(req_text),
            request_text=req_text,
            limit=kubelet.bytes_of(limits.get("memory")),
            running_since=parse_time(running.get("startedAt")) if running else None,
            waiting_reason=(state.get("waiting") or {}).get("reason"),
            terminated="terminated" in state,
            restart_count=int(st.get("restartCount") or 0),
            status=st,
        ))
    duration = ann.get(DURATION_ANNOTATION)
    try:
        rv = int(md.get("resourceVersion") or 0)
    except ValueError:
        rv = 0
    return PodView(
        uid=md.get("uid", ""),
        namespace=md.get("namespace", ""),
        name=md.get("name", ""),
        node=spec.get("nodeName") or "",
        phase=status.get("phase") or "Pending",
        restart_policy=spec.get("restartPolicy") or "Always",
        priority=int(spec.get("priority") or 0),
        qos_class=status.get("qosClass") or _qos(spec.get("containers") or []),
        deleting=bool(md.get("deletionTimestamp")),
        mem_target=kubelet.bytes_of(ann.get(MEMORY_USAGE_ANNOTATION)),
        ramp_s=max(0.0, _float(ann.get(MEMORY_RAMP_ANNOTATION), 0.0)),
        cpu_busy=max(0.0, _float(ann.get(CPU_BUSY_ANNOTATION), 0.0)),
        duration_s=_float(duration, 0.0) if duration is not None else None,
        containers=containers,
        resource_version=rv,
        raw_status=status,
    )


@dataclass
class NodeView:
    name: str
    capacity: int
    allocatable: int
    threshold_text: str
    threshold: int
    interval_s: float
    transition_s: float
    memory_pressure: bool


def node_view(node: RawObject) -> NodeView:
    md = node.get("metadata") or {}
    ann = md.get("annotations") or {}
    st = node.get("status") or {}
    alloc = kubelet.bytes_of((st.get("allocatable") or {}).get("memory"))
    cap = kubelet.bytes_of((st.get("capacity") or {}).get("memory")) or alloc
    threshold_text = ann.get(EVICTION_HARD_ANNOTATION) or "100Mi"
    pressure = any(c.get("type") == "MemoryPressure" and c.get("status") == "True"
                   for c in st.get("conditions") or [])
    return NodeView(name=md.get("name", ""), capacity=cap, allocatable=alloc or cap,
                    threshold_text=threshold_text, threshold=kubelet.bytes_of(threshold_text),
                    interval_s=max(0.1, _float(ann.get(EVICTION_INTERVAL_ANNOTATION), 10.0)),
                    transition_s=max(0.0, _float(ann.get(PRESSURE_TRANSITION_ANNOTATION), 300.0)),
                    memory_pressure=pressure)


def memory_usage(pod: PodView, index: int, now: float) -> int:
    """Working-set bytes of container ``index`` at ``now``: ramps to the target from its start.

    The pod's memory-usage annotation drives its first container; others use nothing.
    A container that is not running uses nothing. Whole pages, like a cgroup.
    """
    if index != 0 or pod.mem_target <= 0:
        return 0
    c = pod.containers[index]
    if c.running_since is None:
        return 0
    frac = 1.0 if pod.ramp_s <= 0 else min(1.0, max(0.0, now - c.running_since) / pod.ramp_s)
    return (int(pod.mem_target * frac) // PAGE) * PAGE


def pod_usage(pod: PodView, now: float) -> int:
    return sum(memory_usage(pod, i, now) for i in range(len(pod.containers)))


def next_backoff(previous_s: float | None, ran_for_s: float) -> float:
    """The kubelet's crash-loop back-off: 10 s, doubling to a 5 min cap; reset after a long run."""
    if previous_s is None or ran_for_s >= kubelet.BACKOFF_RESET_S:
        return float(kubelet.BACKOFF_INITIAL_S)
    return float(min(previous_s * 2, kubelet.BACKOFF_MAX_S))


def rank_for_eviction(pods: list[PodView], usage: dict[str, int]) -> list[PodView]:
    """``rankMemoryPressure``: usage above request first, then lower priority, then usage − request."""
    def key(p: PodView) -> tuple[int, int, int]:
        u = usage.get(p.uid, 0)
        exceeds = u > p.memory_request
        return (0 if exceeds else 1, p.priority, -(u - p.memory_request))
    return sorted(pods, key=key)


def kernel_oom_victim(pods: list[PodView], usage_by_container: dict[tuple[str, int], int],
                      capacity: int) -> tuple[PodView, int] | None:
    """The container the kernel OOM killer picks: highest ``usage/total·1000 + oom_score_adj``."""
    best: tuple[float, PodView, int] | None = None
    for p in pods:
        for i, c in enumerate(p.containers):
            u = usage_by_container.get((p.uid, i), 0)
            if u <= 0:
                continue
            score = u * 1000 / max(capacity, 1) + kubelet.oom_score_adj(p.qos_class, c.request, capacity)
            if best is None or score > best[0]:
                best = (score, p, i)
    return None if best is None else (best[1], best[2])


@dataclass(frozen=True)
class Action:
    """One thing the model decided.

    ``kind``: complete, oom-kill, restart, evict (pod actions); node-pressure, threshold-met (node).
    """

    kind: str
    pod: PodView | None = None
    container: int = 0
    node: str = ""
    usage: int = 0
    backoff_s: float = 0.0
    system_oom: bool = False
    pressure: bool = False
    message: str = ""
    event_annotations: dict[str, str] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class NodeBook:
    """What the model remembers about a node between ticks."""

    next_sync: float = 0.0
    last_threshold_met: float | None = None


def pod_action(pod: PodView, now: float, backoff_until: dict[tuple[str, str], float],
               previous_backoff: dict[tuple[str, str], float]) -> Action | None:
    """A pod's own fate at ``now``: restart after back-off, OOM kill under its limit, or completion."""
    if not pod.active:
        return None
    for i, c in enumerate(pod.containers):
        if c.waiting_reason == "CrashLoopBackOff":
            until = backoff_until.get((pod.uid, c.name))
            if until is None:
                until = _backoff_end_from_status(c)
            if until is not None and now >= until:
                return Action("restart", pod, i, pod.node)
    for i, c in enumerate(pod.containers):
        if c.limit and c.running_since is not None:
            u = memory_usage(pod, i, now)
            if u > c.limit:
                return _kill(pod, i, u, now, previous_backoff, system=False)
    if pod.duration_s is not None and pod.restart_policy != "Always":
        starts = [c.running_since for c in pod.containers if c.running_since is not None]
        if starts and len(starts) == len(pod.containers) and now >= min(starts) + pod.duration_s:
            return Action("complete", pod, 0, pod.node)
    return None


def _backoff_end_from_status(c: ContainerView) -> float | None:
    """After a restart of the model: the back-off end from the status it wrote (message + finishedAt)."""
    msg = (c.status.get("state") or {}).get("waiting", {}).get("message") or ""
    finished = parse_time(((c.status.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
    if finished is None or not msg.startswith("back-off "):
        return None
    text = msg.split()[1]
    total = 0
    num = ""
    for ch in text:
        if ch.isdigit():
            num += ch
        else:
            total += int(num or 0) * {"h": 3600, "m": 60, "s": 1}.get(ch, 0)
            num = ""
    return finished + total


def _kill(pod: PodView, i: int, usage: int, now: float, previous_backoff: dict[tuple[str, str], float],
          system: bool) -> Action:
    c = pod.containers[i]
    restart = pod.restart_policy in ("Always", "OnFailure")
    backoff = 0.0
    if restart:
        ran = now - c.running_since if c.running_since is not None else 0.0
        backoff = next_backoff(previous_backoff.get((pod.uid, c.name)), ran)
    return Action("oom-kill", pod, i, pod.node, usage=usage, backoff_s=backoff, system_oom=system)


def decide(node: NodeView, pods: list[PodView], now: float, book: NodeBook,
           backoff_until: dict[tuple[str, str], float],
           previous_backoff: dict[tuple[str, str], float]) -> list[Action]:
    """Everything that happens on ``node`` at ``now``. Updates ``book`` (the node's memory)."""
    actions: list[Action] = []
    gone: set[str] = set()
    killed: set[tuple[str, int]] = set()
    for p in pods:
        a = pod_action(p, now, backoff_until, previous_backoff)
        if a is not None:
            actions.append(a)
            if a.kind == "complete":
                gone.add(p.uid)
            elif a.kind == "oom-kill":
                killed.add((p.uid, a.container))
    live = [p for p in pods if p.active and p.uid not in gone]
    per_container: dict[tuple[str, int], int] = {}
    for p in live:
        for i in range(len(p.containers)):
            if (p.uid, i) not in killed:
                u = memory_usage(p, i, now)
                if u:
                    per_container[(p.uid, i)] = u
    total = sum(per_container.values())
    # The kernel acts at once when the node is out of memory: the cgroup of the whole node overflows.
    while node.capacity and total > node.capacity:
        victim = kernel_oom_victim(live, per_container, node.capacity)
        if victim is None:
            break
        vp, vi = victim
        u = per_container.pop((vp.uid, vi))
        total -= u
        actions.append(_kill(vp, vi, u, now, previous_backoff, system=True))
    if now < book.next_sync:
        return actions
    book.next_sync = now + node.interval_s
    available = node.allocatable - total
    met = available < node.threshold
    if met:
        book.last_threshold_met = now
    pressure = met or (book.last_threshold_met is not None and now - book.last_threshold_met < node.transition_s)
    if pressure != node.memory_pressure:
        actions.append(Action("node-pressure", None, 0, node.name, pressure=pressure))
    if not met:
        return actions
    actions.append(Action("threshold-met", None, 0, node.name, detail={"available": available}))
    usage_by_pod: dict[str, int] = {}
    for (uid, _i), u in per_container.items():
        usage_by_pod[uid] = usage_by_pod.get(uid, 0) + u
    ranked = rank_for_eviction(live, usage_by_pod)
    if ranked:
        evictee = ranked[0]
        parts = [(c.name, per_container.get((evictee.uid, i), 0), c.request_text)
                 for i, c in enumerate(evictee.containers)]
        actions.append(Action(
            "evict", evictee, 0, node.name, usage=usage_by_pod.get(evictee.uid, 0),
            message=kubelet.eviction_message(node.threshold_text, available, parts),
            event_annotations=kubelet.eviction_event_annotations(parts),
            detail={"available": available, "ranking": [p.key for p in ranked[:10]]}))
    return actions


def _status_with(c: ContainerView, state: RawObject, **extra: Any) -> RawObject:
    st: RawObject = dict(c.status) if c.status else {"name": c.name, "image": "", "imageID": ""}
    st.setdefault("name", c.name)
    st["state"] = state
    st.update(extra)
    return st


def pod_patch(action: Action, now: float) -> RawObject:
    """The strategic-merge patch on pods/status that carries out a pod action (with the simulated marker)."""
    pod = action.pod
    assert pod is not None
    ts = format_time(now)
    statuses: list[RawObject] = []
    if action.kind == "complete":
        for c in pod.containers:
            started = (c.status.get("state") or {}).get("running", {}).get("startedAt")
            statuses.append(_status_with(c, kubelet.terminated_state("Completed", 0, started, ts),
                                         ready=False, started=False))
        status: RawObject = {"phase": "Succeeded", "containerStatuses": statuses,
                             "conditions": kubelet.not_ready_conditions(ts, "PodCompleted")}
        what = "completed"
    elif action.kind == "oom-kill":
        restart = pod.restart_policy in ("Always", "OnFailure")
        for i, c in enumerate(pod.containers):
            if i != action.container:
                statuses.append(dict(c.status) if c.status else _status_with(c, {}))
                continue
            started = (c.status.get("state") or {}).get("running", {}).get("startedAt")
            term = kubelet.terminated_state("OOMKilled", 137, started, ts)
            if restart:
                statuses.append(_status_with(
                    c, {"waiting": {"reason": "CrashLoopBackOff",
                                    "message": kubelet.backoff_message(action.backoff_s, c.name, pod.name)}},
                    lastState=term, ready=False, started=False, restartCount=c.restart_count + 1))
            else:
                statuses.append(_status_with(c, term, ready=False, started=False))
        others_done = all(c.terminated for i, c in enumerate(pod.containers) if i != action.container)
        if restart:
            status = {"containerStatuses": statuses,
                      "conditions": kubelet.not_ready_conditions(ts, "ContainersNotReady",
                                                                 [pod.containers[action.container].name])}
        elif others_done:
            status = {"phase": "Failed", "containerStatuses": statuses,
                      "conditions": kubelet.not_ready_conditions(ts, "PodFailed")}
        else:
            status = {"containerStatuses": statuses,
                      "conditions": kubelet.not_ready_conditions(ts, "ContainersNotReady",
                                                                 [pod.containers[action.container].name])}
        what = "system-oom-killed" if action.system_oom else "oom-killed"
    elif action.kind == "restart":
        for i, c in enumerate(pod.containers):
            if i != action.container:
                statuses.append(dict(c.status) if c.status else _status_with(c, {}))
            else:
                statuses.append(_status_with(c, {"running": {"startedAt": ts}}, ready=True, started=True))
        all_ready = all(s.get("ready") for s in statuses)
        status = {"containerStatuses": statuses,
                  "conditions": kubelet.ready_conditions(ts) if all_ready else
                  kubelet.not_ready_conditions(ts, "ContainersNotReady",
                                               [s["name"] for s in statuses if not s.get("ready")])}
        what = "restarted"
    elif action.kind == "evict":
        for c in pod.containers:
            started = (c.status.get("state") or {}).get("running", {}).get("startedAt")
            if c.terminated:
                statuses.append(dict(c.status))
            else:
                statuses.append(_status_with(c, kubelet.terminated_state("Error", 137, started, ts),
                                             ready=False, started=False))
        status = kubelet.evicted_status(action.message, ts, statuses)
        what = "evicted"
    else:
        raise ValueError(f"not a pod action: {action.kind}")
    return {"metadata": {"annotations": kubelet.simulated_annotations(what)}, "status": status}
