"""Load profiles: how the launch rate changes over a run, and the arrival times it gives.

Pure functions over plain values; no I/O, no clock. A profile (a pydantic model,
written in a scenario's ``profile:`` section) describes its :class:`Shape`: a list of
linear :class:`Segment` pieces of launch rate (launches/s) over time. ``Shape.scaled``
compresses every duration by the run's time scale (rates are kept, so a scaled run
sends proportionally fewer launches), and ``Shape.arrivals`` turns it into
open-model arrival times, evenly spaced or Poisson.

Profiles register themselves in :data:`PROFILES` with :func:`register_profile`::

    constant   a fixed rate for a duration (or a number of launches)
    ramp       linear from one rate to another, then an optional hold
    staircase  the maximum-performance search: step 1 ramps 20 min and holds 60 min,
               each later step ramps 15 min and holds 30 min, each step a higher rate
    spike      a base rate with one burst at a higher rate
    soak       the reliability test: 12 h at 80% of a given maximum (never below the
               required rate)
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from k8sstress.load.durations import Duration

__all__ = [
    "Segment",
    "Shape",
    "Arrival",
    "ProfileSpec",
    "PROFILES",
    "register_profile",
    "validate_profile",
    "Constant",
    "Ramp",
    "Staircase",
    "Spike",
    "Soak",
]


@dataclass(frozen=True)
class Segment:
    """The rate goes linearly from ``rate_from`` to ``rate_to`` over ``[start, start + duration)``."""

    start: float
    duration: float
    rate_from: float
    rate_to: float
    phase: str = "hold"
    """"ramp", "hold", "base", "spike"."""
    step: int = 0
    """1-based step of a staircase (0 for profiles without steps)."""

    @property
    def end(self) -> float:
        return self.start + self.duration

    def rate_at(self, t: float) -> float:
        if self.duration <= 0:
            return self.rate_to
        f = min(1.0, max(0.0, (t - self.start) / self.duration))
        return self.rate_from + (self.rate_to - self.rate_from) * f

    @property
    def launches(self) -> float:
        """The expected number of launches in this segment (the integral of the rate)."""
        return (self.rate_from + self.rate_to) / 2.0 * self.duration

    def time_for(self, count: float) -> float:
        """Seconds into the segment at which ``count`` launches (0 <= count <= launches) are due."""
        a = self.rate_from
        b = (self.rate_to - self.rate_from) / self.duration if self.duration > 0 else 0.0
        disc = a * a + 2.0 * b * count
        denom = a + math.sqrt(max(0.0, disc))
        if denom <= 0:
            return self.duration
        return min(self.duration, 2.0 * count / denom)


@dataclass(frozen=True)
class Arrival:
    """One planned launch: ``at`` seconds after the run's start, at the profile's ``rate`` then."""

    index: int
    at: float
    rate: float
    phase: str
    step: int


@dataclass(frozen=True)
class Shape:
    """A profile's rate over time: consecutive linear segments starting at 0."""

    segments: tuple[Segment, ...]

    @staticmethod
    def build(pieces: list[tuple[float, float, float, str, int]]) -> Shape:
        """From ``(duration, rate_from, rate_to, phase, step)`` pieces; zero-length pieces are dropped."""
        t = 0.0
        segs = []
        for duration, r0, r1, phase, step in pieces:
            if duration <= 0:
                continue
            segs.append(Segment(t, duration, r0, r1, phase, step))
            t += duration
        return Shape(tuple(segs))

    @property
    def duration(self) -> float:
        return self.segments[-1].end if self.segments else 0.0

    @property
    def expected_launches(self) -> float:
        return sum(s.launches for s in self.segments)

    @property
    def peak_rate(self) -> float:
        return max((max(s.rate_from, s.rate_to) for s in self.segments), default=0.0)

    def segment_at(self, t: float) -> Segment | None:
        for s in self.segments:
            if s.start <= t < s.end:
                return s
        return None

    def rate_at(self, t: float) -> float:
        s = self.segment_at(t)
        return s.rate_at(t) if s else 0.0

    def scaled(self, factor: float) -> Shape:
        """Every duration multiplied by ``factor`` (the run's ``--time-scale``); rates kept."""
        if factor <= 0:
            raise ValueError("the time scale must be > 0")
        return Shape(tuple(replace(s, start=s.start * factor, duration=s.duration * factor)
                           for s in self.segments))

    def steps(self) -> list[dict[str, Any]]:
        """One entry per staircase step (or per segment for other profiles), for run.json."""
        out: dict[int, dict[str, Any]] = {}
        for s in self.segments:
            key = s.step
            e = out.setdefault(key, {"step": s.step, "start": s.start, "end": s.end, "rate": s.rate_to,
                                     "hold_start": None})
            e["end"] = s.end
            e["rate"] = s.rate_to
            if s.phase == "hold" and e["hold_start"] is None:
                e["hold_start"] = s.start
        return list(out.values())

    def arrivals(self, mode: Literal["uniform", "poisson"] = "uniform", seed: int = 0) -> Iterator[Arrival]:
        """Arrival times in order. ``uniform``: the k-th launch when the cumulative rate
        reaches k + 0.5; ``poisson``: an inhomogeneous Poisson process (time rescaling)."""
        rng = random.Random(seed)

        def next_gap() -> float:
            return rng.expovariate(1.0) if mode == "poisson" else 1.0

        target = 0.5 if mode == "uniform" else next_gap()
        done = 0.0  # launches integrated before the current segment
        index = 0
        for seg in self.segments:
            total = seg.launches
            while target - done <= total:
                tau = seg.time_for(target - done)
                t = seg.start + tau
                if t >= seg.end and seg is not self.segments[-1]:
                    break
                yield Arrival(index, t, seg.rate_at(t), seg.phase, seg.step)
                index += 1
                target += next_gap()
            done += total


