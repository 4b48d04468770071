"""The ``kind`` backend: drives the kind CLI for users with a Docker engine.

Cluster shapes are ``clusters/kind-*.yaml`` (kind's own Cluster format, with kubelet
reserved resources, max-pods and evictionHard set so exhaustion is reachable on a
laptop). This machine class has no Docker engine; ``up`` then fails with a clear error.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from k8sstress.cluster.backends import ClusterInfo, forget_state, load_state, register, save_state
from k8sstress.cluster.config import ClusterConfig
from k8sstress.errors import ClusterError, ConfigError, EnvironmentProblem
from k8sstress.paths import state_dir

__all__ = ["KindBackend", "docker_engine_available"]


def docker_engine_available() -> tuple[bool, str]:
    """Whether a Docker engine answers (the docker CLI alone is not enough)."""
    docker = shutil.which("docker")
    if docker is None:
        return False, "the docker CLI is not installed"
    try:
        proc = subprocess.run([docker, "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True,
                              timeout=15)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"docker info failed: {exc}"
    if proc.returncode != 0 or not proc.stdout.strip():
        msg = (proc.stderr or proc.stdout).strip().splitlines()
        return False, msg[-1] if msg else "docker info failed"
    return True, proc.stdout.strip()


class KindBackend:
    name = "kind"

    def kubeconfig_path(self, name: str) -> Path:
        return state_dir() / f"{name}.kind.kubeconfig"

    def _kind(self) -> str:
        kind = shutil.which("kind")
        if kind is None:
            raise EnvironmentProblem("the kind CLI is not on PATH",
                                     hint="go install sigs.k8s.io/kind@v0.31.0, or use --backend sim")
        return kind

    def up(self, config: ClusterConfig, *, on_progress: Callable[[str, int, int], None] | None = None,
           wait_s: float = 300) -> ClusterInfo:
        if not config.kind_config:
            raise ConfigError("backend kind needs 'kind-config' (a clusters/kind-*.yaml file)",
                              path=config.source, field="kind-config")
        base = Path(config.source).parent if config.source else Path.cwd()
        kind_file = (base / config.kind_config).resolve()
        if not kind_file.exists():
            raise ConfigError(f"kind config {kind_file} does not exist", path=config.source, field="kind-config")
        ok, why = docker_engine_available()
        if not ok:
            raise EnvironmentProblem(
                f"the kind backend needs a running Docker engine, and none answers here ({why})",
                hint="start Docker (or use a machine with one), or use the default backend: --backend sim")
        kind = self._kind()
        kubeconfig = self.kubeconfig_path(config.name)
        cmd = [kind, "create", "cluster", "--name", config.name, "--config", str(kind_file),
               "--kubeconfig", str(kubeconfig), "--wait", f"{int(wait_s)}s"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise ClusterError(f"kind create cluster failed: {proc.stderr.strip()[-2000:]}")
        info = ClusterInfo(backend="kind", name=config.name, kubeconfig=str(kubeconfig), running=True,
                           config_file=config.source)
        save_state(info)
        return info

    def down(self, name: str) -> None:
        kind = shutil.which("kind")
        if kind is not None:
            subprocess.run([kind, "delete", "cluster", "--name", name], capture_output=True, text=True)
        self.kubeconfig_path(name).unlink(missing_ok=True)
        forget_state(name)

    def status(self, name: str) -> ClusterInfo:
        info = load_state(name) or ClusterInfo(backend="kind", name=name, kubeconfig=str(self.kubeconfig_path(name)))
        kind = shutil.which("kind")
        if kind is None:
            info.running = False
            return info
        proc = subprocess.run([kind, "get", "clusters"], capture_output=True, text=True)
        info.running = name in proc.stdout.split()
        return info


register("kind")(KindBackend)
