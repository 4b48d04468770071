"""Range queries over a run's window, reduced to plain series.

The queries use the standard metric names: ``process_*`` (any Prometheus client,
including the reference runner's), ``apiserver_*`` (kube-apiserver), and
kube-state-metrics' ``kube_pod_*`` when it is scraped. A query that returns nothing
is simply absent from the result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from k8sstress.analyze.inputs import PromSeries

__all__ = ["Query", "QUERIES", "query_run", "series_from_result"]


@dataclass(frozen=True)
class Query:
    name: str
    promql: str
    unit: str
    max_series: int = 4
    label_keys: tuple[str, ...] = ("pod", "instance", "job")


QUERIES: tuple[Query, ...] = (
    Query("runner_memory_bytes", 'max by (instance) (process_resident_memory_bytes{{job=~"{runner}"}})', "bytes"),
    Query("runner_cpu_cores", 'sum by (instance) (rate(process_cpu_seconds_total{{job=~"{runner}"}}[1m]))', "cores"),
    Query("runner_threads", 'max by (instance) (process_threads{{job=~"{runner}"}})', ""),
    Query("runner_launch_p99_s",
          'histogram_quantile(0.99, sum by (le) (rate(k8sstress_runner_launch_seconds_bucket[1m])))', "s", 1),
    Query("runner_backpressure_per_s", 'sum(rate(k8sstress_runner_backpressure_total[1m]))', "per_s", 1),
    Query("runner_runs", 'sum by (state) (k8sstress_runner_runs)', "", 6, ("state",)),
    Query("apiserver_request_p99_s",
          'histogram_quantile(0.99, sum by (le) (rate(apiserver_request_duration_seconds_bucket'
          '{{verb!~"WATCH|CONNECT"}}[1m])))', "s", 1),
    Query("apiserver_429_per_s", 'sum(rate(apiserver_request_total{{code="429"}}[1m]))', "per_s", 1),
    Query("apiserver_inflight", 'sum by (request_kind) (apiserver_current_inflight_requests)', "", 2,
          ("request_kind",)),
    Query("pods_by_phase", 'sum by (phase) (kube_pod_status_phase{{namespace=~"{namespace}"}})', "", 5, ("phase",)),
)


def series_from_result(q: Query, result: Sequence[Mapping[str, Any]]) -> list[PromSeries]:
    out: list[PromSeries] = []
    for item in list(result)[: q.max_series]:
        labels = item.get("metric") or {}
        label = ",".join(f"{k}={labels[k]}" for k in q.label_keys if k in labels)
        points: list[tuple[float, float]] = []
        for t, v in item.get("values") or []:
            try:
                fv = float(v)
            except (TypeError, ValueError):
                continue
            if not (math.isnan(fv) or math.isinf(fv)):
                points.append((float(t), fv))
        if points:
            out.append(PromSeries(name=q.name, query=q.promql, points=tuple(points), unit=q.unit,
                                  label=label if len(result) > 1 else ""))
    return out


def query_run(url: str, start: float, end: float, *, runner_job: str = ".*runner.*", namespace: str = ".*",
              step_s: float | None = None, timeout_s: float = 10.0,
              queries: Sequence[Query] = QUERIES) -> tuple[list[PromSeries] | None, str | None]:
    """All :data:`QUERIES` over ``[start, end]``. Returns ``(series, note)``; series is None when
    Prometheus could not be reached (the note says why)."""
    try:
        from prometheus_api_client import PrometheusConnect
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        return None, f"prometheus-api-client is not installed ({exc})"
    end = max(end, start + 1.0)
    step = step_s or max(1.0, math.ceil((end - start) / 300.0))
    try:
        from urllib3.util.retry import Retry

        prom = PrometheusConnect(url=url, disable_ssl=True, timeout=timeout_s,
                                 retry=Retry(total=1, backoff_factor=0.2, status_forcelist=[502, 503, 504]))
        if not prom.check_prometheus_connection():
            return None, f"Prometheus at {url} did not answer; runner and apiserver metrics are missing"
    except Exception as exc:  # any connection problem: report it, never fail the report
        return None, f"Prometheus at {url} did not answer ({type(exc).__name__}: {exc}); runner and apiserver " \
                     "metrics are missing"
    out: list[PromSeries] = []
    failed: list[str] = []
    t0 = datetime.fromtimestamp(start, UTC)
    t1 = datetime.fromtimestamp(end, UTC)
    for q in queries:
        promql = q.promql.format(runner=runner_job, namespace=namespace)
        try:
            result = prom.custom_query_range(query=promql, start_time=t0, end_time=t1, step=f"{step:g}s")
        except Exception as exc:
            failed.append(f"{q.name} ({type(exc).__name__})")
            continue
        out.extend(series_from_result(Query(q.name, promql, q.unit, q.max_series, q.label_keys), result or []))
    note = f"Prometheus at {url}: {len(out)} series"
    if failed:
        note += f"; queries that failed: {', '.join(failed)}"
    return out, note
