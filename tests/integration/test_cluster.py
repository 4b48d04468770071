"""The sim cluster behaves like a real control plane (issue: embedded sim cluster).

All against the shared session cluster: real kube-apiserver, scheduler, controllers.
"""

from __future__ import annotations

import pytest

from k8sstress.kube import ApiError, Kube
from tests.conftest import dedicated_spec, wait_for


def pod(name: str, cpu: str | None = None, memory: str | None = None, **spec: object) -> dict[str, object]:
    res: dict[str, dict[str, str]] = {}
    if cpu or memory:
        res["requests"] = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
        res["limits"] = dict(res["requests"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "busybox", "resources": res}], **spec}}


def condition(p: dict, ctype: str) -> dict | None:  # type: ignore[type-arg]
    for c in p.get("status", {}).get("conditions") or []:
        if c["type"] == ctype:
            return c  # type: ignore[no-any-return]
    return None


def test_nodes_are_ready_with_the_configured_shape(kube: Kube) -> None:
    nodes = [n for n in kube.get("/api/v1/nodes")["items"] if n["metadata"]["labels"].get("k8sstress.io/pool")]
    assert len(nodes) >= 3
    for n in nodes:
        assert n["status"]["allocatable"]["cpu"] == "4"
        assert n["status"]["allocatable"]["memory"] == "8Gi"
        assert n["status"]["allocatable"]["pods"] == "110"
        assert condition(n, "Ready")["status"] == "True"  # type: ignore[index]


def test_a_pod_that_fits_becomes_running(kube: Kube, namespace: str) -> None:
    kube.create(f"/api/v1/namespaces/{namespace}/pods", pod("fits", cpu="500m", memory="256Mi"))

    def running() -> bool:
        return kube.get(f"/api/v1/namespaces/{namespace}/pods/fits")["status"].get("phase") == "Running"

    wait_for(running, 30, what="pod fits Running")
    p = kube.get(f"/api/v1/namespaces/{namespace}/pods/fits")
    assert p["spec"]["nodeName"]
    assert condition(p, "PodScheduled")["status"] == "True"  # type: ignore[index]
    assert p["status"]["qosClass"] == "Guaranteed"


def test_a_pod_larger_than_every_node_is_unschedulable(kube: Kube, namespace: str) -> None:
    kube.create(f"/api/v1/namespaces/{namespace}/pods", pod("huge", cpu="64", memory="1Gi"))

    def unschedulable() -> dict | None:  # type: ignore[type-arg]
        c = condition(kube.get(f"/api/v1/namespaces/{namespace}/pods/huge"), "PodScheduled")
        return c if c and c["status"] == "False" else None

    c = wait_for(unschedulable, 30, what="PodScheduled=False")
    p = kube.get(f"/api/v1/namespaces/{namespace}/pods/huge")
    assert p["status"]["phase"] == "Pending"
    assert c["reason"] == "Unschedulable"  # type: ignore[index]
    assert "Insufficient cpu" in c["message"]  # type: ignore[index]

    def failed_scheduling() -> list:  # type: ignore[type-arg]
        evs = kube.get(f"/api/v1/namespaces/{namespace}/events",
                       fieldSelector="involvedObject.name=huge,reason=FailedScheduling")["items"]
        return evs  # type: ignore[no-any-return]

    evs = wait_for(failed_scheduling, 30, what="FailedScheduling event")
    ev = evs[0]  # type: ignore[index]
    assert ev["type"] == "Warning"
    assert ev["message"].startswith("0/")
    assert "Insufficient cpu" in ev["message"]


def test_the_111th_besteffort_pod_on_a_110_pod_node_gets_too_many_pods(kube: Kube, namespace: str,
                                                                      make_node) -> None:  # type: ignore[no-untyped-def]
    node = make_node(pods=110)
    spec = dedicated_spec(node)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as ex:
        list(ex.map(lambda i: kube.create(f"/api/v1/namespaces/{namespace}/pods", pod(f"be-{i}", **spec)),
                    range(110)))

    def all_scheduled() -> bool:
        items = kube.get(f"/api/v1/namespaces/{namespace}/pods")["items"]
        return sum(1 for p in items if p["spec"].get("nodeName") == node) == 110

    wait_for(all_scheduled, 90, interval=0.5, what="110 pods bound to the node")
    kube.create(f"/api/v1/namespaces/{namespace}/pods", pod("be-110", **spec))

    def too_many() -> str | None:
        c = condition(kube.get(f"/api/v1/namespaces/{namespace}/pods/be-110"), "PodScheduled")
        return c["message"] if c and c["status"] == "False" else None

    msg = wait_for(too_many, 30, what="PodScheduled=False for the 111th pod")
    assert "Too many pods" in msg  # type: ignore[operator]
    p = kube.get(f"/api/v1/namespaces/{namespace}/pods/be-110")
    assert p["status"]["qosClass"] == "BestEffort"


def test_a_namespace_quota_refuses_a_create_with_403_exceeded_quota(kube: Kube, namespace: str) -> None:
    kube.create(f"/api/v1/namespaces/{namespace}/resourcequotas", {
        "apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "nodes-quota"},
        "spec": {"hard": {"requests.cpu": "1", "limits.cpu": "1", "pods": "10"}}})

    def quota_ready() -> bool:
        q = kube.get(f"/api/v1/namespaces/{namespace}/resourcequotas/nodes-quota")
        return bool(q.get("status", {}).get("hard"))

    wait_for(quota_ready, 30, what="quota status")
    kube.create(f"/api/v1/namespaces/{namespace}/pods", pod("first", cpu="1", memory="64Mi"))
    with pytest.raises(ApiError) as info:
        kube.create(f"/api/v1/namespaces/{namespace}/pods", pod("second", cpu="1", memory="64Mi"))
    assert info.value.status == 403
    assert info.value.reason == "Forbidden"
    assert 'pods "second" is forbidden: exceeded quota: nodes-quota' in info.value.api_message
    assert "requested: limits.cpu=1,requests.cpu=1" in info.value.api_message


def test_a_job_runs_to_completion(kube: Kube, namespace: str) -> None:
    kube.create(f"/apis/batch/v1/namespaces/{namespace}/jobs", {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "batch-node"},
        "spec": {"backoffLimit": 0, "template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}})

    def complete() -> bool:
        job = kube.get(f"/apis/batch/v1/namespaces/{namespace}/jobs/batch-node")
        return any(c["type"] == "Complete" and c["status"] == "True" for c in job.get("status", {}).get("conditions") or [])

    wait_for(complete, 60, what="Job Complete")
    job = kube.get(f"/apis/batch/v1/namespaces/{namespace}/jobs/batch-node")
    assert job["status"]["succeeded"] == 1
    pods = kube.get(f"/api/v1/namespaces/{namespace}/pods", labelSelector="job-name=batch-node")["items"]
    assert [p["status"]["phase"] for p in pods] == ["Succeeded"]
