"""The load generator, targets and run record on the sim cluster.

The job target (Jobs and Deployments, pods tied by owner references), the http target
driving the reference runner through manifests/targets/reference-runner.yaml, the
reference target's runner lifecycle, and the run's ends: kill -9 (the record stays
readable and reportable), Ctrl-C (exit 4, partial), timeout (exit 2), SLO failure (exit 3),
a bad scenario file (exit 1).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from k8sstress.cli.commands.run import RunOptions, run_scenario
from k8sstress.cli.main import main
from k8sstress.kube import ApiError, Kube
from k8sstress.load.scenario import load_scenario
from k8sstress.records import RUN_LABEL, LaunchRecord, StateReport, StopRecord
from k8sstress.rundir import RunDir
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "import sys; from k8sstress.cli.main import main; sys.exit(main())"]


def scenario_file(tmp_path: Path, body: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(body)
    return p


SMALL = """\
name: {name}
mix:
  - name: batch
    mode: batch
    template: batch-with-limits
    params: {{duration: 2s}}
  - name: online
    mode: online
    template: online-without-limits
profile: {{kind: constant, rate: {rate}, duration: {duration}}}
stop: {{online: end}}
setup:
  nodes:
    - {{name: box, cpu: "8", memory: 16Gi}}
durations: {{settle: 10s{extra}}}
"""


def small(name: str, rate: float = 4, duration: str = "2s", extra: str = "", tail: str = "") -> str:
    return SMALL.format(name=name, rate=rate, duration=duration, extra=extra) + tail


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cleanup_run(kube: Kube, run_dir: Path) -> None:
    """After a run that could not tear down itself (kill -9): its namespace and dedicated nodes."""
    meta = json.loads((run_dir / "run.json").read_text())
    try:
        kube.delete(f"/api/v1/namespaces/{meta['namespace']}")
    except ApiError:
        pass
    for node in kube.get("/api/v1/nodes", labelSelector=f"{RUN_LABEL}={meta['run_id']}")["items"]:
        try:
            kube.delete(f"/api/v1/nodes/{node['metadata']['name']}")
        except ApiError:
            pass


def test_job_target_ties_pods_by_owner(sim_cluster: Any, tmp_path: Path) -> None:
    s = load_scenario(scenario_file(tmp_path, small("jobs", tail="target: {kind: job, backoff-limit: 1}\n")))
    o = run_scenario(s, RunOptions(kubeconfig=sim_cluster.kubeconfig, show_progress=False), out=tmp_path / "run")
    assert o.exit_code == 0 and o.summary is not None, (o.error, o.problems)
    assert o.outcomes == {"Succeeded": 4, "Stopped": 4}
    rd = RunDir(tmp_path / "run")
    launches = rd.records("launches", LaunchRecord, "launch_id")
    kinds = {(lr.mode, (lr.model_extra or {}).get("owner_kind")) for lr in launches}
    assert kinds == {("batch", "Job"), ("online", "Deployment")}
    meta = json.loads((tmp_path / "run" / "run.json").read_text())
    assert meta["target"]["tie"]["by"] == "owner"
    assert o.summary["metrics"]["unmatched_pods"] == 0 and o.summary["metrics"]["leaked_pods"] == 0
    # the runner's view (Job conditions, Deployment replicas) was followed to the end
    last = {s.launch_id: s.state for s in rd.records("states", StateReport)}
    assert len(last) == 8 and sorted(set(last.values())) == ["Stopped", "Succeeded"]


@pytest.fixture
def reference_runner(sim_cluster: Any, namespace: str, tmp_path: Path) -> Any:
    port = free_port()
    log = (tmp_path / "runner.log").open("wb")
    proc = subprocess.Popen([*CLI, "runner", "serve", "--kubeconfig", sim_cluster.kubeconfig, "--namespace",
                             namespace, "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)

    def up() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            assert proc.poll() is None, (tmp_path / "runner.log").read_text()
            return False

    wait_for(up, 30, what="the reference runner to listen")
    yield port, namespace
    proc.terminate()
    proc.wait(15)
    log.close()


def test_http_target_drives_the_reference_runner(sim_cluster: Any, reference_runner: Any, tmp_path: Path) -> None:
    port, namespace = reference_runner
    s = load_scenario(scenario_file(tmp_path, small("http-ref", tail=f"namespace: {namespace}\n")))
    opts = RunOptions(kubeconfig=sim_cluster.kubeconfig, show_progress=False,
                      target=f"http:{ROOT / 'manifests' / 'targets' / 'reference-runner.yaml'}",
                      target_options={"vars": {"port": port}})
    o = run_scenario(s, opts, out=tmp_path / "run")
    assert o.exit_code == 0 and o.summary is not None, (o.error, o.problems)
    assert o.outcomes == {"Succeeded": 4, "Stopped": 4}
    rd = RunDir(tmp_path / "run")
    meta = json.loads((tmp_path / "run" / "run.json").read_text())
    assert meta["target"]["kind"] == "http"
    assert meta["target"]["tie"] == {"by": "label", "key": "k8sstress.io/run-id", "value": "run-id"}
    launches = rd.records("launches", LaunchRecord, "launch_id")
    assert all(lr.run_id and lr.run_id.startswith("r-") and lr.http_status == 201 for lr in launches)
    states = rd.records("states", StateReport)
    assert "callback" in {s.source for s in states}  # the runner called back (polls add only changes)
    last = {s.launch_id: s.state for s in states}
    assert len(last) == 8 and set(last.values()) == {"Succeeded", "Stopped"}
    stops = rd.records("stops", StopRecord, "launch_id")
    assert len(stops) == 4 and all(st.status == "accepted" for st in stops)
    m = o.summary["metrics"]
    assert m["unmatched_pods"] == 0 and m["leaked_pods"] == 0
    # every pod the runner made carries its run id, which the launch recorded
    pods = sim_cluster.kube.get(f"/api/v1/namespaces/{namespace}/pods")["items"]
    run_ids = {lr.run_id for lr in launches}
    assert {p["metadata"]["labels"].get("k8sstress.io/run-id") for p in pods} <= run_ids


def test_reference_target_runs_the_runner_and_stops_it(sim_cluster: Any, tmp_path: Path) -> None:
    """The naive policy forgets failed creates: launches refused by the quota become Lost."""
    quota = """\
