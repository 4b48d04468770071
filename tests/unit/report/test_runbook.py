"""runbook.md: one section per failure class seen, each with the same parts, with the run's figures."""

from __future__ import annotations

import re

import pytest

from k8sstress.report import load_summary
from k8sstress.report.runbook import OK_OUTCOMES, failure_classes

PARTS = ("### Symptoms", "### How to detect it", "### What this runner did", "### Likely cause",
         "### Remediation", "### Rerun")


def sections(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in re.finditer(r"^## (.+?)\n(.*?)(?=^## |\Z)", text, re.S | re.M):
        out[m.group(1)] = m.group(2)
    return out


@pytest.mark.parametrize("name", ["lost", "orphaned", "drift", "retries", "backpressure", "exhaustion", "partial"])
def test_sections_match_the_outcomes_seen(finalized, name):
    d = finalized(name)
    s = load_summary(d)
    text = (d / "runbook.md").read_text()
    secs = sections(text)
    outcome_sections = {k.removeprefix("Outcome: ") for k in secs if k.startswith("Outcome: ")}
    seen = {o for o, n in {**s.pod_outcomes, **s.outcomes}.items() if n and o not in OK_OUTCOMES}
    seen |= {o for o, e in s.by_outcome.items() if (e.get("pods") or e.get("launches")) and o not in OK_OUTCOMES}
    assert outcome_sections == seen == set(failure_classes(s))
    for title in outcome_sections:
        body = secs[f"Outcome: {title}"]
        for part in PARTS:
            assert part in body, f"{title}: {part} missing"
    for required in ("Summary", "Bottlenecks", "Recommendations", "Rerunning this test"):
        assert required in secs


def test_figures_come_from_the_run(finalized):
    text = (finalized("exhaustion") / "runbook.md").read_text()
    secs = sections(text)
    evicted = secs["Outcome: Evicted"]
    assert "11 launches ended Evicted" in evicted
    assert "by=kubelet 11" in evicted and "resource=memory 11" in evicted
    assert "First seen 36.0 s into the run" in evicted
    assert "kubectl get events -n stress --field-selector reason=Evicted" in evicted
    assert 'kube_pod_status_reason{reason="Evicted", namespace="stress"}' in evicted
    assert "BestEffort" in evicted
    unsched = secs["Outcome: Unschedulable"]
    assert "it never pushed back (no 429)" in unsched
    assert "did not recover within the run" in unsched
    assert "Too many pods" in unsched and "Insufficient cpu" in unsched
    lost = secs["Outcome: Lost"]
    assert "e-037" in lost and "run-e-037" in lost
    orphan = secs["Outcome: Orphaned"]
    assert "stress/node-run-006" in orphan
    assert "k8sstress run scenarios/exhaustion.yaml --target reference --out runs/rerun" in orphan
    assert "Runner: drift" in secs and "Runner: errors" in secs
    bottlenecks = secs["Bottlenecks"]
    assert bottlenecks.index("node memory") < bottlenecks.index("schedulable capacity")
    assert "36.0 s into the run at 0.808 launches/s offered" in bottlenecks


def test_runner_sections_follow_what_the_runner_did(finalized):
    secs = sections((finalized("retries") / "runbook.md").read_text())
    assert "Runner: duplicates" in secs and "`r-2`" in secs["Runner: duplicates"]
    assert "Runner: drift" not in secs
    secs = sections((finalized("orphaned") / "runbook.md").read_text())
    assert "Runner: leaks" in secs  # two pods left, one of them Orphaned: the failed stop is a leak of its own
    assert "Runner: drift" in secs and "said Stopped while the cluster showed Running" in secs["Runner: drift"]


def test_a_clean_run_has_no_failure_sections(finalized):
    text = (finalized("backpressure") / "runbook.md").read_text()
    secs = sections(text)
    # back-pressure refusals are AdmissionRejected (refused by the runner): a class of its own
    assert {k for k in secs if k.startswith("Outcome: ")} == {"Outcome: Unschedulable", "Outcome: AdmissionRejected"}
    assert "pushed back with 429 3 times" in secs["Outcome: Unschedulable"]
