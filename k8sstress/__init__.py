"""k8sstress: a stress harness for Kubernetes job runners.

The public API is re-exported here; everything else is internal.
"""

from k8sstress.analyze import Summary, analyze
from k8sstress.classify import (
    classify_dump,
    classify_launch_without_pod,
    classify_orphaned,
    classify_pod,
    parse_scheduling_message,
)
from k8sstress.errors import (
    BuildError,
    ClusterError,
    ConfigError,
    EnvironmentProblem,
    InputError,
    K8sStressError,
    RunAborted,
    RunTimeout,
    SLOFailed,
)
from k8sstress.records import OUTCOMES, LaunchRecord, Outcome, StateReport, StopRecord, Verdict

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "K8sStressError",
    "InputError",
    "ConfigError",
    "EnvironmentProblem",
    "BuildError",
    "ClusterError",
    "RunTimeout",
    "SLOFailed",
    "RunAborted",
    "Outcome",
    "OUTCOMES",
    "Verdict",
    "LaunchRecord",
    "StopRecord",
    "StateReport",
    "classify_pod",
    "classify_launch_without_pod",
    "classify_orphaned",
    "classify_dump",
    "parse_scheduling_message",
    "analyze",
    "Summary",
    "finalize",
    "Observer",
    "Timelines",
    "replay",
    "pod_latency",
    "pending_survival",
    "start_pressure",
]


# Names whose modules do I/O are imported on first use, so that importing the pure
# core (k8sstress.classify, k8sstress.analyze) never loads kubernetes, kopf or rich.
_LAZY = {
    "Observer": "k8sstress.observe",
    "Timelines": "k8sstress.observe",
    "replay": "k8sstress.observe",
    "pod_latency": "k8sstress.observe",
    "pending_survival": "k8sstress.observe",
    "finalize": "k8sstress.report",
    "start_pressure": "k8sstress.pressure",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'k8sstress' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
