"""Fixtures for the analysis tests: the hand-made run directories in tests/fixtures/runs/, analysed.

Reading the files is the report package's job (the I/O edge); the analysis under test is pure.
No cluster is involved anywhere here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from k8sstress.analyze import Analysis, Options, analyze_full
from k8sstress.report.loading import load_run


@pytest.fixture(scope="session")
def analysed(runs_dir: Path) -> Callable[..., Analysis]:
    cache: dict[str, Analysis] = {}

    def get(name: str, options: Options | None = None) -> Analysis:
        if options is not None:
            return analyze_full(load_run(runs_dir / name).input, options)
        if name not in cache:
            cache[name] = analyze_full(load_run(runs_dir / name).input)
        return cache[name]

    return get
