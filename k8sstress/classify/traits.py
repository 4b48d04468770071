"""The detail fields every verdict carries: ``simulated``, ``qos_class``, ``limits``, ``mode``.

*   ``simulated``: true when the sim cluster made it up rather than a kubelet: the pod
    (or one of its events) carries ``k8sstress.io/simulated`` (any value but
    ``"false"``), or the pod has a KWOK stage knob (a label or annotation under
    ``<stage>.stage.kwok.x-k8s.io``, e.g. ``pod-container-running-failed.stage.kwok.x-k8s.io``)
    other than a pure timing one (``/delay``, ``/jitter-delay``, ``/weight``).
*   ``qos_class``: ``status.qosClass``, else computed from the spec; None without a spec.
*   ``limits``: from the spec as admitted (see :mod:`k8sstress.classify.qos`); when the
    launch (label ``k8sstress.io/limits`` or the launch record) asked for something
    else, ``limits_template`` says what. Without a spec: the label, else the launch.
*   ``mode``: label ``k8sstress.io/mode``, else the launch record's mode, else None.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from k8sstress.classify import fields, qos
from k8sstress.classify.events import EventView
from k8sstress.records import LIMITS_LABEL, MODE_LABEL, SIMULATED_ANNOTATION, LaunchRecord

__all__ = ["common_detail", "launch_detail", "is_simulated", "KWOK_STAGE_SUFFIX"]

KWOK_STAGE_SUFFIX = ".stage.kwok.x-k8s.io"
_TIMING_KNOBS = frozenset({"delay", "jitter-delay", "weight"})
_MODES = ("batch", "online")
_LIMITS = ("with", "without")


def _is_kwok_stage_knob(key: str) -> bool:
    prefix, _, name = key.partition("/")
    return prefix.endswith(KWOK_STAGE_SUFFIX) and name not in _TIMING_KNOBS


def is_simulated(pod: Any, events: Iterable[EventView] = ()) -> bool:
    """True when the sim pressure model or a KWOK chaos stage produced this pod's fate."""
    meta = fields.obj(fields.path(pod, "metadata"))
    annotations = fields.obj(meta.get("annotations"))
    labels = fields.obj(meta.get("labels"))
    marker = annotations.get(SIMULATED_ANNOTATION)
    if isinstance(marker, str) and marker.strip().lower() != "false":
        return True
    if any(isinstance(k, str) and _is_kwok_stage_knob(k) for k in (*annotations, *labels)):
        return True
    return any(ev.simulated for ev in events)


def _has_spec(pod: Any) -> bool:
    return bool(fields.dicts(fields.path(pod, "spec", "containers")))


def common_detail(pod: Any, launch: LaunchRecord | None, events: Iterable[EventView] = ()) -> dict[str, Any]:
    """``simulated``, ``qos_class``, ``limits`` (+ ``limits_template``) and ``mode`` for a verdict."""
    labels = fields.obj(fields.path(pod, "metadata", "labels"))
    label_mode = fields.text(labels.get(MODE_LABEL)).lower()
    label_limits = fields.text(labels.get(LIMITS_LABEL)).lower()
    mode = label_mode if label_mode in _MODES else (launch.mode if launch is not None else None)
    asked = label_limits if label_limits in _LIMITS else (launch.limits if launch is not None else None)
    detail: dict[str, Any] = {"simulated": is_simulated(pod, events)}
    if _has_spec(pod) or fields.text(fields.path(pod, "status", "qosClass")):
        detail["qos_class"] = qos.qos_class(pod)
    else:
        detail["qos_class"] = None
    if _has_spec(pod):
        detail["limits"] = qos.limits_of(pod)
        if asked is not None and asked != detail["limits"]:
            detail["limits_template"] = asked
    else:
        detail["limits"] = asked
    detail["mode"] = mode
    return detail


def launch_detail(launch: LaunchRecord) -> dict[str, Any]:
    """The common fields for a launch that never got a pod (nothing simulated about it)."""
    return {"simulated": False, "qos_class": None, "limits": launch.limits, "mode": launch.mode}
