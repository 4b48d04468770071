"""Profile shapes, arrivals and time scaling (pure)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from k8sstress.load.durations import format_duration, parse_duration
from k8sstress.load.profiles import PROFILES, Constant, Ramp, Shape, Soak, Spike, Staircase, validate_profile


def test_the_registry_has_the_five_profiles() -> None:
    assert {"constant", "ramp", "staircase", "spike", "soak"} <= set(PROFILES)


@pytest.mark.parametrize("text,seconds", [
    ("30s", 30), ("20m", 1200), ("1h30m", 5400), ("250ms", 0.25), ("1.5h", 5400), (12, 12), ("12", 12),
    ("2d", 172800),
])
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["soon", "10x", "-5", "", "1h-2m", True])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_format_duration() -> None:
    assert format_duration(5400) == "1h30m"
    assert format_duration(0.12) == "120ms"
    assert format_duration(45) == "45s"


def test_staircase_follows_the_methodology_by_default() -> None:
    shape = Staircase(start_rate=10, step_rate=5, steps=3).shape()
    segs = [(s.phase, s.step, s.duration, s.rate_from, s.rate_to) for s in shape.segments]
    assert segs == [
        ("ramp", 1, 1200.0, 0.0, 10.0), ("hold", 1, 3600.0, 10.0, 10.0),
        ("ramp", 2, 900.0, 10.0, 15.0), ("hold", 2, 1800.0, 15.0, 15.0),
        ("ramp", 3, 900.0, 15.0, 20.0), ("hold", 3, 1800.0, 20.0, 20.0),
    ]
    assert shape.duration == 1200 + 3600 + 2 * (900 + 1800)
    steps = shape.steps()
    assert [s["rate"] for s in steps] == [10.0, 15.0, 20.0]
    assert steps[1]["hold_start"] == 1200 + 3600 + 900


def test_staircase_with_explicit_rates_and_times() -> None:
    shape = Staircase(rates=[2, 4, 8], first_ramp=2, first_hold=5, ramp=1, hold=4).shape()
    assert shape.duration == 2 + 5 + 2 * (1 + 4)
    assert shape.peak_rate == 8
    assert shape.rate_at(1.0) == pytest.approx(1.0)  # half-way up the first ramp
    assert shape.rate_at(10.0) == 4.0


def test_staircase_needs_rates() -> None:
    with pytest.raises(ValidationError, match="start-rate"):
        Staircase()


def test_soak_is_80_percent_of_the_maximum_but_not_below_the_requirement() -> None:
    assert Soak(max_rate=100).rate == 80
    assert Soak(max_rate=100, required_rate=90).rate == 90
    shape = Soak(max_rate=100).shape()
    assert shape.duration == 10 * 60 + 12 * 3600
    assert shape.segments[-1].rate_to == 80


def test_spike_shape() -> None:
    shape = Spike(base_rate=1, spike_rate=20, duration=30, spike_at=10, spike_duration=5).shape()
    assert shape.rate_at(5) == 1
    assert shape.rate_at(12) == 20
    assert shape.rate_at(20) == 1
    assert shape.expected_launches == pytest.approx(25 * 1 + 5 * 20)
    with pytest.raises(ValidationError, match="within 'duration'"):
        Spike(base_rate=1, spike_rate=20, duration=10, spike_at=8, spike_duration=5)


def test_constant_by_count() -> None:
    shape = Constant(rate=4, launches=10).shape()
    assert shape.duration == 2.5
    assert len(list(shape.arrivals())) == 10
    with pytest.raises(ValidationError, match="exactly one"):
        Constant(rate=4)


def test_uniform_arrivals_are_evenly_spaced_midpoints() -> None:
    arrivals = list(Constant(rate=10, duration=1).shape().arrivals())
    assert [round(a.at, 6) for a in arrivals] == [round(0.05 + 0.1 * i, 6) for i in range(10)]
    assert all(a.rate == 10 for a in arrivals)


def test_ramp_arrivals_follow_the_integrated_rate() -> None:
    shape = Ramp(from_rate=0, to_rate=10, duration=10).shape()
    arrivals = list(shape.arrivals())
    assert len(arrivals) == 50  # the integral of the rate
    gaps = [b.at - a.at for a, b in zip(arrivals, arrivals[1:], strict=False)]
    assert gaps[0] > gaps[-1]  # denser as the rate rises
    for a in arrivals:  # the k-th arrival is where the integral reaches k + 0.5
        assert 0.5 * a.at * a.at * 1.0 == pytest.approx(a.index + 0.5, rel=1e-6)


def test_poisson_arrivals_have_the_right_mean_and_are_reproducible() -> None:
    shape = Constant(rate=100, duration=100).shape()
    a1 = [a.at for a in shape.arrivals("poisson", seed=7)]
    a2 = [a.at for a in shape.arrivals("poisson", seed=7)]
    assert a1 == a2
    assert 9500 < len(a1) < 10500
    assert a1 == sorted(a1)


def test_arrivals_carry_the_staircase_step() -> None:
    shape = Staircase(rates=[2, 4], first_ramp=1, first_hold=2, ramp=1, hold=2).shape()
    steps = {a.step for a in shape.arrivals()}
    assert steps == {1, 2}
    last = list(shape.arrivals())[-1]
    assert last.step == 2 and last.phase == "hold"


def test_time_scale_compresses_durations_and_keeps_rates() -> None:
    shape = Staircase(start_rate=5, steps=2).shape()
    fast = shape.scaled(0.01)
    assert fast.duration == pytest.approx(shape.duration * 0.01)
    assert [s.rate_to for s in fast.segments] == [s.rate_to for s in shape.segments]
    assert fast.expected_launches == pytest.approx(shape.expected_launches * 0.01)
    with pytest.raises(ValueError):
        shape.scaled(0)


def test_zero_length_pieces_are_dropped() -> None:
    shape = Shape.build([(0, 0, 1, "ramp", 0), (5, 1, 1, "hold", 0)])
    assert len(shape.segments) == 1


def test_validate_profile_by_kind() -> None:
    p = validate_profile({"kind": "ramp", "to-rate": 5, "duration": "1m"})
    assert isinstance(p, Ramp) and p.duration == 60
    with pytest.raises(ValueError, match="unknown profile kind"):
        validate_profile({"kind": "zigzag"})
