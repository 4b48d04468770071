"""The runner's Prometheus metrics, in a registry of its own (several runners may share a process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["RunnerMetrics", "CONTENT_TYPE"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class RunnerMetrics:
    def __init__(self, policy: str) -> None:
        r = self.registry = CollectorRegistry()
        self.launches = Counter("k8sstress_runner_launches_total", "Launch requests by mode, limits and answer",
                                ["mode", "limits", "result"], registry=r)
        self.launch_seconds = Histogram("k8sstress_runner_launch_seconds", "Time to answer a launch request",
                                        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
                                        registry=r)
        self.creates = Counter("k8sstress_runner_creates_total", "Create calls to the API server by HTTP status",
                               ["status"], registry=r)
        self.retries = Counter("k8sstress_runner_create_retries_total", "Create calls retried", registry=r)
        self.backpressure = Counter("k8sstress_runner_backpressure_total", "Launches answered 429",
                                    ["why"], registry=r)
        self.stops = Counter("k8sstress_runner_stops_total", "Stop requests by answer", ["result"], registry=r)
        self.transitions = Counter("k8sstress_runner_state_changes_total", "Run state changes seen",
                                   ["state", "reason"], registry=r)
        self.pending_timeouts = Counter("k8sstress_runner_pending_timeouts_total",
                                        "Pods deleted for being Pending too long", registry=r)
        self.callbacks = Counter("k8sstress_runner_callbacks_total", "Callback deliveries by result",
                                 ["result"], registry=r)
        self.runs = Gauge("k8sstress_runner_runs", "Runs known, by state", ["state"], registry=r)
        self.watch_events = Counter("k8sstress_runner_watch_events_total", "Watch events from kopf",
                                    ["resource"], registry=r)
        self.info = Gauge("k8sstress_runner_info", "The runner's policy", ["policy"], registry=r)
        self.info.labels(policy=policy).set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)
