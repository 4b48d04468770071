"""``analyze(run) -> Summary``: the whole analysis of one run, and the record written as summary.json."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from k8sstress.analyze import breaking, catalog, matrix, nodes, reaction
from k8sstress.analyze.classification import classify_run
from k8sstress.analyze.inputs import Options, RunInput, epoch
from k8sstress.analyze.outcomes import LaunchOutcome, launch_outcomes
from k8sstress.analyze.pods import PodFacts, pod_facts
from k8sstress.analyze.slo import SloReport, evaluate_slos, slo_bounds
from k8sstress.analyze.stats import Buckets, quantile
from k8sstress.records import OUTCOMES, PodHistory, Verdict

__all__ = ["Summary", "analyze", "Analysis", "analyze_full", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1
Number = float | int | None


class Summary(BaseModel):
    """What a run came to. Written as ``summary.json``; read back by ``compare``."""

    model_config = ConfigDict(extra="allow")

    schema_version: int = SCHEMA_VERSION
    run: dict[str, Any] = Field(default_factory=dict)
    """scenario, scenario_file, target, cluster, time_scale, started_at, ended_at, duration_s."""
    partial: bool = False
    """True when the record was cut short (Ctrl-C, kill -9, lost cluster)."""
    notes: list[str] = Field(default_factory=list)
    outcomes: dict[str, int] = Field(default_factory=dict)
    """Launches by final outcome name: every outcome class seen, by name."""
    pod_outcomes: dict[str, int] = Field(default_factory=dict)
    """Pods by verdict (retries count each pod)."""
    metrics: dict[str, Number] = Field(default_factory=dict)
    """Flat metric name -> value; the names SLOs and compare use (docs/report.md)."""
    slo: SloReport = Field(default_factory=SloReport)
    latency: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Per phase: count, unreached, min, p50, p95, p99, max, mean (seconds)."""
    reaction: dict[str, Any] = Field(default_factory=dict)
    breaking_point: dict[str, Any] = Field(default_factory=dict)
    matrix: dict[str, Any] = Field(default_factory=dict)
    nodes: dict[str, Any] = Field(default_factory=dict)
    prometheus: dict[str, Any] | None = None
    samples: dict[str, Any] = Field(default_factory=dict)
    series: dict[str, Any] = Field(default_factory=dict)
    """Time series for the plots; ``t`` is seconds into the run (bucket starts)."""
    examples: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    """Per outcome: up to 20 launches with that outcome (launch id, pods, detail)."""
    by_outcome: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Per outcome seen (launch or pod level): who, where, why, and what the runner said about them."""

    @property
    def slo_failed(self) -> bool:
        return not self.slo.passed

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Analysis:
    """The intermediate products, for callers (plots, runbook) that want more than the summary."""

    def __init__(self, summary: Summary, outcomes: list[LaunchOutcome], facts: list[PodFacts],
                 buckets: Buckets) -> None:
        self.summary = summary
        self.outcomes = outcomes
        self.facts = facts
        self.buckets = buckets


def _match(histories: Sequence[PodHistory], verdicts: Sequence[Verdict]) -> tuple[list[Verdict | None], list[Verdict]]:
    by_uid = {v.uid: v for v in verdicts if v.uid}
    by_name = {(v.namespace, v.name): v for v in verdicts if v.uid is None}
    used: set[int] = set()
    matched: list[Verdict | None] = []
    for h in histories:
        v = by_uid.get(h.uid) if h.uid else None
        if v is None:
            v = by_name.get((h.namespace, h.name))
        matched.append(v)
        if v is not None:
            used.add(id(v))
    podless = [v for v in verdicts if id(v) not in used]
    return matched, podless


def _end_time(run: RunInput) -> float:
    if run.ended_at is not None:
        return run.ended_at
    meta_end = epoch(run.meta.get("ended_at"))
    times: list[float] = []
    for lr in run.launches:
        times.append(lr.sent_at)
        if lr.answered_at is not None:
            times.append(lr.answered_at)
    for s in run.stops:
        times.append(s.sent_at)
        if s.answered_at is not None:
            times.append(s.answered_at)
    times.extend(s.reported_at for s in run.states)
    for h in run.histories:
        times.extend(e.seen for e in h.timeline)
        times.extend(x for x in (h.first_seen, h.deleted_seen, h.created_at) if x is not None)
    times.extend(e.seen for e in run.nodes)
    observed = max(times) if times else None
    if meta_end is not None and observed is not None:
        return max(meta_end, observed)
    return meta_end or observed or 0.0


def _start_time(run: RunInput, end: float) -> float:
    """Time zero of the run's timeline: the load's start (the first scheduled launch), so that
    "seconds into the run" match the profile's steps and the scenario's action times; run.json's
    start (which includes cluster setup) when there were no launches."""
    first = min((lr.scheduled_at for lr in run.launches), default=None)
    if first is not None:
        return first
    started = epoch(run.meta.get("started_at"))
    return started if started is not None else end


def _outcome_series(outcomes: Sequence[LaunchOutcome], facts: Sequence[PodFacts], b: Buckets) -> dict[str, Any]:
    """Pods (and launches that never got a pod) by state at each bucket's middle (stacked plot)."""
    n = b.count
    diff: dict[str, list[int]] = {}

    def add(state: str, t0: float, t1: float | None) -> None:
        # buckets k whose middle lies in [t0, t1)
        k0 = max(0, math.ceil((t0 - b.start) / b.width - 0.5))
        k1 = n if t1 is None else max(0, min(n, math.ceil((t1 - b.start) / b.width - 0.5)))
        if k0 >= k1:
            return
        d = diff.setdefault(state, [0] * (n + 1))
        d[k0] += 1
        d[k1] -= 1

    for f in facts:
        for i, (t0, state) in enumerate(f.states):
            t1 = f.states[i + 1][0] if i + 1 < len(f.states) else None
            add(state, t0, t1)
    for lo in outcomes:
        if not lo.pods and lo.outcome_at is not None:
            add(lo.outcome.value, lo.outcome_at, None)
    out: dict[str, list[int]] = {}
    order = {name: i for i, name in enumerate(OUTCOMES)}
    for state in sorted(diff, key=lambda s: order.get(s, 99)):
        acc, vals = 0, []
        for k in range(n):
            acc += diff[state][k]
            vals.append(acc)
        out[state] = vals
    return {"t": b.starts(), "states": out}


