"""Events of both API shapes, read into one view.

``kubectl get events -o json`` gives core/v1 Events (``involvedObject``,
``message``, ``count``, ``lastTimestamp``); ``kubectl get events.v1.events.k8s.io``
gives events.k8s.io/v1 (``regarding``, ``note``, ``deprecatedCount``, ``series``).
:func:`view` reads either into an :class:`EventView`; :func:`about` picks the
events that concern one object (by uid when both sides have one, else by
kind + namespace + name).

Events are lossy under load (aggregated, rate-limited, expired after an hour):
the classifier takes detail from them, never the outcome when a status exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from k8sstress.classify import fields
from k8sstress.records import SIMULATED_ANNOTATION

__all__ = ["EventLike", "EventView", "is_event", "view", "views", "about", "latest", "total_count"]


@dataclass(frozen=True)
class EventView:
    """What the classifier needs from one Event, whichever API shape it came in."""

    kind: str
    namespace: str
    name: str
    uid: str
    reason: str
    message: str
    type: str = ""
    count: int = 1
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    component: str = ""
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def simulated(self) -> bool:
        value = self.annotations.get(SIMULATED_ANNOTATION)
        return value is not None and value.lower() != "false"


EventLike = Mapping[str, Any] | EventView
"""An Event as the API gives it (either shape), or one already read."""


def is_event(obj: Any) -> bool:
    """True for a core/v1 or events.k8s.io/v1 Event object."""
    o = fields.obj(obj)
    if o.get("kind") == "Event":
        return True
    return not o.get("kind") and (
        isinstance(o.get("involvedObject"), Mapping) or isinstance(o.get("regarding"), Mapping)
    )


def view(obj: Any) -> EventView | None:
    """Read an Event of either shape; None when ``obj`` is not an Event."""
    if not is_event(obj):
        return None
    o = fields.obj(obj)
    core = isinstance(o.get("involvedObject"), Mapping)
    target = fields.obj(o.get("involvedObject") if core else o.get("regarding"))
    meta = fields.obj(o.get("metadata"))
    series = fields.obj(o.get("series"))
    count = fields.integer(series.get("count")) or fields.integer(
        o.get("count") if core else o.get("deprecatedCount")
    ) or 1
    if core:
        message = fields.text(o.get("message"))
        first = fields.timestamp(o.get("firstTimestamp")) or fields.timestamp(o.get("eventTime"))
        last = (fields.timestamp(series.get("lastObservedTime")) or fields.timestamp(o.get("lastTimestamp"))
                or fields.timestamp(o.get("eventTime")))
        component = fields.text(o.get("reportingComponent")) or fields.text(
            fields.path(o, "source", "component"))
    else:
        message = fields.text(o.get("note"))
        first = fields.timestamp(o.get("deprecatedFirstTimestamp")) or fields.timestamp(o.get("eventTime"))
        last = (fields.timestamp(series.get("lastObservedTime"))
                or fields.timestamp(o.get("deprecatedLastTimestamp")) or fields.timestamp(o.get("eventTime")))
        component = fields.text(o.get("reportingController")) or fields.text(
            fields.path(o, "deprecatedSource", "component"))
    annotations = {str(k): v for k, v in fields.obj(meta.get("annotations")).items() if isinstance(v, str)}
    return EventView(
        kind=fields.text(target.get("kind")),
        namespace=fields.text(target.get("namespace")) or fields.text(meta.get("namespace")),
        name=fields.text(target.get("name")),
        uid=fields.text(target.get("uid")),
        reason=fields.text(o.get("reason")),
        message=message,
        type=fields.text(o.get("type")),
        count=max(count, 1),
        first_seen=first,
        last_seen=last or first,
        component=component,
        annotations=annotations,
    )


def views(objs: Iterable[EventLike]) -> list[EventView]:
    """Read many events; already-read :class:`EventView` pass through, non-events are dropped."""
    out = []
    for o in objs:
        v = o if isinstance(o, EventView) else view(o)
        if v is not None:
            out.append(v)
    return out


def about(events: Iterable[EventView], *, kind: str, namespace: str, name: str, uid: str = "") -> list[EventView]:
    """The events regarding one object: same uid when both know it, else same kind/namespace/name."""
    out = []
    for ev in events:
        if ev.kind and kind and ev.kind != kind:
            continue
        if uid and ev.uid:
            if ev.uid == uid:
                out.append(ev)
            continue
        if ev.name == name and (not ev.namespace or not namespace or ev.namespace == namespace):
            out.append(ev)
    return out


def _order(ev: EventView) -> tuple[int, float]:
    return (0, 0.0) if ev.last_seen is None else (1, ev.last_seen.timestamp())


def latest(events: Sequence[EventView], *reasons: str) -> EventView | None:
    """The most recent event with one of ``reasons`` (the last listed wins ties)."""
    chosen = [ev for ev in events if ev.reason in reasons]
    if not chosen:
        return None
    best = chosen[0]
    for ev in chosen[1:]:
        if _order(ev) >= _order(best):
            best = ev
    return best


def total_count(events: Iterable[EventView], *reasons: str) -> int:
    """How many times events with these reasons happened (their counts summed)."""
    return sum(ev.count for ev in events if ev.reason in reasons)
