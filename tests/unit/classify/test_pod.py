from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from k8sstress.classify import classify_orphaned, classify_pod
from k8sstress.records import OUTCOMES, LaunchRecord, Outcome, Verdict

from .conftest import all_events, load_events, load_pod


def launch(**kw: Any) -> LaunchRecord:
    base: dict[str, Any] = {"launch_id": "L-launch", "mode": "online", "limits": "without", "template": "node",
                            "scheduled_at": 100.0, "sent_at": 100.2, "status": "accepted"}
    return LaunchRecord(**{**base, **kw})


# --- one fixture per outcome ---------------------------------------------------------------


def test_pending(pod):
    v = classify_pod(pod("pending"))
    assert v.outcome is Outcome.PENDING
    assert v.detail["since"] == "2025-03-04T10:00:00Z"
    assert v.detail["scheduled"] is False
    assert "raw_reason" not in v.detail
    assert (v.namespace, v.name, v.uid, v.launch_id) == ("stress", "node-run-pending",
                                                         "5a1c0e7e-0000-4000-8000-000000000001", "L0001")


def test_unschedulable_from_condition(pod):
    v = classify_pod(pod("unschedulable"))
    assert v.outcome is Outcome.UNSCHEDULABLE
    assert v.detail["reasons"] == ["Insufficient memory", "Insufficient cpu"]
    assert v.detail["nodes_total"] == 3
    assert v.detail["reason_nodes"] == {"Insufficient memory": 1, "Insufficient cpu": 3}
    assert v.detail["source"] == "condition"
    assert v.detail["since"] == "2025-03-04T10:00:01Z"


def test_unschedulable_events_add_attempts(pod, events):
    v = classify_pod(pod("unschedulable"), events("failed-scheduling"))
    assert v.detail["attempts"] == 3
    assert v.detail["source"] == "condition"


def test_unschedulable_taint(pod):
    v = classify_pod(pod("unschedulable-taint"))
    assert v.outcome is Outcome.UNSCHEDULABLE
    assert v.detail["taints"] == ["node.kubernetes.io/memory-pressure"]
    assert v.detail["reasons"][0] == "Too many pods"


def test_unschedulable_falls_back_to_failed_scheduling_event(pod, events):
    v = classify_pod(pod("unschedulable-no-message"), events("failed-scheduling"))
    assert v.outcome is Outcome.UNSCHEDULABLE
    assert v.detail["source"] == "event"
    assert v.detail["truncated"] is True
    assert v.detail["nodes_total"] == 120
    assert v.detail["reasons"] == ["Insufficient cpu", "Insufficient memory"]  # the taint part was cut
    assert v.detail["attempts"] == 14


def test_unschedulable_without_any_message(pod):
    v = classify_pod(pod("unschedulable-no-message"))
    assert v.outcome is Outcome.UNSCHEDULABLE
    assert v.detail["reasons"] == [] and v.detail["nodes_total"] is None


def test_running(pod):
    v = classify_pod(pod("running"))
    assert v.outcome is Outcome.RUNNING
    assert (v.detail["ready"], v.detail["restarts"], v.detail["node"]) == (True, 0, "kwok-node-1")
    assert (v.detail["qos_class"], v.detail["limits"], v.detail["mode"]) == ("Guaranteed", "with", "online")


def test_succeeded_with_owner_refusals(pod, events):
    v = classify_pod(pod("succeeded"), owner_events=[e for e in events("owner-failedcreate")
                                                     if e["involvedObject"]["name"] == "node-run-ok"])
    assert v.outcome is Outcome.SUCCEEDED
    assert v.detail["duration_s"] == 45.0
    assert v.detail["create_refusals"] == 1
    assert v.detail["last_refusal"]["reason"] == "limitrange"


def test_failed(pod):
    v = classify_pod(pod("failed"))
    assert v.outcome is Outcome.FAILED
    assert (v.detail["exit_code"], v.detail["reason"], v.detail["container"]) == (2, "Error", "worker")
    assert "raw_reason" not in v.detail


def test_oomkilled_final(pod):
    v = classify_pod(pod("oomkilled"))
    assert v.outcome is Outcome.OOMKILLED
    assert (v.detail["container"], v.detail["exit_code"], v.detail["restarts"]) == ("worker", 137, 0)
    assert v.detail["final"] is True
    assert v.detail["simulated"] is False


def test_oomkilled_restarting_beats_crashloopbackoff(pod):
    v = classify_pod(pod("oomkilled-restarting"))
    assert v.outcome is Outcome.OOMKILLED
    assert (v.detail["restarts"], v.detail["final"], v.detail["state"]) == (3, False, "CrashLoopBackOff")
    assert v.detail["simulated"] is True  # k8sstress.io/simulated annotation


