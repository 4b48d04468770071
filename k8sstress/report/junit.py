"""junit.xml: one testcase per SLO, so any CI shows which requirement a run broke and why.

Layout (the common JUnit dialect that CI servers read)::

    <testsuites name="k8sstress" tests failures errors skipped time timestamp>
      <testsuite name="k8sstress.slo.<scenario>" tests failures errors skipped time timestamp hostname>
        <properties><property name="partial" value="false"/> ...</properties>
        <testcase classname="k8sstress.slo.<scenario>" name="launch_api_p99_s <= 1.0" time="0">
          <failure message="launch_api_p99_s = 2.5, required at most 1" type="SLOFailed">evidence</failure>
        </testcase>
        <testcase ...><skipped message="no Prometheus in this run"/></testcase>
        <system-out>notes</system-out>
      </testsuite>
    </testsuites>

An SLO section with an unknown metric or a bad bound is an ``<error>`` (the scenario is
wrong, not the system). A scenario without SLOs gives a suite with no testcases.
"""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from k8sstress.analyze import Summary

__all__ = ["render_junit"]


def _invalid(message: str) -> bool:
    return message.startswith(("unknown metric", "invalid SLO"))


def render_junit(s: Summary, *, hostname: str | None = None) -> str:
    scenario = str(s.run.get("scenario") or "run")
    suite_name = f"k8sstress.slo.{scenario}"
    started = s.run.get("started_at")
    stamp = datetime.fromtimestamp(float(started), UTC).strftime("%Y-%m-%dT%H:%M:%S") if started else \
        datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    duration = f"{float(s.run.get('duration_s') or 0.0):.3f}"
    results = s.slo.results
    errors = sum(1 for r in results if not r.passed and _invalid(r.message))
    failures = sum(1 for r in results if not r.passed and not _invalid(r.message))
    skipped = sum(1 for r in results if r.skipped)
    counts = {"tests": str(len(results)), "failures": str(failures), "errors": str(errors),
              "skipped": str(skipped), "time": duration}
    root = ET.Element("testsuites", {"name": "k8sstress", **counts, "timestamp": stamp})
    suite = ET.SubElement(root, "testsuite", {"name": suite_name, **counts, "timestamp": stamp,
                                              "hostname": hostname or socket.gethostname() or "localhost"})
    props = ET.SubElement(suite, "properties")
    target = s.run.get("target")
    for key, value in (("scenario", scenario), ("scenario_file", s.run.get("scenario_file")),
                       ("run_id", s.run.get("run_id")),
                       ("target", target.get("kind") if isinstance(target, dict) else target),
                       ("partial", str(s.partial).lower()), ("slo_passed", str(s.slo.passed).lower()),
                       ("launches", s.metrics.get("launches")), ("outcomes", ", ".join(
                           f"{k}={v}" for k, v in s.outcomes.items()))):
        if value is not None:
            ET.SubElement(props, "property", {"name": key, "value": str(value)})
    for r in results:
        case = ET.SubElement(suite, "testcase", {"classname": suite_name, "name": r.name, "time": "0"})
        if r.skipped:
            ET.SubElement(case, "skipped", {"message": r.message})
        elif not r.passed:
            kind = "error" if _invalid(r.message) else "failure"
            el = ET.SubElement(case, kind, {"message": r.message, "type": "InvalidSLO" if kind == "error" else "SLOFailed"})
            el.text = "\n".join(x for x in (r.message, r.evidence) if x)
        else:
            out = ET.SubElement(case, "system-out")
            out.text = r.message
    notes = list(s.notes)
    if s.partial:
        notes.insert(0, "PARTIAL RECORD: the run was cut short; SLOs are judged on what was recorded.")
    sysout = ET.SubElement(suite, "system-out")
    sysout.text = "\n".join(notes) if notes else "k8sstress SLO verdicts"
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
