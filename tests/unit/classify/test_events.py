from __future__ import annotations

from datetime import UTC, datetime

from k8sstress.classify.events import about, is_event, latest, total_count, view, views


def test_core_v1_event(events):
    ev = view(events("failed-scheduling")[0])
    assert ev is not None
    assert (ev.kind, ev.namespace, ev.name) == ("Pod", "stress", "node-run-wide")
    assert ev.uid == "5a1c0e7e-0000-4000-8000-000000000004"
    assert (ev.reason, ev.type, ev.count, ev.component) == ("FailedScheduling", "Warning", 14, "default-scheduler")
    assert ev.last_seen == datetime(2025, 3, 4, 10, 4, 40, tzinfo=UTC)
    assert ev.message.endswith(" ...")


def test_events_k8s_io_v1_event(events):
    ev = view(events("preempted")[0])
    assert ev is not None
    assert (ev.kind, ev.name, ev.reason, ev.component) == ("Pod", "node-run-low", "Preempted", "default-scheduler")
    assert ev.message.startswith("Preempted by pod 0b7e9f4c")
    assert ev.last_seen == datetime(2025, 3, 4, 10, 12, 0, 412345, tzinfo=UTC)


def test_series_count_wins():
    ev = view({"kind": "Event", "regarding": {"kind": "Pod", "name": "p"}, "reason": "FailedScheduling",
               "deprecatedCount": 2, "series": {"count": 9, "lastObservedTime": "2025-03-04T11:00:00.000001Z"}})
    assert ev is not None and ev.count == 9
    assert ev.last_seen is not None and ev.last_seen.hour == 11


def test_non_events():
    assert view({"kind": "Pod", "metadata": {}}) is None
    assert not is_event([1, 2])
    assert views([{"kind": "Node"}, None, 3]) == []


def test_about_matches_by_uid_then_name(events):
    evs = views(events("evicted"))
    assert [e.name for e in about(evs, kind="Pod", namespace="stress", name="node-run-hog",
                                  uid="5a1c0e7e-0000-4000-8000-000000000011")] == ["node-run-hog"]
    assert about(evs, kind="Pod", namespace="stress", name="node-run-hog", uid="another") == []
    assert len(about(evs, kind="Pod", namespace="stress", name="node-run-hog")) == 1
    assert about(evs, kind="Pod", namespace="other", name="node-run-hog") == []
    assert [e.reason for e in about(evs, kind="Node", namespace="", name="kwok-node-1")] == ["EvictionThresholdMet"]


def test_latest_and_total_count():
    def ev(reason, at, count=1):
        return view({"kind": "Event", "involvedObject": {"kind": "Pod", "name": "p"}, "reason": reason,
                     "message": at, "lastTimestamp": at, "count": count})
    evs = [ev("FailedScheduling", "2025-03-04T10:02:00Z", 3), ev("FailedScheduling", "2025-03-04T10:01:00Z", 2),
           ev("Scheduled", "2025-03-04T10:03:00Z")]
    last = latest(evs, "FailedScheduling")
    assert last is not None and last.message == "2025-03-04T10:02:00Z"
    assert total_count(evs, "FailedScheduling") == 5
    assert latest(evs, "Preempted") is None
