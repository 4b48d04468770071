"""Folding observed events into per-pod timelines and verdicts (in-memory streams)."""

from __future__ import annotations

import copy

from k8sstress.observe import Timelines, verdicts
from k8sstress.observe.benchmark import synthetic_stream
from k8sstress.records import LaunchRecord, Outcome, StopRecord

from .shapes import (
    EVICTION_MESSAGE,
    QUOTA_REFUSAL,
    T0_EPOCH,
    UNSCHEDULABLE_CPU,
    cond,
    event,
    evolve,
    job,
    pod,
    ready_conditions,
    running,
    ts,
)


def launch(lid: str, **kw: object) -> LaunchRecord:
    return LaunchRecord.model_validate({"launch_id": lid, "mode": "online", "limits": "with", "template": "t",
                                        "scheduled_at": T0_EPOCH, "sent_at": T0_EPOCH, "status": "accepted", **kw})


def lifecycle() -> list[tuple[float, str, str, dict]]:
    p = pod()
    scheduled = evolve(p, 101, conditions=[cond("PodScheduled", "True", 1)])
    scheduled["spec"]["nodeName"] = "small-0"
    run = evolve(scheduled, 102, phase="Running", conditions=ready_conditions(), containerStatuses=[running(2)])
    deleting = copy.deepcopy(run)
    deleting["metadata"].update(resourceVersion="103", deletionTimestamp=ts(40), deletionGracePeriodSeconds=30)
    gone = copy.deepcopy(deleting)
    gone["metadata"]["resourceVersion"] = "104"
    return [
        (T0_EPOCH + 0.5, "pods", "ADDED", p),
        (T0_EPOCH + 1.2, "pods", "MODIFIED", scheduled),
        (T0_EPOCH + 1.3, "events", "ADDED", event("Scheduled", "Successfully assigned ns1/p1 to small-0",
                                                  about=p, kind="Normal", offset=1)),
        (T0_EPOCH + 3.4, "pods", "MODIFIED", run),
        (T0_EPOCH + 10.1, "pods", "MODIFIED", deleting),
        (T0_EPOCH + 10.2, "pods", "DELETED", gone),
    ]


def fold(stream: list[tuple[float, str, str, dict]], **kw: int) -> Timelines:
    t = Timelines(**kw)
    for item in stream:
        t.apply_raw(*item)
    return t


def test_a_pod_life_gives_every_change_with_both_times() -> None:
    t = fold(lifecycle())
    [h] = t.histories()
    got = [(e.kind, e.what, e.at, round(e.seen - T0_EPOCH, 3)) for e in h.timeline]
    assert got == [
        ("created", "", T0_EPOCH, 0.5),
        ("phase", "Pending", None, 0.5),
        ("condition", "PodScheduled=True", T0_EPOCH + 1, 1.2),
        ("phase", "Running", None, 3.4),
        ("condition", "Initialized=True", T0_EPOCH + 2, 3.4),
        ("condition", "Ready=True", T0_EPOCH + 3, 3.4),
        ("condition", "ContainersReady=True", T0_EPOCH + 3, 3.4),
        ("container", "app:running", T0_EPOCH + 2, 3.4),
        ("deleted", "requested", T0_EPOCH + 10, 10.1),  # deletionTimestamp minus the grace period
        ("deleted", "gone", None, 10.2),
    ]
    assert h.created_at == T0_EPOCH
    assert h.first_seen == T0_EPOCH + 0.5
    assert abs(h.deleted_seen - (T0_EPOCH + 10.2)) < 1e-3  # type: ignore[operator]
    assert h.launch_id == "L1"
    assert [e["reason"] for e in h.events] == ["Scheduled"]
    assert "managedFields" not in h.pod["metadata"] and "volumes" not in h.pod["spec"]
    [v] = t.verdicts()
    assert v.outcome is Outcome.DELETED
    assert v.detail["prior_outcome"] == "Running"
    assert v.launch_id == "L1" and v.uid == "uid-p1"


def test_unschedulable_takes_reasons_and_an_updated_event_replaces_itself() -> None:
    p = pod()
    stuck = evolve(p, 101, conditions=[cond("PodScheduled", "False", 0, "Unschedulable", UNSCHEDULABLE_CPU)])
    ev1 = event("FailedScheduling", UNSCHEDULABLE_CPU, about=p)
    ev3 = copy.deepcopy(ev1)
    ev3["count"] = 3
    t = fold([(1.0, "pods", "ADDED", p), (2.0, "pods", "MODIFIED", stuck), (2.1, "events", "ADDED", ev1),
              (9.0, "events", "MODIFIED", ev3)])
    [h] = t.histories()
    assert [e["count"] for e in h.events] == [3]
    assert h.timeline[-1].what == "PodScheduled=False/Unschedulable"
    v = t.classify(h.uid)
    assert v.outcome is Outcome.UNSCHEDULABLE
    assert v.detail["reasons"] == ["Insufficient cpu"]
    assert v.detail["nodes_total"] == 3