class ProfileSpec(BaseModel):
    """Base of the profile models; ``kind`` selects one in :data:`PROFILES`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              alias_generator=lambda name: name.replace("_", "-"))

    kind: str

    def shape(self) -> Shape:  # pragma: no cover - every profile overrides it
        raise NotImplementedError


PROFILES: dict[str, type[ProfileSpec]] = {}
"""The profile registry: ``kind`` -> model class."""


def register_profile(kind: str) -> Callable[[type[ProfileSpec]], type[ProfileSpec]]:
    def deco(cls: type[ProfileSpec]) -> type[ProfileSpec]:
        PROFILES[kind] = cls
        return cls
    return deco


def validate_profile(value: object) -> ProfileSpec:
    """A profile model from a scenario's ``profile:`` mapping (raises pydantic errors)."""
    if isinstance(value, ProfileSpec):
        return value
    if not isinstance(value, dict):
        raise ValueError("expected a mapping with a 'kind' (one of: " + ", ".join(sorted(PROFILES)) + ")")
    kind = value.get("kind")
    cls = PROFILES.get(str(kind)) if kind is not None else None
    if cls is None:
        raise ValueError(f"unknown profile kind {kind!r}; choose one of: {', '.join(sorted(PROFILES))}")
    return cls.model_validate(value)


Rate = float


@register_profile("constant")
class Constant(ProfileSpec):
    """``rate`` launches/s for ``duration`` (or until ``launches`` have been sent)."""

    kind: Literal["constant"] = "constant"
    rate: Rate = Field(gt=0)
    duration: Duration | None = None
    launches: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _one_length(self) -> Constant:
        if (self.duration is None) == (self.launches is None):
            raise ValueError("give exactly one of 'duration' and 'launches'")
        return self

    def shape(self) -> Shape:
        duration = self.duration if self.duration is not None else (self.launches or 0) / self.rate
        return Shape.build([(duration, self.rate, self.rate, "hold", 0)])


@register_profile("ramp")
class Ramp(ProfileSpec):
    """Linear from ``from-rate`` to ``to-rate`` over ``duration``, then ``hold`` at ``to-rate``."""

    kind: Literal["ramp"] = "ramp"
    from_rate: Rate = Field(default=0.0, ge=0)
    to_rate: Rate = Field(gt=0)
    duration: Duration = Field(gt=0)
    hold: Duration = 0.0

    def shape(self) -> Shape:
        return Shape.build([(self.duration, self.from_rate, self.to_rate, "ramp", 0),
                            (self.hold, self.to_rate, self.to_rate, "hold", 0)])


@register_profile("staircase")
class Staircase(ProfileSpec):
    """The maximum-performance search (methodology.md).

    Step ``k`` (1-based) targets ``start-rate + (k-1) * step-rate`` (or ``rates[k-1]``).
    Step 1 ramps from ``from-rate`` over ``first-ramp`` (20 min) and holds ``first-hold``
    (60 min); every later step ramps from the previous rate over ``ramp`` (15 min) and
    holds ``hold`` (30 min).
    """

    kind: Literal["staircase"] = "staircase"
    start_rate: Rate | None = Field(default=None, gt=0)
    step_rate: Rate | None = Field(default=None, gt=0)
    steps: int = Field(default=5, ge=1, le=1000)
    rates: list[Rate] | None = None
    from_rate: Rate = Field(default=0.0, ge=0)
    first_ramp: Duration = 20 * 60.0
    first_hold: Duration = 60 * 60.0
    ramp: Duration = 15 * 60.0
    hold: Duration = 30 * 60.0

    @model_validator(mode="after")
    def _rates_given(self) -> Staircase:
        if self.rates is None and self.start_rate is None:
            raise ValueError("give 'start-rate' (and optionally 'step-rate' and 'steps') or a list of 'rates'")
        if self.rates is not None:
            if not self.rates or any(r <= 0 for r in self.rates):
                raise ValueError("'rates' must be a non-empty list of rates > 0")
        return self

    def step_rates(self) -> list[float]:
        if self.rates is not None:
            return list(self.rates)
        start = float(self.start_rate or 0.0)
        inc = float(self.step_rate if self.step_rate is not None else start)
        return [start + i * inc for i in range(self.steps)]

    def shape(self) -> Shape:
        pieces: list[tuple[float, float, float, str, int]] = []
        prev = self.from_rate
        for i, rate in enumerate(self.step_rates(), start=1):
            ramp, hold = (self.first_ramp, self.first_hold) if i == 1 else (self.ramp, self.hold)
            pieces.append((ramp, prev, rate, "ramp", i))
            pieces.append((hold, rate, rate, "hold", i))
            prev = rate
        return Shape.build(pieces)


