"""The exhaustion suite on the sim cluster: each scenario produces the outcomes it exists for.

Every scenario pins its pods to its own dedicated simulated nodes, so they run on the
shared test cluster one after the other. Then the suite through the CLI, bringing up and
tearing down its own cluster, leaving nothing behind.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from k8sstress.cli.commands.run import RunOptions, RunOutcome, run_scenario
from k8sstress.cli.main import main
from k8sstress.load.scenario import resolve_scenario_path
from k8sstress.load.suite import load_suite

SUITE = load_suite(resolve_scenario_path("exhaustion"))
NAMES = [s.name for s in SUITE.scenarios]


def run(name: str, kubeconfig: str, out: Path, **opts: Any) -> RunOutcome:
    (scenario,) = SUITE.select([name])
    return run_scenario(scenario, RunOptions(kubeconfig=kubeconfig, show_progress=False, **opts), out=out)


def examples(o: RunOutcome, outcome: str) -> list[dict[str, Any]]:
    return list(((o.summary or {}).get("examples") or {}).get(outcome) or [])


def reasons(o: RunOutcome) -> set[str]:
    return {r for e in examples(o, "Unschedulable") for r in (e["detail"].get("reasons") or [])}


@pytest.mark.parametrize("name", NAMES)
def test_suite_scenario_produces_its_outcomes(name: str, sim_cluster: Any, tmp_path: Path) -> None:
    o = run(name, sim_cluster.kubeconfig, tmp_path / name)
    assert o.error is None, o.error
    assert o.summary is not None, o.problems
    assert o.exit_code == 0, (o.exit_code, (o.summary or {}).get("slo"))
    assert not o.missing, f"{name}: expected {o.expected}, saw {o.outcomes} / pods {o.pod_outcomes}"
    m = o.summary["metrics"]
    assert m["lost"] in (0, None) and m["unmatched_pods"] == 0
    assert o.result is not None and o.result.sent == o.result.answered
    late = o.result.scheduler["lateness"]["launch"]
    assert late["count"] == o.result.sent

    if name == "cpu-limits":
        assert "Insufficient cpu" in reasons(o)
        assert o.outcomes["Running"] == 8  # 4 on the first node, 4 more once the second arrived
        assert any(a["action"] == "add-node" and "error" not in a for a in o.result.actions)
    elif name == "memory-no-limits":
        evicted = examples(o, "Evicted")
        assert evicted and all(e["detail"]["by"] == "kubelet" for e in evicted)
        assert evicted[0]["detail"]["simulated"] is True
        assert all(e["detail"]["qos_class"] == "BestEffort" for e in evicted + examples(o, "OOMKilled"))
    elif name == "memory-over-limits":
        assert set(o.outcomes) == {"OOMKilled"}
        assert {e["mode"] for e in examples(o, "OOMKilled")} == {"batch", "online"}
    elif name == "namespace-quota":
        assert o.outcomes == {"Running": 4, "AdmissionRejected": 6}
        rejected = examples(o, "AdmissionRejected")
        assert all(e["detail"]["reason"] == "quota" and e["http_status"] == 403 for e in rejected)
    elif name == "pod-count":
        assert "Too many pods" in reasons(o)
        assert o.outcomes["Running"] == 6
    elif name == "node-loss":
        evicted = examples(o, "Evicted")
        assert evicted and all(e["detail"]["by"] == "taint-manager" for e in evicted)
        assert o.outcomes["Running"] + o.outcomes["Evicted"] == 8
    elif name == "online-flood":
        assert o.outcomes["Stopped"] == 30 and m["orphaned"] in (0, None)
        assert "Insufficient cpu" in reasons(o)
    elif name == "stop-storm":
        assert o.outcomes == {"Stopped": 80}
        assert m["stops_accepted"] == 80 and m["leaked_pods"] == 0
        assert m["stop_to_gone_p99_s"] is not None
    elif name == "staircase":
        bp = o.summary["breaking_point"]["first_unschedulable"]
        assert bp is not None and bp["step"] >= 2


def test_the_suite_through_the_cli_with_its_own_cluster_leaves_nothing(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """``k8sstress run exhaustion --only ...``: brings up a sim cluster, runs, tears it all down."""
    from k8sstress.cluster.backends import known_clusters

    before = {c.name for c in known_clusters()}
    code = main(["run", "exhaustion", "--only", "namespace-quota", "--only", "pod-count", "--out",
                 str(tmp_path / "suite"), "--no-progress", "--format", "json"])
    assert code == 0
    runs = json.loads(capsys.readouterr().out)
    assert [r["scenario"] for r in runs] == ["namespace-quota", "pod-count"]
    assert all(not r["missing"] for r in runs)
    index = json.loads((tmp_path / "suite" / "suite.json").read_text())
    assert [r["scenario"] for r in index["runs"]] == ["namespace-quota", "pod-count"]
    for r in runs:
        assert Path(r["artifacts"]["summary"]).exists() and Path(r["artifacts"]["report"]).exists()
    after = {c.name for c in known_clusters()}
    assert not {n for n in after - before if n.startswith(f"kst-run-{os.getpid()}")}, "its cluster was not torn down"
