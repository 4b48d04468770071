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
from k8sstress.observe import Observer, Timelines, pending_survival, pod_latency, replay
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
]


def finalize(run_dir, *, partial=False, prometheus=True):  # type: ignore[no-untyped-def]
    """Analyze a run directory and write summary.json, report.html, runbook.md, junit.xml.

    (Re-exported lazily from :func:`k8sstress.report.finalize`, which pulls in plotting.)
    """
    from k8sstress.report import finalize as _finalize

    return _finalize(run_dir, partial=partial, prometheus=prometheus)