def _prom_summary(run: RunInput) -> tuple[dict[str, Any] | None, dict[str, Number]]:
    if run.prometheus is None:
        return None, {}
    series: dict[str, Any] = {}
    metrics: dict[str, Number] = {}
    for s in run.prometheus:
        vals = [v for _, v in s.points if not (math.isnan(v) or math.isinf(v))]
        key = s.name if not s.label else f"{s.name}{{{s.label}}}"
        series[key] = {"query": s.query, "unit": s.unit, "points": [[round(t, 3), v] for t, v in s.points],
                       "max": max(vals) if vals else None}
        peak = max(vals) if vals else None
        target = {"runner_memory_bytes": "runner_memory_max_bytes", "runner_cpu_cores": "runner_cpu_max_cores",
                  "apiserver_request_p99_s": "apiserver_request_p99_max_s"}.get(s.name)
        if target and peak is not None:
            metrics[target] = max(peak, metrics.get(target) or peak)
        if s.name == "apiserver_429_per_s" and len(s.points) > 1:
            total = 0.0
            for (t0, v0), (t1, _) in zip(s.points, s.points[1:], strict=False):
                if not (math.isnan(v0) or math.isinf(v0)):
                    total += v0 * (t1 - t0)
            metrics["apiserver_429_total"] = round(total + (metrics.get("apiserver_429_total") or 0), 3)
    return {"series": series, "note": run.prometheus_note}, metrics


def _actions(run: RunInput, start: float) -> list[dict[str, Any]]:
    """The scenario's timed actions (add-node, node loss, ...) as the load generator recorded them."""
    out: list[dict[str, Any]] = []
    for s in run.samples:
        name, t = s.get("name"), s.get("t")
        if isinstance(name, str) and name.startswith("action.") and isinstance(t, int | float):
            raw = s.get("labels")
            labels: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
            out.append({"at_s": round(float(t) - start, 3), "action": name.removeprefix("action."),
                        "detail": {k: v for k, v in labels.items() if v}})
    return sorted(out, key=lambda a: float(a["at_s"]))[:50]


