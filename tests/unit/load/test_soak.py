"""The soak profile's maximum: given, or found by an earlier staircase run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from k8sstress.load.profiles import Soak


def test_a_soak_starts_from_the_maximum_an_earlier_run_found(tmp_path: Path) -> None:
    run = tmp_path / "staircase-run"
    run.mkdir()
    (run / "summary.json").write_text(json.dumps({"metrics": {"max_rate_held_per_s": 50.0}}))
    soak = Soak.model_validate({"kind": "soak", "max-from": str(run)})
    assert soak.max_rate == 50.0
    assert soak.rate == 40.0  # 80 % of the maximum
    assert Soak.model_validate({"kind": "soak", "max-from": str(run), "required-rate": 45}).rate == 45.0


def test_a_soak_needs_exactly_one_maximum_and_a_run_that_found_one(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="exactly one of 'max-rate' and 'max-from'"):
        Soak.model_validate({"kind": "soak"})
    with pytest.raises(ValueError, match="exactly one"):
        Soak.model_validate({"kind": "soak", "max-rate": 5, "max-from": str(tmp_path)})
    (tmp_path / "summary.json").write_text(json.dumps({"metrics": {"max_rate_held_per_s": None},
                                                       "breaking_point": {"max_held": None}}))
    with pytest.raises(ValueError, match="has no maximum held"):
        Soak.model_validate({"kind": "soak", "max-from": str(tmp_path)})
