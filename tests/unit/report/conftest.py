"""Fixtures for the report tests: copies of the hand-made run directories, finalized."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from k8sstress.report import finalize


def _fixture_runs() -> Path:
    """tests/fixtures/runs/ (generated into a temporary directory when not checked out)."""
    source = Path(__file__).resolve().parents[2] / "fixtures" / "run_records.py"
    spec = importlib.util.spec_from_file_location("k8sstress_test_run_records", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Path(module.ensure_runs())


RUNS = _fixture_runs()


@pytest.fixture(scope="session")
def runs_dir() -> Path:
    return RUNS


@pytest.fixture
def copy_run(tmp_path: Path) -> Callable[[str], Path]:
    def copy(name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(RUNS / name, dst)
        return dst

    return copy


@pytest.fixture(scope="session")
def finalized(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """A finalized copy of a fixture run, made once per session."""
    done: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in done:
            dst = tmp_path_factory.mktemp("runs") / name
            shutil.copytree(RUNS / name, dst)
            finalize(dst)
            done[name] = dst
        return done[name]

    return get
