"""Every metric the analysis emits is catalogued, and documented in docs/report.md."""

from __future__ import annotations

import re
from pathlib import Path

from k8sstress.analyze import METRICS, OUTCOME_METRIC
from k8sstress.records import OUTCOMES

DOC = Path(__file__).resolve().parents[3] / "docs" / "report.md"


def test_metrics_emitted_are_catalogued(analysed):
    for name in ("lost", "exhaustion", "backpressure"):
        s = analysed(name).summary
        assert set(s.metrics) == set(METRICS), set(s.metrics) ^ set(METRICS)
        assert not any("uncatalogued" in n for n in s.notes)


def test_every_outcome_has_a_metric():
    assert set(OUTCOME_METRIC) == set(OUTCOMES)


def test_every_metric_is_documented():
    text = DOC.read_text()
    documented = set(re.findall(r"`([a-z0-9_]+)`", text))
    missing = sorted(set(METRICS) - documented)
    assert not missing, f"metrics missing from docs/report.md: {missing}"


def test_summary_outcomes_name_every_class_seen(analysed):
    s = analysed("exhaustion").summary
    assert set(s.outcomes) == {"Unschedulable", "Succeeded", "OOMKilled", "Evicted", "AdmissionRejected",
                               "Stopped", "Lost", "Orphaned"}
    assert all(name in OUTCOMES for name in s.outcomes)
