"""The sim pressure model on the sim cluster: kernel OOM, batch completion, no fight with KWOK."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from k8sstress.kube import Kube
from k8sstress.pressure import PressureHandle, start_pressure
from k8sstress.pressure.model import parse_time
from k8sstress.templates import LaunchParams, load_template, render_pod
from tests.conftest import dedicated_spec, wait_for


@pytest.fixture(scope="module")
def pressure(sim_cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PressureHandle]:
    handle = start_pressure(sim_cluster.kubeconfig, log_path=tmp_path_factory.mktemp("pressure") / "decisions.jsonl")
    yield handle
    handle.stop()


def _pod(kube: Kube, ns: str, template: str, launch_id: str, spec: dict[str, Any] | None = None,
         resources: dict[str, Any] | None = None, **params: Any) -> str:
    pod = render_pod(load_template(template), LaunchParams(launch_id=launch_id, mode="batch", **params), ns)
    pod["spec"].update(spec or {})
    if resources is not None:
        pod["spec"]["containers"][0]["resources"] = resources
    return str(kube.create(f"/api/v1/namespaces/{ns}/pods", pod)["metadata"]["name"])


def _get(kube: Kube, ns: str, name: str) -> dict[str, Any]:
    return kube.get(f"/api/v1/namespaces/{ns}/pods/{name}")  # type: ignore[no-any-return]


def test_batch_completes_after_its_duration_and_stays_done(kube: Kube, namespace: str,
                                                           pressure: PressureHandle) -> None:
    name = _pod(kube, namespace, "batch-without-limits", "done", duration_s=2)
    wait_for(lambda: _get(kube, namespace, name)["status"].get("phase") == "Succeeded", 20, what="Succeeded")
    pod = _get(kube, namespace, name)
    term = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (term["reason"], term["exitCode"]) == ("Completed", 0)
    # the API keeps whole seconds: the run lasted its duration from the start the status shows
    assert parse_time(term["finishedAt"]) - parse_time(term["startedAt"]) >= 2  # type: ignore[operator]
    ready = [c for c in pod["status"]["conditions"] if c["type"] == "Ready"][0]
    assert (ready["status"], ready.get("reason")) == ("False", "PodCompleted")
    assert pod["metadata"]["annotations"]["k8sstress.io/simulated"] == "completed"
    time.sleep(1.5)  # KWOK must not touch it again
    assert _get(kube, namespace, name)["status"]["phase"] == "Succeeded"


def test_kernel_oom_kills_best_effort_first(kube: Kube, namespace: str, make_node: Any,
                                            pressure: PressureHandle) -> None:
    node = make_node(memory="1Gi")
    # a slow kubelet: the node runs out of memory before any eviction
    kube.patch(f"/api/v1/nodes/{node}", {"metadata": {"annotations": {
        "k8sstress.io/eviction-interval-seconds": "600"}}})
    spec = dedicated_spec(node)
    burstable = _pod(kube, namespace, "online-without-limits", "burst", spec,
                     resources={"requests": {"memory": "400Mi"}}, memory_usage="500Mi", memory_ramp_s=1)
    best_effort = _pod(kube, namespace, "online-without-limits", "be", spec, memory_usage="600Mi",
                       memory_ramp_s=1)

    def killed() -> bool:
        cs = _get(kube, namespace, best_effort)["status"].get("containerStatuses") or [{}]
        return (cs[0].get("lastState") or {}).get("terminated", {}).get("reason") == "OOMKilled"

    wait_for(killed, 20, what="the BestEffort pod OOM-killed")
    be = _get(kube, namespace, best_effort)
    assert be["status"]["qosClass"] == "BestEffort"
    assert be["metadata"]["annotations"]["k8sstress.io/simulated"] == "system-oom-killed"
    cs = be["status"]["containerStatuses"][0]
    assert cs["lastState"]["terminated"]["exitCode"] == 137 and cs["restartCount"] == 1
    assert cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    b = _get(kube, namespace, burstable)
    assert b["status"]["qosClass"] == "Burstable"
    assert b["status"]["containerStatuses"][0]["restartCount"] == 0
    events = kube.get("/api/v1/namespaces/default/events", fieldSelector=f"involvedObject.name={node}")["items"]
    oom = [e for e in events if e["reason"] == "SystemOOM"]
    assert oom and oom[0]["type"] == "Warning"
    assert oom[0]["message"].startswith("System OOM encountered, victim process: node, pid: ")
    assert oom[0]["metadata"]["annotations"]["k8sstress.io/simulated"] == "system-oom"


def test_crash_loop_restarts_after_backoff(kube: Kube, namespace: str, pressure: PressureHandle) -> None:
    name = _pod(kube, namespace, "online-with-limits", "loop", memory_usage="300Mi", memory_ramp_s=5)

    def state() -> dict[str, Any]:
        statuses = _get(kube, namespace, name)["status"].get("containerStatuses") or [{"state": {}}]
        return statuses[0]  # type: ignore[no-any-return]

    wait_for(lambda: state()["state"].get("waiting", {}).get("reason") == "CrashLoopBackOff", 20,
             what="CrashLoopBackOff")
    assert state()["state"]["waiting"]["message"] == f"back-off 10s restarting failed container=node pod={name}"
    # after the 10 s back-off the container runs again (and ramps towards its next OOM)
    wait_for(lambda: "running" in state()["state"], 15, what="running again")
    cs = state()
    assert cs["restartCount"] == 1 and cs["ready"] is True
    assert cs["lastState"]["terminated"]["reason"] == "OOMKilled"
