"""``k8sstress classify`` end to end, through ``k8sstress.cli.main.main``."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from k8sstress.cli import output
from k8sstress.cli.main import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PODS = FIXTURES / "pods" / "cluster-dump.json"
EVENTS = [FIXTURES / "events" / name for name in ("evicted.json", "preempted.json", "owner-failedcreate.json",
                                                  "failed-scheduling.json")]


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """A wide table, so the rows under test are not wrapped (stdout is not a terminal here)."""
    monkeypatch.setattr(output.console, "_width", 200)


def run_json(capsys, *args: str) -> list[dict]:
    assert main(["classify", "--format", "json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_output(capsys):
    rows = run_json(capsys, str(PODS), *map(str, EVENTS))
    by_name = {r["name"]: r for r in rows}
    assert by_name["node-run-big"]["outcome"] == "Unschedulable"
    assert by_name["node-run-big"]["detail"]["reasons"] == ["Insufficient memory", "Insufficient cpu"]
    assert by_name["node-run-oom"]["outcome"] == "OOMKilled"
    assert by_name["node-run-oom"]["detail"]["exit_code"] == 137
    assert by_name["node-run-hog"]["detail"]["resource"] == "memory"
    assert by_name["node-run-low"]["outcome"] == "Preempted"
    assert by_name["node-run-q"]["outcome"] == "AdmissionRejected"
    assert by_name["node-run-gone"]["detail"]["from_events"] is True
    for row in rows:
        assert set(row) >= {"namespace", "name", "outcome", "detail"}
        assert {"simulated", "qos_class", "limits", "mode"} <= set(row["detail"])


def test_json_single_pod_file(capsys):
    rows = run_json(capsys, str(FIXTURES / "pods" / "kubelet-rejected.json"))
    assert [(r["name"], r["outcome"], r["detail"]["resource"]) for r in rows] == [
        ("node-run-crowd", "KubeletRejected", "pods")]


def test_files_in_any_order(capsys):
    first = run_json(capsys, str(EVENTS[0]), str(PODS))
    assert {r["name"]: r["outcome"] for r in first}["node-run-hog"] == "Evicted"


def test_table_output(capsys):
    assert main(["classify", str(PODS), str(EVENTS[0])]) == 0
    out = capsys.readouterr().out
    assert "node-run-big" in out and "Unschedulable" in out
    assert "0/3 nodes: 1 Insufficient memory, 3 Insufficient cpu" in out
    assert "by kubelet: low on memory" in out
    assert "per outcome" in out
    counts = {line.split("│")[1].strip(): line.split("│")[2].strip()
              for line in out.splitlines() if line.count("│") == 3}
    assert counts["OOMKilled"] == "1"
    assert counts["Evicted"] == "2"  # node-run-hog, and node-run-gone from its event
    assert counts["total"] == "9"


def test_stdin(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO((FIXTURES / "pods" / "oomkilled.json").read_text()))
    rows = run_json(capsys, "-")
    assert [(r["name"], r["outcome"]) for r in rows] == [("node-run-oom", "OOMKilled")]


def test_stdin_twice_is_an_error(capsys):
    assert main(["classify", "-", "-"]) == 1
    assert "only once" in capsys.readouterr().err


def test_truncated_file_exits_1_naming_it(capsys, tmp_path):
    bad = tmp_path / "pods-truncated.json"
    bad.write_text(PODS.read_text()[:700])
    assert main(["classify", str(bad)]) == 1
    captured = capsys.readouterr()
    assert "pods-truncated.json" in captured.err
    assert "not valid JSON" in captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""


@pytest.mark.parametrize("content,expect", [
    ('{"hello": "world"}', "not a Kubernetes object"),
    ("[1, 2, 3]", "not Kubernetes objects"),
    ("", "empty"),
    ("apiVersion: v1\nkind: Pod\n", "not valid JSON"),
    ('{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Node", "metadata": {}}]}',
     "holds no pods or events"),
])
def test_non_kubernetes_files_exit_1(capsys, tmp_path, content, expect):
    bad = tmp_path / "weird.json"
    bad.write_text(content)
    assert main(["classify", "--format", "json", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "weird.json" in err and expect in err


def test_missing_file_exits_1(capsys, tmp_path):
    assert main(["classify", str(tmp_path / "nope.json")]) == 1
    assert "nope.json: no such file" in capsys.readouterr().err


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["classify", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "kubectl get pods -A -o json > pods.json" in out
    assert "k8sstress classify pods.json ev.json" in out
