"""Every metric name ``summary.json`` may carry in ``metrics``, with its unit, which direction is
better, and one line of meaning. SLOs name these; ``compare`` judges them; docs/report.md
documents each (a test keeps the three in step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from k8sstress.records import Outcome

__all__ = ["MetricSpec", "METRICS", "OUTCOME_METRIC", "metric_spec", "FAILURE_OUTCOMES"]

Unit = Literal["s", "count", "ratio", "per_s", "bytes", "cores", "bool", "node_s"]
Better = Literal["lower", "higher"] | None


@dataclass(frozen=True)
class MetricSpec:
    name: str
    unit: Unit
    better: Better
    doc: str
    group: str


OUTCOME_METRIC: dict[str, str] = {
    "Pending": "pending",
    "Unschedulable": "unschedulable",
    "Running": "running",
    "Succeeded": "succeeded",
    "Failed": "failed",
    "OOMKilled": "oomkilled",
    "CrashLoopBackOff": "crashloopbackoff",
    "Evicted": "evicted",
    "Preempted": "preempted",
    "KubeletRejected": "kubelet_rejected",
    "ImagePullFailed": "image_pull_failed",
    "AdmissionRejected": "admission_rejected",
    "Deleted": "deleted",
    "Stopped": "stopped",
    "Lost": "lost",
    "Orphaned": "orphaned",
}
"""Outcome name -> the metric counting launches that ended with it."""

FAILURE_OUTCOMES = frozenset(o for o in Outcome if o not in (Outcome.RUNNING, Outcome.SUCCEEDED, Outcome.STOPPED))

_SPECS: list[MetricSpec] = []


def _m(name: str, unit: Unit, better: Better, doc: str, group: str) -> None:
    _SPECS.append(MetricSpec(name, unit, better, doc, group))


# run and load
_m("duration_s", "s", None, "observed duration of the run (first launch or start to end of observation)", "run")
_m("launches", "count", None, "launches sent to the runner", "run")
_m("launches_accepted", "count", None, "launches the runner accepted", "run")
_m("launches_rejected", "count", None, "launches the runner answered with a refusal (4xx)", "run")
_m("launches_errored", "count", None, "launches that failed (5xx, timeout, connection error)", "run")
_m("launches_unanswered", "count", "lower", "launches with no answer by the end of the record", "run")
_m("launch_error_rate", "ratio", "lower", "(rejected + errored) / launches", "run")
_m("launch_success_rate", "ratio", "higher", "launches ending Succeeded, Running or Stopped / launches", "run")
_m("launch_rate_mean_per_s", "per_s", None, "launches sent per second over the run", "run")
_m("launch_rate_peak_per_s", "per_s", None, "launches sent per second in the busiest time bucket", "run")
_m("lateness_p99_s", "s", "lower", "p99 of (sent - scheduled): the load generator's own lag (coordinated omission check)", "run")
# launch API
for q in ("p50", "p95", "p99"):
    _m(f"launch_api_{q}_s", "s", "lower", f"launch API latency {q} (request sent -> answer), answered launches", "api")
_m("launch_api_max_s", "s", "lower", "launch API latency maximum", "api")
_m("launch_api_mean_s", "s", "lower", "launch API latency mean", "api")
_m("backpressure_responses", "count", None, "launch answers with HTTP 429 (Too Many Requests)", "api")
_m("backpressure_seen", "bool", None, "1 when the runner pushed back with 429 at least once", "api")
_m("accepted_while_saturated", "count", None, "launches the runner accepted while at least one pod was Unschedulable", "api")
# latencies per phase
_PHASES = {
    "launch_to_pod": "launch sent -> first pod of the launch seen (accepted launches; no pod = unreached)",
    "pod_scheduled": "pod created -> PodScheduled=True",
    "pod_running": "pod created -> phase Running (or a container started)",
    "pod_ready": "pod created -> Ready=True (a Succeeded pod that never was Ready counts at its start)",
    "stop_to_gone": "stop sent -> the last live pod of the launch deleted",
}
for phase, meaning in _PHASES.items():
    for q in ("p50", "p95", "p99", "max"):
        _m(f"{phase}_{q}_s", "s", "lower",
           f"{meaning}: {q}; unreached count as infinite, so null when the quantile is unreached", "latency")
    _m(f"{phase}_unreached", "count", "lower", f"{meaning}: never reached within the run", "latency")
_m("pending_median_s", "s", "lower", "median time pods stayed Pending (Kaplan–Meier: still-pending pods are censored, not dropped)", "latency")
_m("pending_p90_s", "s", "lower", "time by which 90% of pods had left Pending (Kaplan–Meier); null when fewer ever did", "latency")
_m("pending_censored", "count", "lower", "pods never scheduled while watched (censored in the Pending-time curve)", "latency")
_m("stops", "count", None, "stop requests sent", "stop")
_m("stops_accepted", "count", None, "stop requests the runner confirmed", "stop")
_m("stop_error_rate", "ratio", "lower", "stop requests not confirmed (error, rejected, not-found, unanswered) / stops", "stop")
# drift and leaks
_m("state_reports", "count", None, "state reports received from the runner (polls and callbacks)", "drift")
_m("drift_launches", "count", "lower", "launches whose reported state disagreed with the cluster beyond the grace", "drift")
_m("drift_episodes", "count", "lower", "runs of consecutive disagreeing reports", "drift")
_m("drift_max_s", "s", "lower", "the longest disagreement", "drift")
_m("drift_total_s", "s", "lower", "the sum of all disagreements (launch-seconds)", "drift")
_m("drift_final_launches", "count", "lower", "launches whose last reported state disagrees with the final truth", "drift")
_m("leaked_pods", "count", "lower", "pods still present at the end although their launch's stop was sent", "leaks")
_m("unmatched_pods", "count", "lower", "pods seen that no launch of this run accounts for", "leaks")
# retries
_m("pods", "count", None, "pods seen for this run", "retries")
_m("pods_per_launch_max", "count", None, "most pods any one launch got", "retries")
_m("pods_per_launch_mean", "count", None, "mean pods per launch that got a pod", "retries")
_m("retried_launches", "count", None, "launches that got more than one pod", "retries")
_m("retry_pods", "count", None, "pods beyond the first, over all launches", "retries")
_m("duplicate_launches", "count", "lower", "launches with two pods alive at the same time", "retries")
# outcomes
for outcome, metric in OUTCOME_METRIC.items():
    better: Better = None if outcome in ("Running", "Succeeded", "Stopped") else "lower"
    _m(metric, "count", better, f"launches whose final outcome is {outcome}", "outcomes")
_m("pods_ever_unschedulable", "count", "lower", "pods that were Unschedulable at some point", "outcomes")
_m("pods_evicted", "count", "lower", "pods evicted (retried launches count each pod)", "outcomes")
_m("pods_oomkilled", "count", "lower", "pods with at least one container OOM kill (restarted ones too)", "outcomes")
_m("pods_preempted", "count", "lower", "pods preempted by the scheduler", "outcomes")
_m("kills", "count", "lower", "pods evicted, preempted or OOM-killed", "outcomes")
_m("eviction_order_by_qos", "bool", None, "1 when BestEffort pods were evicted no later than Burstable, and Burstable no later than Guaranteed", "outcomes")
# saturation and recovery
_m("saturation_s", "s", None, "time with at least one Unschedulable pod", "recovery")
_m("saturation_episodes", "count", None, "separate periods of saturation", "recovery")
_m("recovery_s", "s", "lower", "longest time from capacity freed to no pod Unschedulable, over saturation episodes", "recovery")
_m("recovered", "bool", "higher", "1 when every saturation episode ended within the run", "recovery")
# breaking point
for key, what in (("first_unschedulable", "the first Unschedulable pod"), ("first_eviction", "the first eviction"),
                  ("first_oom", "the first OOM kill"), ("first_slo_break", "the first SLO break"),
                  ("latency_knee", "the launch-latency knee")):
    _m(f"{key}_at_s", "s", "higher", f"seconds into the run of {what}", "breaking")
    _m(f"{key}_rate_per_s", "per_s", "higher", f"offered launch rate at {what}", "breaking")
_m("max_rate_held_per_s", "per_s", "higher", "the methodology's maximum: target rate of the last profile step held within the SLOs (staircase runs)", "breaking")
# nodes
_m("node_cpu_allocated_max", "ratio", None, "peak share of allocatable cpu requested by bound pods", "nodes")
_m("node_memory_allocated_max", "ratio", None, "peak share of allocatable memory requested by bound pods", "nodes")
_m("node_pods_allocated_max", "ratio", None, "peak share of the nodes' pod capacity in use", "nodes")
_m("nodes_pressure_max", "count", "lower", "most nodes under Memory/Disk/PID pressure at once", "nodes")
_m("node_pressure_s", "node_s", "lower", "node-seconds under pressure", "nodes")
_m("nodes_not_ready_max", "count", "lower", "most nodes not Ready at once", "nodes")
# prometheus
_m("runner_memory_max_bytes", "bytes", "lower", "runner resident memory, maximum (Prometheus)", "prometheus")
_m("runner_cpu_max_cores", "cores", "lower", "runner cpu use, maximum (Prometheus)", "prometheus")
_m("apiserver_request_p99_max_s", "s", "lower", "apiserver request latency p99 (non-watch), maximum over the run (Prometheus)", "prometheus")
_m("apiserver_429_total", "count", None, "apiserver answers with 429 over the run (Prometheus)", "prometheus")

METRICS: dict[str, MetricSpec] = {m.name: m for m in _SPECS}


def metric_spec(name: str) -> MetricSpec | None:
    return METRICS.get(name)
