"""Node pod templates (``manifests/templates/*.yaml``) and rendering a launch from one.

A template is a Pod manifest. Rendering adds the labels that tie the pod to its
launch (:data:`~k8sstress.records.LAUNCH_ID_LABEL`, run, mode, limits) and the
annotations the sim pressure model reads (memory usage profile, cpu busy fraction,
run duration). Pure apart from reading the template file.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from k8sstress.errors import ConfigError, InputError
from k8sstress.paths import project_root
from k8sstress.records import LAUNCH_ID_LABEL, LIMITS_LABEL, MODE_LABEL, RUN_LABEL, RawObject

__all__ = ["LaunchParams", "load_template", "render_pod", "template_dirs", "has_limits",
           "MEMORY_USAGE_ANNOTATION", "MEMORY_RAMP_ANNOTATION", "CPU_BUSY_ANNOTATION", "DURATION_ANNOTATION"]

MEMORY_USAGE_ANNOTATION = "k8sstress.io/memory-usage"
"""Memory the container's usage ramps to (a quantity, e.g. ``600Mi``)."""
MEMORY_RAMP_ANNOTATION = "k8sstress.io/memory-ramp-seconds"
"""Seconds the usage takes to reach its target, from the container's start (default 0)."""
CPU_BUSY_ANNOTATION = "k8sstress.io/cpu-busy"
"""Fraction (0..n cores) of cpu the container keeps busy."""
DURATION_ANNOTATION = "k8sstress.io/duration-seconds"
"""Batch runs: seconds from start to successful completion."""


@dataclass(frozen=True)
class LaunchParams:
    launch_id: str
    mode: str  # "batch" | "online"
    run: str = "adhoc"
    memory_usage: str | None = None
    memory_ramp_s: float | None = None
    cpu_busy: float | None = None
    duration_s: float | None = None
    extra_labels: dict[str, str] = field(default_factory=dict)
    extra_annotations: dict[str, str] = field(default_factory=dict)


def template_dirs() -> list[Path]:
    dirs = [Path.cwd() / "manifests" / "templates"]
    root = project_root()
    if root is not None:
        dirs.append(root / "manifests" / "templates")
    return dirs


def load_template(name_or_path: str) -> RawObject:
    """A template by path, or by name (``batch-with-limits``) from manifests/templates/."""
    p = Path(name_or_path)
    if not p.exists():
        for d in template_dirs():
            cand = d / f"{name_or_path}.yaml"
            if cand.exists():
                p = cand
                break
        else:
            raise InputError(f"pod template {name_or_path!r} not found (looked in "
                             f"{', '.join(str(d) for d in template_dirs())})")
    try:
        obj = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", path=str(p)) from exc
    if not isinstance(obj, dict) or obj.get("kind") not in ("Pod", "Job"):
        raise ConfigError("a template must be a Pod (or Job) manifest", path=str(p), field="kind")
    containers = _pod_spec(obj).get("containers")
    if not containers:
        raise ConfigError("the pod spec has no containers", path=str(p), field="spec.containers")
    return obj


def _pod_spec(obj: RawObject) -> dict[str, Any]:
    if obj.get("kind") == "Job":
        return obj.setdefault("spec", {}).setdefault("template", {}).setdefault("spec", {})  # type: ignore[no-any-return]
    return obj.setdefault("spec", {})  # type: ignore[no-any-return]


def has_limits(obj: RawObject) -> bool:
    """'with' limits: some container sets resources.limits."""
    return any((c.get("resources") or {}).get("limits") for c in _pod_spec(obj).get("containers", []))


def render_pod(template: RawObject, params: LaunchParams, namespace: str | None = None) -> RawObject:
    """A copy of ``template`` labelled and annotated for one launch (Pod, or Job with its pod template)."""
    obj = copy.deepcopy(template)
    limits = "with" if has_limits(obj) else "without"
    labels = {LAUNCH_ID_LABEL: params.launch_id, RUN_LABEL: params.run, MODE_LABEL: params.mode,
              LIMITS_LABEL: limits, **params.extra_labels}
    ann: dict[str, str] = dict(params.extra_annotations)
    if params.memory_usage is not None:
        ann[MEMORY_USAGE_ANNOTATION] = str(params.memory_usage)
    if params.memory_ramp_s is not None:
        ann[MEMORY_RAMP_ANNOTATION] = f"{params.memory_ramp_s:g}"
    if params.cpu_busy is not None:
        ann[CPU_BUSY_ANNOTATION] = f"{params.cpu_busy:g}"
    if params.duration_s is not None:
        ann[DURATION_ANNOTATION] = f"{params.duration_s:g}"
    targets = [obj]
    if obj.get("kind") == "Job":
        targets.append(obj["spec"]["template"])
    for t in targets:
        md = t.setdefault("metadata", {})
        md.setdefault("labels", {}).update(labels)
        if ann:
            md.setdefault("annotations", {}).update(ann)
    if namespace:
        obj["metadata"]["namespace"] = namespace
    return obj
