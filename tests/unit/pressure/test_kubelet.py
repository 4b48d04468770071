"""The kubelet's strings and quantities, compared with failure-shapes.md and upstream formats."""

from __future__ import annotations

import pytest

from k8sstress.pressure import kubelet
from k8sstress.records import SIMULATED_ANNOTATION


@pytest.mark.parametrize(("n", "text"), [
    (0, "0"), (100 * 2**20, "100Mi"), (87304 * 1024, "87304Ki"), (2**30, "1Gi"), (1536, "1536"),
    (600 * 2**20, "600Mi"), (-12 * 2**20, "-12Mi"), (1000, "1000"),
])
def test_format_binary_is_quantity_string(n: int, text: str) -> None:
    assert kubelet.format_binary(n) == text


@pytest.mark.parametrize(("spec", "text"), [
    ("512Mi", "512Mi"), ("1024Mi", "1Gi"), ("0.5Gi", "512Mi"), ("500M", "500M"), ("1000M", "1G"),
    ("1000000", "1M"), (None, "0"), ("100Mi", "100Mi"),
])
def test_canonical_quantity(spec: str | None, text: str) -> None:
    assert kubelet.canonical_quantity(spec) == text


@pytest.mark.parametrize(("s", "text"), [(10, "10s"), (20, "20s"), (80, "1m20s"), (160, "2m40s"),
                                         (300, "5m0s"), (3600, "1h0m0s")])
def test_go_duration(s: int, text: str) -> None:
    assert kubelet.go_duration(s) == text


def test_eviction_message_matches_kubelet_format() -> None:
    msg = kubelet.eviction_message("100Mi", 87304 * 1024, [("node", 600 * 2**20, None), ("side", 10 * 2**20, "64Mi")])
    assert msg == ("The node was low on resource: memory. Threshold quantity: 100Mi, available: 87304Ki. "
                   "Container node was using 600Mi, request is 0, has larger consumption of memory. ")
    ann = kubelet.eviction_event_annotations([("node", 600 * 2**20, None), ("side", 10 * 2**20, "64Mi")])
    assert ann == {"offending_containers": "node", "offending_containers_usage": "600Mi",
                   "starved_resource": "memory"}


def test_eviction_message_without_offenders_ends_after_threshold() -> None:
    msg = kubelet.eviction_message("100Mi", 50 * 2**20, [("node", 100 * 2**20, "512Mi")])
    assert msg == "The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. "


def test_backoff_messages() -> None:
    assert kubelet.backoff_message(10, "node", "online-node-x") == \
        "back-off 10s restarting failed container=node pod=online-node-x"
    assert kubelet.backoff_message(300, "c", "p") == "back-off 5m0s restarting failed container=c pod=p"
    assert kubelet.backoff_event_message("node", "p") == "Back-off restarting failed container node in pod p"


def test_oom_score_adj_by_qos() -> None:
    cap = 8 * 2**30
    assert kubelet.oom_score_adj("Guaranteed", 2**30, cap) == -997
    assert kubelet.oom_score_adj("BestEffort", 0, cap) == 1000
    assert kubelet.oom_score_adj("Burstable", 2**30, cap) == 875
    assert kubelet.oom_score_adj("Burstable", 0, cap) == 999
    assert kubelet.oom_score_adj("Burstable", cap, cap) == 3


def test_evicted_status_shape() -> None:
    st = kubelet.evicted_status("m", "2026-01-01T00:00:00Z", [])
    assert st["phase"] == "Failed" and st["reason"] == "Evicted" and st["message"] == "m"
    dt = [c for c in st["conditions"] if c["type"] == "DisruptionTarget"][0]
    assert (dt["status"], dt["reason"], dt["message"]) == ("True", "TerminationByKubelet", "m")


def test_node_condition_and_events() -> None:
    c = kubelet.node_memory_condition(True, "t")
    assert (c["type"], c["status"], c["reason"]) == ("MemoryPressure", "True", "KubeletHasInsufficientMemory")
    ev = kubelet.event_body(kind="Node", namespace="default", name="n1", uid="n1", reason="EvictionThresholdMet",
                            message="Attempting to reclaim memory", type_="Warning", host="n1", now_text="t",
                            now_ns=255)
    assert ev["metadata"]["name"] == "n1.ff"
    assert ev["metadata"]["annotations"][SIMULATED_ANNOTATION] == "true"
    assert ev["source"] == {"component": "kubelet", "host": "n1"}
    assert "namespace" not in ev["involvedObject"]
    assert kubelet.system_oom_message("node", 4242) == "System OOM encountered, victim process: node, pid: 4242"
