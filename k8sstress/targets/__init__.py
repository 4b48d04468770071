"""Targets: one adapter per runner under test (direct, job, reference, http) behind one small interface.

Each target implements launch, stop and status (:class:`~k8sstress.load.launches.Launcher`),
a lifecycle (start/close), and says how its pods are tied to launches
(:class:`~k8sstress.targets.base.PodTie`). Targets register themselves in
:data:`~k8sstress.targets.base.TARGETS`; :func:`build_target` validates a target's
options before anything runs. What must not live here: scheduling (``load``),
watching pods (``observe``), verdicts (``classify``/``analyze``).

    direct     the harness creates pods itself (label k8sstress.io/launch-id)
    job        batch/v1 Jobs for Batch, Deployments for Online (owner references)
    reference  our reference runner over HTTP, through the http target (label k8sstress.io/run-id)
    http       any runner with an HTTP API, from a request-template file (label, annotation or name pattern)
"""

from k8sstress.targets.base import (
    TARGETS,
    BaseTarget,
    PodTie,
    Target,
    TargetContext,
    TargetOptions,
    build_target,
    get_target_factory,
    register_target,
)
from k8sstress.targets.http_template import HttpTemplate, load_http_template, parse_http_template

__all__ = [
    "TARGETS",
    "Target",
    "BaseTarget",
    "TargetOptions",
    "TargetContext",
    "PodTie",
    "register_target",
    "get_target_factory",
    "build_target",
    "HttpTemplate",
    "load_http_template",
    "parse_http_template",
]