def test_crashloopbackoff(pod, events):
    v = classify_pod(pod("crashloopbackoff"), events("backoff"))
    assert v.outcome is Outcome.CRASHLOOPBACKOFF
    assert v.detail == {**v.detail, "container": "worker", "restarts": 1, "exit_code": 1, "last_reason": "Error",
                        "back_off": "10s"}


def test_evicted_by_kubelet_memory(pod, events):
    v = classify_pod(pod("evicted-memory"), events("evicted"))
    assert v.outcome is Outcome.EVICTED
    assert (v.detail["by"], v.detail["resource"]) == ("kubelet", "memory")
    assert (v.detail["threshold"], v.detail["available"]) == ("100Mi", "87304Ki")
    assert [c["container"] for c in v.detail["containers"]] == ["worker", "sidecar"]
    assert v.detail["containers"][0]["usage"] == "1843Mi"
    assert v.detail["disruption_reason"] == "TerminationByKubelet"


def test_evicted_ephemeral_storage_has_no_disruption_target(pod):
    v = classify_pod(pod("evicted-ephemeral"))
    assert v.outcome is Outcome.EVICTED
    assert (v.detail["by"], v.detail["resource"], v.detail["limit"]) == ("kubelet", "ephemeral-storage", "1Gi")
    assert "disruption_reason" not in v.detail


def test_evicted_by_taint_manager(pod, events):
    v = classify_pod(pod("evicted-taint-manager"), events("taint-manager"))
    assert v.outcome is Outcome.EVICTED
    assert v.detail["by"] == "taint-manager"
    assert v.detail["message"] == "Taint manager: deleting due to NoExecute taint"


def test_evicted_by_eviction_api(pod):
    v = classify_pod(pod("evicted-api"))
    assert (v.outcome, v.detail["by"]) == (Outcome.EVICTED, "api")


def test_preempted(pod, events):
    v = classify_pod(pod("preempted"), events("preempted"))
    assert v.outcome is Outcome.PREEMPTED
    assert v.detail["scheduler"] == "default-scheduler"
    assert v.detail["preemptor"] == "0b7e9f4c-5d1a-4c61-9a57-2f6c1d3e8a90"
    assert v.detail["node"] == "kwok-node-1"


def test_kubelet_rejected_out_of_pods(pod):
    v = classify_pod(pod("kubelet-rejected"))
    assert v.outcome is Outcome.KUBELET_REJECTED
    assert (v.detail["resource"], v.detail["requested"], v.detail["used"], v.detail["capacity"]) == ("pods", 1, 110, 110)
    assert v.detail["reason"] == "OutOfpods"


def test_image_pull_failed(pod):
    v = classify_pod(pod("image-pull-backoff"))
    assert v.outcome is Outcome.IMAGE_PULL_FAILED
    assert (v.detail["reason"], v.detail["image"]) == ("ImagePullBackOff", "registry.invalid/stress/node:missing")


def test_never_seen_phase_is_pending_with_raw_reason(pod):
    v = classify_pod(pod("unknown-phase"))
    assert v.outcome is Outcome.PENDING
    assert (v.detail["raw_reason"], v.detail["phase"]) == ("NodeLost", "Unknown")


def test_never_seen_failed_reason_is_failed_with_raw_reason(pod):
    v = classify_pod(pod("failed-novel-reason"))
    assert v.outcome is Outcome.FAILED
    assert v.detail["raw_reason"] == "QuantumDecoherence"
    assert v.detail["message"] == "the pod observed itself"


def test_kwok_chaos_stage_is_simulated(pod):
    v = classify_pod(pod("kwok-chaos-failed"))
    assert (v.outcome, v.detail["exit_code"], v.detail["simulated"]) == (Outcome.FAILED, 3, True)


# --- precedence ----------------------------------------------------------------------------


def test_evicted_beats_oomkilled(pod):
    p = pod("evicted-memory")
    p["status"]["containerStatuses"][0]["lastState"] = {"terminated": {"reason": "OOMKilled", "exitCode": 137}}
    assert classify_pod(p).outcome is Outcome.EVICTED


def test_preempted_event_alone_decides(pod, events):
    p = pod("running")
    ev = copy.deepcopy(events("preempted")[0])
    ev["regarding"].update(name=p["metadata"]["name"], uid=p["metadata"]["uid"])
    v = classify_pod(p, [ev])
    assert v.outcome is Outcome.PREEMPTED
    assert v.detail["node"] == "kwok-node-1" and "scheduler" not in v.detail


