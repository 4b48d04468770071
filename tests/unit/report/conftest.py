"""Fixtures for the report tests: copies of the hand-made run directories, finalized."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from k8sstress.report import finalize


@pytest.fixture
def copy_run(tmp_path: Path, runs_dir: Path) -> Callable[[str], Path]:
    def copy(name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(runs_dir / name, dst)
        return dst

    return copy


@pytest.fixture(scope="session")
def finalized(tmp_path_factory: pytest.TempPathFactory, runs_dir: Path) -> Callable[[str], Path]:
    """A finalized copy of a fixture run, made once per session."""
    done: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in done:
            dst = tmp_path_factory.mktemp("runs") / name
            shutil.copytree(runs_dir / name, dst)
            finalize(dst)
            done[name] = dst
        return done[name]

    return get
