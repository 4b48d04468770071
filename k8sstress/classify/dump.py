"""Whole ``kubectl get -o json`` dumps: find the pods and events, classify every pod.

Used by ``k8sstress classify``; works on any cluster's dump, with no cluster at hand.

*   :func:`read_document` takes one parsed JSON document (a List, a PodList /
    EventList, a single Pod or Event, or a JSON array of them) and sorts its objects
    into pods, events and other kinds; anything that is not Kubernetes JSON raises
    :class:`NotKubernetes`.
*   :func:`classify_dump` gives every pod its verdict, matching events to pods by
    uid (or namespace + name when an event carries no uid) and owner events
    (``FailedCreate`` on Jobs/ReplicaSets) through ``ownerReferences``. It also
    reports what only the events know: pods gone before the dump whose events show
    an eviction or preemption, and owners whose creates were refused and that have
    no pod at all (AdmissionRejected). Pods seen only in events with nothing
    decisive are counted in ``unclassified``, not guessed at.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from k8sstress.classify import admission, fields
from k8sstress.classify import events as events_mod
from k8sstress.classify.pod import classify_pod
from k8sstress.records import Outcome, RawObject, Verdict

__all__ = ["NotKubernetes", "Dump", "DumpVerdicts", "read_document", "classify_dump"]

_LIST_ITEM_KIND = {"PodList": "Pod", "EventList": "Event"}
_FROM_EVENTS = frozenset({Outcome.EVICTED, Outcome.PREEMPTED})


class NotKubernetes(ValueError):
    """The document is JSON but not Kubernetes objects (the message says what was found)."""


@dataclass
class Dump:
    """The objects found in one or more documents."""

    pods: list[RawObject] = field(default_factory=list)
    events: list[RawObject] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    """Objects of other kinds, by kind (a dump of nodes or Jobs mixed in)."""

    def extend(self, other: Dump) -> None:
        self.pods.extend(other.pods)
        self.events.extend(other.events)
        self.skipped.update(other.skipped)


@dataclass
class DumpVerdicts:
    verdicts: list[Verdict]
    unclassified: int = 0
    """Pods seen only in events, whose events say nothing decisive."""


def _is_pod(obj: Mapping[str, Any], implied_kind: str = "") -> bool:
    kind = fields.text(obj.get("kind")) or implied_kind
    if kind:
        return kind == "Pod"
    return isinstance(fields.path(obj, "spec", "containers"), list)


def _is_object(obj: Any) -> bool:
    return isinstance(obj, Mapping) and isinstance(obj.get("metadata"), Mapping) and (
        isinstance(obj.get("kind"), str) or "spec" in obj or "status" in obj or events_mod.is_event(obj))


def _sort_item(item: Any, implied_kind: str, dump: Dump) -> bool:
    if not isinstance(item, Mapping):
        return False
    if _is_pod(item, implied_kind) and _is_object(item):
        dump.pods.append(dict(item))
    elif implied_kind == "Event" or events_mod.is_event(item):
        if events_mod.view({**item, "kind": "Event"}) is None:
            return False
        dump.events.append(dict(item))
    elif _is_object(item):
        dump.skipped[fields.text(item.get("kind")) or implied_kind or "unknown"] += 1
    else:
        return False
    return True


def read_document(doc: Any) -> Dump:
    """Sort one parsed JSON document's objects; raises :class:`NotKubernetes`."""
    dump = Dump()
    if isinstance(doc, list):
        items, implied, what = doc, "", "a JSON array"
    elif isinstance(doc, Mapping) and isinstance(doc.get("items"), list) and (
            fields.text(doc.get("kind")).endswith("List") or "apiVersion" in doc):
        kind = fields.text(doc.get("kind"))
        items, implied, what = doc["items"], _LIST_ITEM_KIND.get(kind, ""), f"a {kind or 'List'}"
    elif isinstance(doc, Mapping):
        if not _sort_item(doc, "", dump):
            raise NotKubernetes("not a Kubernetes object or List (no kind/metadata); "
                                "expected `kubectl get pods -o json` or `kubectl get events -o json` output")
        return dump
    else:
        raise NotKubernetes(f"not a Kubernetes object or List (the JSON is a {type(doc).__name__})")
    bad = sum(1 for item in items if not _sort_item(item, implied, dump))
    if bad:
        raise NotKubernetes(f"{what} with {bad} item(s) that are not Kubernetes objects")
    return dump