setup:
  objects:
    - {apiVersion: v1, kind: ResourceQuota, metadata: {name: q}, spec: {hard: {pods: "3"}}}
  nodes:
    - {name: box, cpu: "8", memory: 16Gi}
target: {kind: reference, policy: naive}
"""
    text = small("ref-naive", duration="2s").split("setup:")[0] + "durations: {settle: 12s}\n" + quota
    s = load_scenario(scenario_file(tmp_path, text))
    o = run_scenario(s, RunOptions(kubeconfig=sim_cluster.kubeconfig, show_progress=False), out=tmp_path / "run")
    assert o.summary is not None, (o.error, o.problems)
    meta = json.loads((tmp_path / "run" / "run.json").read_text())
    assert meta["target"]["kind"] == "reference" and meta["target"]["policy"] == "naive"
    assert (tmp_path / "run" / "runner.log").exists()
    assert not psutil.pid_exists(meta["target"]["pid"]) or \
        psutil.Process(meta["target"]["pid"]).status() == psutil.STATUS_ZOMBIE
    assert o.outcomes.get("Lost", 0) >= 1, o.outcomes  # accepted (202) by the runner, no pod ever
    assert any(name.startswith("runner.") for name in
               {json.loads(line)["name"] for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()})


def _spawn_run(scenario: Path, kubeconfig: str, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*CLI, "run", str(scenario), "--kubeconfig", kubeconfig, "--out", str(out),
                             "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _lines(p: Path) -> int:
    return len(p.read_text().splitlines()) if p.exists() else 0


def test_kill_9_mid_run_leaves_a_readable_record(sim_cluster: Any, tmp_path: Path) -> None:
    s = scenario_file(tmp_path, small("killed", rate=5, duration="60s"))
    out = tmp_path / "run"
    proc = _spawn_run(s, sim_cluster.kubeconfig, out)
    try:
        wait_for(lambda: _lines(out / "launches.jsonl") >= 20 and _lines(out / "observer.jsonl") > 0, 60,
                 what="some launches on record")
        time.sleep(0.5)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        rd = RunDir(out)
        launches = rd.records("launches", LaunchRecord, "launch_id")
        assert len(launches) >= 10  # at most the last second lost
        assert any(lr.status == "accepted" for lr in launches)
        code = main(["report", str(out), "--no-prometheus", "--format", "json"])
        assert code in (0, 3)
        summary = json.loads((out / "summary.json").read_text())
        assert summary["partial"] is True
        assert summary["metrics"]["launches"] == len(launches)
        assert (out / "report.html").exists() and (out / "runbook.md").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
        cleanup_run(sim_cluster.kube, out)


def test_ctrl_c_finalizes_a_partial_record_and_exits_4(sim_cluster: Any, tmp_path: Path) -> None:
    s = scenario_file(tmp_path, small("interrupted", rate=5, duration="60s"))
    out = tmp_path / "run"
    proc = _spawn_run(s, sim_cluster.kubeconfig, out)
    try:
        wait_for(lambda: _lines(out / "launches.jsonl") >= 10, 60, what="some launches on record")
        proc.send_signal(signal.SIGINT)
        code = proc.wait(120)
        log = proc.stdout.read().decode() if proc.stdout else ""
        assert code == 4, log
        summary = json.loads((out / "summary.json").read_text())
        assert summary["partial"] is True
        meta = json.loads((out / "run.json").read_text())
        assert meta["status"] == "aborted" and meta["result"]["aborted"] is True
        assert meta["result"]["sent"] < 300
        # torn down: the namespace is going away, the dedicated node is gone
        nodes = sim_cluster.kube.get("/api/v1/nodes", labelSelector=f"{RUN_LABEL}={meta['run_id']}")["items"]
        assert nodes == []
    finally:
        if proc.poll() is None:
            proc.kill()
            cleanup_run(sim_cluster.kube, out)


def test_timeout_exits_2_with_a_partial_record(sim_cluster: Any, tmp_path: Path) -> None:
    s = scenario_file(tmp_path, small("timeout", rate=4, duration="60s", extra=", timeout: 4s"))
    code = main(["run", str(s), "--kubeconfig", sim_cluster.kubeconfig, "--out", str(tmp_path / "run"),
                 "--no-progress"])
    assert code == 2
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["partial"] is True
    assert json.loads((tmp_path / "run" / "run.json").read_text())["status"] == "timed-out"


def test_slo_failure_exits_3(sim_cluster: Any, tmp_path: Path) -> None:
    text = small("slo", rate=5, duration="2s", tail="""\
slo:
  launch_error_rate: {max: 0}
""").replace("setup:\n", """setup:
  objects:
    - {apiVersion: v1, kind: ResourceQuota, metadata: {name: q}, spec: {hard: {pods: "2"}}}
""")
    s = scenario_file(tmp_path, text)
    code = main(["run", str(s), "--kubeconfig", sim_cluster.kubeconfig, "--out", str(tmp_path / "run"),
                 "--no-progress"])
    assert code == 3
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["slo"]["passed"] is False
    assert summary["outcomes"]["AdmissionRejected"] >= 1


def test_a_bad_scenario_exits_1_naming_file_line_and_field(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    s = scenario_file(tmp_path, small("bad").replace("rate: 4", "rate: -4"))
    code = main(["run", str(s), "--kubeconfig", "/nonexistent"])
    assert code == 1
    err = capsys.readouterr().err
    assert f"{s}:10" in err.replace("\n", "") and "profile.rate" in err
    assert not (tmp_path / "runs").exists()