def _samples(run: RunInput) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in run.samples:
        name = s.get("name")
        value = s.get("value")
        t = s.get("t")
        if not isinstance(name, str) or not isinstance(value, int | float) or not isinstance(t, int | float):
            continue
        if name.startswith("action."):
            continue
        labels = s.get("labels") or {}
        key = name if not labels else name + "{" + ",".join(f"{k}={v}" for k, v in sorted(labels.items())) + "}"
        entry = out.setdefault(key, {"name": name, "labels": labels, "points": []})
        entry["points"].append([float(t), float(value)])
    for entry in out.values():
        vals = [v for _, v in entry["points"]]
        entry["max"] = max(vals)
        entry["last"] = vals[-1]
        entry["count"] = len(vals)
    return out


def _survival(curve: Mapping[str, Any] | None, max_points: int = 400) -> dict[str, Any]:
    """The Pending-time curve, thinned for summary.json, with its median and 90th percentile."""
    if not curve:
        return {"median": None, "p90": None, "censored": None, "subjects": 0, "events": 0, "points": []}
    points = [p for p in curve.get("points") or [] if isinstance(p, Mapping)]
    p90 = next((float(p["t"]) for p in points if float(p.get("survival", 1.0)) <= 0.1 and p.get("events")), None)
    if len(points) > max_points:
        step = len(points) / max_points
        keep = {int(i * step) for i in range(max_points)} | {len(points) - 1}
        points = [p for i, p in enumerate(points) if i in keep]
    median = curve.get("median")
    return {"median": round(float(median), 4) if median is not None else None,
            "p90": round(p90, 4) if p90 is not None else None,
            "censored": curve.get("censored"), "subjects": curve.get("subjects", 0), "events": curve.get("events", 0),
            "points": [{"t": round(float(p["t"]), 4), "survival": round(float(p["survival"]), 5),
                        "censored": int(p.get("censored") or 0)} for p in points]}


def _window(b: Buckets) -> float:
    """The trailing window rates are measured over: a bucket, at least 10 s where the run allows."""
    return max(b.width, min(10.0, (b.end - b.start) / 10.0 or 1.0))


def _peak_rate(times: Sequence[float], window: float) -> float | None:
    """The most launches sent in any ``window`` seconds, per second."""
    ts = sorted(times)
    if not ts:
        return None
    best, lo = 0, 0
    for hi, t in enumerate(ts):
        while ts[lo] < t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return round(best / window, 4)


def _q(stats: Mapping[str, Any], key: str) -> Number:
    v = stats.get(key)
    return round(v, 6) if isinstance(v, float) else v


_REASON_KEYS = ("reasons", "reason", "by", "resource", "refused_by", "http_status", "prior_outcome", "container",
                "exit_code", "last_reason", "launch_status", "terminating")


def _reasons(detail: Mapping[str, Any], into: Counter[str]) -> None:
    for key in _REASON_KEYS:
        v = detail.get(key)
        if v in (None, "", [], {}):
            continue
        for item in (v if isinstance(v, list) else [v]):
            into[f"{key}={item}"] += 1


def _earliest(current: float | None, new: float) -> float:
    return new if current is None else min(current, new)


