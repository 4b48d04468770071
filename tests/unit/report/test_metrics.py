"""Prometheus queries: optional, never fatal, plain series out. A real Prometheus when one is installed."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from k8sstress.metrics import QUERIES, query_run
from k8sstress.metrics.prometheus import Query, series_from_result


def test_series_from_a_range_result():
    q = Query("runner_memory_bytes", "q", "bytes", 2)
    result = [{"metric": {"instance": "a:1"}, "values": [[1.0, "10"], [2.0, "NaN"], [3.0, "12"]]},
              {"metric": {"instance": "b:1"}, "values": [[1.0, "5"]]},
              {"metric": {"instance": "c:1"}, "values": [[1.0, "7"]]}]
    series = series_from_result(q, result)
    assert [s.label for s in series] == ["instance=a:1", "instance=b:1"]  # max_series
    assert series[0].points == ((1.0, 10.0), (3.0, 12.0))  # NaN dropped


def test_unreachable_prometheus_is_a_note():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    series, note = query_run(f"http://127.0.0.1:{port}", time.time() - 60, time.time(), timeout_s=2)
    assert series is None
    assert note and "did not answer" in note


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(shutil.which("prometheus") is None, reason="no prometheus binary (Debian: prometheus)")
def test_against_a_real_prometheus(tmp_path: Path):
    port = _free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(f"global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: fake-runner\n"
                      f"    static_configs:\n      - targets: ['127.0.0.1:{port}']\n")
    proc = subprocess.Popen([shutil.which("prometheus") or "prometheus", f"--config.file={config}",
                             f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        start = time.time()
        series = None
        while time.time() - start < 60:
            time.sleep(2)
            series, note = query_run(f"http://127.0.0.1:{port}", start - 5, time.time(), runner_job="fake-runner",
                                     step_s=1, queries=[q for q in QUERIES if q.name == "runner_memory_bytes"])
            if series:
                break
        assert series, note
        assert series[0].name == "runner_memory_bytes" and series[0].points[-1][1] > 1e6
    finally:
        proc.terminate()
        proc.wait(timeout=20)
