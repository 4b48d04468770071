"""The Grafana dashboard and the Prometheus rules: valid, consistent with each other, promtool-clean."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
DASHBOARD = ROOT / "manifests" / "grafana" / "k8sstress-dashboard.json"
RULES = ROOT / "manifests" / "prometheus" / "rules.yaml"


def rules() -> list[dict]:
    return [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]


def test_rules_record_and_alert_on_pending_evicted_oomkilled():
    rs = rules()
    records = {r["record"] for r in rs if "record" in r}
    alerts = {r["alert"]: r for r in rs if "alert" in r}
    assert {"k8sstress:pods_pending:count", "k8sstress:pods_evicted:count",
            "k8sstress:containers_oomkilled:count"} <= records
    assert {"K8sStressPodsPendingTooLong", "K8sStressPodsEvicted", "K8sStressContainersOOMKilled"} <= set(alerts)
    for alert in alerts.values():
        assert alert["labels"]["severity"] in ("info", "warning", "critical")
        assert alert["annotations"]["summary"]
        used = set(re.findall(r"k8sstress:[a-z0-9_:]+", alert["expr"]))
        assert used <= records, used - records


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed (Debian: prometheus package)")
def test_promtool_accepts_the_rules():
    proc = subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dashboard_is_valid_and_uses_defined_series():
    dash = json.loads(DASHBOARD.read_text())
    assert dash["uid"] and dash["title"] and dash["schemaVersion"] >= 30
    panels = [p for p in dash["panels"] if p["type"] != "row"]
    assert len(panels) >= 10
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids))
    names = {v["name"] for v in dash["templating"]["list"]}
    assert {"datasource", "namespace"} <= names
    records = {r["record"] for r in rules() if "record" in r}
    exprs = [t["expr"] for p in panels for t in p["targets"]]
    assert all(e.strip() for e in exprs)
    for e in exprs:
        used = set(re.findall(r"k8sstress:[a-z0-9_:]+", e))
        assert used <= records, f"{e} uses undefined recording rules {used - records}"
        assert e.count("(") == e.count(")"), e
        assert set(re.findall(r"\$(\w+)", e)) <= names | {"__all"}, e
    titles = " ".join(p["title"] for p in panels)
    for needle in ("Pods by phase", "Pods by failure outcome", "Launches by answer", "Launch latency",
                   "Runner memory"):
        assert needle in titles
    # every panel sits on the 24-column grid
    for p in dash["panels"]:
        g = p["gridPos"]
        assert 0 <= g["x"] and g["x"] + g["w"] <= 24