def _by_outcome(outcomes: Sequence[LaunchOutcome], facts: Sequence[PodFacts], states: Sequence[Any],
                drifted: set[str], start: float) -> dict[str, dict[str, Any]]:
    last_state: dict[str, str] = {}
    by_run = {lo.launch.run_id: lo.launch_id for lo in outcomes if lo.launch.run_id}
    for s in sorted(states, key=lambda x: x.reported_at):
        lid = s.launch_id or by_run.get(s.run_id)
        if lid:
            last_state[lid] = s.state
    out: dict[str, dict[str, Any]] = {}

    def entry(name: str) -> dict[str, Any]:
        return out.setdefault(name, {"launches": 0, "pods": 0, "modes": Counter(), "limits": Counter(),
                                     "qos": Counter(), "reasons": Counter(), "nodes": Counter(),
                                     "runner_last_state": Counter(), "retried": 0, "drifted": 0,
                                     "simulated": 0, "first_at_s": None, "launch_ids": []})

    for lo in outcomes:
        e = entry(lo.outcome.value)
        e["launches"] += 1
        e["modes"][lo.launch.mode] += 1
        e["limits"][lo.launch.limits] += 1
        e["runner_last_state"][last_state.get(lo.launch_id, "(no report)")] += 1
        e["retried"] += int(len(lo.pods) > 1)
        e["drifted"] += int(lo.launch_id in drifted)
        e["simulated"] += int(bool(lo.detail.get("simulated")))
        _reasons(lo.detail, e["reasons"])
        if len(e["launch_ids"]) < 10:
            e["launch_ids"].append(lo.launch_id)
        if lo.outcome_at is not None:
            e["first_at_s"] = _earliest(e["first_at_s"], round(lo.outcome_at - start, 3))
    for f in facts:
        names = {f.outcome.value} | {s for _, s in f.states if s in ("Unschedulable", "OOMKilled", "Evicted")}
        for name in names:
            e = entry(name)
            e["pods"] += 1
            e["qos"][str(f.verdict.detail.get("qos_class") or "unknown")] += 1
            if f.node:
                e["nodes"][f.node] += 1
            if name != f.outcome.value or not e["launches"]:
                _reasons(f.verdict.detail, e["reasons"])
            at = next((t for t, s in f.states if s == name), None)
            if at is not None:
                e["first_at_s"] = _earliest(e["first_at_s"], round(at - start, 3))
    return {k: {kk: (dict(vv.most_common()) if isinstance(vv, Counter) else vv) for kk, vv in v.items()}
            for k, v in sorted(out.items(), key=lambda kv: OUTCOMES.index(kv[0]))}


def _examples(outcomes: Sequence[LaunchOutcome], limit: int = 20) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for lo in outcomes:
        items = out.setdefault(lo.outcome.value, [])
        if len(items) < limit:
            items.append(lo.as_json())
    return out


def _first_slo_break(spec: Mapping[str, Any], outcomes: Sequence[LaunchOutcome], facts: Sequence[PodFacts],
                     series: Mapping[str, Any], b: Buckets, drift: reaction.Drift, options: Options
                     ) -> tuple[str, float] | None:
    """The earliest moment any max-bounded SLO was broken (counts: cumulative; rates and
    latencies: per time window with enough samples)."""
    hits: list[tuple[float, str]] = []
    for metric, op, threshold in slo_bounds(spec):
        if op != "max" or isinstance(threshold, bool) or not isinstance(threshold, int | float):
            continue
        limit = float(threshold)
        times: list[float] = []
        outcome_name = next((o for o, m in catalog.OUTCOME_METRIC.items() if m == metric), None)
        if outcome_name is not None:
            times = [lo.outcome_at for lo in outcomes if lo.outcome.value == outcome_name and lo.outcome_at]
        elif metric == "leaked_pods":
            times = [(lo.stop.answered_at or lo.stop.sent_at) + options.orphan_grace_s
                     for lo in outcomes for _ in lo.leaked if lo.stop]
        elif metric == "drift_launches":
            firsts: dict[str, float] = {}
            for e in drift.episodes:
                firsts[e.launch_id] = min(firsts.get(e.launch_id, e.start), e.start)
            times = list(firsts.values())
        elif metric in ("pods_evicted", "pods_oomkilled", "pods_preempted", "pods_ever_unschedulable"):
            state = {"pods_evicted": "Evicted", "pods_oomkilled": "OOMKilled", "pods_preempted": "Preempted",
                     "pods_ever_unschedulable": "Unschedulable"}[metric]
            times = [min(at for at, s in f.states if s == state) for f in facts if any(s == state for _, s in f.states)]
        if times:
            times.sort()
            k = int(math.floor(limit)) + 1  # the count that breaks "max: limit"
            if len(times) >= k:
                hits.append((times[k - 1], metric))
            continue
        key = {"launch_error_rate": "error_rate", "launch_api_p50_s": "api_p50_s", "launch_api_p95_s": "api_p95_s",
               "launch_api_p99_s": "api_p99_s"}.get(metric)
        if key is None:
            continue
        values = series.get(key) or []
        samples = series.get("api_samples" if key.startswith("api") else "sent") or []
        for i, v in enumerate(values):
            if v is not None and v > limit and i < len(samples) and samples[i] >= options.slo_window_min_samples:
                hits.append((b.start + (i + 1) * b.width, metric))
                break
    if not hits:
        return None
    t, metric = min(hits)
    return metric, t