def test_events_match_by_name_without_uid_and_may_come_before_their_pod() -> None:
    p = pod()
    early = event("FailedScheduling", UNSCHEDULABLE_CPU, about=p, uid="e1")
    no_uid = event("Evicted", EVICTION_MESSAGE, about=p, uid="e2", with_uid=False)
    t = Timelines()
    assert t.apply_raw(1.0, "events", "ADDED", early) is None
    assert t.events_without_pod == 1
    assert t.apply_raw(2.0, "pods", "ADDED", p) == "uid-p1"
    assert t.events_without_pod == 0
    assert t.apply_raw(3.0, "events", "ADDED", no_uid) == "uid-p1"
    assert [e["reason"] for e in t.pod_events("uid-p1")] == ["FailedScheduling", "Evicted"]


def test_oom_restart_is_an_entry_with_the_kill_time() -> None:
    p = pod(phase="Running", conditions=ready_conditions(), containers=[running(2)])
    crashed = evolve(p, 101, containerStatuses=[{
        "name": "app", "ready": False, "restartCount": 1,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 10s restarting failed container=app "
                                                                      "pod=p1_ns1(uid-p1)"}},
        "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled", "startedAt": ts(2),
                                     "finishedAt": ts(15)}}}])
    t = fold([(1.0, "pods", "ADDED", p), (16.0, "pods", "MODIFIED", crashed)])
    whats = {(e.what, e.at) for e in t.timeline("uid-p1")}
    assert ("app:waiting/CrashLoopBackOff", None) in whats
    assert ("app:restarts=1", T0_EPOCH + 15) in whats
    v = t.classify("uid-p1")
    assert v.outcome is Outcome.OOMKILLED and v.detail["restarts"] == 1


def test_a_job_whose_pods_were_all_refused_is_admission_rejected() -> None:
    j = job()
    refused = event("FailedCreate", QUOTA_REFUSAL, about=j, count=4)
    t = fold([(1.0, "jobs", "ADDED", j), (2.0, "events", "ADDED", refused)])
    [v] = t.verdicts()
    assert v.outcome is Outcome.ADMISSION_REJECTED
    assert v.detail["reason"] == "quota"
    assert v.detail["quota"] == "compute"
    assert v.detail["refusals"] == 4
    assert v.detail["owner"]["kind"] == "Job" and v.detail["owner"]["name"] == "job1"
    assert v.name == "node-run-" and v.launch_id == "L9" and v.detail["mode"] == "batch"
    # with the launch record, the launch classifier speaks (and the launch is not also Lost)
    [v2] = t.verdicts([launch("L9", namespace="ns1")])
    assert v2.outcome is Outcome.ADMISSION_REJECTED and v2.launch_id == "L9"
    assert v2.detail["source"] == "owner-event" and v2.detail["mode"] == "online"


def test_a_job_with_a_pod_gives_the_pod_verdict_with_the_refusals_as_detail() -> None:
    j = job()
    p = pod(owner=("Job", "job1"), phase="Running", conditions=ready_conditions(), containers=[running()])
    t = fold([(1.0, "jobs", "ADDED", j), (2.0, "events", "ADDED", event("FailedCreate", QUOTA_REFUSAL, about=j)),
              (3.0, "pods", "ADDED", p)])
    [v] = t.verdicts()
    assert v.outcome is Outcome.RUNNING
    assert v.detail["create_refusals"] == 1
    [h] = t.histories()
    assert h.owner == ("Job", "job1")


