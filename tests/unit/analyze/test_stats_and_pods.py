"""Small pure pieces: quantiles with unreached values, buckets, knees, timeline parsing."""

from __future__ import annotations

from k8sstress.analyze.pods import parse_entry
from k8sstress.analyze.stats import Buckets, knee_index, quantiles


def test_quantiles_keep_unreached_in_the_denominator():
    q = quantiles([1.0, 2.0, 3.0, 4.0], unreached=0)
    assert (q["p50"], q["p99"], q["max"]) == (2.0, 4.0, 4.0)
    q = quantiles([1.0, 2.0, 3.0, 4.0], unreached=1)
    assert q["p50"] == 3.0 and q["p99"] is None and q["max"] is None and q["unreached"] == 1
    assert quantiles([])["p50"] is None


def test_buckets_cover_the_run():
    b = Buckets.over(100.0, 160.0, target=12)
    assert b.width == 5.0 and b.count == 12
    assert b.index(100.0) == 0 and b.index(159.9) == 11 and b.index(500) == 11


def test_knee():
    flat = [0.05] * 10
    assert knee_index(flat)[0] is None
    bent = [0.05] * 8 + [0.06, 0.3, 0.4, 0.5]
    idx, base = knee_index(bent)
    assert idx == 9 and base == 0.05
    spike = [0.05] * 8 + [0.5] + [0.05] * 3  # one window is not a knee
    assert knee_index(spike)[0] is None


def test_timeline_entries_parse():
    assert parse_entry("condition", "PodScheduled=False/Unschedulable") == ("PodScheduled", "False", "Unschedulable")
    assert parse_entry("container", "app:terminated/OOMKilled") == ("app", "terminated", "OOMKilled")
    assert parse_entry("phase", "Failed/Evicted") == ("Failed", "", "Evicted")
    assert parse_entry("deleted", "gone") == ("gone", "", "")
