"""Policies, capacity checks and the OpenAPI document."""

from __future__ import annotations

import pytest

from k8sstress.errors import InputError
from k8sstress.runner import capacity, policies
from k8sstress.runner.openapi import openapi_document

QUOTA_MSG = ('pods "batch-node-" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, '
             'limited: pods=2')


def test_registry_and_default() -> None:
    assert set(policies.POLICIES) == {"naive", "retry", "backpressure", "pending-timeout"}
    assert policies.get_policy("retry").retries
    with pytest.raises(InputError):
        policies.get_policy("nope")


@pytest.mark.parametrize(("status", "message", "retry"), [
    (409, "AlreadyExists", True), (429, "too many requests", True), (500, "etcd", True), (503, "x", True),
    (0, "unreachable", True), (403, QUOTA_MSG, True), (403, "forbidden by RBAC", False), (422, "invalid", False),
])
def test_retryable(status: int, message: str, retry: bool) -> None:
    assert policies.is_retryable(status, message) is retry


def test_error_reason() -> None:
    assert policies.error_reason(403, QUOTA_MSG) == "AdmissionRejected"
    assert policies.error_reason(500, "x") == "ApiError"


def _quota(hard: dict[str, str], used: dict[str, str]) -> dict[str, object]:
    return {"metadata": {"name": "q"}, "status": {"hard": hard, "used": used}}


def test_quota_room() -> None:
    spec = {"containers": [{"resources": {"requests": {"cpu": "500m", "memory": "512Mi"},
                                          "limits": {"cpu": "500m", "memory": "512Mi"}}}]}
    want = capacity.pod_want(spec)
    assert capacity.quota_room([_quota({"pods": "2"}, {"pods": "1"})], want) is None
    assert capacity.quota_room([_quota({"pods": "2"}, {"pods": "2"})], want) == "quota q: pods"
    assert capacity.quota_room([_quota({"requests.memory": "1Gi"}, {"requests.memory": "768Mi"})], want) == \
        "quota q: requests.memory"
    assert capacity.quota_room([_quota({"pods": "2"}, {"pods": "1"})], want, {"q/pods": 1}) == "quota q: pods"
    best_effort = capacity.pod_want({"containers": [{}]})
    assert capacity.quota_room([_quota({"limits.memory": "1Gi"}, {})], best_effort) == \
        "quota q: must specify limits.memory"


def test_node_room_respects_taints_selector_and_pending() -> None:
    n = capacity.NodeCap("n", cpu=4, memory=8 * 2**30, pods=2, labels={"a": "b"},
                         taints=[{"key": "k", "effect": "NoSchedule"}], schedulable=True)
    want = capacity.Want(cpu=1, memory=2**30)
    assert capacity.node_room([n], want, {}) == "no node has room"
    tol = {"tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}]}
    assert capacity.node_room([n], want, tol) is None
    assert capacity.node_room([n], want, {**tol, "nodeSelector": {"a": "c"}}) == "no node has room"
    n.used_pods = 2
    assert capacity.node_room([n], want, tol) == "no node has room"
    n.used_pods = 1
    assert capacity.node_room([n], want, tol, pending=(0, 0, 1)) == "pending pods already claim the spare pods"


def test_openapi_document_covers_the_api() -> None:
    doc = openapi_document("retry")
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) >= {"/runs", "/runs/{run_id}", "/runs/{run_id}/stop", "/healthz", "/metrics",
                                 "/openapi.json"}
    assert {"201", "202", "400", "422", "429"} <= set(doc["paths"]["/runs"]["post"]["responses"])
    assert "404" in doc["paths"]["/runs/{run_id}"]["delete"]["responses"]