def test_events_of_another_pod_with_the_same_name_are_ignored(pod, events):
    p = pod("running")
    ev = copy.deepcopy(events("preempted")[0])
    ev["regarding"].update(name=p["metadata"]["name"], uid="an-older-pod-uid")
    assert classify_pod(p, [ev]).outcome is Outcome.RUNNING


def test_events_do_not_override_status(pod, events):
    p = pod("running")
    ev = copy.deepcopy(events("evicted")[0])
    ev["involvedObject"].update(name=p["metadata"]["name"], uid=p["metadata"]["uid"])
    assert classify_pod(p, [ev]).outcome is Outcome.RUNNING
    pending = pod("pending")
    fs = copy.deepcopy(events("failed-scheduling")[1])
    fs["involvedObject"].update(name=pending["metadata"]["name"], uid=pending["metadata"]["uid"])
    assert classify_pod(pending, [fs]).outcome is Outcome.PENDING


def test_oom_in_one_container_beats_crashloop_in_another(pod):
    p = pod("crashloopbackoff")
    other = copy.deepcopy(p["status"]["containerStatuses"][0])
    other.update(name="sidecar", restartCount=2, state={"running": {}},
                 lastState={"terminated": {"reason": "OOMKilled", "exitCode": 137}})
    p["status"]["containerStatuses"].append(other)
    v = classify_pod(p)
    assert (v.outcome, v.detail["container"], v.detail["restarts"]) == (Outcome.OOMKILLED, "sidecar", 2)


@pytest.mark.parametrize("reason", ["ErrImagePull", "InvalidImageName", "ErrImageNeverPull"])
def test_image_pull_reasons(pod, reason):
    p = pod("image-pull-backoff")
    p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] = reason
    v = classify_pod(p)
    assert (v.outcome, v.detail["reason"]) == (Outcome.IMAGE_PULL_FAILED, reason)


@pytest.mark.parametrize("reason,message,resource", [
    ("OutOfcpu", "Pod was rejected: Node didn't have enough resource: cpu, requested: 4000, used: 1500, "
                 "capacity: 4000", "cpu"),
    ("OutOfmemory", "Pod was rejected: Node didn't have enough resource: memory, requested: 8589934592, "
                    "used: 0, capacity: 4294967296", "memory"),
    ("NodeAffinity", "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node "
                     "affinity/selector", None),
])
def test_kubelet_rejections(pod, reason, message, resource):
    p = pod("kubelet-rejected")
    p["status"].update(reason=reason, message=message)
    v = classify_pod(p)
    assert (v.outcome, v.detail["resource"], v.detail["reason"]) == (Outcome.KUBELET_REJECTED, resource, reason)


def test_pressure_rejection_is_an_eviction(pod):
    p = pod("kubelet-rejected")
    p["status"].update(reason="Evicted", message="Pod was rejected: The node had condition: [MemoryPressure]. ")
    v = classify_pod(p)
    assert v.outcome is Outcome.EVICTED
    assert (v.detail["by"], v.detail["resource"], v.detail["rejected_at_admission"]) == ("kubelet", "memory", True)


def test_crashloop_only_from_waiting_reason(pod):
    p = pod("crashloopbackoff")
    p["status"]["containerStatuses"][0]["state"] = {"running": {"startedAt": "2025-03-04T10:03:00Z"}}
    v = classify_pod(p)
    assert (v.outcome, v.detail["restarts"]) == (Outcome.RUNNING, 1)


def test_running_with_an_unusual_waiting_reason_keeps_it(pod):
    p = pod("running")
    p["status"]["containerStatuses"][0]["state"] = {"waiting": {"reason": "CreateContainerConfigError",
                                                                "message": 'configmap "cfg" not found'}}
    v = classify_pod(p)
    assert (v.outcome, v.detail["raw_reason"]) == (Outcome.RUNNING, "CreateContainerConfigError")


def test_deadline_exceeded_is_failed_without_raw_reason(pod):
    p = pod("failed")
    p["status"].update(reason="DeadlineExceeded", message="Pod was active on the node longer than the specified deadline")
    v = classify_pod(p)
    assert (v.outcome, v.detail["reason"]) == (Outcome.FAILED, "DeadlineExceeded")
    assert "raw_reason" not in v.detail


# --- deletion, stop -------------------------------------------------------------------------


