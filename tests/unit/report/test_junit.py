"""junit.xml validates against a JUnit schema, one testcase per SLO, evidence in the failures."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from k8sstress.analyze import Summary
from k8sstress.report import load_summary, render_junit

XSD = Path(__file__).resolve().parents[2] / "fixtures" / "junit.xsd"


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


@pytest.mark.parametrize("name", ["exhaustion", "backpressure", "lost", "orphaned", "partial"])
def test_validates_against_the_schema(finalized, schema, name):
    path = finalized(name) / "junit.xml"
    schema.validate(str(path))
    root = ET.parse(path).getroot()
    s = load_summary(finalized(name))
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(s.slo.results)
    assert int(root.get("failures")) == sum(1 for r in s.slo.results if not r.passed)


def test_failures_carry_the_evidence(finalized):
    root = ET.parse(finalized("exhaustion") / "junit.xml").getroot()
    cases = {c.get("name"): c for c in root.iter("testcase")}
    lost = cases["lost <= 0"].find("failure")
    assert lost is not None and lost.get("type") == "SLOFailed"
    assert "e-037" in lost.text and "lost = 1" in lost.get("message")
    assert cases["runner_memory_max_bytes <= 536870912"].find("skipped") is not None
    assert cases["launch_success_rate >= 0.5"].find("failure") is None


def test_bad_slo_is_an_error_and_no_slo_is_an_empty_suite(finalized, schema):
    s = load_summary(finalized("lost"))
    from k8sstress.analyze import evaluate_slos

    bad = s.model_copy(deep=True)
    bad.slo = evaluate_slos({"no_such_metric": {"max": 1}}, s.metrics)
    xml = render_junit(bad, hostname="ci")
    schema.validate(xml)
    root = ET.fromstring(xml)
    assert root.get("errors") == "1" and root.find(".//error").get("type") == "InvalidSLO"
    empty = Summary(run={"scenario": "none"})
    xml = render_junit(empty, hostname="ci")
    schema.validate(xml)
    assert ET.fromstring(xml).get("tests") == "0"


def test_schema_rejects_a_malformed_report(schema):
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        schema.validate('<testsuites><testsuite name="x" tests="one" failures="0" errors="0"/></testsuites>')
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        schema.validate('<testsuites><testsuite name="x" tests="1" failures="0" errors="0">'
                        '<testcase name="a"/></testsuite></testsuites>')
