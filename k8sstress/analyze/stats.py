"""Small statistics over plain numbers: quantiles with unreached values, time buckets, knees.

Quantiles are nearest-rank (the value at rank ``ceil(q * n)``), the rule kube-burner
and ClusterLoader2 use. Values that never happened (a pod that never started) are
passed as ``unreached`` and count as +infinity: they stay in the denominator, and a
quantile that lands on one is ``None`` ("not reached within the run").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["QUANTILES", "quantile", "quantiles", "Buckets", "bucket_width", "knee_index", "median"]

QUANTILES: tuple[tuple[str, float], ...] = (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))
_NICE_WIDTHS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400)


def quantile(sorted_values: Sequence[float], q: float, unreached: int = 0) -> float | None:
    """Nearest-rank quantile of ``sorted_values`` plus ``unreached`` infinite values."""
    n = len(sorted_values) + unreached
    if n == 0:
        return None
    rank = max(1, math.ceil(q * n))
    if rank > len(sorted_values):
        return None
    return float(sorted_values[rank - 1])


def median(values: Iterable[float]) -> float | None:
    vals = sorted(values)
    if not vals:
        return None
    mid = len(vals) // 2
    return float(vals[mid]) if len(vals) % 2 else (vals[mid - 1] + vals[mid]) / 2.0


def quantiles(values: Iterable[float], unreached: int = 0) -> dict[str, float | int | None]:
    """``count``, ``unreached``, ``min``, ``p50``, ``p95``, ``p99``, ``max``, ``mean`` of ``values``.

    ``max`` is None when anything was unreached (the true maximum is unknown);
    ``mean`` is over the reached values only.
    """
    vals = sorted(float(v) for v in values)
    out: dict[str, float | int | None] = {"count": len(vals), "unreached": unreached,
                                          "min": vals[0] if vals else None}
    for name, q in QUANTILES:
        out[name] = quantile(vals, q, unreached)
    out["max"] = (vals[-1] if vals else None) if unreached == 0 else None
    out["mean"] = (sum(vals) / len(vals)) if vals else None
    return out


def bucket_width(duration_s: float, target: int = 120) -> float:
    """A round bucket width that cuts ``duration_s`` into at most about ``target`` buckets."""
    want = max(duration_s, 0.0) / max(target, 1)
    for w in _NICE_WIDTHS:
        if w >= want:
            return float(w)
    return float(math.ceil(want / 3600.0) * 3600)


@dataclass(frozen=True)
class Buckets:
    """Fixed-width time buckets from ``start`` (epoch seconds) covering ``[start, end]``."""

    start: float
    end: float
    width: float

    @classmethod
    def over(cls, start: float, end: float, target: int = 120) -> Buckets:
        end = max(end, start)
        return cls(start, end, bucket_width(end - start, target))

    @property
    def count(self) -> int:
        return max(1, math.ceil((self.end - self.start) / self.width - 1e-9))

    def index(self, t: float) -> int:
        """The bucket holding ``t`` (clamped into range)."""
        i = int((t - self.start) // self.width)
        return min(max(i, 0), self.count - 1)

    def starts(self) -> list[float]:
        """Bucket starts relative to ``start`` (seconds into the run)."""
        return [round(i * self.width, 6) for i in range(self.count)]

    def mids(self) -> list[float]:
        """Absolute mid-points of the buckets (epoch seconds)."""
        return [self.start + (i + 0.5) * self.width for i in range(self.count)]

    def ends(self) -> list[float]:
        """Absolute ends of the buckets (epoch seconds), the last clamped to ``end``."""
        return [min(self.start + (i + 1) * self.width, self.end) for i in range(self.count)]


def knee_index(values: Sequence[float | None], *, factor: float = 2.0, floor: float = 0.05,
               baseline_share: float = 0.2, sustain: int = 2) -> tuple[int | None, float | None]:
    """Where a series (a latency per time bucket) bends upwards, and its baseline.

    The baseline is the median of the first ``baseline_share`` of the non-empty
    points (at least three). The knee is the first later point that exceeds both
    ``factor`` x baseline and baseline + ``floor``, and stays above for ``sustain``
    points (or to the end of the series). Returns ``(index, baseline)``; the index is
    None when the series never bends.
    """
    present = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(present) < 4:
        return None, None
    n_base = max(3, int(len(present) * baseline_share))
    base = median(v for _, v in present[:n_base])
    if base is None:
        return None, None
    limit = max(base * factor, base + floor)
    rest = present[n_base:]
    for k, (i, v) in enumerate(rest):
        if v > limit:
            window = rest[k:k + sustain]
            if all(w > limit for _, w in window):
                return i, base
    return None, base
