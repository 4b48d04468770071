from __future__ import annotations

import time
from pathlib import Path

import pytest

from k8sstress.cluster import deps
from k8sstress.errors import EnvironmentProblem


def test_warm_cache_rebuilds_nothing_and_needs_no_go(monkeypatch: pytest.MonkeyPatch) -> None:
    if deps.installed_binaries() is None:
        pytest.skip("binaries not built yet (make test builds them first)")
    monkeypatch.setenv("PATH", "/nonexistent")  # no go toolchain reachable
    states: list[str] = []
    started = time.monotonic()
    binaries = deps.ensure_binaries(lambda c, s: states.append(s))
    assert states == ["cached"] * len(deps.COMPONENTS)
    assert set(binaries.paths) == {"etcd", "kwok", "kwokctl", "kube-apiserver", "kube-controller-manager",
                                   "kube-scheduler"}
    assert time.monotonic() - started < 5


def test_binaries_report_their_true_versions() -> None:
    binaries = deps.installed_binaries()
    if binaries is None:
        pytest.skip("binaries not built yet")
    v = deps.binary_versions(binaries)
    assert v["kube-apiserver"] == f"Kubernetes {deps.KUBERNETES_VERSION}"
    assert v["kube-scheduler"] == f"Kubernetes {deps.KUBERNETES_VERSION}"
    assert v["kube-controller-manager"] == f"Kubernetes {deps.KUBERNETES_VERSION}"
    assert v["etcd"] == f"etcd Version: {deps.ETCD_VERSION.lstrip('v')}"
    assert v["kwok"].startswith(f"kwok version {deps.KWOK_VERSION}")
    assert v["kwokctl"].startswith(f"kwokctl version {deps.KWOK_VERSION}")


def test_cold_cache_without_go_says_what_to_do(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("K8SSTRESS_BIN_DIR", str(tmp_path / "bin"))
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(deps.os.path, "exists", lambda p: False)
    with pytest.raises(EnvironmentProblem) as info:
        deps.ensure_binaries()
    assert "Go toolchain" in info.value.message
    assert "k8sstress cluster deps" in (info.value.hint or "")


def test_wrapper_modules_pin_the_versions_built() -> None:
    k8s = (deps.GOMOD_DIR / "kubernetes" / "go.mod").read_text()
    assert f"require k8s.io/kubernetes {deps.KUBERNETES_VERSION}" in k8s
    assert "k8s.io/client-go => k8s.io/client-go v0" + deps.KUBERNETES_VERSION[2:] in k8s
    assert (deps.GOMOD_DIR / "kubernetes" / "go.sum").stat().st_size > 0
    assert f"go.etcd.io/etcd/server/v3 {deps.ETCD_VERSION}" in (deps.GOMOD_DIR / "etcd" / "go.mod").read_text()
    assert f"sigs.k8s.io/kwok {deps.KWOK_VERSION}" in (deps.GOMOD_DIR / "kwok" / "go.mod").read_text()
