"""Compact storage: packed values and timelines read back exactly."""

from __future__ import annotations

from k8sstress.observe.benchmark import synthetic_stream
from k8sstress.observe.packing import Codec, TimelinePacker
from k8sstress.observe.raw import trim_pod


def test_values_packed_under_every_dictionary_version_read_back() -> None:
    codec = Codec(relearn_after=50)
    pods = [trim_pod(o) for _s, r, _t, o in synthetic_stream(200) if r == "pods"]
    packed = [(p, codec.pack(p)) for p in pods]
    assert codec.version == 2
    assert {b[0] for _p, b in packed} == {0, 1, 2}
    for p, b in packed:
        assert codec.unpack(b) == p
    late = [len(b) for _p, b in packed[-100:]]
    assert sum(late) / len(late) < 400  # a learned dictionary makes a trimmed pod small


def test_timeline_entries_keep_ms_seen_and_whole_second_at() -> None:
    tp = TimelinePacker()
    c1, c2 = tp.code("phase", "Running"), tp.code("condition", "Ready=True")
    assert tp.code("phase", "Running") == c1
    blob = tp.pack([(1_790_000_000.1234, 1_790_000_000.0, c1), (1_790_000_005.5, None, c2)])
    assert len(blob) == 24
    got = list(tp.unpack(blob))
    assert [round(s, 3) for s, _a, _c in got] == [1_790_000_000.123, 1_790_000_005.5]
    assert [a for _s, a, _c in got] == [1_790_000_000.0, None]
    assert [tp.what(c) for _s, _a, c in got] == [("phase", "Running"), ("condition", "Ready=True")]


def test_out_of_range_times_are_clamped_and_counted() -> None:
    tp = TimelinePacker()
    tp.pack([(1000.0, None, 0)])
    tp.pack([(1000.0 + 40 * 86400, None, 0)])  # 40 days later: past int32 milliseconds
    assert tp.clamped == 1