def _s(x: Any) -> str:
    """Seconds for people: 3 significant digits; unreached quantiles read as such."""
    return "unreached" if x is None else f"{float(x):.3g} s"


class _Evidence:
    """Builds the evidence text for a failed SLO from what the analysis found."""

    def __init__(self, summary: Summary, outcomes: Sequence[LaunchOutcome], drift: reaction.Drift,
                 launches_api_slowest: list[tuple[str, float]]) -> None:
        self.s = summary
        self.outcomes = outcomes
        self.drift = drift
        self.slowest = launches_api_slowest

    def __call__(self, metric: str) -> str:
        s = self.s
        outcome = next((o for o, m in catalog.OUTCOME_METRIC.items() if m == metric), None)
        if outcome is not None:
            items = [lo for lo in self.outcomes if lo.outcome.value == outcome]
            lines = [f"{len(items)} of {len(self.outcomes)} launches ended {outcome}."]
            for lo in items[:10]:
                d = lo.detail
                bits = [f"launch {lo.launch_id} ({lo.launch.mode}, {lo.launch.limits} limits)"]
                if lo.pods:
                    bits.append(f"pod {lo.pods[-1].namespace}/{lo.pods[-1].name}")
                for k in ("reasons", "reason", "message", "by", "resource", "container", "prior_outcome",
                          "since_stop_s", "run_id", "http_status"):
                    if d.get(k) not in (None, "", [], {}):
                        text = str(d[k])
                        bits.append(f"{k}={text if len(text) <= 140 else text[:140] + '...'}")
                lines.append("  - " + ", ".join(str(b) for b in bits))
            if len(items) > 10:
                lines.append(f"  ... and {len(items) - 10} more (summary.json examples)")
            return "\n".join(lines)
        if metric.startswith("launch_api_"):
            st = s.latency.get("launch_api", {})
            text = (f"launch API latency over {st.get('count')} answered launches: p50 {_s(st.get('p50'))}, "
                    f"p95 {_s(st.get('p95'))}, p99 {_s(st.get('p99'))}, max {_s(st.get('max'))}.")
            if self.slowest:
                text += "\nslowest: " + ", ".join(f"{lid} {lat:.3f} s" for lid, lat in self.slowest[:5])
            knee = s.breaking_point.get("latency_knee")
            if knee:
                text += f"\nlatency knee at {knee['at_s']} s into the run, offered {knee['rate_per_s']}/s."
            return text
        if metric in ("launch_error_rate", "launches_errored", "launches_rejected", "launch_success_rate"):
            bp = s.reaction.get("backpressure", {})
            errs = [lo for lo in self.outcomes if lo.launch.status in ("rejected", "error")]
            lines = [f"{len(errs)} of {len(self.outcomes)} launches refused or failed; "
                     f"HTTP statuses: {bp.get('status_codes') or {}}."]
            for lo in errs[:5]:
                lines.append(f"  - {lo.launch_id}: HTTP {lo.launch.http_status} {(lo.launch.error or '')[:200]}")
            if metric == "launch_success_rate":
                lines.append(f"outcomes: {s.outcomes}")
            return "\n".join(lines)
        if metric.startswith("drift"):
            eps = sorted(self.drift.episodes, key=lambda e: -e.duration_s)
            lines = [f"{len(self.drift.launches)} launches drifted in {len(eps)} episodes "
                     f"({self.drift.reports} state reports from the runner)."]
            for e in eps[:5]:
                lines.append(f"  - {e.launch_id}: runner said {e.reported} while the cluster showed {e.truth} "
                             f"for {e.duration_s:.1f} s{' (still at the end)' if e.open else ''}")
            for m in self.drift.final_mismatch[:5]:
                lines.append(f"  - final: {m['launch_id']} reported {m['reported']}, truth {m['truth']} "
                             f"(outcome {m['outcome']})")
            return "\n".join(lines)
        if metric in ("leaked_pods", "unmatched_pods"):
            lk = s.reaction.get("leaks", {})
            lines = [f"{lk.get('leaked_pods')} pods left after stop; {lk.get('unmatched_pods')} pods tied to no launch."]
            for ex in lk.get("examples", [])[:10]:
                lines.append(f"  - {ex['namespace']}/{ex['pod']} (launch {ex['launch_id']}, {ex['state']}, "
                             f"stop {ex['stop_status']}, {ex['since_stop_s']} s after the stop)")
            return "\n".join(lines)
        for phase in ("launch_to_pod", "pod_scheduled", "pod_running", "pod_ready", "stop_to_gone"):
            if metric.startswith(phase):
                st = s.latency.get(phase, {})
                return (f"{phase}: {st.get('count')} reached, {st.get('unreached')} unreached; "
                        f"p50 {_s(st.get('p50'))}, p95 {_s(st.get('p95'))}, p99 {_s(st.get('p99'))}, "
                        f"max {_s(st.get('max'))}.")
        if metric.startswith("pods_") or metric == "kills":
            kills = s.matrix.get("kill_order", [])
            lines = [f"{metric} = {s.metrics.get(metric)}; pod outcomes: {s.pod_outcomes}."]
            for k in kills[:10]:
                lines.append(f"  - #{k['rank']} {k['outcome']} {k['pod']} at {k['at_s']} s "
                             f"(qos {k['qos_class']}, limits {k['limits']}, node {k['node']})")
            return "\n".join(lines)
        if metric in ("recovery_s", "recovered", "saturation_s"):
            sat = s.reaction.get("saturation", {})
            return "saturation episodes: " + "; ".join(
                f"{e['duration_s']} s ({e['pods']} pods){' open at the end' if e['open'] else ''}, "
                f"recovery {e['recovery_s']} s" for e in sat.get("episodes", [])[:5])
        return f"{metric} = {s.metrics.get(metric)}"


