from __future__ import annotations

import pytest

from k8sstress.classify import NotKubernetes, classify_dump, read_document
from k8sstress.records import Outcome

from .conftest import all_events, load_pod


def test_kubectl_list_of_pods():
    dump = read_document(load_pod("cluster-dump"))
    assert len(dump.pods) == 8 and dump.events == [] and not dump.skipped


def test_raw_api_lists_without_item_kinds(events):
    pod = load_pod("running")
    del pod["kind"]
    assert len(read_document({"kind": "PodList", "apiVersion": "v1", "items": [pod]}).pods) == 1
    evs = events("evicted")
    for ev in evs:
        del ev["kind"]
    assert len(read_document({"kind": "EventList", "apiVersion": "v1", "items": evs}).events) == 3


def test_single_pod_and_array():
    assert len(read_document(load_pod("running")).pods) == 1
    assert len(read_document([load_pod("running"), load_pod("failed")]).pods) == 2


def test_other_kinds_are_counted_not_dropped():
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "kwok-node-1"}, "spec": {}}
    dump = read_document({"apiVersion": "v1", "kind": "List", "items": [node, load_pod("running")]})
    assert (len(dump.pods), dump.skipped["Node"]) == (1, 1)


def test_empty_list_is_fine():
    dump = read_document({"apiVersion": "v1", "kind": "List", "items": []})
    assert dump.pods == [] and dump.events == []


@pytest.mark.parametrize("doc", [{"hello": "world"}, [1, 2], "text", 42, None,
                                 {"kind": "List", "items": [{"no": "metadata"}]}])
def test_not_kubernetes(doc):
    with pytest.raises(NotKubernetes):
        read_document(doc)


def test_classify_whole_dump():
    result = classify_dump(read_document(load_pod("cluster-dump")).pods, all_events())
    by_name = {v.name: v for v in result.verdicts}
    assert by_name["node-run-big"].outcome is Outcome.UNSCHEDULABLE
    assert by_name["node-run-big"].detail["attempts"] == 3
    assert by_name["node-run-online"].outcome is Outcome.RUNNING
    assert by_name["node-run-oom"].outcome is Outcome.OOMKILLED
    assert by_name["node-run-hog"].outcome is Outcome.EVICTED
    assert by_name["node-run-low"].detail["preemptor"] == "0b7e9f4c-5d1a-4c61-9a57-2f6c1d3e8a90"
    assert by_name["node-run-crowd"].outcome is Outcome.KUBELET_REJECTED
    assert by_name["node-run-crash"].outcome is Outcome.CRASHLOOPBACKOFF
    ok = by_name["node-run-ok-7k2xq"]
    assert (ok.outcome, ok.detail["create_refusals"]) == (Outcome.SUCCEEDED, 1)  # via ownerReferences


def test_what_only_the_events_know():
    result = classify_dump(read_document(load_pod("cluster-dump")).pods, all_events())
    by_name = {v.name: v for v in result.verdicts}
    gone = by_name["node-run-gone"]
    assert (gone.outcome, gone.detail["from_events"], gone.detail["resource"]) == (Outcome.EVICTED, True, "memory")
    assert by_name["node-run-victim-gone"].outcome is Outcome.PREEMPTED
    job = by_name["node-run-q"]
    assert (job.outcome, job.detail["owner_kind"], job.detail["reason"], job.detail["refusals"]) == (
        Outcome.ADMISSION_REJECTED, "Job", "quota", 6)
    assert by_name["node-online-7d9f8c6b5"].detail["owner_kind"] == "ReplicaSet"
    assert "node-run-ok" not in by_name  # that Job has a pod; its refusal is detail on the pod
    # Not in this pod dump, known from events: the taint manager's mark is decisive...
    assert by_name["node-run-taint"].detail["by"] == "taint-manager"
    # ...a FailedScheduling (node-run-wide) or an image pull failure (node-run-badimage) is not: counted.
    assert result.unclassified == 2
