from __future__ import annotations

from k8sstress.classify.admission import (
    classify_refusal,
    is_refusal_message,
    latest_refusal,
    refusal_from_error,
    refusal_from_event,
    refusal_from_status,
)

QUOTA_STATUS = {
    "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
    "message": 'pods "node-run-" is forbidden: exceeded quota: compute, requested: cpu=1,memory=512Mi, '
               'used: cpu=4,memory=3Gi, limited: cpu=4,memory=4Gi',
    "reason": "Forbidden", "details": {"name": "node-run-", "kind": "pods"}, "code": 403,
}


def test_quota_403_status_body():
    r = refusal_from_status(QUOTA_STATUS)
    assert r.reason == "quota"
    assert r.http_status == 403
    assert r.quota == "compute"
    assert r.pod_name == "node-run-"
    assert r.requested == {"cpu": "1", "memory": "512Mi"}
    assert r.used == {"cpu": "4", "memory": "3Gi"}
    assert r.limited == {"cpu": "4", "memory": "4Gi"}
    d = r.as_detail()
    assert d["reason"] == "quota" and d["message"].startswith('pods "node-run-" is forbidden: exceeded quota')


def test_quota_needing_limits():
    r = classify_refusal(403, 'pods "node-run-x" is forbidden: failed quota: compute: must specify limits.cpu '
                              "for: app,sidecar; limits.memory for: app")
    assert r.reason == "quota"
    assert r.quota == "compute"
    assert r.must_specify == {"limits.cpu": ["app", "sidecar"], "limits.memory": ["app"]}


def test_limitrange_messages():
    for msg in [
        'pods "p" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi',
        'pods "p" is forbidden: minimum cpu usage per Pod is 100m, but request is 50m',
        'pods "p" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, cpu max limit to request '
        "ratio per Container is 2, but provided ratio is 4.000000]",
    ]:
        assert classify_refusal(403, msg).reason == "limitrange", msg


def test_webhook_and_pod_security_are_other():
    r = classify_refusal(400, 'admission webhook "validate.kyverno.svc-fail" denied the request: no privileged')
    assert (r.reason, r.webhook) == ("other", "validate.kyverno.svc-fail")
    r = classify_refusal(403, 'pods "p" is forbidden: violates PodSecurity "restricted:latest": '
                              "allowPrivilegeEscalation != false")
    assert (r.reason, r.pod_security) == ("other", "restricted:latest")


def test_failed_create_owner_event():
    ev = {"kind": "Event", "involvedObject": {"kind": "Job", "namespace": "stress", "name": "node-run-q"},
          "reason": "FailedCreate", "type": "Warning",
          "message": 'Error creating: pods "node-run-q-" is forbidden: exceeded quota: compute, requested: cpu=1, '
                     "used: cpu=4, limited: cpu=4", "count": 6}
    r = refusal_from_event(ev)
    assert r is not None
    assert r.reason == "quota"
    assert r.message.startswith('pods "node-run-q-" is forbidden')  # "Error creating: " dropped
    assert r.pod_name == "node-run-q-"
    assert r.used == {"cpu": "4"}


def test_other_events_are_not_refusals():
    assert refusal_from_event({"kind": "Event", "involvedObject": {"kind": "Job"}, "reason": "SuccessfulCreate",
                               "message": "Created pod: x"}) is None
    assert refusal_from_event({"kind": "Node"}) is None


def test_latest_refusal_counts_all_failed_creates(events):
    owner = [e for e in events("owner-failedcreate") if e["involvedObject"]["name"] == "node-run-q"]
    found = latest_refusal(owner)
    assert found is not None
    refusal, count = found
    assert refusal.quota == "compute" and count == 6
    assert latest_refusal([]) is None


def test_refusal_from_error_accepts_text_and_status():
    assert refusal_from_error("pods \"a\" is forbidden: exceeded quota: q, requested: cpu=1, used: cpu=1, "
                              "limited: cpu=1", 403).http_status == 403
    assert refusal_from_error({"message": "boom"}, 500).http_status == 500
    assert refusal_from_error(QUOTA_STATUS).reason == "quota"


def test_is_refusal_message():
    assert is_refusal_message('pods "x" is forbidden: exceeded quota: q, requested: cpu=1, used: cpu=1, limited: cpu=1')
    assert not is_refusal_message("connection refused")
    assert not is_refusal_message(None)  # type: ignore[arg-type]
