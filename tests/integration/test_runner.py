"""The reference runner on the sim cluster, through its HTTP API (the runner runs as a subprocess)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from k8sstress.kube import ApiError, Kube
from k8sstress.pressure import PressureHandle, start_pressure
from k8sstress.runner import runs
from tests.conftest import dedicated_spec, wait_for


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(method: str, url: str, body: Any = None) -> tuple[int, Any, dict[str, str]]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None, dict(r.headers)
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, json.loads(raw) if raw else None, dict(e.headers)


class RunnerProc:
    """``k8sstress runner serve`` as a subprocess on a free port."""

    def __init__(self, kubeconfig: str, namespace: str, policy: str = "retry", *extra: str) -> None:
        self.args = ["runner", "serve", "--kubeconfig", kubeconfig, "--namespace", namespace, "--policy", policy,
                     *extra]
        self.log = Path(tempfile.mkstemp(prefix="runner-test-", suffix=".log")[1])
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        code = "import sys; from k8sstress.cli.main import main; sys.exit(main(sys.argv[1:]))"
        self.proc = subprocess.Popen([sys.executable, "-c", code, *self.args, "--port", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=self.log.open("a"))

        def up() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                pytest.fail(f"runner exited: {self.log.read_text()[-2000:]}")
            try:
                return bool(http("GET", self.url + "/healthz")[1]["following"])
            except OSError:
                return False

        wait_for(up, 60, what="runner /healthz following")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def launch(self, template: str, **body: Any) -> tuple[int, Any, dict[str, str]]:
        return http("POST", self.url + "/runs", {"template": template, **body})

    def run(self, run_id: str) -> dict[str, Any]:
        status, body, _ = http("GET", f"{self.url}/runs/{run_id}")
        assert status == 200, body
        return body  # type: ignore[no-any-return]

    def wait_state(self, run_id: str, state: str, timeout: float = 30, reason: str | None = None) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            r = self.run(run_id)
            if r["state"] == state and (reason is None or r["reason"] == reason):
                return r
            return None
        return wait_for(check, timeout, what=f"run {run_id} {state}/{reason}")  # type: ignore[return-value]


class Callbacks:
    """A tiny HTTP receiver for the runner's state reports."""

    def __init__(self) -> None:
        self.reports: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                n = int(self.headers.get("Content-Length") or 0)
                outer.reports.append(json.loads(self.rfile.read(n)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cb"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def states(self, run_id: str) -> list[str]:
        return [r["state"] for r in sorted((r for r in self.reports if r["run_id"] == run_id),
                                           key=lambda r: r["sequence"])]

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def pressure(sim_cluster: Any) -> Iterator[PressureHandle]:
    handle = start_pressure(sim_cluster.kubeconfig)
    yield handle
    handle.stop()


@pytest.fixture
def runner_factory(sim_cluster: Any, namespace: str) -> Iterator[Callable[..., RunnerProc]]:
    made: list[RunnerProc] = []

    def make(policy: str = "retry", *extra: str) -> RunnerProc:
        r = RunnerProc(sim_cluster.kubeconfig, namespace, policy, *extra)
        made.append(r)
        return r

    yield make
    for r in made:
        r.stop()


@pytest.fixture
def callbacks() -> Iterator[Callbacks]:
    cb = Callbacks()
    yield cb
    cb.close()


def _pod_of(kube: Kube, ns: str, run_id: str) -> dict[str, Any] | None:
    items = kube.get(f"/api/v1/namespaces/{ns}/pods", labelSelector=f"{runs.RUN_ID_LABEL}={run_id}")["items"]
    return items[0] if items else None


def test_launch_batch_and_online_with_and_without_limits(runner_factory: Any, callbacks: Callbacks, kube: Kube,
                                                         namespace: str, pressure: PressureHandle) -> None:
    runner = runner_factory()
    ids = {}
    for template in ("batch-with-limits", "batch-without-limits", "online-with-limits", "online-without-limits"):
        params = {"duration_seconds": 2} if template.startswith("batch") else {"memory_usage": "64Mi"}
        status, body, _ = runner.launch(template, params=params, callback_url=callbacks.url,
                                        launch_id=f"L-{template}")
        assert status == 201, body
        assert body["state"] == "Pending" and body["name"]
        assert body["mode"] == template.split("-")[0]
        assert body["limits"] == ("with" if "with-limits" in template else "without")
        ids[template] = body["run_id"]
    for template, run_id in ids.items():
        want = "Succeeded" if template.startswith("batch") else "Running"
        r = runner.wait_state(run_id, want, 30)
        pod = _pod_of(kube, namespace, run_id)
        assert pod is not None
        # the runner's reported state matches the pod's
        assert runs.observe_pod(pod).state == r["state"]
        labels = pod["metadata"]["labels"]
        assert labels["k8sstress.io/mode"] == r["mode"] and labels["k8sstress.io/limits"] == r["limits"]
        assert labels["k8sstress.io/launch-id"] == f"L-{template}"
        assert pod["spec"]["restartPolicy"] == ("Never" if template.startswith("batch") else "Always")
        has_limits = bool(pod["spec"]["containers"][0].get("resources", {}).get("limits"))
        assert has_limits is ("with-limits" in template)
        history = [h["state"] for h in r["history"]]
        assert history[0] == "Pending" and history[-1] == want
        assert all(h["seen_at"] >= r["accepted_at"] - 1 for h in r["history"])
    wait_for(lambda: callbacks.states(ids["batch-with-limits"])[-1:] == ["Succeeded"], 10,
             what="the Succeeded callback")
    assert callbacks.states(ids["batch-with-limits"]) == ["Pending", "Running", "Succeeded"]
    assert callbacks.states(ids["online-without-limits"]) == ["Pending", "Running"]
    status, listing, _ = http("GET", runner.url + "/runs")
    assert status == 200 and listing["count"] == 4 and listing["counts"]["Succeeded"] == 2
    status, text, _ = http("GET", runner.url + "/openapi.json")
    assert status == 200 and "/runs/{run_id}" in text["paths"]
    with urllib.request.urlopen(runner.url + "/metrics") as m:
        metrics = m.read().decode()
    assert 'k8sstress_runner_launches_total{limits="with",mode="batch",result="201"} 1.0' in metrics


def test_stop_and_unknown_run(runner_factory: Any, kube: Kube, namespace: str) -> None:
    runner = runner_factory()
    status, body, _ = runner.launch("online-without-limits")
    assert status == 201
    run_id = body["run_id"]
    runner.wait_state(run_id, "Running")
    status, body, _ = http("DELETE", f"{runner.url}/runs/{run_id}")
    assert status in (200, 202), body
    r = runner.wait_state(run_id, "Stopped", 20)
    assert r["stop_requested_at"] is not None
    wait_for(lambda: _pod_of(kube, namespace, run_id) is None, 20, what="the pod gone")
    status, body, _ = http("DELETE", f"{runner.url}/runs/{run_id}")
    assert status == 200 and body["state"] == "Stopped"
    status, body, _ = http("DELETE", f"{runner.url}/runs/r-doesnotexist")
    assert status == 404
    assert body == {"error": "run_not_found", "message": "no run with id 'r-doesnotexist'",
                    "run_id": "r-doesnotexist"}
    status, body, _ = http("GET", f"{runner.url}/runs/r-doesnotexist")
    assert status == 404 and body["error"] == "run_not_found"
    status, body, _ = runner.launch("no-such-template")
    assert status == 400 and body["error"] == "bad_request"


def _quota(kube: Kube, ns: str, pods: int) -> None:
    kube.create(f"/api/v1/namespaces/{ns}/resourcequotas", {
        "apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "node-pods"},
        "spec": {"hard": {"pods": str(pods)}}})

    def has_status() -> bool:
        q = kube.get(f"/api/v1/namespaces/{ns}/resourcequotas/node-pods")
        return "pods" in (q.get("status") or {}).get("used", {})

    wait_for(has_status, 20, what="quota status")


@pytest.mark.parametrize("policy", ["naive", "retry", "backpressure", "pending-timeout"])
def test_quota_denial_under_each_policy(policy: str, runner_factory: Any, kube: Kube, namespace: str) -> None:
    _quota(kube, namespace, 1)
    runner = runner_factory(policy, "--retry-for", "30", "--pending-timeout", "30")
    status, first, _ = runner.launch("online-with-limits")
    assert status == 201, first
    runner.wait_state(first["run_id"], "Running")
    status, body, headers = runner.launch("online-with-limits", launch_id="second")
    if policy == "naive":
        # accepted, error forgotten: the run stays Pending and no pod ever appears
        assert status == 202 and body["state"] == "Pending" and body["name"] is None
        time.sleep(1)
        assert runner.run(body["run_id"])["state"] == "Pending"
        assert not kube.get(f"/api/v1/namespaces/{namespace}/pods", labelSelector="k8sstress.io/launch-id=second")[
            "items"]
    elif policy == "retry":
        assert status == 202 and body["reason"] == "CreateRetrying"
        assert "exceeded quota: node-pods" in body["message"]
        # free the quota: the retried create goes through
        assert http("DELETE", f"{runner.url}/runs/{first['run_id']}")[0] in (200, 202)
        r = runner.wait_state(body["run_id"], "Running", 40)
        assert r["attempts"] >= 2
    elif policy == "backpressure":
        assert status == 429 and body["error"] == "no_room"
        assert "quota node-pods: pods" in body["message"]
        assert headers.get("Retry-After") == "1"
        assert http("GET", runner.url + "/runs")[1]["count"] == 1
    else:
        assert status == 422 and body["error"] == "create_refused" and body["status"] == 403
        assert body["run"]["state"] == "Failed" and body["run"]["reason"] == "AdmissionRejected"
        # 1.36 generates the name before quota admission: the message names the pod, not the prefix
        assert re.match(r'pods "online-node-[a-z0-9]*" is forbidden: exceeded quota: node-pods, requested: pods=1, '
                        r'used: pods=1, limited: pods=1$', body["message"]), body["message"]


def test_pending_timeout_deletes_and_reports(runner_factory: Any, kube: Kube, namespace: str) -> None:
    runner = runner_factory("pending-timeout", "--pending-timeout", "2")
    status, body, _ = runner.launch("batch-with-limits", spec={"nodeSelector": {"k8sstress.io/nowhere": "x"}})
    assert status == 201
    r = runner.wait_state(body["run_id"], "Failed", 20, reason="PendingTimeout")
    assert "Pending for more than 2s" in r["message"] and "Unschedulable" in r["message"]
    assert [h["reason"] for h in r["history"]][-2] == "Unschedulable"
    wait_for(lambda: _pod_of(kube, namespace, body["run_id"]) is None, 20, what="the pending pod deleted")


def test_oom_under_limit(runner_factory: Any, kube: Kube, namespace: str, pressure: PressureHandle) -> None:
    runner = runner_factory()
    _, batch, _ = runner.launch("batch-with-limits", params={"memory_usage": "600Mi", "duration_seconds": 60})
    _, online, _ = runner.launch("online-with-limits", params={"memory_usage": "300Mi", "memory_ramp_seconds": 1})
    r = runner.wait_state(batch["run_id"], "Failed", 20)
    assert r["reason"] == "OOMKilled"
    pod = _pod_of(kube, namespace, batch["run_id"])
    assert pod is not None
    term = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert (pod["status"]["phase"], term["reason"], term["exitCode"]) == ("Failed", "OOMKilled", 137)
    assert pod["metadata"]["annotations"]["k8sstress.io/simulated"] == "oom-killed"
    r = runner.wait_state(online["run_id"], "Running", 20, reason="CrashLoopBackOff")
    assert r["restarts"] >= 1 and r["ready"] is False
    pod = _pod_of(kube, namespace, online["run_id"])
    assert pod is not None
    cs = pod["status"]["containerStatuses"][0]
    assert pod["status"]["phase"] == "Running"
    assert cs["lastState"]["terminated"]["reason"] == "OOMKilled"
    assert cs["lastState"]["terminated"]["exitCode"] == 137
    assert cs["state"]["waiting"] == {
        "reason": "CrashLoopBackOff",
        "message": f"back-off 10s restarting failed container=node pod={pod['metadata']['name']}"}
    events = kube.get(f"/api/v1/namespaces/{namespace}/events",
                      fieldSelector=f"involvedObject.name={pod['metadata']['name']}")["items"]
    backoff = [e for e in events if e["reason"] == "BackOff"]
    assert backoff and backoff[0]["type"] == "Warning"
    assert backoff[0]["message"] == f"Back-off restarting failed container node in pod {pod['metadata']['name']}"


def test_evictions_under_node_pressure_in_kubelet_order(runner_factory: Any, kube: Kube, namespace: str,
                                                        make_node: Any, pressure: PressureHandle) -> None:
    node = make_node(memory="1Gi")
    kube.patch(f"/api/v1/nodes/{node}", {"metadata": {"annotations": {
        "k8sstress.io/eviction-hard-memory": "200Mi", "k8sstress.io/eviction-interval-seconds": "1"}}})
    pc = f"high-{namespace}"[:60]
    kube.create("/apis/scheduling.k8s.io/v1/priorityclasses",
                {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": pc},
                 "value": 1000})
    try:
        runner = runner_factory()
        spec = dedicated_spec(node)
        ramp = 3
        launches = {  # usage above request: a, b, c (BestEffort); g stays under its request
            "a": ("online-without-limits", "620Mi", {**spec, "priorityClassName": pc}),
            "b": ("online-without-limits", "100Mi", spec),
            "c": ("online-without-limits", "40Mi", spec),
            "g": ("online-with-limits", "250Mi", spec),
        }
        ids = {}
        for key, (template, usage, s) in launches.items():
            status, body, _ = runner.launch(template, launch_id=f"ev-{key}", spec=s,
                                            params={"memory_usage": usage, "memory_ramp_seconds": ramp})
            assert status == 201, body
            ids[key] = body["run_id"]
        for key in "bca":
            runner.wait_state(ids[key], "Failed", 30, reason="Evicted")
        assert runner.run(ids["g"])["state"] == "Running"
        events = [e for e in kube.get(f"/api/v1/namespaces/{namespace}/events")["items"] if e["reason"] == "Evicted"]
        order = [e["involvedObject"]["name"] for e in sorted(events, key=lambda e: int(e["metadata"]["name"]
                                                                                          .rsplit(".", 1)[1], 16))]
        names = {k: runner.run(v)["pod"] for k, v in ids.items()}
        assert order == [names["b"], names["c"], names["a"]]
        pod = _pod_of(kube, namespace, ids["b"])
        assert pod is not None
        st = pod["status"]
        assert (st["phase"], st["reason"]) == ("Failed", "Evicted")
        assert re.fullmatch(r"The node was low on resource: memory\. Threshold quantity: 200Mi, available: \d+(Ki|Mi)\. "
                            r"Container node was using \d+(Ki|Mi), request is 0, has larger consumption of memory\. ",
                            st["message"]), st["message"]
        dt = [c for c in st["conditions"] if c["type"] == "DisruptionTarget"][0]
        assert (dt["status"], dt["reason"], dt["message"]) == ("True", "TerminationByKubelet", st["message"])
        ev = [e for e in events if e["involvedObject"]["name"] == names["b"]][0]
        assert ev["type"] == "Warning" and ev["message"] == st["message"]
        assert ev["metadata"]["annotations"]["starved_resource"] == "memory"
        assert ev["metadata"]["annotations"]["k8sstress.io/simulated"] == "evicted"
        n = kube.get(f"/api/v1/nodes/{node}")
        mp = [c for c in n["status"]["conditions"] if c["type"] == "MemoryPressure"][0]
        assert (mp["status"], mp["reason"]) == ("True", "KubeletHasInsufficientMemory")
        wait_for(lambda: any(t["key"] == "node.kubernetes.io/memory-pressure" and t["effect"] == "NoSchedule"
                             for t in kube.get(f"/api/v1/nodes/{node}")["spec"].get("taints") or []), 20,
                 what="the memory-pressure taint")
        node_events = kube.get("/api/v1/namespaces/default/events",
                               fieldSelector=f"involvedObject.name={node}")["items"]
        assert any(e["reason"] == "EvictionThresholdMet" and e["message"] == "Attempting to reclaim memory"
                   for e in node_events)
    finally:
        try:
            kube.delete(f"/apis/scheduling.k8s.io/v1/priorityclasses/{pc}")
        except ApiError:
            pass


def test_runner_restart_loses_no_run(runner_factory: Any, kube: Kube, namespace: str,
                                     pressure: PressureHandle) -> None:
    runner = runner_factory()
    ids = []
    for template, params in (("batch-with-limits", {"duration_seconds": 6}), ("online-without-limits", {}),
                             ("online-with-limits", {}), ("batch-without-limits", {"duration_seconds": 1})):
        status, body, _ = runner.launch(template, params=params)
        assert status == 201
        ids.append(body["run_id"])
    runner.wait_state(ids[0], "Running")
    runner.wait_state(ids[3], "Succeeded", 20)
    before = {i: runner.run(i) for i in ids}
    runner.stop()
    runner.start()
    after = {i: runner.run(i) for i in ids}
    for i in ids:
        assert after[i]["rebuilt"] is True
        for key in ("launch_id", "mode", "limits", "template", "kind", "name", "params", "state"):
            assert after[i][key] == before[i][key], (key, before[i], after[i])
        assert abs(after[i]["accepted_at"] - before[i]["accepted_at"]) < 1e-3
    assert http("GET", runner.url + "/runs")[1]["count"] == len(ids)
    # and it goes on following: the batch run started before the restart completes after it
    runner.wait_state(ids[0], "Succeeded", 20)
    status, _, _ = http("DELETE", f"{runner.url}/runs/{ids[1]}")
    assert status in (200, 202)
    runner.wait_state(ids[1], "Stopped", 20)
