"""Reports: report.html, runbook.md, summary.json, junit.xml and baseline comparison."""
