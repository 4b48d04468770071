"""Analysis: joins launches, runner reports and cluster truth into verdicts.

Pure: plain functions over plain records (:class:`RunInput` in, :class:`Summary`
out); no I/O, no clocks, and no ``kubernetes``/``kopf``/``rich``/``aiohttp`` imports
(an import-linter contract checks it). Reading a run directory is the report
package's job.

*   :mod:`.summary`: :func:`analyze` and the :class:`Summary` written as summary.json
*   :mod:`.outcomes`: every launch's final outcome (Lost, Orphaned, ...)
*   :mod:`.reaction`: the runner's reaction (latency, errors, drift, leaks, back-pressure, recovery)
*   :mod:`.breaking`: the breaking point; :mod:`.matrix`: with vs without limits
*   :mod:`.nodes`: node allocation and pressure; :mod:`.pods`: one pod's life in times
*   :mod:`.slo`: SLO verdicts; :mod:`.compare`: baseline comparison; :mod:`.catalog`: metric names
"""

from k8sstress.analyze.catalog import METRICS, OUTCOME_METRIC, MetricSpec
from k8sstress.analyze.classification import classify_run
from k8sstress.analyze.compare import Comparison, MetricDelta, compare
from k8sstress.analyze.inputs import Options, PromSeries, RunInput
from k8sstress.analyze.outcomes import LaunchOutcome
from k8sstress.analyze.slo import SloReport, SloResult, evaluate_slos
from k8sstress.analyze.summary import Analysis, Summary, analyze, analyze_full

__all__ = [
    "analyze",
    "analyze_full",
    "Analysis",
    "Summary",
    "RunInput",
    "Options",
    "PromSeries",
    "LaunchOutcome",
    "classify_run",
    "evaluate_slos",
    "SloReport",
    "SloResult",
    "compare",
    "Comparison",
    "MetricDelta",
    "METRICS",
    "OUTCOME_METRIC",
    "MetricSpec",
]
