"""`k8sstress cluster up/status/down` through the CLI, on a second, short-lived sim cluster."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
import yaml

from k8sstress.cli.main import main


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _cluster_processes(cluster_dir: Path) -> list[int]:
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            stat = (d / "stat").read_text().split()
        except OSError:
            continue
        if str(cluster_dir) in cmd and stat[2] != "Z":
            pids.append(int(d.name))
    return pids


def test_up_status_down_leaves_nothing_behind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "tiny.yaml"
    name = f"lifecycle-{os.getpid()}"
    cfg.write_text(yaml.safe_dump({"name": name, "node-pools": [{"name": "p", "count": 2, "cpu": "2",
                                                                 "memory": "4Gi", "pods": 20}]}))
    assert main(["cluster", "up", "--config", str(cfg), "--format", "json"]) == 0
    capsys.readouterr()
    try:
        assert main(["cluster", "status", "--config", str(cfg), "--format", "json"]) == 0
        status = json.loads(capsys.readouterr().out)
        assert status["backend"] == "sim"
        assert status["name"] == name
        assert status["nodes_ready"] == 2
        assert status["nodes_total"] == 2
        kubeconfig = Path(status["kubeconfig"])
        assert kubeconfig.exists()
        cluster_dir = kubeconfig.parent
        docs = list(yaml.safe_load_all((cluster_dir / "kwok.yaml").read_text()))
        components = [c for d in docs if d and d.get("components") for c in d["components"]]
        ports = [p["port"] for c in components for p in c.get("ports") or []]
        assert ports and all(_listening(p) for p in ports if p)
        assert _cluster_processes(cluster_dir)
    finally:
        assert main(["cluster", "down", "--config", str(cfg)]) == 0
    assert not cluster_dir.exists()
    assert _cluster_processes(cluster_dir) == []
    assert [p for p in ports if p and _listening(p)] == []
    capsys.readouterr()
    assert main(["cluster", "status", "--config", str(cfg), "--format", "json"]) == 0
    after = json.loads(capsys.readouterr().out)
    assert after["running"] is False and after["nodes_ready"] == 0


def test_prometheus_scrapes_the_control_plane_when_enabled(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    import shutil
    import time
    import urllib.request

    if shutil.which("prometheus") is None:
        pytest.skip("no prometheus binary (make test installs Debian's package; apt-get install prometheus)")
    cfg = tmp_path / "prom.yaml"
    name = f"prom-{os.getpid()}"
    cfg.write_text(yaml.safe_dump({"name": name, "node-pools": [{"name": "p", "count": 1}],
                                   "prometheus": {"enabled": True}}))
    assert main(["cluster", "up", "--config", str(cfg), "--no-pressure", "--format", "json"]) == 0
    capsys.readouterr()
    try:
        assert main(["cluster", "status", "--config", str(cfg), "--format", "json"]) == 0
        url = json.loads(capsys.readouterr().out)["prometheus_url"]
        assert url and url.startswith("http://127.0.0.1:")
        deadline = time.monotonic() + 90
        health: dict[str, str] = {}
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"{url}/api/v1/targets", timeout=5) as resp:
                targets = json.load(resp)["data"]["activeTargets"]
            health = {t["labels"]["job"]: t["health"] for t in targets}
            if all(health.get(j) == "up" for j in ("kube-apiserver", "etcd", "kube-scheduler",
                                                   "kube-controller-manager")):
                break
            time.sleep(2)
        assert health.get("kube-apiserver") == "up", health
        assert health.get("etcd") == "up", health
        with urllib.request.urlopen(f"{url}/api/v1/query?query=sum(apiserver_request_total)", timeout=5) as resp:
            result = json.load(resp)["data"]["result"]
        assert result and float(result[0]["value"][1]) > 0
    finally:
        assert main(["cluster", "down", "--config", str(cfg)]) == 0
    port = int(url.rsplit(":", 1)[1])
    assert not _listening(port)
