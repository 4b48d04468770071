"""The pressure model's decisions and the status shapes they produce, field by field."""

from __future__ import annotations

from typing import Any

from k8sstress.pressure import model
from k8sstress.records import SIMULATED_ANNOTATION

MI = 2**20
T0 = 1_800_000_000.0


def pod(name: str, *, limits: str | None = None, requests: str | None = None, usage: str | None = None,
        ramp: float | None = None, duration: float | None = None, policy: str = "Never", node: str = "n1",
        priority: int = 0, started: float = T0, qos: str | None = None, restarts: int = 0) -> dict[str, Any]:
    res: dict[str, Any] = {}
    if limits:
        res["limits"] = {"memory": limits, "cpu": "500m"}
    if requests:
        res["requests"] = {"memory": requests, "cpu": "500m"}
    ann = {}
    if usage:
        ann["k8sstress.io/memory-usage"] = usage
    if ramp is not None:
        ann["k8sstress.io/memory-ramp-seconds"] = str(ramp)
    if duration is not None:
        ann["k8sstress.io/duration-seconds"] = str(duration)
    started_text = model.format_time(started)
    status: dict[str, Any] = {
        "phase": "Running",
        "containerStatuses": [{"name": "node", "image": "img", "imageID": "", "ready": True, "started": True,
                               "restartCount": restarts, "state": {"running": {"startedAt": started_text}},
                               "lastState": {}}],
    }
    if qos:
        status["qosClass"] = qos
    return {
        "metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}", "annotations": ann,
                     "resourceVersion": "10"},
        "spec": {"nodeName": node, "restartPolicy": policy, "priority": priority,
                 "containers": [{"name": "node", "image": "img", "resources": res}]},
        "status": status,
    }


def node(memory: str = "1Gi", threshold: str | None = None, interval: str = "1", pressure: bool = False
         ) -> model.NodeView:
    ann = {"k8sstress.io/eviction-interval-seconds": interval}
    if threshold:
        ann["k8sstress.io/eviction-hard-memory"] = threshold
    return model.node_view({
        "metadata": {"name": "n1", "annotations": ann},
        "status": {"allocatable": {"memory": memory}, "capacity": {"memory": memory},
                   "conditions": [{"type": "MemoryPressure", "status": "True" if pressure else "False"}]},
    })


def test_pod_view_reads_annotations_and_resources() -> None:
    v = model.pod_view(pod("p", limits="512Mi", usage="600Mi", ramp=10, duration=30))
    assert v.mem_target == 600 * MI and v.ramp_s == 10 and v.duration_s == 30
    assert v.containers[0].limit == 512 * MI and v.containers[0].request == 512 * MI
    assert v.qos_class == "Guaranteed" and v.active
    assert model.pod_view(pod("q")).qos_class == "BestEffort"
    assert model.pod_view(pod("r", requests="100Mi")).qos_class == "Burstable"


def test_memory_ramps_from_container_start() -> None:
    v = model.pod_view(pod("p", usage="600Mi", ramp=10))
    assert model.memory_usage(v, 0, T0) == 0
    assert model.memory_usage(v, 0, T0 + 5) == 300 * MI
    assert model.memory_usage(v, 0, T0 + 60) == 600 * MI
    assert model.memory_usage(v, 0, T0 + 5) % model.PAGE == 0


def test_oom_kill_never_restarting_shape() -> None:
    v = model.pod_view(pod("p", limits="512Mi", usage="600Mi", policy="Never"))
    a = model.pod_action(v, T0 + 1, {}, {})
    assert a is not None and a.kind == "oom-kill" and a.backoff_s == 0
    patch = model.pod_patch(a, T0 + 1)
    st = patch["status"]
    assert st["phase"] == "Failed"
    cs = st["containerStatuses"][0]
    term = cs["state"]["terminated"]
    assert (term["reason"], term["exitCode"]) == ("OOMKilled", 137)
    assert cs["ready"] is False
    assert patch["metadata"]["annotations"][SIMULATED_ANNOTATION] == "oom-killed"


def test_oom_kill_restarting_shape_and_backoff() -> None:
    v = model.pod_view(pod("online-node-x", limits="256Mi", usage="300Mi", policy="Always", restarts=0))
    a = model.pod_action(v, T0 + 1, {}, {})
    assert a is not None and a.backoff_s == 10
    st = model.pod_patch(a, T0 + 1)["status"]
    assert "phase" not in st
    cs = st["containerStatuses"][0]
    assert cs["lastState"]["terminated"]["reason"] == "OOMKilled"
    assert cs["lastState"]["terminated"]["exitCode"] == 137
    assert cs["restartCount"] == 1
    assert cs["state"] == {"waiting": {"reason": "CrashLoopBackOff",
                                       "message": "back-off 10s restarting failed container=node pod=online-node-x"}}
    ready = [c for c in st["conditions"] if c["type"] == "Ready"][0]
    assert (ready["status"], ready["reason"]) == ("False", "ContainersNotReady")
    # the next kill after a short run doubles the back-off
    again = model.pod_action(v, T0 + 1, {}, {("uid-online-node-x", "node"): 10.0})
    assert again is not None and again.backoff_s == 20


def test_backoff_schedule_doubles_to_cap_and_resets() -> None:
    seq, prev = [], None
    for _ in range(7):
        prev = model.next_backoff(prev, 5)
        seq.append(prev)
    assert seq == [10, 20, 40, 80, 160, 300, 300]
    assert model.next_backoff(300, 600) == 10


