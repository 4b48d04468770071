"""Trimming keeps everything classification reads: same verdict from the raw and the trimmed object."""

from __future__ import annotations

from k8sstress.classify import classify_pod
from k8sstress.observe.benchmark import synthetic_stream
from k8sstress.observe.raw import controller_of, deletion_requested, parse_time, trim_event, trim_pod

from .shapes import EVICTION_MESSAGE, T0, T0_EPOCH, event, pod


def test_the_verdict_of_a_trimmed_pod_is_the_verdict_of_the_raw_one() -> None:
    pods = [o for _s, r, _t, o in synthetic_stream(300) if r == "pods"]
    for raw in pods:
        assert classify_pod(trim_pod(raw)).as_json() == classify_pod(raw).as_json()


def test_the_verdict_with_trimmed_events_is_the_verdict_with_raw_ones() -> None:
    p = pod(phase="Failed", reason="Evicted", message=EVICTION_MESSAGE)
    ev = event("Evicted", EVICTION_MESSAGE, about=p)
    ev["metadata"]["annotations"] = {"offending_containers": "app", "offending_containers_usage": "1Gi",
                                     "starved_resource": "memory", "unrelated": "x"}
    a = classify_pod(trim_pod(p), [trim_event(ev)]).as_json()
    assert a == classify_pod(p, [ev]).as_json()
    assert "unrelated" not in trim_event(ev)["metadata"]["annotations"]


def test_trimming_drops_the_bulk() -> None:
    p = pod()
    p["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": "{...}",
                                    "k8sstress.io/simulated": "true",
                                    "pod-container-running-failed.stage.kwok.x-k8s.io/delay": "1s"}
    t = trim_pod(p)
    assert set(t["metadata"]["annotations"]) == {"k8sstress.io/simulated",
                                                  "pod-container-running-failed.stage.kwok.x-k8s.io/delay"}
    assert "app" not in t["metadata"]["labels"]
    assert set(t["spec"]["containers"][0]) == {"name", "resources"}


def test_timestamps_and_small_readers() -> None:
    assert parse_time(T0) == T0_EPOCH
    assert parse_time("2026-11-21T21:06:18.363962Z") == T0_EPOCH + 0.363962
    assert parse_time("yesterday") is None and parse_time(None) is None
    assert parse_time("2026-11-21T21:06:18") is None  # no zone: not an API timestamp
    assert deletion_requested({"deletionTimestamp": T0, "deletionGracePeriodSeconds": 30}) == T0_EPOCH - 30
    assert controller_of({"ownerReferences": [{"kind": "Job", "name": "j", "uid": "u", "controller": True}]}) == (
        "Job", "j", "u")
    assert controller_of({"ownerReferences": "junk"}) is None
