from __future__ import annotations

from pathlib import Path

import pytest

from k8sstress.cli.main import main
from k8sstress.cluster.config import load_cluster_config, parse_quantity
from k8sstress.cluster.sim import node_manifest
from k8sstress.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]


def test_shipped_cluster_files_are_valid() -> None:
    small = load_cluster_config(ROOT / "clusters" / "sim-small.yaml")
    assert small.backend == "sim"
    assert small.nodes_total == 3
    pool = small.node_pools[0]
    assert (pool.cpu, pool.memory, pool.pods) == ("4", "8Gi", 110)
    big = load_cluster_config(ROOT / "clusters" / "sim-1k.yaml")
    assert big.nodes_total == 1000


@pytest.mark.parametrize("text, field, reason", [
    ("node-pools:\n  - name: a\n    count: -1\n", "node-pools.0.count", "greater than or equal to 0"),
    ("node-pools:\n  - name: a\n    count: 1\n    memory: lots\n", "node-pools.0.memory", "not a Kubernetes quantity"),
    ("backend: docker\n", "backend", "'sim', 'kind' or 'existing'"),
    ("apiserver:\n  max-requests-inflight: 0\n", "apiserver.max-requests-inflight", "greater than or equal to 1"),
    ("nodepools: []\n", "nodepools", "Extra inputs are not permitted"),
])
def test_a_bad_file_names_file_field_and_reason(tmp_path: Path, text: str, field: str, reason: str) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_cluster_config(f)
    msg = str(info.value)
    assert str(f) in msg
    assert f"field '{field}'" in msg
    assert reason in msg


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("name: x\nnode-pools: [\n  - oops: :\n")
    with pytest.raises(ConfigError) as info:
        load_cluster_config(f)
    assert f"{f}:" in str(info.value) and "not valid YAML" in str(info.value)


def test_cli_exits_1_with_a_message_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("node-pools:\n  - name: a\n    count: 1\n    cpu: many\n")
    assert main(["cluster", "up", "--config", str(f)]) == 1
    err = capsys.readouterr().err
    assert "node-pools.0.cpu" in err and str(f.name) in err
    assert "Traceback" not in err


def test_missing_cluster_file_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster", "status", "--config", "does-not-exist.yaml"]) == 1
    assert "does-not-exist.yaml does not exist" in capsys.readouterr().err


def test_quantities() -> None:
    assert parse_quantity("500m") == 0.5
    assert parse_quantity("8Gi") == 8 * 2**30
    assert parse_quantity("1k") == 1000
    assert parse_quantity(4) == 4.0
    with pytest.raises(ValueError):
        parse_quantity("4 cores")


def test_node_manifest_carries_pool_shape_labels_and_taints(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("node-pools:\n  - name: gpu\n    count: 2\n    cpu: '8'\n    memory: 16Gi\n    pods: 30\n"
                 "    labels: {tier: gpu}\n    taints: [{key: dedicated, value: gpu, effect: NoSchedule}]\n")
    pool = load_cluster_config(f).node_pools[0]
    n = node_manifest(pool, 1)
    assert n["metadata"]["name"] == "gpu-1"
    assert n["metadata"]["labels"]["tier"] == "gpu"
    assert n["metadata"]["annotations"]["kwok.x-k8s.io/node"] == "fake"
    assert n["status"]["allocatable"] == {"cpu": "8", "memory": "16Gi", "pods": "30", "ephemeral-storage": "100Gi"}
    assert n["spec"]["taints"] == [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]


def test_kind_backend_without_a_docker_engine_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    from k8sstress.cluster.kind import docker_engine_available

    ok, _why = docker_engine_available()
    if ok:
        pytest.skip("a Docker engine answers on this machine")
    cfg = ROOT / "clusters" / "kind.yaml"
    if not cfg.exists():
        pytest.skip("clusters/kind.yaml not present")
    assert main(["cluster", "up", "--backend", "kind", "--config", str(cfg)]) == 1
    err = capsys.readouterr().err
    assert "Docker engine" in err and "--backend sim" in err


def test_existing_backend_refuses_a_context_not_allowed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cluster", "up", "--backend", "existing", "--context", "prod-eu"]) == 1
    err = capsys.readouterr().err
    assert "refusing to stress kubeconfig context 'prod-eu'" in err
    assert "--allow-context prod-eu" in err