def test_restart_after_backoff_from_written_status() -> None:
    raw = pod("p", policy="Always")
    cs = raw["status"]["containerStatuses"][0]
    cs["state"] = {"waiting": {"reason": "CrashLoopBackOff",
                               "message": "back-off 20s restarting failed container=node pod=p"}}
    cs["lastState"] = {"terminated": {"reason": "OOMKilled", "exitCode": 137,
                                      "finishedAt": model.format_time(T0)}}
    v = model.pod_view(raw)
    assert model.pod_action(v, T0 + 19, {}, {}) is None
    a = model.pod_action(v, T0 + 20, {}, {})
    assert a is not None and a.kind == "restart"
    st = model.pod_patch(a, T0 + 20)["status"]
    assert "running" in st["containerStatuses"][0]["state"]
    assert st["containerStatuses"][0]["lastState"]["terminated"]["reason"] == "OOMKilled"


def test_batch_completes_after_duration() -> None:
    v = model.pod_view(pod("b", duration=5))
    assert model.pod_action(v, T0 + 4, {}, {}) is None
    a = model.pod_action(v, T0 + 5, {}, {})
    assert a is not None and a.kind == "complete"
    st = model.pod_patch(a, T0 + 5)["status"]
    assert st["phase"] == "Succeeded"
    term = st["containerStatuses"][0]["state"]["terminated"]
    assert (term["reason"], term["exitCode"]) == ("Completed", 0)
    # online pods never complete
    assert model.pod_action(model.pod_view(pod("o", duration=5, policy="Always")), T0 + 50, {}, {}) is None


def test_rank_usage_above_request_then_priority_then_excess() -> None:
    be_big = model.pod_view(pod("be-big"))
    be_small = model.pod_view(pod("be-small"))
    guaranteed = model.pod_view(pod("g", limits="512Mi", priority=-10))
    high = model.pod_view(pod("high", priority=1000))
    usage = {be_big.uid: 400 * MI, be_small.uid: 100 * MI, guaranteed.uid: 300 * MI, high.uid: 900 * MI}
    ranked = model.rank_for_eviction([guaranteed, high, be_small, be_big], usage)
    # over-request first (by priority: be_big/be_small at 0 before high at 1000), then the under-request pod
    assert [p.name for p in ranked] == ["be-big", "be-small", "high", "g"]


def test_kernel_oom_prefers_best_effort() -> None:
    be = model.pod_view(pod("be"))
    g = model.pod_view(pod("g", limits="2Gi"))
    victim = model.kernel_oom_victim([g, be], {(g.uid, 0): 2000 * MI, (be.uid, 0): 100 * MI}, 4 * 2**30)
    assert victim is not None and victim[0].name == "be"


def test_decide_memory_pressure_evicts_one_with_kubelet_message() -> None:
    n = node("1Gi", "100Mi")
    pods = [model.pod_view(pod("a", usage="500Mi")), model.pod_view(pod("b", usage="450Mi")),
            model.pod_view(pod("g", limits="512Mi", usage="50Mi"))]
    book = model.NodeBook()
    actions = model.decide(n, pods, T0 + 1, book, {}, {})
    kinds = [a.kind for a in actions]
    assert kinds == ["node-pressure", "threshold-met", "evict"]
    assert actions[0].pressure is True
    ev = actions[2]
    assert ev.pod is not None and ev.pod.name == "a"
    assert ev.message == ("The node was low on resource: memory. Threshold quantity: 100Mi, available: 24Mi. "
                          "Container node was using 500Mi, request is 0, has larger consumption of memory. ")
    st = model.pod_patch(ev, T0 + 1)["status"]
    assert (st["phase"], st["reason"], st["message"]) == ("Failed", "Evicted", ev.message)
    dt = [c for c in st["conditions"] if c["type"] == "DisruptionTarget"][0]
    assert (dt["status"], dt["reason"], dt["message"]) == ("True", "TerminationByKubelet", ev.message)
    # one eviction per interval: nothing until the next sync
    assert [a.kind for a in model.decide(n, pods[1:], T0 + 1.5, book, {}, {})] == []


def test_decide_clears_pressure_after_transition_period() -> None:
    n = node("1Gi", "100Mi", pressure=True)
    book = model.NodeBook(last_threshold_met=T0)
    quiet = [model.pod_view(pod("a", usage="10Mi"))]
    assert [a.kind for a in model.decide(n, quiet, T0 + 10, book, {}, {})] == []
    actions = model.decide(n, quiet, T0 + 301, book, {}, {})
    assert [(a.kind, a.pressure) for a in actions] == [("node-pressure", False)]


def test_decide_kernel_oom_when_node_overflows() -> None:
    n = node("1Gi", "100Mi", interval="100")
    book = model.NodeBook(next_sync=T0 + 100)
    pods = [model.pod_view(pod("be", usage="700Mi")), model.pod_view(pod("g", limits="600Mi", usage="500Mi"))]
    actions = model.decide(n, pods, T0 + 1, book, {}, {})
    assert [(a.kind, a.system_oom, a.pod.name if a.pod else None) for a in actions] == [("oom-kill", True, "be")]
    st = model.pod_patch(actions[0], T0 + 1)
    assert st["metadata"]["annotations"][SIMULATED_ANNOTATION] == "system-oom-killed"
    assert st["status"]["containerStatuses"][0]["state"]["terminated"]["reason"] == "OOMKilled"
