"""Build and cache the control-plane binaries from the Go module proxy.

Three wrapper modules ship with the package (``gomod/kubernetes``, ``gomod/etcd``,
``gomod/kwok``: go.mod + go.sum pinning exact versions). Each component is built
with ``go install`` into ``<bin root>/<component>-<version>/`` (bin root: the user's
cache dir, or ``K8SSTRESS_BIN_DIR``). A finished directory carries a stamp file; with
all stamps present nothing is rebuilt and no Go command runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from k8sstress.errors import BuildError, EnvironmentProblem
from k8sstress.paths import bin_root, cache_dir

__all__ = ["Component", "COMPONENTS", "KUBERNETES_VERSION", "ETCD_VERSION", "KWOK_VERSION",
           "Binaries", "ensure_binaries", "installed_binaries", "binary_versions"]

KUBERNETES_VERSION = "v1.36.3"
ETCD_VERSION = "v3.6.16"
KWOK_VERSION = "v0.8.0"
GOMOD_DIR = Path(__file__).resolve().parent / "gomod"
STAMP = ".k8sstress-complete"


def _k8s_ldflags(version: str) -> str:
    major, minor = version.lstrip("v").split(".")[:2]
    parts = ["-s", "-w"]
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        parts += [f"-X {pkg}.gitVersion={version}", f"-X {pkg}.gitMajor={major}",
                  f"-X {pkg}.gitMinor={minor}", f"-X {pkg}.gitTreeState=clean",
                  f"-X {pkg}.buildDate=1970-01-01T00:00:00Z"]
    return " ".join(parts)


@dataclass(frozen=True)
class Component:
    name: str
    version: str
    gomod: str
    packages: tuple[str, ...]
    binaries: tuple[str, ...]
    ldflags: str = "-s -w"

    @property
    def directory(self) -> Path:
        return bin_root() / f"{self.name}-{self.version}"

    def is_installed(self) -> bool:
        d = self.directory
        return (d / STAMP).exists() and all((d / b).exists() for b in self.binaries)


COMPONENTS: tuple[Component, ...] = (
    Component("etcd", ETCD_VERSION, "etcd", ("go.etcd.io/etcd/server/v3",), ("etcd",)),
    Component("kwok", KWOK_VERSION, "kwok",
              ("sigs.k8s.io/kwok/cmd/kwok", "sigs.k8s.io/kwok/cmd/kwokctl"), ("kwok", "kwokctl"),
              f"-s -w -X sigs.k8s.io/kwok/pkg/consts.Version={KWOK_VERSION}"),
    Component("kubernetes", KUBERNETES_VERSION, "kubernetes",
              ("k8s.io/kubernetes/cmd/kube-apiserver", "k8s.io/kubernetes/cmd/kube-controller-manager",
               "k8s.io/kubernetes/cmd/kube-scheduler"),
              ("kube-apiserver", "kube-controller-manager", "kube-scheduler"),
              _k8s_ldflags(KUBERNETES_VERSION)),
)


@dataclass(frozen=True)
class Binaries:
    """Paths of every binary the sim backend runs."""

    paths: dict[str, Path]

    def __getitem__(self, name: str) -> Path:
        return self.paths[name]


def installed_binaries() -> Binaries | None:
    if not all(c.is_installed() for c in COMPONENTS):
        return None
    return Binaries({b: c.directory / b for c in COMPONENTS for b in c.binaries})


def _go() -> str:
    go = shutil.which("go")
    if go is None:
        for cand in ("/usr/local/go/bin/go", "/usr/lib/go/bin/go"):
            if os.path.exists(cand):
                return cand
        raise EnvironmentProblem(
            "the Go toolchain (go) is not on PATH; it is needed once to build the control-plane binaries",
            hint="install Go >= 1.26 (https://go.dev/dl or apt-get install golang-go) and rerun "
                 "'k8sstress cluster deps', or point K8SSTRESS_BIN_DIR at a directory of prebuilt binaries")
    return go


def _build(component: Component, go: str, log: Path) -> None:
    target = component.directory
    staging = Path(tempfile.mkdtemp(prefix=f".{component.name}-", dir=bin_root()))
    work = Path(tempfile.mkdtemp(prefix="gomod-", dir=cache_dir()))
    try:
        for f in ("go.mod", "go.sum", "tools.go"):
            shutil.copy(GOMOD_DIR / component.gomod / f, work / f)
        env = dict(os.environ, CGO_ENABLED="0", GOFLAGS="-mod=readonly -buildvcs=false")
        for package, binary in zip(component.packages, component.binaries, strict=True):
            cmd = [go, "build", "-trimpath", "-ldflags", component.ldflags, "-o", str(staging / binary), package]
            with log.open("a") as fh:
                fh.write(f"\n$ (cd {work}) {' '.join(cmd)}\n")
                fh.flush()
                proc = subprocess.run(cmd, cwd=work, env=env, stdout=fh, stderr=subprocess.STDOUT)
            if proc.returncode != 0:
                break
        if proc.returncode != 0:
            tail = log.read_text().splitlines()[-15:]
            raise BuildError(
                f"building {component.name} {component.version} failed (go install exit {proc.returncode}):\n  "
                + "\n  ".join(tail),
                hint=f"full log: {log}. Retry with 'k8sstress cluster deps'; if the module proxy is "
                     "unreachable, check GOPROXY/network; if memory ran out, close other work and retry")
        (staging / STAMP).write_text(json.dumps({"component": component.name, "version": component.version,
                                                  "built_at": time.time()}))
        staging.chmod(0o755)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def ensure_binaries(on_step: Callable[[Component, str], None] | None = None) -> Binaries:
    """Build whatever is missing; with a warm cache returns at once without running go.

    ``on_step(component, state)`` is called with state ``"cached"``, ``"building"``
    or ``"built"`` for progress display.
    """
    found = installed_binaries()
    if found is not None:
        for c in COMPONENTS:
            if on_step:
                on_step(c, "cached")
        return found
    go = _go()
    log = cache_dir() / "deps-build.log"
    log.write_text(f"k8sstress cluster deps, {time.ctime()}\n")
    for c in COMPONENTS:
        if c.is_installed():
            if on_step:
                on_step(c, "cached")
            continue
        if on_step:
            on_step(c, "building")
        _build(c, go, log)
        if on_step:
            on_step(c, "built")
    result = installed_binaries()
    assert result is not None
    return result


def binary_versions(binaries: Binaries) -> dict[str, str]:
    """What each binary says its version is (the first line of ``--version``)."""
    out: dict[str, str] = {}
    for name, path in binaries.paths.items():
        try:
            proc = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=20)
            text = (proc.stdout or proc.stderr).strip().splitlines()
            out[name] = text[0] if text else "?"
        except (OSError, subprocess.TimeoutExpired) as exc:
            out[name] = f"error: {exc}"
    return out
