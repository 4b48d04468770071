"""Fixtures for the analysis tests: the hand-made run directories in tests/fixtures/runs/, analysed.

Reading the files is the report package's job (the I/O edge); the analysis under test is pure.
No cluster is involved anywhere here.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pytest

from k8sstress.analyze import Analysis, Options, analyze_full
from k8sstress.report.loading import load_run


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


@pytest.fixture(scope="session")
def analysed() -> Callable[..., Analysis]:
    cache: dict[str, Analysis] = {}

    def get(name: str, options: Options | None = None) -> Analysis:
        if options is not None:
            return analyze_full(load_run(RUNS / name).input, options)
        if name not in cache:
            cache[name] = analyze_full(load_run(RUNS / name).input)
        return cache[name]

    return get