def test_a_pod_that_vanished_in_a_relist_is_deleted() -> None:
    p = pod(phase="Running", conditions=ready_conditions(), containers=[running()], node="small-0")
    stub = {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p1", "namespace": "ns1", "uid": "uid-p1", "resourceVersion": "100"}}
    t = fold([(1.0, "pods", "ADDED", p), (50.0, "pods", "DELETED", stub)])
    [h] = t.histories()
    assert [(e.kind, e.what) for e in h.timeline[-1:]] == [("deleted", "vanished")]
    assert h.pod["status"]["phase"] == "Running"  # the last state known is kept
    v = t.classify(h.uid)
    assert v.outcome is Outcome.DELETED and v.detail["prior_outcome"] == "Running"
    assert t.apply_raw(60.0, "pods", "MODIFIED", p) is None  # nothing after a deletion
    assert t.stats["ignored:pod-after-deletion"] == 1


def test_a_change_nothing_reads_does_not_mark_the_pod_changed() -> None:
    p = pod()
    same = copy.deepcopy(p)
    same["metadata"]["resourceVersion"] = "200"
    same["metadata"]["labels"]["app"] = "other"  # a label classification does not read
    t = Timelines()
    assert t.apply_raw(1.0, "pods", "ADDED", p) == "uid-p1"
    t.classify_changed()
    assert t.dirty == 0
    assert t.apply_raw(2.0, "pods", "MODIFIED", same) is None
    assert t.dirty == 0


def test_launches_and_stops_give_stopped_lost_and_launch_fields() -> None:
    stream = lifecycle()
    t = fold(stream)
    stop = StopRecord(launch_id="L1", run_id=None, sent_at=T0_EPOCH + 9.0, status="accepted")
    got = {v.launch_id: v for v in t.verdicts([launch("L1"), launch("L2", namespace="ns1")], [stop])}
    assert got["L1"].outcome is Outcome.STOPPED
    assert abs(got["L1"].detail["stop_latency_s"] - 1.2) < 0.01
    assert got["L2"].outcome is Outcome.LOST


def test_module_verdicts_on_histories_agree_with_the_fold() -> None:
    t = fold(lifecycle())
    assert [v.outcome for v in verdicts(t.histories())] == [v.outcome for v in t.verdicts()]
    assert verdicts(t) == t.verdicts()


def test_a_small_hot_cache_changes_nothing_but_memory() -> None:
    stream = list(synthetic_stream(300, wave=100))
    big, small = fold(stream), fold(stream, hot_max=1)
    assert len(big) == len(small) == 300
    for uid in big.uids():
        assert big.history(uid) == small.history(uid)
    assert [v.as_json() for v in big.verdicts()] == [v.as_json() for v in small.verdicts()]
    small.compact()
    assert [v.as_json() for v in small.verdicts()] == [v.as_json() for v in big.verdicts()]


def test_every_synthetic_fate_gets_its_outcome() -> None:
    t = fold(list(synthetic_stream(400)))
    counts = {o: n for o, n in ((v.outcome.value, 1) for v in t.verdicts())}
    assert {"Running", "Succeeded", "Failed", "OOMKilled", "Evicted", "Deleted", "Unschedulable",
            "Pending"} <= set(counts)


def test_bad_input_is_counted_never_raised() -> None:
    t = Timelines()
    assert t.apply_raw(1.0, "pods", "ADDED", "not an object") is None  # type: ignore[arg-type]
    assert t.apply_raw(1.0, "pods", "ADDED", {"metadata": {"name": "x"}}) is None
    assert t.apply_raw(1.0, "events", "ADDED", {"involvedObject": {"kind": "Secret", "name": "s"}}) is None
    assert t.apply_raw(1.0, "configmaps", "ADDED", {}) is None
    odd = pod(phase="Exploded", reason="SomethingNew")
    assert t.apply_raw(2.0, "pods", "ADDED", odd) == "uid-p1"
    v = t.classify("uid-p1")
    assert v.outcome in (Outcome.PENDING, Outcome.FAILED)
    assert t.stats["ignored:not-an-object"] == 1 and t.stats["ignored:pod-without-uid"] == 1


def test_nodes_and_their_events_are_kept() -> None:
    node = {"kind": "Node", "metadata": {"name": "small-0", "uid": "n1", "labels": {"type": "kwok"}},
            "spec": {"taints": [{"key": "node.kubernetes.io/memory-pressure", "effect": "NoSchedule"}]},
            "status": {"allocatable": {"cpu": "4"}, "conditions": [{"type": "MemoryPressure", "status": "True",
                                                                     "reason": "KubeletHasInsufficientMemory"}]}}
    ev = {"kind": "Event", "metadata": {"name": "small-0.x", "uid": "e9"},
          "involvedObject": {"kind": "Node", "name": "small-0"}, "reason": "EvictionThresholdMet",
          "message": "Attempting to reclaim memory", "type": "Warning"}
    t = fold([(1.0, "nodes", "ADDED", node), (2.0, "events", "ADDED", ev)])
    assert t.nodes()["small-0"]["spec"]["taints"][0]["key"] == "node.kubernetes.io/memory-pressure"
    assert [e["reason"] for e in t.node_events("small-0")] == ["EvictionThresholdMet"]
    t.apply_raw(3.0, "nodes", "DELETED", node)
    assert t.nodes() == {}