def analyze_full(run: RunInput, options: Options | None = None) -> Analysis:
    """The analysis with its intermediate products (launch outcomes, pod facts, buckets)."""
    options = options or Options()
    notes = list(run.notes)
    verdicts = list(run.verdicts) or classify_run(run.launches, run.stops, run.histories, run.owner_events)
    matched, podless = _match(run.histories, verdicts)
    if any(v is None for v in matched):
        extra = classify_run(run.launches, run.stops,
                             [h for h, v in zip(run.histories, matched, strict=True) if v is None], run.owner_events)
        it = iter(extra)
        matched = [v if v is not None else next(it) for v in matched]
    end = _end_time(run)
    start = _start_time(run, end)
    facts = [pod_facts(h, v) for h, v in zip(run.histories, matched, strict=True) if v is not None]
    outcomes = launch_outcomes(run.launches, run.stops, facts, podless, end, options)
    b = Buckets.over(start, end, options.buckets)

    api = reaction.launch_api(run.launches)
    lseries = reaction.launch_series(run.launches, b, _window(b))
    to_pod = reaction.launch_to_pod(outcomes)
    phases = reaction.pod_phase_latency(facts)
    stop_gone = reaction.stop_to_gone(outcomes)
    retry = reaction.retries(outcomes)
    dr = reaction.drift(outcomes, run.states, end, options)
    sat = reaction.saturation(facts, end)
    bp = reaction.backpressure(run.launches, sat.pop("intervals"))
    lk = reaction.leaks(outcomes, facts, end)
    node = nodes.node_series(run.nodes, facts, b)
    mtx = matrix.limits_matrix(outcomes, facts, start)
    prom, prom_metrics = _prom_summary(run)

    outcome_counts = Counter(lo.outcome.value for lo in outcomes)
    pod_counts = Counter(f.outcome.value for f in facts)
    n = len(run.launches)
    status = Counter(lr.status for lr in run.launches)
    refused = status["rejected"] + status["error"]
    good = outcome_counts["Succeeded"] + outcome_counts["Running"] + outcome_counts["Stopped"]
    stops_ok = sum(1 for s in run.stops if s.status == "accepted")
    late = sorted(lr.lateness_s for lr in run.launches)
    duration = max(0.0, end - start)
    ever = {state: sum(1 for f in facts if any(s == state for _, s in f.states))
            for state in ("Unschedulable", "Evicted", "OOMKilled", "Preempted")}

    m: dict[str, Number] = {
        "duration_s": round(duration, 3),
        "launches": n,
        "launches_accepted": status["accepted"],
        "launches_rejected": status["rejected"],
        "launches_errored": status["error"],
        "launches_unanswered": status["pending"],
        "launch_error_rate": round(refused / n, 6) if n else None,
        "launch_success_rate": round(good / n, 6) if n else None,
        "launch_rate_mean_per_s": round(n / duration, 4) if duration > 0 else None,
        "launch_rate_peak_per_s": _peak_rate([lr.sent_at for lr in run.launches], _window(b)),
        "lateness_p99_s": _q({"v": quantile(late, 0.99)}, "v"),
        "launch_api_p50_s": _q(api, "p50"),
        "launch_api_p95_s": _q(api, "p95"),
        "launch_api_p99_s": _q(api, "p99"),
        "launch_api_max_s": _q(api, "max"),
        "launch_api_mean_s": _q(api, "mean"),
        "backpressure_responses": bp["responses"],
        "backpressure_seen": int(bp["seen"]),
        "accepted_while_saturated": bp["accepted_while_saturated"],
    }
    for phase, stats in (("launch_to_pod", to_pod), ("pod_scheduled", phases["scheduled"]),
                         ("pod_running", phases["running"]), ("pod_ready", phases["ready"]),
                         ("stop_to_gone", stop_gone)):
        for q in ("p50", "p95", "p99", "max"):
            m[f"{phase}_{q}_s"] = _q(stats, q)
        m[f"{phase}_unreached"] = stats["unreached"]
    m.update({
        "stops": len(run.stops),
        "stops_accepted": stops_ok,
        "stop_error_rate": round((len(run.stops) - stops_ok) / len(run.stops), 6) if run.stops else None,
        "state_reports": dr.reports,
        "drift_launches": len(dr.launches),
        "drift_episodes": len(dr.episodes),
        "drift_max_s": round(max((e.duration_s for e in dr.episodes), default=0.0), 3) if run.states else None,
        "drift_total_s": round(sum(e.duration_s for e in dr.episodes), 3) if run.states else None,
        "drift_final_launches": len({x["launch_id"] for x in dr.final_mismatch}),
        "leaked_pods": lk["leaked_pods"],
        "unmatched_pods": lk["unmatched_pods"],
        "pods": len(facts),
        "pods_per_launch_max": retry["max"],
        "pods_per_launch_mean": retry["mean"],
        "retried_launches": retry["retried_launches"],
        "retry_pods": retry["retry_pods"],
        "duplicate_launches": retry["duplicate_launches"],
    })
    for outcome, metric in catalog.OUTCOME_METRIC.items():
        m[metric] = outcome_counts.get(outcome, 0)
    m.update({
        "pods_ever_unschedulable": ever["Unschedulable"],
        "pods_evicted": ever["Evicted"],
        "pods_oomkilled": ever["OOMKilled"],
        "pods_preempted": ever["Preempted"],
        "kills": mtx["kills"],
        "eviction_order_by_qos": int(mtx["eviction_order_by_qos"]) if mtx["first_eviction_by_qos_s"] else None,
        "saturation_s": sat["saturation_s"],
        "saturation_episodes": len(sat["episodes"]),
        "recovery_s": sat["recovery_s"],
        "recovered": int(sat["recovered"]) if sat["episodes"] else None,
    })
    ns = node["summary"]
    m.update({
        "node_cpu_allocated_max": ns["cpu_allocated_max"],
        "node_memory_allocated_max": ns["memory_allocated_max"],
        "node_pods_allocated_max": ns["pods_allocated_max"],
        "nodes_pressure_max": ns["nodes_pressure_max"],
        "node_pressure_s": ns["pressure_node_s"],
        "nodes_not_ready_max": ns["nodes_not_ready_max"],
    })
    km = _survival(run.pending_survival)
    m.update({"pending_median_s": km["median"], "pending_p90_s": km["p90"], "pending_censored": km["censored"]})
    for key in ("runner_memory_max_bytes", "runner_cpu_max_cores", "apiserver_request_p99_max_s",
                "apiserver_429_total"):
        m[key] = prom_metrics.get(key)

    slowest = sorted(((lr.launch_id, lr.latency_s) for lr in run.launches if lr.latency_s is not None),
                     key=lambda x: -x[1])[:10]
    latency = {"launch_api": api, "launch_to_pod": to_pod, "pod_scheduled": phases["scheduled"],
               "pod_running": phases["running"], "pod_ready": phases["ready"], "stop_to_gone": stop_gone}
    drift_items = sorted(dr.episodes, key=lambda e: -e.duration_s)
    summary = Summary(
        run={
            "scenario": run.scenario_name,
            "scenario_file": run.meta.get("scenario_file"),
            "target": run.meta.get("target"),
            "cluster": run.meta.get("cluster"),
            "time_scale": run.meta.get("time_scale"),
            "started_at": start,
            "ended_at": end,
            "duration_s": round(duration, 3),
            "run_id": run.meta.get("run_id") or run.meta.get("name"),
        },
        partial=run.partial,
        notes=notes,
        outcomes=dict(sorted(outcome_counts.items(), key=lambda kv: OUTCOMES.index(kv[0]))),
        pod_outcomes=dict(sorted(pod_counts.items(), key=lambda kv: OUTCOMES.index(kv[0]))),
        metrics=m,
        latency=latency,
        reaction={
            "retries": retry,
            "drift": {
                "reports": dr.reports, "judged": dr.judged, "launches_reported": dr.launches_reported,
                "unmatched_reports": dr.unmatched_reports, "launches": dr.launches[:50],
                "episodes": [{"launch_id": e.launch_id, "start_s": round(e.start - start, 3),
                              "duration_s": round(e.duration_s, 3), "reported": e.reported, "truth": e.truth,
                              "open": e.open} for e in drift_items[:50]],
                "final_mismatch": dr.final_mismatch[:50],
                "grace_s": options.drift_grace_s,
            },
            "leaks": lk,
            "backpressure": {**bp, "first_at_s": round(bp["first_at"] - start, 3) if bp["first_at"] else None},
            "saturation": {**sat, "episodes": [{**e, "start_s": round(e["start"] - start, 3),
                                                "end_s": round(e["end"] - start, 3)} for e in sat["episodes"][:50]]},
            "launch_api_slowest": [{"launch_id": lid, "latency_s": round(lat, 4)} for lid, lat in slowest],
        },
        matrix=mtx,
        nodes={k: v for k, v in node.items() if k == "summary"},
        prometheus=prom,
        samples=_samples(run),
        series={
            "bucket_s": b.width,
            "launches": lseries,
            "outcomes": _outcome_series(outcomes, facts, b),
            "drift": {"t": b.starts(), "launches": reaction.drift_series(dr, b)},
            "pending_survival": km,
            "actions": _actions(run, start),
            "nodes": {k: v for k, v in node.items() if k != "summary"},
        },
        examples=_examples(outcomes),
        by_outcome=_by_outcome(outcomes, facts, run.states, set(dr.launches), start),
    )
    if run.prometheus is None and run.prometheus_note:
        summary.notes.append(run.prometheus_note)
    elif run.prometheus is None:
        summary.notes.append("no Prometheus in this run: runner and apiserver metrics are not in this report")
    elif run.prometheus_note:
        summary.notes.append(run.prometheus_note)
    if run.partial:
        summary.notes.append("partial record: the run was cut short; outcomes are as of the last record")
    slo_break = _first_slo_break(run.slo, outcomes, facts, lseries, b, dr, options)
    bpnt = breaking.breaking_point(run.launches, facts, lseries, b, slo_break=slo_break,
                                   knee_factor=options.knee_factor, knee_floor_s=options.knee_floor_s)
    summary.breaking_point = bpnt
    for key in ("first_unschedulable", "first_eviction", "first_oom", "first_slo_break", "latency_knee"):
        point = bpnt.get(key)
        m[f"{key}_at_s"] = point["at_s"] if point else None
        m[f"{key}_rate_per_s"] = point["rate_per_s"] if point else None
    held = bpnt.get("max_held")
    m["max_rate_held_per_s"] = held["rate_per_s"] if held else None
    summary.metrics = dict(m)
    summary.slo = evaluate_slos(run.slo, m, _Evidence(summary, outcomes, dr, slowest),
                                prometheus=run.prometheus is not None)
    unknown = [k for k in m if k not in catalog.METRICS]
    if unknown:  # a programming error; keep the record honest rather than crash a report
        summary.notes.append(f"uncatalogued metrics: {', '.join(unknown)}")
    return Analysis(summary, outcomes, facts, b)


def analyze(run: RunInput, options: Options | None = None) -> Summary:
    """Analyse one run's record: every launch's outcome, the runner's reaction, the breaking
    point, the limits matrix and the SLO verdicts."""
    return analyze_full(run, options).summary
