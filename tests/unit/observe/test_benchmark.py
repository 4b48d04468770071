"""The benchmark's own parts work (the figures themselves are printed by `k8sstress bench observer`)."""

from __future__ import annotations

from collections import Counter

from k8sstress.observe.benchmark import measure_memory, measure_replay, percentiles, synthetic_stream


def test_the_synthetic_stream_is_interleaved_and_has_pods_and_events() -> None:
    items = list(synthetic_stream(50, wave=10))
    kinds = Counter((r, t) for _s, r, t, _o in items)
    assert kinds[("pods", "ADDED")] == 50
    assert kinds[("events", "ADDED")] >= 40
    seen = [s for s, *_ in items]
    assert seen == sorted(seen)
    names = [o["metadata"]["name"] for _s, r, _t, o in items[:20] if r == "pods"]
    assert len(set(names)) > 5  # pods of a wave take turns


def test_small_runs_report_their_figures() -> None:
    r = measure_replay(2000, chunk=500)
    assert r["events"] == 2000 and r["events_per_s"] and r["pods"] > 0
    m = measure_memory(500)
    assert m["pods"] == 500 and isinstance(m["bytes_per_pod"], int)
    assert sum(m["outcomes"].values()) == 500


def test_percentiles() -> None:
    assert percentiles([]) == {"p50": None, "p95": None, "p99": None, "max": None}
    got = percentiles([float(i) for i in range(1, 101)])
    assert got == {"p50": 50.0, "p95": 95.0, "p99": 99.0, "max": 100.0}