def test_stopped_when_the_run_asked(pod):
    v = classify_pod(pod("running"), deleted=True, stop_requested=True, stop_latency_s=1.5)
    assert v.outcome is Outcome.STOPPED
    assert (v.detail["stop_latency_s"], v.detail["prior_outcome"]) == (1.5, "Running")
    assert v.detail["prior_detail"]["ready"] is True
    assert v.detail["mode"] == "online"


def test_deleted_when_nobody_asked(pod):
    v = classify_pod(pod("unschedulable"), deleted=True)
    assert v.outcome is Outcome.DELETED
    assert v.detail["prior_outcome"] == "Unschedulable"
    assert v.detail["prior_detail"]["reasons"] == ["Insufficient memory", "Insufficient cpu"]


@pytest.mark.parametrize("name,outcome", [("evicted-taint-manager", Outcome.EVICTED),
                                          ("preempted", Outcome.PREEMPTED),
                                          ("evicted-api", Outcome.EVICTED),
                                          ("kubelet-rejected", Outcome.KUBELET_REJECTED)])
@pytest.mark.parametrize("stop", [False, True])
def test_disruptions_explain_their_deletion(pod, name, outcome, stop):
    v = classify_pod(pod(name), deleted=True, stop_requested=stop)
    assert v.outcome is outcome
    assert v.detail["deleted"] is True


def test_finished_before_deletion_keeps_outcome(pod):
    v = classify_pod(pod("succeeded"), deleted=True, stop_requested=True)
    assert (v.outcome, v.detail["deleted"], v.detail["stop_requested"]) == (Outcome.SUCCEEDED, True, True)
    assert classify_pod(pod("oomkilled"), deleted=True).outcome is Outcome.OOMKILLED


def test_terminated_by_the_deletion_is_stopped_or_deleted(pod):
    p = pod("terminated-by-deletion")
    assert classify_pod(p).outcome is Outcome.FAILED  # still there: status decides
    stopped = classify_pod(p, deleted=True, stop_requested=True, stop_latency_s=2.0)
    assert (stopped.outcome, stopped.detail["prior_outcome"]) == (Outcome.STOPPED, "Failed")
    assert classify_pod(p, deleted=True).outcome is Outcome.DELETED


def test_terminated_before_the_deletion_request_stays_failed(pod):
    p = pod("terminated-by-deletion")
    p["metadata"]["deletionTimestamp"] = "2025-03-04T10:30:30Z"  # requested at 10:30:00, exit was 10:20:01
    assert classify_pod(p, deleted=True, stop_requested=True).outcome is Outcome.FAILED


def test_oom_restarting_pod_stopped_keeps_the_oom_as_prior(pod):
    v = classify_pod(pod("oomkilled-restarting"), deleted=True, stop_requested=True)
    assert (v.outcome, v.detail["prior_outcome"], v.detail["simulated"]) == (Outcome.STOPPED, "OOMKilled", True)


def test_stop_requested_pod_still_there_is_status_plus_flag(pod):
    v = classify_pod(pod("running"), stop_requested=True)
    assert (v.outcome, v.detail["stop_requested"]) == (Outcome.RUNNING, True)


def test_pod_known_only_from_events(events):
    stub = {"metadata": {"namespace": "stress", "name": "node-run-gone",
                         "uid": "5a1c0e7e-0000-4000-8000-000000000030"}}
    v = classify_pod(stub, events("evicted"), deleted=True)
    assert (v.outcome, v.detail["by"], v.detail["resource"]) == (Outcome.EVICTED, "kubelet", "memory")
    assert v.detail["from_events"] is True and v.detail["simulated"] is True
    taint_stub = {"metadata": {"namespace": "stress", "name": "node-run-taint"}}
    v = classify_pod(taint_stub, events("taint-manager"))
    assert (v.outcome, v.detail["by"]) == (Outcome.EVICTED, "taint-manager")


def test_orphaned(pod):
    v = classify_orphaned(pod("running"), since_stop_s=42.0)
    assert v.outcome is Outcome.ORPHANED
    assert (v.detail["prior_outcome"], v.detail["terminating"], v.detail["since_stop_s"]) == ("Running", False, 42.0)
    assert v.detail["qos_class"] == "Guaranteed" and "qos_class" not in v.detail["prior_detail"]
    assert classify_orphaned(pod("evicted-taint-manager")).detail["terminating"] is True


# --- the common fields -----------------------------------------------------------------------


def test_mode_label_then_launch_then_none(pod):
    p = pod("pending")
    assert classify_pod(p, launch=launch(mode="online")).detail["mode"] == "batch"  # the label wins
    del p["metadata"]["labels"]["k8sstress.io/mode"]
    assert classify_pod(p, launch=launch(mode="online")).detail["mode"] == "online"
    assert classify_pod(p).detail["mode"] is None


