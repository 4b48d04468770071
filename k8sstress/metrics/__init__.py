"""Metrics: Prometheus queries for the runner, the apiserver and nodes; optional: everything works without Prometheus."""
