from __future__ import annotations

from typing import Any

from k8sstress.classify import classify_launch_without_pod
from k8sstress.classify.admission import classify_refusal
from k8sstress.records import LaunchRecord, Outcome


def launch(**kw: Any) -> LaunchRecord:
    base: dict[str, Any] = {"launch_id": "L0042", "mode": "batch", "limits": "with", "template": "node-with-limits",
                            "scheduled_at": 10.0, "sent_at": 10.1, "answered_at": 10.3, "status": "accepted",
                            "namespace": "stress"}
    return LaunchRecord(**{**base, **kw})


QUOTA_403 = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden", "code": 403,
             "message": 'pods "node-run-" is forbidden: exceeded quota: compute, requested: cpu=1, used: cpu=4, '
                        "limited: cpu=4"}


def test_admission_error_from_status_body():
    v = classify_launch_without_pod(launch(status="error", http_status=403), QUOTA_403)
    assert v.outcome is Outcome.ADMISSION_REJECTED
    assert (v.detail["reason"], v.detail["quota"], v.detail["http_status"]) == ("quota", "compute", 403)
    assert v.detail["source"] == "api"
    assert (v.name, v.namespace, v.launch_id) == ("node-run-", "stress", "L0042")
    assert (v.detail["mode"], v.detail["limits"], v.detail["simulated"], v.detail["qos_class"]) == (
        "batch", "with", False, None)


def test_admission_error_as_message_or_refusal():
    v = classify_launch_without_pod(launch(http_status=403), 'pods "p" is forbidden: maximum cpu usage per '
                                                              "Container is 1, but limit is 2")
    assert (v.detail["reason"], v.detail["http_status"]) == ("limitrange", 403)
    refusal = classify_refusal(400, 'admission webhook "deny.example.com" denied the request: no')
    assert classify_launch_without_pod(launch(), refusal).detail["webhook"] == "deny.example.com"


def test_owner_failed_create_event(events):
    owner = [e for e in events("owner-failedcreate") if e["involvedObject"]["kind"] == "ReplicaSet"]
    v = classify_launch_without_pod(launch(), owner_events=owner)
    assert v.outcome is Outcome.ADMISSION_REJECTED
    assert v.detail["reason"] == "quota"
    assert v.detail["must_specify"] == {"limits.cpu": ["worker"], "limits.memory": ["worker"]}
    assert (v.detail["source"], v.detail["refusals"]) == ("owner-event", 2)


def test_runner_error_text_that_is_a_refusal():
    v = classify_launch_without_pod(launch(status="error", http_status=500,
                                           error=QUOTA_403["message"]))
    assert (v.outcome, v.detail["reason"], v.detail["source"]) == (Outcome.ADMISSION_REJECTED, "quota",
                                                                   "runner-error")


def test_runner_refused_the_launch_itself():
    v = classify_launch_without_pod(launch(status="rejected", http_status=503, error="runner at capacity"))
    assert v.outcome is Outcome.ADMISSION_REJECTED
    assert (v.detail["reason"], v.detail["refused_by"], v.detail["http_status"]) == ("other", "runner", 503)
    assert v.name == "L0042"


def test_stopped_before_any_pod():
    v = classify_launch_without_pod(launch(pod_name="node-run-abc"), stop_confirmed=True, stop_latency_s=0.4)
    assert (v.outcome, v.name, v.detail["pod_seen"], v.detail["stop_latency_s"]) == (
        Outcome.STOPPED, "node-run-abc", False, 0.4)


def test_lost():
    v = classify_launch_without_pod(launch(run_id="run-77"))
    assert v.outcome is Outcome.LOST
    assert (v.detail["run_id"], v.detail["answered"], v.detail["launch_status"]) == ("run-77", True, "accepted")
    assert v.detail["limits"] == "with"


def test_a_runner_report_carrying_the_refusal_makes_an_accepted_launch_admission_rejected():
    from k8sstress.records import StateReport

    reports = [
        StateReport(run_id="r-1", launch_id="L0042", state="Pending", reported_at=11.0, received_at=11.0,
                    reason="CreateRetrying",
                    message='pods "batch-node-7xk2p" is forbidden: exceeded quota: run-quota, requested: pods=1, '
                            "used: pods=4, limited: pods=4"),
        StateReport(run_id="r-1", launch_id="L0042", state="Failed", reported_at=71.0, received_at=71.0,
                    reason="QuotaExceeded",
                    message='gave up after 9 attempts: pods "batch-node-7xk2p" is forbidden: exceeded quota: '
                            "run-quota, requested: pods=1, used: pods=4, limited: pods=4"),
    ]
    v = classify_launch_without_pod(launch(), runner_reports=reports)
    assert v.outcome is Outcome.ADMISSION_REJECTED
    assert v.detail["source"] == "runner-report"
    assert (v.detail["reason"], v.detail["quota"]) == ("quota", "run-quota")
    assert v.detail["runner_state"] == "Failed"
    assert v.detail["message"].startswith('pods "batch-node-7xk2p" is forbidden')


def test_runner_reports_without_a_refusal_leave_the_launch_lost():
    from k8sstress.records import StateReport

    reports = [StateReport(run_id="r-1", launch_id="L0042", state="Pending", reported_at=11.0, received_at=11.0,
                           message="waiting for the scheduler")]
    assert classify_launch_without_pod(launch(), runner_reports=reports).outcome is Outcome.LOST
