"""Analysis: joins launches, runner reports and cluster truth into verdicts. Pure: plain functions over plain records; no I/O, no kubernetes/kopf/rich imports."""