@register_profile("spike")
class Spike(ProfileSpec):
    """``base-rate`` for ``duration``, with one burst at ``spike-rate`` from ``spike-at``
    for ``spike-duration`` (reached over ``spike-ramp``, and left the same way)."""

    kind: Literal["spike"] = "spike"
    base_rate: Rate = Field(ge=0)
    spike_rate: Rate = Field(gt=0)
    duration: Duration = Field(gt=0)
    spike_at: Duration | None = None
    spike_duration: Duration | None = None
    spike_ramp: Duration = 0.0

    @model_validator(mode="after")
    def _fits(self) -> Spike:
        at, length = self._window()
        if at + length + 2 * self.spike_ramp > self.duration + 1e-9:
            raise ValueError("the spike (spike-at + 2 * spike-ramp + spike-duration) must end within 'duration'")
        return self

    def _window(self) -> tuple[float, float]:
        at = self.spike_at if self.spike_at is not None else self.duration / 3.0
        length = self.spike_duration if self.spike_duration is not None else self.duration / 6.0
        return at, length

    def shape(self) -> Shape:
        at, length = self._window()
        r = self.spike_ramp
        rest = self.duration - at - length - 2 * r
        return Shape.build([
            (at, self.base_rate, self.base_rate, "base", 0),
            (r, self.base_rate, self.spike_rate, "ramp", 1),
            (length, self.spike_rate, self.spike_rate, "spike", 1),
            (r, self.spike_rate, self.base_rate, "ramp", 0),
            (rest, self.base_rate, self.base_rate, "base", 0),
        ])


@register_profile("soak")
class Soak(ProfileSpec):
    """The reliability test: ``duration`` (12 h) at ``fraction`` (80%) of ``max-rate``,
    never below ``required-rate``, reached over ``ramp``.

    The maximum is given (``max-rate``) or found: ``max-from`` names an earlier staircase
    run (its directory or its summary.json), whose ``max_rate_held_per_s`` is used.
    """

    kind: Literal["soak"] = "soak"
    max_rate: Rate | None = Field(default=None, gt=0)
    max_from: str | None = None
    fraction: float = Field(default=0.8, gt=0, le=1.0)
    required_rate: Rate | None = Field(default=None, gt=0)
    duration: Duration = Field(default=12 * 3600.0, gt=0)
    ramp: Duration = 10 * 60.0

    @model_validator(mode="before")
    @classmethod
    def _maximum(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        given = [k for k in ("max-rate", "max_rate") if data.get(k) is not None]
        found = [k for k in ("max-from", "max_from") if data.get(k) is not None]
        if bool(given) == bool(found):
            raise ValueError("give exactly one of 'max-rate' and 'max-from' (an earlier staircase run)")
        if found:
            data = {**data, "max-rate": maximum_from_run(str(data[found[0]]))}
        return data

    @property
    def rate(self) -> float:
        assert self.max_rate is not None
        return max(self.max_rate * self.fraction, self.required_rate or 0.0)

    def shape(self) -> Shape:
        return Shape.build([(self.ramp, 0.0, self.rate, "ramp", 0),
                            (self.duration, self.rate, self.rate, "hold", 0)])


def maximum_from_run(path: str) -> float:
    """``max_rate_held_per_s`` of an earlier run (its directory or its summary.json)."""
    import json
    from pathlib import Path

    p = Path(path)
    summary = p / "summary.json" if p.is_dir() else p
    try:
        data = json.loads(summary.read_text())
    except OSError as exc:
        raise ValueError(f"max-from: cannot read {summary}: {exc.strerror}") from exc
    except ValueError as exc:
        raise ValueError(f"max-from: {summary} is not JSON ({exc})") from exc
    rate = (data.get("metrics") or {}).get("max_rate_held_per_s")
    if not isinstance(rate, int | float) or rate <= 0:
        why = ((data.get("breaking_point") or {}).get("max_held") or {}).get("why") or "it was not a staircase run"
        raise ValueError(f"max-from: {summary} has no maximum held ({why})")
    return float(rate)