def _owner_key(namespace: str, ref: Mapping[str, Any]) -> tuple[str, str, str]:
    return namespace, fields.text(ref.get("kind")), fields.text(ref.get("name"))


def _stub(ev: events_mod.EventView) -> RawObject:
    meta: dict[str, Any] = {"namespace": ev.namespace, "name": ev.name}
    if ev.uid:
        meta["uid"] = ev.uid
    return {"kind": "Pod", "metadata": meta}


def classify_dump(pods: Iterable[RawObject], events: Iterable[RawObject] = ()) -> DumpVerdicts:
    """A verdict for every pod in the dump, plus what only the events show."""
    evs = events_mod.views(events)
    by_name: dict[tuple[str, str], list[events_mod.EventView]] = defaultdict(list)
    for ev in evs:
        by_name[(ev.kind, ev.name)].append(ev)

    def regarding(kind: str, namespace: str, name: str, uid: str) -> list[events_mod.EventView]:
        return events_mod.about(by_name.get((kind, name), ()), kind=kind, namespace=namespace, name=name, uid=uid)

    verdicts: list[Verdict] = []
    pod_uids: set[str] = set()
    pod_names: set[tuple[str, str]] = set()
    owners_with_pods: set[tuple[str, str, str]] = set()
    for pod in pods:
        meta = fields.obj(pod.get("metadata"))
        ns, name, uid = fields.text(meta.get("namespace")), fields.text(meta.get("name")), fields.text(meta.get("uid"))
        pod_names.add((ns, name))
        if uid:
            pod_uids.add(uid)
        pod_events = regarding("Pod", ns, name, uid)
        owner_events: list[events_mod.EventView] = []
        for ref in fields.dicts(meta.get("ownerReferences")):
            owners_with_pods.add(_owner_key(ns, ref))
            owner_events += regarding(fields.text(ref.get("kind")), ns, fields.text(ref.get("name")),
                                      fields.text(ref.get("uid")))
        verdicts.append(classify_pod(pod, pod_events, owner_events=owner_events))

    # Pods only the events remember.
    only_in_events: dict[tuple[str, str, str], list[events_mod.EventView]] = defaultdict(list)
    for ev in evs:
        if ev.kind != "Pod" or not ev.name:
            continue
        known = ev.uid in pod_uids if ev.uid else (ev.namespace, ev.name) in pod_names
        if not known:
            only_in_events[(ev.namespace, ev.name, ev.uid)].append(ev)
    unclassified = 0
    for group in only_in_events.values():
        verdict = classify_pod(_stub(group[0]), group)
        if verdict.outcome in _FROM_EVENTS:
            verdict.detail["from_events"] = True
            verdicts.append(verdict)
        else:
            unclassified += 1

    # Owners whose creates were refused and that have no pod at all.
    refused: dict[tuple[str, str, str], list[events_mod.EventView]] = defaultdict(list)
    for ev in evs:
        if ev.reason == admission.FAILED_CREATE and ev.kind and ev.kind != "Pod":
            key = (ev.namespace, ev.kind, ev.name)
            if key not in owners_with_pods:
                refused[key].append(ev)
    for (ns, kind, name), group in refused.items():
        latest = admission.latest_refusal(group)
        if latest is None:
            continue
        refusal, count = latest
        detail = {**refusal.as_detail(), "source": "owner-event", "refusals": count, "owner_kind": kind,
                  "simulated": any(ev.simulated for ev in group), "qos_class": None, "limits": None,
                  "mode": None}
        verdicts.append(Verdict(namespace=ns, name=name, outcome=Outcome.ADMISSION_REJECTED, detail=detail,
                                uid=group[-1].uid or None))
    return DumpVerdicts(verdicts, unclassified)
