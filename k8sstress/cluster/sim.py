"""The ``sim`` backend: a real control plane with KWOK nodes, run by kwokctl's binary runtime.

kube-apiserver, kube-controller-manager, kube-scheduler and etcd are the real
binaries (built by :mod:`k8sstress.cluster.deps`); nodes are Node objects created
through the API and kept Ready by the kwok controller (``--manage-all-nodes``).
Clusters live under ``<cache>/kwok/clusters/<name>``; ``down`` stops every process,
waits for them to exit and removes that directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from k8sstress.cluster import deps
from k8sstress.cluster.backends import ClusterInfo, forget_state, load_state, register, save_state
from k8sstress.cluster.config import ClusterConfig, NodePool
from k8sstress.errors import ClusterError, EnvironmentProblem
from k8sstress.kube import ApiError, Kube
from k8sstress.paths import cache_dir, kwok_workdir
from k8sstress.records import RawObject

__all__ = ["SimBackend", "node_manifest", "count_ready"]

POOL_LABEL = "k8sstress.io/pool"
STAGES_FILE = Path(__file__).resolve().parent / "kwok-stages.yaml"
"""KWOK stages for the sim cluster (owned by the pressure model's design); kwokctl's
defaults are used when absent. Giving any stage replaces all default stages."""
SIM_NODE_ANNOTATION = "kwok.x-k8s.io/node"


def node_manifest(pool: NodePool, index: int) -> RawObject:
    """The Node object for one simulated node of a pool."""
    name = f"{pool.name}-{index}"
    resources = {"cpu": pool.cpu, "memory": pool.memory, "pods": str(pool.pods),
                 "ephemeral-storage": pool.ephemeral_storage}
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
              "type": "kwok", POOL_LABEL: pool.name, **pool.labels}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {SIM_NODE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0",
                            "k8sstress.io/eviction-hard-memory": pool.eviction_hard_memory},
        },
        "spec": {"taints": [t.model_dump() for t in pool.taints]} if pool.taints else {},
        "status": {"allocatable": dict(resources), "capacity": dict(resources),
                   "nodeInfo": {"kubeletVersion": "fake", "operatingSystem": "linux", "architecture": "amd64"}},
    }


def count_ready(nodes: list[RawObject]) -> int:
    n = 0
    for node in nodes:
        for c in node.get("status", {}).get("conditions") or []:
            if c.get("type") == "Ready" and c.get("status") == "True":
                n += 1
    return n


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SimBackend:
    name = "sim"

    def _env(self) -> dict[str, str]:
        return dict(os.environ, KWOK_WORKDIR=str(kwok_workdir()))

    def _cluster_dir(self, name: str) -> Path:
        return kwok_workdir() / "clusters" / name

    def kubeconfig_path(self, name: str) -> Path:
        return self._cluster_dir(name) / "kubeconfig.yaml"

    def _kwokctl(self, binaries: deps.Binaries, args: list[str], log: Path, timeout: float) -> None:
        cmd = [str(binaries["kwokctl"]), *args]
        with log.open("a") as fh:
            fh.write(f"$ {' '.join(cmd)}\n")
            fh.flush()
            try:
                proc = subprocess.run(cmd, env=self._env(), stdout=fh, stderr=subprocess.STDOUT, timeout=timeout)
            except subprocess.TimeoutExpired as exc:
                raise ClusterError(f"kwokctl {args[0]} {args[1]} timed out after {timeout:.0f}s",
                                   hint=f"see {log}") from exc
        if proc.returncode != 0:
            tail = "\n  ".join(log.read_text().splitlines()[-8:])
            raise ClusterError(f"kwokctl {' '.join(args[:2])} failed (exit {proc.returncode}):\n  {tail}",
                               hint=f"full log: {log}; component logs under {self._cluster_dir(args[3] if len(args) > 3 else '')}/logs")

    def up(self, config: ClusterConfig, *, on_progress: Callable[[str, int, int], None] | None = None,
           wait_s: float = 300) -> ClusterInfo:
        progress = on_progress or (lambda _s, _d, _t: None)
        progress("control-plane binaries", 0, 1)
        binaries = deps.ensure_binaries()
        progress("control-plane binaries", 1, 1)
        name = config.name
        if self._cluster_dir(name).exists():
            existing = load_state(name)
            if existing is not None and self._alive(name):
                raise ClusterError(f"sim cluster {name!r} is already up (kubeconfig {existing.kubeconfig})",
                                   hint=f"use it, or run 'k8sstress cluster down --name {name}' first")
            self.down(name)  # a stale directory from a crashed run
        log = cache_dir() / f"cluster-{name}.log"
        log.write_text("")
        args = ["create", "cluster", "--name", name, "--runtime", "binary", "--kubeconfig", "",
                "--kube-apiserver-binary", str(binaries["kube-apiserver"]),
                "--kube-controller-manager-binary", str(binaries["kube-controller-manager"]),
                "--kube-scheduler-binary", str(binaries["kube-scheduler"]),
                "--kwok-controller-binary", str(binaries["kwok"]),
                "--etcd-binary", str(binaries["etcd"]),
                "--kube-admission=true", "--kube-authorization=true",
                "--disable-qps-limits",
                "--wait", "120s",
                "--extra-args", f"kube-apiserver=max-requests-inflight={config.apiserver.max_requests_inflight}",
                "--extra-args",
                f"kube-apiserver=max-mutating-requests-inflight={config.apiserver.max_mutating_requests_inflight}",
                "--extra-args",
                f"kube-controller-manager=node-monitor-grace-period={config.controller_manager.node_monitor_grace_period}",
                # one instance of each: no leader election, so an apiserver restart does not make
                # them exit (on a real node the kubelet would restart them; nothing does here)
                "--extra-args", "kube-scheduler=leader-elect=false",
                "--extra-args", "kube-controller-manager=leader-elect=false",
                ]
        if STAGES_FILE.exists():
            args += ["--config", str(STAGES_FILE)]
        for k, v in config.apiserver.extra_args.items():
            args += ["--extra-args", f"kube-apiserver={k}={v}"]
        for k, v in config.controller_manager.extra_args.items():
            args += ["--extra-args", f"kube-controller-manager={k}={v}"]
        prometheus_url = None
        if config.prometheus.enabled:
            prom = shutil.which("prometheus")
            if prom is None:
                raise EnvironmentProblem(
                    "prometheus is enabled in the cluster file but no prometheus binary is on PATH",
                    hint="apt-get install prometheus (Debian), or set prometheus.enabled: false")
            port = config.prometheus.port or _free_port()
            if not _port_free(port):
                raise EnvironmentProblem(f"port {port} for Prometheus is in use",
                                         hint="choose another prometheus.port, or 0 for a free one")
            args += ["--prometheus-port", str(port), "--prometheus-binary", prom]
            prometheus_url = f"http://127.0.0.1:{port}"
        progress("control plane", 0, 1)
        try:
            self._kwokctl(binaries, args, log, timeout=240)
        except ClusterError:
            self.down(name)
            raise
        progress("control plane", 1, 1)
        kubeconfig = str(self.kubeconfig_path(name))
        info = ClusterInfo(backend="sim", name=name, kubeconfig=kubeconfig, nodes_total=config.nodes_total,
                           running=True, config_file=config.source, prometheus_url=prometheus_url,
                           details={"versions": {"kubernetes": deps.KUBERNETES_VERSION, "etcd": deps.ETCD_VERSION,
                                                 "kwok": deps.KWOK_VERSION}})
        save_state(info)
        try:
            kube = Kube(kubeconfig)
            self._create_nodes(kube, config, progress)
            info.nodes_ready = self._wait_ready(kube, config.nodes_total, progress, wait_s)
            self._wait_default_sa(kube, wait_s)
        except BaseException:
            self.down(name)
            raise
        save_state(info)
        return info

    def _create_nodes(self, kube: Kube, config: ClusterConfig, progress: Callable[[str, int, int], None]) -> None:
        manifests = [node_manifest(pool, i) for pool in config.node_pools for i in range(pool.count)]
        done = 0
        total = len(manifests)
        progress("nodes created", 0, total)

        def create(m: RawObject) -> None:
            try:
                kube.create("/api/v1/nodes", m)
            except ApiError as exc:
                if exc.status != 409:
                    raise

        with ThreadPoolExecutor(max_workers=16) as pool:
            for _ in pool.map(create, manifests):
                done += 1
                if done % 10 == 0 or done == total:
                    progress("nodes created", done, total)

    def _wait_ready(self, kube: Kube, total: int, progress: Callable[[str, int, int], None], wait_s: float) -> int:
        deadline = time.monotonic() + wait_s
        ready = 0
        while True:
            nodes = kube.get("/api/v1/nodes")["items"]
            ready = count_ready(nodes)
            progress("nodes Ready", ready, total)
            if ready >= total:
                return ready
            if time.monotonic() > deadline:
                raise ClusterError(f"only {ready}/{total} nodes became Ready within {wait_s:.0f}s")
            time.sleep(0.5)

    def _wait_default_sa(self, kube: Kube, wait_s: float) -> None:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                kube.get("/api/v1/namespaces/default/serviceaccounts/default")
                return
            except ApiError as exc:
                if exc.status != 404 or time.monotonic() > deadline:
                    raise
            time.sleep(0.2)

    def restart_component(self, name: str, component: str = "kube-apiserver", down_s: float = 0.0,
                          wait_s: float = 60) -> int:
        """Kill one control-plane process and start it again with the same arguments.

        What an apiserver restart looks like to clients: every watch breaks, and the new
        watch cache starts at the current resourceVersion (older versions get 410 Gone).
        Returns the new pid (also written to the cluster's pid file, so ``down`` stops it).
        """
        import yaml

        cdir = self._cluster_dir(name)
        docs = list(yaml.safe_load_all((cdir / "kwok.yaml").read_text()))
        spec = next((c for d in docs if d for c in d.get("components") or [] if c.get("name") == component), None)
        if spec is None:
            raise ClusterError(f"cluster {name!r} has no component {component!r}")
        pid_file = cdir / "pids" / f"{component}.pid"
        old = int(pid_file.read_text().strip())
        if self._running(old):
            os.kill(old, signal.SIGTERM)
            deadline = time.monotonic() + 20
            while self._running(old) and time.monotonic() < deadline:
                time.sleep(0.05)
        if down_s:
            time.sleep(down_s)
        with (cdir / "logs" / f"{component}.log").open("a") as logf:
            proc = subprocess.Popen([spec["binary"], *spec.get("args", [])], cwd=spec.get("workDir") or cdir,
                                    stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        pid_file.write_text(str(proc.pid))
        if component == "kube-apiserver":
            kube = Kube(str(self.kubeconfig_path(name)))
            deadline = time.monotonic() + wait_s
            while True:
                try:
                    kube.get("/version")
                    break
                except ClusterError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise ClusterError(f"{component} did not come back within {wait_s:.0f}s") from None
                    time.sleep(0.2)
        return proc.pid

    def _pids(self, name: str) -> list[int]:
        pids = []
        d = self._cluster_dir(name) / "pids"
        for f in d.glob("*.pid") if d.exists() else []:
            try:
                pids.append(int(f.read_text().strip()))
            except ValueError:
                continue
        return pids

    @staticmethod
    def _running(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        try:  # a zombie is gone for our purposes
            with open(f"/proc/{pid}/stat") as fh:
                return fh.read().split()[2] != "Z"
        except OSError:
            return False

    def _alive(self, name: str) -> bool:
        return any(self._running(p) for p in self._pids(name))

    def down(self, name: str) -> None:
        pids = self._pids(name)
        state = load_state(name)
        helper = state.details.get("pressure_pid") if state else None
        if isinstance(helper, int) and self._running(helper):
            try:  # the pressure model started with the cluster (SIGTERM: it stops cleanly)
                os.kill(helper, signal.SIGTERM)
            except ProcessLookupError:
                pass
            pids.append(helper)
        cdir = self._cluster_dir(name)
        binaries = deps.installed_binaries()
        if cdir.exists() and binaries is not None:
            log = cache_dir() / f"cluster-{name}.log"
            try:
                self._kwokctl(binaries, ["delete", "cluster", "--name", name, "--kubeconfig",
                                         str(cache_dir() / "no-kubeconfig")], log, timeout=60)
            except ClusterError:
                pass  # fall through to killing what is left
        deadline = time.monotonic() + 20
        while any(self._running(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        for p in pids:
            if self._running(p):
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        shutil.rmtree(cdir, ignore_errors=True)
        forget_state(name)

    def status(self, name: str) -> ClusterInfo:
        info = load_state(name)
        kubeconfig = self.kubeconfig_path(name)
        if info is None:
            info = ClusterInfo(backend="sim", name=name, kubeconfig=str(kubeconfig))
        info.running = self._alive(name)
        if info.running:
            try:
                nodes = Kube(str(kubeconfig)).get("/api/v1/nodes")["items"]
                info.nodes_total = len(nodes)
                info.nodes_ready = count_ready(nodes)
            except ClusterError as exc:
                info.details["error"] = exc.message
        else:
            info.nodes_ready = 0
        return info


register("sim")(SimBackend)
