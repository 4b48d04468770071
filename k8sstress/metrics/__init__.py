"""Metrics: Prometheus queries for the runner, the apiserver and nodes; optional: everything works without Prometheus.

:func:`query_run` asks a Prometheus (prometheus-api-client) for the run's window and
returns plain :class:`~k8sstress.analyze.PromSeries`; it never raises for an absent or
broken Prometheus, it says why in a note instead.
"""

from k8sstress.metrics.prometheus import QUERIES, Query, query_run

__all__ = ["query_run", "QUERIES", "Query"]
