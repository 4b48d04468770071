"""The pure parts of list+watch: relist diffs, node fingerprints, which events are kept."""

from __future__ import annotations

import copy

from k8sstress.observe import Interest, Inventory, node_fingerprint
from k8sstress.observe.watching import SKIP

from .shapes import QUOTA_REFUSAL, UNSCHEDULABLE_CPU, event, job, pod


def test_a_first_list_is_all_added() -> None:
    inv = Inventory()
    changes = inv.relist([pod("a", "ua"), pod("b", "ub")], kind="Pod", api_version="v1", fresh="ADDED")
    assert [(t, o["metadata"]["name"]) for t, o in changes] == [("ADDED", "a"), ("ADDED", "b")]
    assert len(inv) == 2


def test_a_relist_gives_what_changed_and_a_deleted_stub_for_what_vanished() -> None:
    inv = Inventory()
    a, b, c = pod("a", "ua", rv=10), pod("b", "ub", rv=11), pod("c", "uc", rv=12)
    for o in (a, b, c):
        assert inv.note("ADDED", o)
    b2 = copy.deepcopy(b)
    b2["metadata"]["resourceVersion"] = "20"
    d = pod("d", "ud", rv=21)
    changes = inv.relist([a, b2, d], kind="Pod", api_version="v1")
    assert [(t, o["metadata"]["name"]) for t, o in changes] == [("RELIST", "b"), ("RELIST", "d"), ("DELETED", "c")]
    stub = changes[-1][1]
    assert stub == {"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": "c", "uid": "uc", "resourceVersion": "12", "namespace": "ns1"}}
    assert "uc" not in inv and "ud" in inv
    # a second relist with nothing new says nothing
    assert inv.relist([a, b2, d], kind="Pod", api_version="v1") == []


def test_a_watch_delete_is_forgotten_so_a_relist_does_not_repeat_it() -> None:
    inv = Inventory()
    a = pod("a", "ua")
    inv.note("ADDED", a)
    inv.note("DELETED", a)
    assert inv.relist([], kind="Pod", api_version="v1") == []


def node(ready: str = "True", heartbeat: str = "2026-11-21T21:06:18Z", taints: list | None = None) -> dict:
    return {"kind": "Node", "metadata": {"name": "n1", "uid": "un1", "resourceVersion": heartbeat},
            "spec": {"taints": taints or []},
            "status": {"allocatable": {"cpu": "4", "pods": "110"},
                       "conditions": [{"type": "Ready", "status": ready, "reason": "KubeletReady",
                                       "lastHeartbeatTime": heartbeat}]}}


def test_node_heartbeats_are_not_changes_but_conditions_and_taints_are() -> None:
    inv = Inventory(node_fingerprint)
    assert inv.note("ADDED", node())
    assert not inv.note("MODIFIED", node(heartbeat="2026-11-21T21:07:18Z"))
    assert inv.note("MODIFIED", node(ready="False"))
    assert inv.note("MODIFIED", node(ready="False", taints=[{"key": "node.kubernetes.io/not-ready",
                                                             "effect": "NoExecute"}]))


def test_events_about_tracked_pods_and_owners_are_kept_others_parked_or_skipped() -> None:
    it = Interest()
    p, j = pod("p", "up", owner=("Job", "job1")), job("job1")
    ev_p = event("FailedScheduling", UNSCHEDULABLE_CPU, about=p)
    ev_j = event("FailedCreate", QUOTA_REFUSAL, about=j)
    ev_secret = {"involvedObject": {"kind": "Secret", "name": "s"}, "reason": "x"}
    assert it.route(ev_p) == "up"  # not tracked yet: parked under its uid
    assert it.route(ev_secret) == SKIP
    it.park("up", ("item", 1), now=100.0)
    keys = it.track("pods", p)
    assert it.release(keys) == [("item", 1)]
    assert it.route(ev_p) is None
    assert it.route(ev_j) is None  # its owner is named in a tracked pod's ownerReferences
    node_ev = {"involvedObject": {"kind": "Node", "name": "n1"}, "reason": "NodeNotReady"}
    assert it.route(node_ev) is None
    assert Interest(nodes=False).route(node_ev) == SKIP


def test_parked_events_expire_and_are_counted() -> None:
    it = Interest(ttl_s=10.0, max_pending=2)
    it.park("u1", "a", now=0.0)
    it.park("u2", "b", now=1.0)
    it.park("u3", "c", now=2.0)  # over max_pending: the oldest goes
    assert it.stats["events_about_untracked_objects"] == 1
    it.park("u4", "d", now=20.0)  # u2, u3 older than the TTL
    assert it.stats["events_about_untracked_objects"] == 3
    assert it.release(["u1", "u2", "u3", "u4"]) == ["d"]
    assert it.pending == 0


def test_an_inventory_that_keeps_nothing_hands_on_every_listed_object() -> None:
    inv = Inventory(keep=False)
    a = pod("a", "ua")
    assert inv.note("ADDED", a) and len(inv) == 0
    assert [t for t, _o in inv.relist([a], kind="Event", api_version="v1")] == ["RELIST"]
