"""Every launch's final outcome, from the hand-made run records (Lost, Orphaned, retries, ...)."""

from __future__ import annotations

from k8sstress.analyze import Options, RunInput, analyze
from k8sstress.records import LaunchRecord, Outcome, PodHistory, StopRecord, TimelineEntry

T0 = 1767225600.0


def by_id(analysis):
    return {lo.launch_id: lo for lo in analysis.outcomes}


def test_lost_launch_is_accepted_without_any_pod(analysed):
    a = analysed("lost")
    lo = by_id(a)["l-lost"]
    assert lo.outcome is Outcome.LOST
    assert lo.pods == []
    assert lo.detail["launch_status"] == "accepted"
    assert a.summary.metrics["lost"] == 1
    assert a.summary.metrics["launch_to_pod_unreached"] == 1


def test_quota_refusal_is_admission_rejected_not_lost(analysed):
    lo = by_id(analysed("lost"))["l-quota"]
    assert lo.outcome is Outcome.ADMISSION_REJECTED
    assert lo.detail["reason"] == "quota"
    assert lo.detail["http_status"] == 403


def test_every_launch_has_exactly_one_outcome(analysed):
    for name in ("lost", "orphaned", "drift", "retries", "backpressure", "exhaustion", "partial"):
        a = analysed(name)
        launches = {lr["launch_id"] for lr in []} or {lo.launch_id for lo in a.outcomes}
        assert len(a.outcomes) == len(launches) == a.summary.metrics["launches"]
        assert sum(a.summary.outcomes.values()) == a.summary.metrics["launches"]


def test_orphaned_needs_a_confirmed_stop_and_a_pod_still_there(analysed):
    a = analysed("orphaned")
    los = by_id(a)
    assert los["o-0"].outcome is Outcome.STOPPED
    assert los["o-1"].outcome is Outcome.ORPHANED
    assert los["o-1"].detail["prior_outcome"] == "Running"
    assert los["o-1"].detail["since_stop_s"] > 45
    # the stop failed: the pod stays, a leak, but the runner never claimed it was stopped
    assert los["o-2"].outcome is Outcome.RUNNING
    assert a.summary.metrics["leaked_pods"] == 2
    assert a.summary.metrics["orphaned"] == 1
    assert a.summary.metrics["stop_to_gone_unreached"] == 2
    assert a.summary.metrics["stop_error_rate"] == round(1 / 3, 6)


def test_retries_and_duplicates(analysed):
    a = analysed("retries")
    los = by_id(a)
    r0 = los["r-0"]
    assert r0.outcome is Outcome.SUCCEEDED  # the final pod decides
    assert r0.detail["pod_outcomes"] == ["Evicted", "Evicted", "Succeeded"]
    m = a.summary.metrics
    assert m["pods"] == 6
    assert m["pods_per_launch_max"] == 3
    assert m["retried_launches"] == 2
    assert m["retry_pods"] == 3
    assert m["duplicate_launches"] == 1
    assert a.summary.reaction["retries"]["duplicate_examples"] == ["r-2"]
    assert m["pods_evicted"] == 2 and m["evicted"] == 0


def test_backpressure_saturation_and_recovery(analysed):
    a = analysed("backpressure")
    m = a.summary.metrics
    assert m["backpressure_seen"] == 1
    assert m["backpressure_responses"] == 3
    assert m["pods_ever_unschedulable"] == 5
    assert m["unschedulable"] == 0  # all were placed in the end
    assert m["saturation_episodes"] == 1
    assert m["recovered"] == 1
    # capacity freed at 20.0 s (the first pods finished); the last unschedulable pod placed at 36.0 s
    assert m["recovery_s"] == 16.0
    bp = a.summary.reaction["backpressure"]
    assert bp["status_codes"] == {"429": 3}
    assert bp["accepted_while_saturated"] >= 1
    assert a.summary.outcomes["AdmissionRejected"] == 3  # the runner refused them itself


def test_no_backpressure_and_no_recovery(analysed):
    m = analysed("exhaustion").summary.metrics
    assert m["backpressure_seen"] == 0
    assert m["recovered"] == 0
    assert m["recovery_s"] is None
    assert m["accepted_while_saturated"] >= 1


