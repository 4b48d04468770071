"""runbook.md: what a client's engineer reads to recognise, explain, fix and rerun what this run saw.

For every failure class seen (an outcome, or a runner behaviour such as state drift):
symptoms; how to detect it (kubectl, PromQL); what this runner did, with figures from
the run; the likely cause; the remediation; how to rerun. Then the bottlenecks and
recommendations, as the platform team's load-test method asks for.

Section headings are stable so tools (and tests) can find them: ``## Outcome: <Name>``
per outcome class, ``## Runner: <topic>`` per runner behaviour.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from k8sstress.analyze import Summary
from k8sstress.records import OUTCOMES
from k8sstress.report.playbook import PLAYS, RUNNER_PLAYS, Play

__all__ = ["render_runbook", "failure_classes", "runner_topics", "OK_OUTCOMES"]

OK_OUTCOMES = frozenset({"Running", "Succeeded", "Stopped"})
_BREAK_FOR = {"Unschedulable": "first_unschedulable", "Evicted": "first_eviction", "OOMKilled": "first_oom"}


def failure_classes(s: Summary) -> list[str]:
    """The failure outcomes this run saw: a launch ended so, or a pod was so at some point."""
    out = []
    for name in OUTCOMES:
        if name in OK_OUTCOMES:
            continue
        entry = s.by_outcome.get(name) or {}
        if s.outcomes.get(name) or s.pod_outcomes.get(name) or entry.get("pods") or entry.get("launches"):
            out.append(name)
    return out


def runner_topics(s: Summary) -> list[str]:
    m = s.metrics
    topics = []
    if (m.get("launch_error_rate") or 0) > 0 or m.get("backpressure_responses"):
        topics.append("errors")
    if m.get("drift_launches") or m.get("drift_final_launches"):
        topics.append("drift")
    if (m.get("leaked_pods") or 0) > (m.get("orphaned") or 0):
        topics.append("leaks")
    if m.get("duplicate_launches"):
        topics.append("duplicates")
    return topics


def _counts(d: Mapping[str, Any] | None, limit: int = 6) -> str:
    if not d:
        return "none"
    items = list(d.items())[:limit]
    text = ", ".join(f"{k} {v}" for k, v in items)
    return text + (f", … ({len(d) - limit} more)" if len(d) > limit else "")


def _n(count: Any, word: str) -> str:
    """``1 launch``, ``2 launches``."""
    plural = word + ("es" if word.endswith(("ch", "sh", "s")) else "s")
    return f"{count} {word if count == 1 else plural}"


def _num(x: Any, unit: str = "") -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        x = round(x, 3)
        if x.is_integer():
            x = int(x)
    return f"{x}{unit}"


def _context(s: Summary) -> tuple[str, str]:
    namespaces = [e.get("namespace") for items in s.examples.values() for e in items if e.get("namespace")]
    ns = max(set(namespaces), key=namespaces.count) if namespaces else "<namespace>"
    run_id = s.run.get("run_id")
    sel = f"k8sstress.io/run={run_id}" if run_id else "k8sstress.io/launch-id"
    return str(ns), sel


def _load(p: Mapping[str, Any]) -> str:
    """The load at a breaking point, in words."""
    offered = f"{p['rate_per_s']} launches/s offered"
    if p.get("target_rate_per_s") is not None:
        return f"a target of {p['target_rate_per_s']} launches/s ({offered} over the trailing window)"
    return offered


def _fill(text: str, ns: str, sel: str) -> str:
    return text.replace("{ns}", ns).replace("{sel}", sel).replace("{{", "{").replace("}}", "}")


def _causes(name: str, s: Summary, entry: Mapping[str, Any]) -> list[str]:
    play = PLAYS[name]
    reasons = " ".join(entry.get("reasons", {}).keys())
    limits = entry.get("limits", {})
    qos = entry.get("qos", {})
    keys: list[str] = []
    if name == "Unschedulable":
        if "Too many pods" in reasons:
            keys.append("pods")
        if "Insufficient" in reasons:
            keys.append("with")
        if "taint" in reasons:
            keys.append("without")
    elif name == "Evicted":
        if "by=taint-manager" in reasons:
            keys.append("node-loss")
        if qos.get("BestEffort") or limits.get("without"):
            keys.append("without")
        if qos.get("Burstable"):
            keys.append("with")
    elif name == "OOMKilled":
        keys += [k for k in ("with", "without") if limits.get(k)]
    elif name == "AdmissionRejected":
        if "reason=quota" in reasons:
            keys.append("quota")
        if "reason=limitrange" in reasons:
            keys.append("limitrange")
        if "refused_by=runner" in reasons:
            keys.append("runner")
    keys = [k for k in keys if k in play.causes] or ["default"]
    out = []
    for k in keys:
        share = ""
        if k in ("with", "without") and limits.get(k):
            share = f" ({limits[k]} of these launches were {k} limits)"
        out.append(play.causes.get(k, play.causes.get("default", "")) + share)
    return out


def _did(name: str, s: Summary, entry: Mapping[str, Any]) -> list[str]:
    m = s.metrics
    n = int(m.get("launches") or 0)
    launches = int(entry.get("launches") or 0)
    pods = int(entry.get("pods") or 0)
    out = []
    share = f" ({100.0 * launches / n:.1f} % of {n})" if n else ""
    out.append(f"{_n(launches, 'launch')} ended {name}{share}; {_n(pods, 'pod')} {'was' if pods == 1 else 'were'} "
               f"{name} at some point.")
    if entry.get("modes") or entry.get("qos"):
        out.append(f"Modes: {_counts(entry.get('modes'))}; limits asked: {_counts(entry.get('limits'))}; "
                   f"QoS classes: {_counts(entry.get('qos'))}.")
    if entry.get("reasons"):
        out.append(f"Why, as the cluster wrote it: {_counts(entry.get('reasons'))}.")
    if entry.get("nodes"):
        out.append(f"Nodes: {_counts(entry.get('nodes'))}.")
    if entry.get("first_at_s") is not None:
        text = f"First seen {entry['first_at_s']} s into the run"
        point = s.breaking_point.get(_BREAK_FOR.get(name, ""))
        if point:
            text += (f", at {_load(point)} with {point['pods_alive']} pods alive"
                     + (f" (step {point['step']})" if point.get("step") is not None else ""))
        out.append(text + ".")
    if launches:
        out.append(f"The runner's last reported state for these launches: {_counts(entry.get('runner_last_state'))}.")
        drifted = int(entry.get("drifted") or 0)
        grace = s.reaction.get("drift", {}).get("grace_s", 5.0)
        out.append(f"{drifted} of them drifted (the runner's state disagreed with the cluster for more than {grace} s)."
                   if drifted else "Its reported state matched the cluster (within the grace) for all of them.")
        retried = int(entry.get("retried") or 0)
        out.append(f"{_n(retried, 'launch')} retried with a new pod." if retried
                   else "The runner did not retry any of them.")
    if entry.get("simulated"):
        out.append(f"{entry['simulated']} of these outcomes were produced by the sim cluster's pressure model or "
                   "KWOK stages (simulated: true), with the strings a real kubelet writes.")
    if name == "Unschedulable":
        bp = s.reaction.get("backpressure", {})
        out.append(f"While pods were unschedulable ({_num(m.get('saturation_s'), ' s')} in "
                   f"{_num(m.get('saturation_episodes'))} episodes) the runner accepted "
                   f"{bp.get('accepted_while_saturated', 0)} launches and refused {bp.get('refused_while_saturated', 0)}; "
                   + ("it pushed back with 429 " f"{bp.get('responses')} times." if bp.get("seen")
                      else "it never pushed back (no 429)."))
        if m.get("recovered") == 0:
            out.append("The cluster was still saturated at the end of the run: it did not recover within the run.")
        elif m.get("recovery_s") is not None:
            out.append(f"Once capacity was freed, the last unschedulable pod was placed {_num(m.get('recovery_s'), ' s')} "
                       "later (recovery time).")
    if name == "AdmissionRejected":
        out.append(f"Launch answers by HTTP status: {_counts(s.reaction.get('backpressure', {}).get('status_codes'))}.")
    if name == "Orphaned":
        for ex in (s.reaction.get("leaks", {}).get("examples") or [])[:5]:
            out.append(f"Pod {ex['namespace']}/{ex['pod']} (launch {ex['launch_id']}) was still {ex['state']} "
                       f"{ex['since_stop_s']} s after the runner answered the stop ({ex['stop_status']}).")
    if name == "Lost":
        out.append("Accepted without a pod: " + ", ".join(
            f"{e['launch_id']} (run id {e.get('run_id') or '-'})" for e in s.examples.get("Lost", [])[:5]) + ".")
    ids = entry.get("launch_ids") or []
    if ids:
        out.append("Launches: " + ", ".join(f"`{i}`" for i in ids) + (" …" if launches > len(ids) else "") + ".")
    return out


def _runner_did(topic: str, s: Summary) -> list[str]:
    m = s.metrics
    r = s.reaction
    if topic == "errors":
        bp = r.get("backpressure", {})
        out = [f"{_num(m.get('launches_rejected'))} launches refused and {_num(m.get('launches_errored'))} failed out of "
               f"{_num(m.get('launches'))} (error rate {100.0 * (m.get('launch_error_rate') or 0):.2f} %); "
               f"HTTP statuses: {_counts(bp.get('status_codes'))}.",
               f"Back-pressure (429): {'seen ' + str(bp.get('responses')) + ' times' if bp.get('seen') else 'never'}"
               + (f", {bp.get('retry_after')} with Retry-After" if bp.get("retry_after") else "") + ".",
               f"Launch API latency: p50 {_num(m.get('launch_api_p50_s'), ' s')}, p99 {_num(m.get('launch_api_p99_s'), ' s')}, "
               f"max {_num(m.get('launch_api_max_s'), ' s')}."]
        knee = s.breaking_point.get("latency_knee")
        if knee:
            out.append(f"Latency bent upwards {knee['at_s']} s into the run at {_load(knee)} "
                       f"(p95 {knee.get('p95_s')} s against an early baseline of {knee.get('baseline_p95_s')} s).")
        return out
    if topic == "drift":
        d = r.get("drift", {})
        out = [f"{_num(m.get('drift_launches'))} launches drifted, {_num(m.get('drift_total_s'), ' s')} in all, the longest "
               f"{_num(m.get('drift_max_s'), ' s')}; {_num(m.get('drift_final_launches'))} launches' last reported state "
               f"disagrees with the final truth ({d.get('reports', 0)} state reports)."]
        for e in (d.get("episodes") or [])[:5]:
            out.append(f"`{e['launch_id']}`: the runner said {e['reported']} while the cluster showed {e['truth']} for "
                       f"{e['duration_s']} s from {e['start_s']} s{' (until the end)' if e.get('open') else ''}.")
        return out
    if topic == "leaks":
        lk = r.get("leaks", {})
        out = [f"{lk.get('leaked_pods', 0)} pods of {lk.get('leaked_launches', 0)} stopped launches were still present "
               "at the end."]
        for ex in (lk.get("examples") or [])[:5]:
            out.append(f"{ex['namespace']}/{ex['pod']} (launch {ex['launch_id']}, stop {ex['stop_status']}, "
                       f"{ex['since_stop_s']} s after).")
        return out
    rt = r.get("retries", {})
    return [f"{_num(m.get('duplicate_launches'))} launches had two pods alive at once: "
            + ", ".join(f"`{x}`" for x in rt.get("duplicate_examples", [])) + "."]


def _rerun(s: Summary, run_dir: str | None) -> list[str]:
    scenario = s.run.get("scenario_file") or f"scenarios/{s.run.get('scenario')}.yaml"
    target = s.run.get("target")
    kind = target.get("kind") if isinstance(target, Mapping) else target
    ts = s.run.get("time_scale")
    cmd = f"k8sstress run {scenario}" + (f" --target {kind}" if kind else "") + " --out runs/rerun"
    if ts not in (None, 1, 1.0):
        cmd += f" --time-scale {ts}"
    lines = ["```sh", cmd, "k8sstress report runs/rerun        # report.html, runbook.md, summary.json, junit.xml"]
    if run_dir:
        lines.append(f"k8sstress compare {run_dir} runs/rerun   # exit 3 if the rerun regressed")
    lines.append("```")
    return lines


def _section(play: Play, heading: str, seen: str, did: list[str], causes: list[str], ns: str, sel: str,
             rerun: list[str]) -> list[str]:
    out = [f"## {heading}", "", f"*{play.title}.* {seen}", "", "### Symptoms", "", play.symptoms, "",
           "### How to detect it", "", "```sh"]
    out += [_fill(c, ns, sel) for c in play.kubectl]
    out += ["```", ""]
    if play.promql:
        out += ["PromQL:", "", "```promql"] + [_fill(q, ns, sel) for q in play.promql] + ["```", ""]
    out += ["### What this runner did", ""] + [f"- {d}" for d in did] + [""]
    out += ["### Likely cause", ""] + [f"- {c}" for c in causes] + [""]
    out += ["### Remediation", ""] + [f"{i}. {r}" for i, r in enumerate(play.remediation, 1)] + [""]
    out += ["### Rerun", "", "Rerun the scenario after a change, then compare with this run:", ""] + rerun + [""]
    return out


def _bottlenecks(s: Summary) -> list[str]:
    m = s.metrics
    bp = s.breaking_point
    out: list[str] = []
    labels = {"first_unschedulable": ("the cluster's schedulable capacity (requests or pod count)", "cluster"),
              "first_eviction": ("node memory (kubelet evictions)", "nodes"),
              "first_oom": ("container memory limits or node memory (OOM kills)", "nodes/containers"),
              "first_slo_break": ("the scenario's SLOs", "runner or cluster"),
              "latency_knee": ("the runner's launch API (latency knee)", "runner")}
    points = sorted(((k, bp[k]) for k in labels if bp.get(k)), key=lambda kv: kv[1]["at_s"])
    if not points:
        out.append("- No limit was reached in this run: no unschedulable pod, eviction, OOM kill, SLO break or "
                   "latency knee. Raise the load (a higher staircase step) to find the maximum.")
    for i, (k, p) in enumerate(points, 1):
        what, where = labels[k]
        extra = f" ({p['slo']})" if k == "first_slo_break" and p.get("slo") else ""
        step = f", step {p['step']}" if p.get("step") is not None else ""
        out.append(f"{i}. **{what}**{extra}: reached {p['at_s']} s into the run at {_load(p)}, "
                   f"{p['pods_alive']} pods alive{step}. Where: {where}.")
    alloc = [(k, m.get(k)) for k in ("node_cpu_allocated_max", "node_memory_allocated_max", "node_pods_allocated_max")]
    if any(v is not None for _, v in alloc):
        out.append("- Peak node allocation: " + ", ".join(
            f"{k.split('_')[1]} {100 * v:.0f} %" for k, v in alloc if v is not None) + " of allocatable.")
    if m.get("nodes_pressure_max"):
        out.append(f"- Up to {m['nodes_pressure_max']} nodes under pressure ({_num(m.get('node_pressure_s'))} node-seconds).")
    if m.get("lost") or m.get("orphaned") or m.get("drift_launches"):
        out.append(f"- The runner's bookkeeping: {_num(m.get('lost'))} lost, {_num(m.get('orphaned'))} orphaned, "
                   f"{_num(m.get('drift_launches'))} launches with state drift.")
    return out


def _recommendations(s: Summary, classes: list[str], topics: list[str]) -> list[str]:
    m = s.metrics
    out: list[str] = []
    for name in classes:
        play = PLAYS.get(name)
        if play and play.remediation:
            out.append(f"- {name}: {play.remediation[0]}")
    for t in topics:
        play = RUNNER_PLAYS[t]
        out.append(f"- {play.title}: {play.remediation[0]}")
    slo_break = s.breaking_point.get("first_slo_break")
    if slo_break and slo_break.get("step") not in (None, 1):
        out.append(f"- Maximum-performance search: the last step held within the SLOs is step {slo_break['step'] - 1}; "
                   "run the 12 h soak at 80 % of that step's rate (never below the required load).")
    elif slo_break:
        out.append(f"- The SLOs broke at {_load(slo_break)}: the maximum lies below that; "
                   "run a staircase with smaller steps below it to find the last step held.")
    elif s.slo.results:
        out.append("- Every SLO held: raise the staircase to find the breaking point, then soak at 80 % of it.")
    if m.get("backpressure_seen") == 0 and (m.get("pods_ever_unschedulable") or m.get("admission_rejected")):
        out.append("- The runner never pushed back while the cluster said no: add back-pressure (429 + Retry-After) "
                   "so callers slow down instead of piling up work.")
    return out or ["- Nothing failed; keep this run as the baseline for `k8sstress compare`."]


def render_runbook(s: Summary, run_dir: str | None = None) -> str:
    """The runbook for one run, as Markdown."""
    ns, sel = _context(s)
    classes = failure_classes(s)
    topics = runner_topics(s)
    rerun = _rerun(s, run_dir)
    run = s.run
    title = f"# Runbook: {run.get('scenario')}"
    lines = [title, ""]
    target = run.get("target")
    kind = target.get("kind") if isinstance(target, Mapping) else target
    lines.append(f"Generated by k8sstress from run `{run.get('run_id') or run_dir or '?'}` "
                 f"(scenario `{run.get('scenario_file') or run.get('scenario')}`, target `{kind or '?'}`, "
                 f"{_num(run.get('duration_s'), ' s')}). Every figure below comes from that run's record.")
    lines.append("")
    if s.partial:
        lines += ["> **Partial record.** The run was cut short; figures are as of the last record written.", ""]
    if s.slo.results:
        failed = [r for r in s.slo.results if not r.passed]
        lines.append(f"**SLOs:** {len(s.slo.results) - len(failed)} of {len(s.slo.results)} passed"
                     + (": failed " + ", ".join(f"`{r.name}` ({r.message})" for r in failed) if failed else "") + ".")
        lines.append("")
    lines += ["## Summary", "", "| outcome | launches | pods |", "|---|---:|---:|"]
    for name in OUTCOMES:
        if s.outcomes.get(name) or s.pod_outcomes.get(name):
            lines.append(f"| {name} | {s.outcomes.get(name, 0)} | {s.pod_outcomes.get(name, 0)} |")
    lines.append("")
    if classes or topics:
        lines.append("Failure classes seen: " + ", ".join(
            [f"[{c}](#outcome-{c.lower()})" for c in classes]
            + [f"[{RUNNER_PLAYS[t].title}](#runner-{t})" for t in topics]) + ".")
    else:
        lines.append("No failure class was seen in this run.")
    lines.append("")
    for name in classes:
        entry = s.by_outcome.get(name) or {}
        seen = f"Seen in this run: {_n(entry.get('launches', 0), 'launch')}, {_n(entry.get('pods', 0), 'pod')}."
        lines += _section(PLAYS[name], f"Outcome: {name}", seen, _did(name, s, entry), _causes(name, s, entry),
                          ns, sel, rerun)
    for t in topics:
        play = RUNNER_PLAYS[t]
        lines += _section(play, f"Runner: {t}", "Seen in this run.", _runner_did(t, s),
                          list(play.causes.values()), ns, sel, rerun)
    lines += ["## Bottlenecks", ""] + _bottlenecks(s) + [""]
    lines += ["## Recommendations", ""] + _recommendations(s, classes, topics) + [""]
    lines += ["## Rerunning this test", "",
              "The same scenario, the same way (use `--time-scale` to compress durations for CI):", ""] + rerun + [
        "",
        "Per the load-test method: find the maximum with the staircase profile (first step ramps 20 min and holds "
        "60 min, later steps ramp 15 and hold 30; the maximum is the last step held within the SLOs), then run the "
        "soak profile for 12 h at 80 % of it. Keep Prometheus on during the run so the report has runner and "
        "apiserver metrics.", ""]
    return "\n".join(lines)
