"""Observation: list+watch of pods, events, nodes and owners; per-pod timelines; record and replay.

What lives here, and what must not:

*   :mod:`~k8sstress.observe.watching`: the only I/O of this package. One thread per
    resource does list+watch on raw JSON through :class:`k8sstress.kube.Kube`
    (resume from resourceVersion, bookmarks, relist on 410 Gone, reconnect with
    backoff); :class:`Observer` filters events to the tracked pods and owners and
    feeds the fold, the recording and the caller.
*   :mod:`~k8sstress.observe.timelines`: the pure fold of observed events into
    per-pod timelines and their verdicts (via :mod:`k8sstress.classify`); memory-lean.
*   :mod:`~k8sstress.observe.raw`, :mod:`~k8sstress.observe.packing`: raw JSON on
    the hot path (trimming, timestamps) and compact storage; pure.
*   :mod:`~k8sstress.observe.recording`: ``observer.jsonl`` read back; replay.
*   :mod:`~k8sstress.observe.latency`, :mod:`~k8sstress.observe.survival`: pure
    statistics over histories (kube-burner podLatency over all pods; Kaplan–Meier
    Pending-time curve).
*   :mod:`~k8sstress.observe.benchmark`: ``k8sstress bench observer``'s measurements.

No terminal output and no process exits here; the CLI prints.
"""

from k8sstress.observe.latency import PHASES, PhaseLatency, pod_latencies, pod_latency
from k8sstress.observe.raw import parse_time, trim_event, trim_pod
from k8sstress.observe.recording import read_events, replay, resume_point
from k8sstress.observe.survival import SurvivalCurve, SurvivalPoint, kaplan_meier, pending_survival
from k8sstress.observe.timelines import Timelines, verdicts
from k8sstress.observe.watching import (
    DEFAULT_RESOURCES,
    RESOURCES,
    Interest,
    Inventory,
    Observer,
    Resource,
    ResourceWatcher,
    node_fingerprint,
)

__all__ = [
    "Observer",
    "ResourceWatcher",
    "Resource",
    "RESOURCES",
    "DEFAULT_RESOURCES",
    "Inventory",
    "Interest",
    "node_fingerprint",
    "Timelines",
    "verdicts",
    "trim_pod",
    "trim_event",
    "parse_time",
    "replay",
    "read_events",
    "resume_point",
    "PHASES",
    "PhaseLatency",
    "pod_latency",
    "pod_latencies",
    "SurvivalCurve",
    "SurvivalPoint",
    "kaplan_meier",
    "pending_survival",
]
