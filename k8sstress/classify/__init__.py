"""Pure classification: a pod (+ its events, + its launch record) -> one outcome.

Everything here is plain computation over parsed Kubernetes JSON and the plain
records of :mod:`k8sstress.records`: no I/O, no clocks, no cluster clients, no
terminal output. It must not import ``kubernetes``, ``kopf``, ``rich`` or
``aiohttp`` (an import-linter contract checks this); the watchers, the CLI and the
analysis call in with data they fetched themselves.

Modules:

*   :mod:`~k8sstress.classify.pod`: :func:`classify_pod` (the taxonomy's precedence)
    and :func:`classify_orphaned`.
*   :mod:`~k8sstress.classify.launch`: :func:`classify_launch_without_pod`
    (AdmissionRejected, Stopped, Lost).
*   :mod:`~k8sstress.classify.scheduling`: kube-scheduler "0/N nodes are available" messages.
*   :mod:`~k8sstress.classify.eviction`: DisruptionTarget reasons and kubelet eviction messages.
*   :mod:`~k8sstress.classify.rejection`: kubelet admission rejections (``OutOfpods``, ...).
*   :mod:`~k8sstress.classify.admission`: refused creates (quota, LimitRange, webhooks).
*   :mod:`~k8sstress.classify.qos`: QoS class and with/without limits from a spec.
*   :mod:`~k8sstress.classify.traits`: the fields every verdict carries.
*   :mod:`~k8sstress.classify.events`: both Event API shapes read into one view.
*   :mod:`~k8sstress.classify.dump`: whole ``kubectl get -o json`` dumps.
*   :mod:`~k8sstress.classify.fields`, :mod:`~k8sstress.classify.quantity`: safe JSON
    readers and resource quantities.

The outcome names and their detail fields are a contract: see docs/outcomes.md.
"""

from k8sstress.classify.admission import Refusal, classify_refusal, refusal_from_event, refusal_from_status
from k8sstress.classify.dump import DumpVerdicts, NotKubernetes, classify_dump, read_document
from k8sstress.classify.events import EventView
from k8sstress.classify.eviction import EvictionMessage, parse_eviction_message
from k8sstress.classify.launch import classify_launch_without_pod
from k8sstress.classify.pod import classify_orphaned, classify_pod
from k8sstress.classify.qos import limits_of, qos_class, qos_class_from_spec
from k8sstress.classify.scheduling import NodeReason, SchedulingFailure, parse_scheduling_message

__all__ = [
    "classify_pod",
    "classify_orphaned",
    "classify_launch_without_pod",
    "classify_dump",
    "read_document",
    "NotKubernetes",
    "DumpVerdicts",
    "EventView",
    "parse_scheduling_message",
    "SchedulingFailure",
    "NodeReason",
    "parse_eviction_message",
    "EvictionMessage",
    "classify_refusal",
    "refusal_from_status",
    "refusal_from_event",
    "Refusal",
    "qos_class",
    "qos_class_from_spec",
    "limits_of",
]
