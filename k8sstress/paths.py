"""Where k8sstress keeps things on this machine (all under the user's cache directory)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir", "bin_root", "kwok_workdir", "state_dir", "project_root"]


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    p = Path(base) / "k8sstress"
    p.mkdir(parents=True, exist_ok=True)
    return p


def bin_root() -> Path:
    """Per-version directories of built binaries; ``K8SSTRESS_BIN_DIR`` overrides."""
    env = os.environ.get("K8SSTRESS_BIN_DIR")
    p = Path(env) if env else cache_dir() / "bin"
    p.mkdir(parents=True, exist_ok=True)
    return p


def kwok_workdir() -> Path:
    env = os.environ.get("K8SSTRESS_KWOK_WORKDIR")
    p = Path(env) if env else cache_dir() / "kwok"
    p.mkdir(parents=True, exist_ok=True)
    return p


def state_dir() -> Path:
    p = cache_dir() / "clusters"
    p.mkdir(parents=True, exist_ok=True)
    return p


def project_root() -> Path | None:
    """The source checkout this package runs from, if any (for clusters/, manifests/)."""
    here = Path(__file__).resolve().parent.parent
    return here if (here / "pyproject.toml").exists() else None
