"""The methodology's maximum: the last staircase step held within the SLOs."""

from __future__ import annotations

from k8sstress.analyze.breaking import max_held
from k8sstress.records import LaunchRecord


def _launches(steps: dict[int, float]) -> list[LaunchRecord]:
    out = []
    for step, rate in steps.items():
        for i, r in enumerate((rate / 2, rate, rate)):  # ramp, then plateau
            out.append(LaunchRecord(launch_id=f"s{step}-{i}", mode="batch", limits="with", template="t",
                                    scheduled_at=float(step * 10 + i), sent_at=float(step * 10 + i),
                                    step=step, rate=r))
    return out


def test_the_step_before_the_first_slo_break_is_the_maximum() -> None:
    held = max_held(_launches({1: 2.0, 2: 4.0, 3: 8.0}), {"step": 3, "at_s": 31.0})
    assert held is not None
    assert (held["step"], held["rate_per_s"], held["broken_at_step"]) == (2, 4.0, 3)


def test_without_a_break_the_highest_step_is_a_lower_bound() -> None:
    held = max_held(_launches({1: 2.0, 2: 4.0, 3: 8.0}), None)
    assert held is not None
    assert (held["step"], held["rate_per_s"]) == (3, 8.0)
    assert "lower bound" in held["why"]


def test_a_break_in_the_first_step_holds_nothing_and_runs_without_steps_have_no_maximum() -> None:
    held = max_held(_launches({1: 2.0, 2: 4.0}), {"step": 1})
    assert held is not None and held["rate_per_s"] is None
    plain = [LaunchRecord(launch_id="x", mode="batch", limits="with", template="t", scheduled_at=0.0, sent_at=0.0)]
    assert max_held(plain, None) is None
