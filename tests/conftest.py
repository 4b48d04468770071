"""Shared test fixtures.

Integration tests run against ONE real sim cluster per test session (a real
kube-apiserver with KWOK nodes), with a namespace per test. Set
``K8SSTRESS_TEST_KUBECONFIG`` to reuse a cluster that is already up (handy while
developing); otherwise the session brings one up and tears it down at the end.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from k8sstress.kube import ApiError, Kube

ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


class SimCluster:
    def __init__(self, name: str, kubeconfig: str, owned: bool) -> None:
        self.name = name
        self.kubeconfig = kubeconfig
        self.owned = owned
        self.kube = Kube(kubeconfig)


@pytest.fixture(scope="session")
def runs_dir() -> Path:
    """tests/fixtures/runs/: hand-made run directories (generated into a temp dir when not checked out)."""
    import importlib.util

    source = ROOT / "tests" / "fixtures" / "run_records.py"
    spec = importlib.util.spec_from_file_location("k8sstress_test_run_records", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Path(module.ensure_runs())


@pytest.fixture(scope="session")
def sim_cluster() -> Iterator[SimCluster]:
    reuse = os.environ.get("K8SSTRESS_TEST_KUBECONFIG")
    if reuse:
        yield SimCluster("reused", reuse, owned=False)
        return
    from k8sstress.cluster.config import ClusterConfig, NodePool
    from k8sstress.cluster.sim import SimBackend

    name = f"kst-{os.getpid()}"
    config = ClusterConfig.model_validate({
        "name": name,
        "node-pools": [NodePool(name="small", count=3, cpu="4", memory="8Gi", pods=110).model_dump(by_alias=True)],
        "controller-manager": {"node-monitor-grace-period": "20s"},
    })
    backend = SimBackend()
    info = backend.up(config, wait_s=180)
    try:
        yield SimCluster(name, info.kubeconfig, owned=True)
    finally:
        backend.down(name)


@pytest.fixture(scope="session")
def kube(sim_cluster: SimCluster) -> Kube:
    return sim_cluster.kube


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.2,
             what: str = "condition") -> object:
    """Poll until ``predicate()`` is truthy; fail the test with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


@pytest.fixture
def namespace(kube: Kube, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace for one test, with its default service account ready."""
    base = re.sub(r"[^a-z0-9-]", "-", request.node.name.lower())[:40].strip("-")
    ns = f"{base}-{uuid.uuid4().hex[:5]}"
    kube.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})

    def sa_ready() -> bool:
        try:
            kube.get(f"/api/v1/namespaces/{ns}/serviceaccounts/default")
            return True
        except ApiError:
            return False

    wait_for(sa_ready, 30, what=f"service account default in {ns}")
    yield ns
    try:
        kube.delete(f"/api/v1/namespaces/{ns}")
    except ApiError:
        pass


@pytest.fixture
def make_node(kube: Kube) -> Iterator[Callable[..., str]]:
    """Create a dedicated simulated node for one test (tainted so only that test's pods land there)."""
    created: list[str] = []

    def make(cpu: str = "4", memory: str = "8Gi", pods: int = 110, taint_key: str | None = None) -> str:
        from k8sstress.cluster.config import NodePool, Taint
        from k8sstress.cluster.sim import node_manifest

        name = f"dedicated-{uuid.uuid4().hex[:6]}"
        key = taint_key or f"k8sstress.io/dedicated-{name}"
        pool = NodePool(name=name, count=1, cpu=cpu, memory=memory, pods=pods,
                        labels={"k8sstress.io/dedicated": name},
                        taints=[Taint(key=key, value="", effect="NoSchedule")])
        manifest = node_manifest(pool, 0)
        manifest["metadata"]["name"] = name
        manifest["metadata"]["labels"]["kubernetes.io/hostname"] = name
        kube.create("/api/v1/nodes", manifest)
        created.append(name)

        def ready() -> bool:
            node = kube.get(f"/api/v1/nodes/{name}")
            return any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"].get("conditions") or [])

        wait_for(ready, 30, what=f"node {name} Ready")
        return name

    yield make
    for name in created:
        try:
            kube.delete(f"/api/v1/nodes/{name}")
        except ApiError:
            pass


def dedicated_spec(node: str) -> dict[str, object]:
    """Pod spec fields that pin a pod to a node made by ``make_node``."""
    return {
        "nodeSelector": {"k8sstress.io/dedicated": node},
        "tolerations": [{"key": f"k8sstress.io/dedicated-{node}", "operator": "Exists", "effect": "NoSchedule"}],
    }
