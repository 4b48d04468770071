"""The GitHub workflow example can't run here: check what can be checked.

Its YAML is valid, it uses helm/kind-action with a kind config that exists, and every
``k8sstress`` command it calls parses with our CLI. The kind config makes exhaustion
reachable (reserved resources, maxPods, evictionHard), and clusters/kind.yaml points at it.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from k8sstress.cli.main import build_parser
from k8sstress.cluster.config import load_cluster_config

ROOT = Path(__file__).resolve().parents[3]
WORKFLOW = ROOT / ".github" / "workflows" / "k8sstress-kind.yaml"


def workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def steps() -> list[dict]:
    return [s for job in workflow()["jobs"].values() for s in job["steps"]]


def env_values() -> dict[str, str]:
    """The workflow's env with expressions reduced to their default (``${{ x || '0.05' }}`` -> 0.05)."""
    out = {}
    for key, value in (workflow().get("env") or {}).items():
        m = re.search(r"\|\|\s*'([^']*)'", str(value))
        out[key] = m.group(1) if m else str(value)
    return out


def k8sstress_calls() -> list[list[str]]:
    env = env_values()
    calls = []
    for step in steps():
        for line in (step.get("run") or "").splitlines():
            line = line.strip()
            if not line.startswith("k8sstress "):
                continue
            line = re.split(r"\s(?:>|\|\||&&|\|)\s", line)[0]
            line = re.sub(r"\$\{\{[^}]*\}\}", "X", line)
            line = re.sub(r'"?\$\{?([A-Za-z_]+)\}?[^"\s]*"?', lambda m: env.get(m.group(1), "dir"), line)
            calls.append(shlex.split(line)[1:])
    return calls


def test_workflow_shape():
    wf = workflow()
    assert wf["on"] and wf["jobs"]
    uses = [s.get("uses", "") for s in steps()]
    assert any(u.startswith("helm/kind-action@") for u in uses)
    kind = next(s for s in steps() if s.get("uses", "").startswith("helm/kind-action@"))
    assert (ROOT / kind["with"]["config"]).exists()
    assert kind["with"]["config"] == "clusters/kind-small.yaml"
    assert any(u.startswith("actions/upload-artifact@") for u in uses)


def test_every_k8sstress_command_in_the_workflow_exists():
    calls = k8sstress_calls()
    assert {c[0] for c in calls} >= {"run", "report", "compare"}
    parser = build_parser()
    for argv in calls:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # argparse exits on an unknown command or option
            pytest.fail(f"k8sstress {' '.join(argv)}: not accepted by the CLI ({exc})")
        assert callable(getattr(args, "func", None)), argv


def _kubelet_patches(node: dict) -> list[dict]:
    return [p for p in (yaml.safe_load(x) for x in node.get("kubeadmConfigPatches", []))
            if p.get("kind") == "KubeletConfiguration"]


def test_kind_config_makes_exhaustion_reachable():
    cfg = yaml.safe_load((ROOT / "clusters" / "kind-small.yaml").read_text())
    assert cfg["kind"] == "Cluster" and cfg["apiVersion"] == "kind.x-k8s.io/v1alpha4"
    workers = [n for n in cfg["nodes"] if n["role"] == "worker"]
    assert workers and any(n["role"] == "control-plane" for n in cfg["nodes"])
    for node in workers:
        (kubelet,) = _kubelet_patches(node)
        assert 0 < kubelet["maxPods"] <= 50
        assert kubelet["systemReserved"]["memory"] and kubelet["kubeReserved"]["cpu"]
        assert kubelet["evictionHard"]["memory.available"]


def test_kind_cluster_file_points_at_the_kind_config():
    cfg = load_cluster_config(ROOT / "clusters" / "kind.yaml")
    assert cfg.backend == "kind"
    assert cfg.kind_config == "kind-small.yaml"
    assert (ROOT / "clusters" / cfg.kind_config).exists()
