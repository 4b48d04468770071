"""Run state from pod and Job shapes (the strings of failure-shapes.md)."""

from __future__ import annotations

from typing import Any

from k8sstress.runner import runs


def pod(status: dict[str, Any], **md: Any) -> dict[str, Any]:
    return {"metadata": {"name": "p", "namespace": "ns", **md}, "status": status}


def test_pending_and_unschedulable() -> None:
    assert runs.observe_pod(pod({"phase": "Pending"})).state == "Pending"
    msg = "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
    o = runs.observe_pod(pod({"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": msg}]}))
    assert (o.state, o.reason, o.message) == ("Pending", "Unschedulable", msg)


def test_running_ready_and_crashloop_after_oom() -> None:
    o = runs.observe_pod(pod({"phase": "Running", "containerStatuses": [
        {"name": "node", "ready": True, "restartCount": 0, "state": {"running": {}}}]}))
    assert (o.state, o.reason, o.ready) == ("Running", None, True)
    o = runs.observe_pod(pod({"phase": "Running", "containerStatuses": [
        {"name": "node", "ready": False, "restartCount": 2,
         "state": {"waiting": {"reason": "CrashLoopBackOff",
                               "message": "back-off 20s restarting failed container=node pod=p"}},
         "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}]}))
    assert (o.state, o.reason, o.restarts, o.ready) == ("Running", "CrashLoopBackOff", 2, False)
    assert o.message is not None and o.message.startswith("OOMKilled (exit 137)")


def test_failed_shapes() -> None:
    o = runs.observe_pod(pod({"phase": "Failed", "containerStatuses": [
        {"name": "node", "state": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}]}))
    assert (o.state, o.reason) == ("Failed", "OOMKilled")
    msg = "The node was low on resource: memory. Threshold quantity: 100Mi, available: 87304Ki. "
    o = runs.observe_pod(pod({"phase": "Failed", "reason": "Evicted", "message": msg}))
    assert (o.state, o.reason, o.message) == ("Failed", "Evicted", msg)
    assert runs.observe_pod(pod({"phase": "Succeeded"})).state == "Succeeded"


def test_job_verdicts() -> None:
    assert runs.observe_job({"status": {}}) is None
    assert runs.observe_job({"status": {"conditions": [{"type": "Complete", "status": "True"}]}}).state == "Succeeded"
    o = runs.observe_job({"status": {"conditions": [
        {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
         "message": "Job has reached the specified backoff limit"}]}})
    assert o is not None and (o.state, o.reason) == ("Failed", "BackoffLimitExceeded")


def test_run_rebuilt_from_labels_and_annotations() -> None:
    obj = {"metadata": {"name": "batch-node-x", "namespace": "ns", "labels": {
        runs.RUN_ID_LABEL: "r-1", "k8sstress.io/launch-id": "L1", "k8sstress.io/mode": "batch",
        "k8sstress.io/limits": "with"}, "annotations": {
        runs.TEMPLATE_ANNOTATION: "batch-with-limits", runs.CALLBACK_ANNOTATION: "http://x/cb",
        runs.ACCEPTED_ANNOTATION: "1700000000.5", runs.PARAMS_ANNOTATION: '{"duration_seconds": 5}'}}}
    r = runs.run_from_object(obj)
    assert r is not None
    assert (r.run_id, r.launch_id, r.mode, r.limits, r.template, r.kind, r.name) == \
        ("r-1", "L1", "batch", "with", "batch-with-limits", "Pod", "batch-node-x")
    assert r.callback_url == "http://x/cb" and r.params == {"duration_seconds": 5}
    assert r.accepted_at == 1700000000.5 and r.rebuilt
    obj["metadata"]["ownerReferences"] = [{"kind": "Job", "name": "j1"}]
    r2 = runs.run_from_object(obj)
    assert r2 is not None and (r2.kind, r2.name) == ("Job", "j1")
    assert runs.run_from_object({"metadata": {"labels": {}}}) is None


def test_transitions_are_recorded_once_with_sequence() -> None:
    r = runs.Run("r", "l", "batch", "with", "t", "ns")
    assert r.transition("Pending", None, None, now=1.0) is not None
    assert r.transition("Pending", None, None, now=2.0) is None
    t = r.transition("Running", None, None, now=3.0)
    assert t is not None and t.sequence == 2
    assert r.pending_since is None
    assert [h.state for h in r.history] == ["Pending", "Running"]
    assert r.as_json(history=True)["history"][1]["seen_at"] == 3.0
