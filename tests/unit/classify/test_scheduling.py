from __future__ import annotations

import pytest

from k8sstress.classify.scheduling import NodeReason, parse_scheduling_message, taint_of


def test_reasons_with_node_counts_and_preemption_double_period():
    msg = ("0/3 nodes are available: 1 Insufficient memory, 3 Insufficient cpu. preemption: 0/3 nodes are "
           "available: 3 No preemption victims found for incoming pod..")
    f = parse_scheduling_message(msg)
    assert f.parsed
    assert f.nodes_total == 3
    assert f.reasons == (NodeReason("Insufficient memory", 1), NodeReason("Insufficient cpu", 3))
    assert f.reason_names == ["Insufficient memory", "Insufficient cpu"]
    assert f.preemption == (NodeReason("No preemption victims found for incoming pod", 3),)
    assert f.insufficient == ["memory", "cpu"]
    assert not f.truncated


def test_single_period_end_without_preemption():
    f = parse_scheduling_message("0/1 nodes are available: 1 Too many pods.")
    assert (f.nodes_total, f.reason_names, f.preemption) == (1, ["Too many pods"], ())


def test_taint_reason_keeps_braces_and_colon():
    msg = ("0/4 nodes are available: 1 Too many pods, 3 node(s) had untolerated taint "
           "{node.kubernetes.io/memory-pressure: }. preemption: 0/4 nodes are available: "
           "4 Preemption is not helpful for scheduling..")
    f = parse_scheduling_message(msg)
    assert f.reason_names == ["Too many pods", "node(s) had untolerated taint {node.kubernetes.io/memory-pressure: }"]
    assert f.as_detail()["reason_nodes"] == {
        "Too many pods": 1, "node(s) had untolerated taint {node.kubernetes.io/memory-pressure: }": 3}
    assert f.taints == ["node.kubernetes.io/memory-pressure"]
    assert [str(r) for r in f.preemption] == ["4 Preemption is not helpful for scheduling"]


def test_taint_of_reads_key_and_value():
    assert taint_of("node(s) had untolerated taint {dedicated: gpu}") == ("dedicated", "gpu")
    assert taint_of("Insufficient cpu") is None


def test_truncated_message_drops_the_reason_cut_in_half():
    f = parse_scheduling_message("0/4 nodes are available: 1 Insufficient cpu, 3 Insufficient mem ...")
    assert f.truncated
    assert f.reason_names == ["Insufficient cpu"]
    assert f.nodes_total == 4


def test_truncated_inside_preemption_keeps_all_main_reasons():
    f = parse_scheduling_message(
        "0/4 nodes are available: 1 Insufficient cpu, 3 Insufficient memory. preemption: 0/4 nod ...")
    assert f.truncated
    assert f.reason_names == ["Insufficient cpu", "Insufficient memory"]
    assert f.preemption == ()


def test_truncated_right_after_the_main_part():
    f = parse_scheduling_message("0/3 nodes are available: 3 Insufficient cpu. preemp ...")
    assert f.truncated and f.reason_names == ["Insufficient cpu"]


def test_node_affinity_and_extended_resource():
    msg = ("0/6 nodes are available: 2 Insufficient nvidia.com/gpu, 4 node(s) didn't match Pod's node "
           "affinity/selector. preemption: 0/6 nodes are available: 2 No preemption victims found for incoming "
           "pod, 4 Preemption is not helpful for scheduling..")
    f = parse_scheduling_message(msg)
    assert f.reason_names == ["Insufficient nvidia.com/gpu", "node(s) didn't match Pod's node affinity/selector"]
    assert f.insufficient == ["nvidia.com/gpu"]
    assert [r.nodes for r in f.preemption] == [2, 4]


def test_prefilter_reason_has_no_count():
    f = parse_scheduling_message(
        "0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/2 nodes are "
        "available: 2 Preemption is not helpful for scheduling..")
    assert f.reasons == (NodeReason("pod has unbound immediate PersistentVolumeClaims", None),)
    assert f.nodes_total == 2


def test_no_nodes_at_all():
    f = parse_scheduling_message("no nodes available to schedule pods")
    assert f.parsed and f.nodes_total == 0 and f.reasons == ()


@pytest.mark.parametrize("msg", ["", "something else entirely", "running PreBind plugin \"VolumeBinding\": x"])
def test_unknown_shapes_are_kept_not_raised(msg):
    f = parse_scheduling_message(msg)
    assert not f.parsed
    assert f.reasons == ()
    assert f.as_detail()["unparsed_message"] == msg


def test_non_string_message_is_tolerated():
    assert not parse_scheduling_message(None).parsed  # type: ignore[arg-type]