def test_limits_from_spec_and_template_disagreement(pod):
    p = pod("evicted-ephemeral")  # label says with; spec has an ephemeral-storage limit
    assert classify_pod(p).detail["limits"] == "with"
    p = pod("running")
    p["metadata"]["labels"]["k8sstress.io/limits"] = "without"  # a LimitRange added limits
    d = classify_pod(p).detail
    assert (d["limits"], d["limits_template"]) == ("with", "without")


def test_launch_id_label_then_launch(pod):
    p = pod("running")
    assert classify_pod(p, launch=launch()).launch_id == "L0005"
    del p["metadata"]["labels"]["k8sstress.io/launch-id"]
    assert classify_pod(p, launch=launch()).launch_id == "L-launch"


def test_simulated_markers(pod):
    p = pod("running")
    assert classify_pod(p).detail["simulated"] is False
    p["metadata"]["annotations"] = {"k8sstress.io/simulated": "false"}
    assert classify_pod(p).detail["simulated"] is False
    p["metadata"]["annotations"] = {"pod-ready.stage.kwok.x-k8s.io/delay": "5s"}  # timing only
    assert classify_pod(p).detail["simulated"] is False
    p["metadata"]["annotations"] = {"pod-container-failed.stage.kwok.x-k8s.io/name": "worker"}
    assert classify_pod(p).detail["simulated"] is True
    p["metadata"]["annotations"] = {"k8sstress.io/simulated": "true"}
    assert classify_pod(p).detail["simulated"] is True


def test_qos_computed_when_status_lacks_it(pod):
    p = pod("oomkilled")
    del p["status"]["qosClass"]
    assert classify_pod(p).detail["qos_class"] == "Burstable"


# --- robustness ------------------------------------------------------------------------------


@pytest.mark.parametrize("garbage", [
    {}, {"status": "broken"}, {"metadata": [], "status": {"phase": 42}},
    {"status": {"phase": "Running", "containerStatuses": [1, None, "x", {"state": []}]}},
    {"status": {"phase": "Failed", "conditions": "abc", "reason": ["x"]}},
    {"status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
                                                    "reason": "Unschedulable", "message": 7}]}},
    {"status": {"phase": "Running", "containerStatuses": [{"lastState": {"terminated": {"reason": "OOMKilled",
                                                                                        "exitCode": "x"}}}]}},
    {"metadata": {"deletionTimestamp": "not a time"}, "status": {"phase": "Succeeded"}},
])
def test_garbage_gives_a_valid_outcome(garbage):
    v = classify_pod(garbage, [{"kind": "Event", "involvedObject": "x"}, 5], deleted=True, stop_requested=True)
    assert isinstance(v, Verdict)
    assert v.outcome.value in OUTCOMES
    for key in ("simulated", "qos_class", "limits", "mode"):
        assert key in v.detail


def _mutate(rng: random.Random, value: Any, depth: int = 0) -> Any:
    junk = [None, 0, -1, 1.5, "", "x", [], {}, True, "OOMKilled", "Failed", "2025-03-04T10:00:00Z"]
    if isinstance(value, dict) and depth < 8:
        out = {}
        for k, v in value.items():
            roll = rng.random()
            if roll < 0.05:
                continue
            out[k] = rng.choice(junk) if roll < 0.12 else _mutate(rng, v, depth + 1)
        return out
    if isinstance(value, list) and depth < 8:
        return [_mutate(rng, v, depth + 1) for v in value if rng.random() > 0.05]
    return rng.choice(junk) if rng.random() < 0.1 else value


def test_mutated_fixtures_never_raise():
    rng = random.Random(20250304)
    names = ["running", "oomkilled-restarting", "evicted-memory", "preempted", "unschedulable", "kubelet-rejected",
             "crashloopbackoff", "terminated-by-deletion", "image-pull-backoff", "succeeded"]
    evs = all_events()
    for i in range(600):
        p = _mutate(rng, load_pod(names[i % len(names)]))
        e = [_mutate(rng, ev) for ev in evs]
        v = classify_pod(p, e, owner_events=e, deleted=bool(i % 2), stop_requested=bool(i % 3))
        assert v.outcome.value in OUTCOMES
        assert "unreadable" not in str(v.detail.get("raw_reason", "")), (i, v.detail)


def test_every_verdict_is_json_ready(pod):
    import json
    for name in ["evicted-memory", "unschedulable", "preempted", "succeeded"]:
        json.dumps(classify_pod(pod(name), load_events("evicted")).as_json())