def test_launch_accepted_just_before_the_end_is_pending_not_lost():
    launch = LaunchRecord(launch_id="x", mode="batch", limits="with", template="t", scheduled_at=T0,
                          sent_at=T0, answered_at=T0 + 0.1, status="accepted")
    s = analyze(RunInput(meta={"started_at": T0}, launches=[launch], ended_at=T0 + 3.0))
    assert s.outcomes == {"Pending": 1}
    assert s.examples["Pending"][0]["detail"]["no_pod_yet"] is True
    s = analyze(RunInput(meta={"started_at": T0}, launches=[launch], ended_at=T0 + 60.0))
    assert s.outcomes == {"Lost": 1}
    s = analyze(RunInput(meta={"started_at": T0}, launches=[launch], ended_at=T0 + 3.0), Options(lost_grace_s=1.0))
    assert s.outcomes == {"Lost": 1}


def _pod(name: str, launch_id: str, phase: str = "Running") -> dict:
    return {"metadata": {"name": name, "namespace": "ns", "uid": f"u-{name}",
                         "labels": {"k8sstress.io/launch-id": launch_id}},
            "spec": {"containers": [{"name": "c", "resources": {}}], "nodeName": "n1"},
            "status": {"phase": phase, "qosClass": "BestEffort",
                       "containerStatuses": [{"name": "c", "state": {"running": {}}, "restartCount": 0}]}}


def test_orphaned_from_plain_records_without_files():
    launch = LaunchRecord(launch_id="x", mode="online", limits="without", template="t", scheduled_at=T0,
                          sent_at=T0, answered_at=T0 + 0.1, status="accepted", run_id="r-x")
    stop = StopRecord(launch_id="x", run_id="r-x", sent_at=T0 + 10, answered_at=T0 + 10.1, status="accepted")
    h = PodHistory(namespace="ns", name="p", uid="u-p", pod=_pod("p", "x"), launch_id="x", first_seen=T0 + 0.5,
                   timeline=[TimelineEntry(T0 + 0.5, None, "created", ""),
                             TimelineEntry(T0 + 1.0, None, "phase", "Running")])
    s = analyze(RunInput(meta={"started_at": T0}, launches=[launch], stops=[stop], histories=[h],
                         ended_at=T0 + 60))
    assert s.outcomes == {"Orphaned": 1}
    assert s.metrics["leaked_pods"] == 1
    # confirmed a moment ago: not orphaned yet
    s = analyze(RunInput(meta={"started_at": T0}, launches=[launch], stops=[stop], histories=[h],
                         ended_at=T0 + 12))
    assert s.outcomes == {"Running": 1}
    assert s.metrics["leaked_pods"] == 0


def test_finished_pod_is_not_orphaned_by_a_late_stop():
    launch = LaunchRecord(launch_id="x", mode="batch", limits="with", template="t", scheduled_at=T0, sent_at=T0,
                          answered_at=T0 + 0.1, status="accepted", run_id="r-x")
    stop = StopRecord(launch_id="x", run_id="r-x", sent_at=T0 + 20, answered_at=T0 + 20.1, status="accepted")
    pod = _pod("p", "x", "Succeeded")
    pod["status"]["containerStatuses"] = [{"name": "c", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]
    h = PodHistory(namespace="ns", name="p", uid="u-p", pod=pod, launch_id="x", first_seen=T0 + 0.5,
                   timeline=[TimelineEntry(T0 + 0.5, None, "created", ""),
                             TimelineEntry(T0 + 1.0, None, "phase", "Running"),
                             TimelineEntry(T0 + 5.0, None, "phase", "Succeeded")])
    s = analyze(RunInput(meta={"started_at": T0}, launches=[launch], stops=[stop], histories=[h], ended_at=T0 + 60))
    assert s.outcomes == {"Succeeded": 1}
    assert s.metrics["leaked_pods"] == 0


def test_partial_record_is_analysed_and_marked(analysed):
    a = analysed("partial")
    s = a.summary
    assert s.partial is True
    assert any("torn" in n for n in s.notes)
    assert any("partial record" in n for n in s.notes)
    # cut at 65 s: the online pods were never stopped, so they are still Running
    assert s.outcomes["Running"] == 5
    assert "Orphaned" not in s.outcomes and "Stopped" not in s.outcomes
