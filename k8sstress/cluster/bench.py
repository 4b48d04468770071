"""Cluster benchmarks: cold/warm binary provisioning, `up` to all nodes Ready, and the
baseline pod-creation rate of a plain Python client loop (what later issues compare to)."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from k8sstress.cluster import deps
from k8sstress.cluster.config import ClusterConfig
from k8sstress.cluster.sim import SimBackend
from k8sstress.kube import ApiError, Kube

__all__ = ["bench_up", "bench_plain_pod_loop"]


def bench_up(config: ClusterConfig, keep: bool = False,
             on_progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """Time ``cluster up`` to all nodes Ready (binaries must be cached: a warm up)."""
    t0 = time.monotonic()
    deps.ensure_binaries()
    t_deps = time.monotonic() - t0
    backend = SimBackend()
    t1 = time.monotonic()
    info = backend.up(config, on_progress=on_progress, wait_s=600)
    t_up = time.monotonic() - t1
    result = {"cluster": config.name, "nodes": info.nodes_total, "nodes_ready": info.nodes_ready,
              "deps_warm_s": round(t_deps, 3), "up_to_ready_s": round(t_up, 2), "kubeconfig": info.kubeconfig}
    if not keep:
        t2 = time.monotonic()
        backend.down(config.name)
        result["down_s"] = round(time.monotonic() - t2, 2)
    return result


def bench_plain_pod_loop(kubeconfig: str, pods: int = 2000, workers: int = 8,
                         namespace: str = "bench-plain") -> dict[str, Any]:
    """Pods created per second by a plain kubernetes-client loop (CoreV1Api, models), ``workers`` threads."""
    kube = Kube(kubeconfig)
    try:
        kube.create("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    except ApiError as exc:
        if exc.status != 409:
            raise
    deadline = time.monotonic() + 60
    while True:
        try:
            kube.get(f"/api/v1/namespaces/{namespace}/serviceaccounts/default")
            break
        except ApiError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    core = kube.core
    from kubernetes import client as k8s

    def make(i: int) -> None:
        body = k8s.V1Pod(metadata=k8s.V1ObjectMeta(generate_name="plain-", labels={"bench": "plain"}),
                         spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="c", image="busybox")]))
        core.create_namespaced_pod(namespace, body)

    t0 = time.monotonic()
    with ThreadPoolExecutor(workers) as ex:
        list(ex.map(make, range(pods)))
    elapsed = time.monotonic() - t0
    kube.delete(f"/api/v1/namespaces/{namespace}")
    return {"pods": pods, "workers": workers, "elapsed_s": round(elapsed, 2),
            "pods_per_s": round(pods / elapsed, 1)}
