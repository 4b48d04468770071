"""report.html: one self-contained page (inline CSS and SVG, no URL fetched) from a Summary.

A Content-Security-Policy meta tag forbids every fetch, so a stray external
reference fails loudly in a browser instead of silently phoning home. The one inline
script is a sentinel for the browser check: it records script errors in
``#report-errors`` and marks ``<body data-report-ok>`` when the page has loaded.
"""

from __future__ import annotations

import html as html_mod
import math
from collections.abc import Mapping
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from k8sstress import __version__
from k8sstress.analyze import Summary
from k8sstress.analyze.catalog import FAILURE_OUTCOMES, METRICS

__all__ = ["render_html", "CSP"]

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'unsafe-inline'"

_TEMPLATE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="k8sstress {{ version }}">
<title>k8sstress report: {{ run.scenario }}{% if s.partial %} (partial){% endif %}</title>
<style>
  :root { --ok: #2e7d32; --bad: #c62828; --warn: #ef6c00; --muted: #666; --line: #ddd; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #222; background: #fafafa; }
  header { background: #263238; color: #fff; padding: 16px 24px; }
  header h1 { margin: 0 0 4px; font-size: 20px; }
  header .meta { color: #cfd8dc; font-size: 13px; }
  main { max-width: 1100px; margin: 0 auto; padding: 8px 24px 48px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 18px; margin: 16px 0; }
  h2 { font-size: 17px; margin: 4px 0 10px; }
  h3 { font-size: 15px; margin: 14px 0 6px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
  th { background: #f5f5f5; font-weight: 600; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .verdict { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 700; font-size: 13px; }
  .pass { background: #e8f5e9; color: var(--ok); } .fail { background: #ffebee; color: var(--bad); }
  .skip { background: #eceff1; color: var(--muted); }
  .banner { padding: 10px 14px; border-radius: 6px; margin: 12px 0; font-weight: 600; }
  .banner.partial { background: #fff3e0; color: #e65100; border: 1px solid #ffcc80; }
  .banner.failed { background: #ffebee; color: var(--bad); border: 1px solid #ef9a9a; }
  .banner.passed { background: #e8f5e9; color: var(--ok); border: 1px solid #a5d6a7; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 8px; }
  .card { border: 1px solid #eee; border-radius: 6px; padding: 8px 10px; }
  .card .k { color: var(--muted); font-size: 12px; } .card .v { font-size: 18px; font-weight: 600; }
  .plot svg { max-width: 100%; height: auto; }
  .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: middle; }
  pre { white-space: pre-wrap; font-size: 12px; background: #f7f7f7; padding: 6px 8px; border-radius: 4px; margin: 4px 0; }
  .muted { color: var(--muted); } .bad { color: var(--bad); } .ok { color: var(--ok); }
  details > summary { cursor: pointer; font-weight: 600; margin: 6px 0; }
  nav a { color: #cfd8dc; margin-right: 12px; font-size: 13px; }
  #report-errors:empty { display: none; }
  #report-errors { background: #ffebee; color: var(--bad); }
</style>
</head>
<body>
<header>
  <h1>{{ run.scenario }} <span class="verdict {{ 'pass' if s.slo.passed else 'fail' }}">SLO {{ 'PASS' if s.slo.passed else 'FAIL' }}</span></h1>
  <div class="meta">run {{ run.run_id or '-' }} · target {{ target }} · cluster {{ cluster }} · {{ run.duration_s|num }} s
    · time scale {{ run.time_scale if run.time_scale is not none else '-' }} · started {{ started }}</div>
  <nav><a href="#slo">SLOs</a><a href="#outcomes">Outcomes</a><a href="#breaking">Breaking point</a><a href="#reaction">Runner</a><a href="#plots">Plots</a><a href="#matrix">Limits</a><a href="#metrics">Metrics</a></nav>
</header>
<main>
<pre id="report-errors"></pre>
{% if s.partial %}<div class="banner partial">Partial record: the run was cut short (signal, kill, lost cluster). Figures are as of the last record written.</div>{% endif %}
{% if s.slo.results %}<div class="banner {{ 'passed' if s.slo.passed else 'failed' }}">{{ passed_n }} of {{ s.slo.results|length }} SLOs passed{% if not s.slo.passed %}: {{ failed_names }}{% endif %}.</div>{% endif %}
{% if s.notes %}<section><h2>Notes</h2><ul>{% for n in s.notes %}<li>{{ n }}</li>{% endfor %}</ul></section>{% endif %}

<section id="slo"><h2>SLOs</h2>
{% if s.slo.results %}
<table><tr><th>SLO</th><th class="num">value</th><th>result</th><th>why</th></tr>
{% for r in s.slo.results %}<tr><td><code>{{ r.name }}</code></td><td class="num">{{ r.value|num }}</td>
<td><span class="verdict {{ 'skip' if r.skipped else ('pass' if r.passed else 'fail') }}">{{ 'skipped' if r.skipped else ('pass' if r.passed else 'FAIL') }}</span></td>
<td>{{ r.message }}{% if r.evidence %}<pre>{{ r.evidence }}</pre>{% endif %}</td></tr>{% endfor %}
</table>
{% else %}<p class="muted">The scenario has no <code>slo:</code> section; nothing was judged.</p>{% endif %}
</section>

<section id="outcomes"><h2>Outcomes</h2>
<p>Every launch has exactly one final outcome; pods that never started are counted, not dropped.</p>
<table><tr><th>outcome</th><th class="num">launches</th><th class="num">share</th><th class="num">pods</th></tr>
{% for name in outcome_names %}<tr><td><span class="swatch" style="background: {{ colors.get(name, '#999') }}"></span>{{ name }}{% if name in failures %} <span class="bad">●</span>{% endif %}</td>
<td class="num">{{ s.outcomes.get(name, 0) }}</td><td class="num">{{ share(s.outcomes.get(name, 0)) }}</td><td class="num">{{ s.pod_outcomes.get(name, 0) }}</td></tr>{% endfor %}
<tr><th>total</th><th class="num">{{ launches_n }}</th><th></th><th class="num">{{ pods_n }}</th></tr>
</table>
</section>

<section id="breaking"><h2>Breaking point</h2>
<table><tr><th>signal</th><th class="num">at (s)</th><th class="num">target /s</th><th class="num">offered /s</th><th class="num">launches sent</th><th class="num">pods alive</th><th>step</th><th>detail</th></tr>
{% for key, label in breaking_rows %}{% set p = s.breaking_point.get(key) %}
<tr><td>{{ label }}</td>{% if p %}<td class="num">{{ p.at_s|num }}</td><td class="num">{{ p.target_rate_per_s|num }}</td><td class="num">{{ p.rate_per_s|num }}</td><td class="num">{{ p.launches_sent }}</td><td class="num">{{ p.pods_alive }}</td><td>{{ p.step if p.step is not none else '' }}</td>
<td>{{ detail(p) }}</td>{% else %}<td colspan="7" class="muted">not reached in this run</td>{% endif %}</tr>{% endfor %}
</table>
{% if s.breaking_point.earliest %}<p>The first limit reached: <b>{{ label_of(s.breaking_point.earliest) }}</b>.</p>{% endif %}
</section>

<section id="reaction"><h2>How the runner reacted</h2>
<div class="grid">
{% for k, v, cls in cards %}<div class="card"><div class="k">{{ k }}</div><div class="v {{ cls }}">{{ v }}</div></div>{% endfor %}
</div>
{% if drift_eps %}<h3>Longest state drifts</h3><table><tr><th>launch</th><th>runner said</th><th>cluster showed</th><th class="num">from (s)</th><th class="num">for (s)</th></tr>
{% for e in drift_eps %}<tr><td>{{ e.launch_id }}</td><td>{{ e.reported }}</td><td>{{ e.truth }}</td><td class="num">{{ e.start_s|num }}</td><td class="num">{{ e.duration_s|num }}{% if e.open %} (open){% endif %}</td></tr>{% endfor %}</table>{% endif %}
{% if leaks %}<h3>Pods left behind after a stop</h3><table><tr><th>pod</th><th>launch</th><th>state</th><th>stop</th><th class="num">since stop (s)</th></tr>
{% for l in leaks %}<tr><td>{{ l.namespace }}/{{ l.pod }}</td><td>{{ l.launch_id }}</td><td>{{ l.state }}</td><td>{{ l.stop_status }}</td><td class="num">{{ l.since_stop_s|num }}</td></tr>{% endfor %}</table>{% endif %}
{% if retries %}<h3>Launches with more than one pod</h3><table><tr><th>launch</th><th>pods</th><th>their outcomes</th></tr>
{% for r in retries %}<tr><td>{{ r.launch_id }}</td><td>{{ r.pods|join(', ') }}</td><td>{{ r.outcomes|join(' → ') }}</td></tr>{% endfor %}</table>{% endif %}
</section>

<section id="plots"><h2>Over time</h2>
{% for title, svg, caption in figures %}<div class="plot"><h3>{{ title }}</h3>{{ svg }}<p class="muted">{{ caption }}</p></div>{% endfor %}
</section>

<section id="matrix"><h2>With limits vs without</h2>
<table><tr><th>limits / mode</th><th class="num">launches</th>{% for c in s.matrix.get('columns', []) %}<th class="num">{{ c }}</th>{% endfor %}</tr>
{% for key, row in s.matrix.get('rows', {}).items() %}<tr><td>{{ key }}</td><td class="num">{{ row.launches }}</td>{% for c in s.matrix.get('columns', []) %}<td class="num">{{ row.outcomes.get(c, '') }}</td>{% endfor %}</tr>{% endfor %}
</table>
<h3>QoS classes of the pods</h3>
<table><tr><th>limits asked</th>{% for q in qos_cols %}<th class="num">{{ q }}</th>{% endfor %}</tr>
{% for key, row in s.matrix.get('qos', {}).items() %}<tr><td>{{ key }}</td>{% for q in qos_cols %}<td class="num">{{ row.get(q, '') }}</td>{% endfor %}</tr>{% endfor %}
</table>
<h3>Kill order (evictions, OOM kills, preemptions)</h3>
{% if kills %}<p>{{ kill_summary }}</p><table><tr><th class="num">#</th><th class="num">at (s)</th><th>what</th><th>pod</th><th>QoS</th><th>limits</th><th>mode</th><th>by / resource</th><th>node</th></tr>
{% for k in kills %}<tr><td class="num">{{ k.rank }}</td><td class="num">{{ k.at_s|num }}</td><td>{{ k.outcome }}</td><td>{{ k.pod }}</td><td>{{ k.qos_class or '' }}</td><td>{{ k.limits or '' }}</td><td>{{ k.mode or '' }}</td><td>{{ k.by or '' }}{% if k.resource %} / {{ k.resource }}{% endif %}</td><td>{{ k.node or '' }}</td></tr>{% endfor %}</table>
{% else %}<p class="muted">No pod was evicted, OOM-killed or preempted.</p>{% endif %}
</section>

<section id="examples"><h2>Failed launches, by outcome</h2>
{% for name, items in failed_examples %}<details><summary>{{ name }} ({{ s.outcomes.get(name, 0) }})</summary>
<table><tr><th>launch</th><th>mode / limits</th><th>pods</th><th>detail</th></tr>
{% for e in items %}<tr><td>{{ e.launch_id }}</td><td>{{ e.mode }} / {{ e.limits }}</td><td>{{ e.pods|join(', ') }}</td><td><pre>{{ short(e.detail) }}</pre></td></tr>{% endfor %}</table></details>
{% else %}<p class="muted">No launch failed.</p>{% endfor %}
</section>

<section id="metrics"><h2>All metrics</h2>
<details><summary>{{ s.metrics|length }} metrics (names as used by SLOs and <code>k8sstress compare</code>)</summary>
<table><tr><th>metric</th><th class="num">value</th><th>meaning</th></tr>
{% for name, value in s.metrics.items() %}<tr><td><code>{{ name }}</code></td><td class="num">{{ value|num }}</td><td class="muted">{{ docs.get(name, '') }}</td></tr>{% endfor %}
</table></details>
</section>
<p class="muted">Generated by k8sstress {{ version }} from the run record. Self-contained: no part of this page is fetched from anywhere.</p>
</main>
<script>
(function () {
  var box = document.getElementById("report-errors");
  window.addEventListener("error", function (e) { box.textContent += "script error: " + e.message + "\n"; });
  document.addEventListener("securitypolicyviolation", function (e) { box.textContent += "blocked: " + e.blockedURI + "\n"; });
  window.addEventListener("load", function () { document.body.setAttribute("data-report-ok", box.textContent ? "0" : "1"); });
})();
</script>
</body>
</html>
"""

_BREAKING = (
    ("first_unschedulable", "first Unschedulable pod"),
    ("first_eviction", "first eviction"),
    ("first_oom", "first OOM kill"),
    ("first_slo_break", "first SLO break"),
    ("latency_knee", "launch-latency knee"),
)


def _num(x: Any) -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return "–"
        if x.is_integer() and abs(x) < 1e15:
            return f"{int(x):,}"
        if abs(x) >= 1e6:
            return f"{x:.4g}"
        return f"{x:.4g}" if abs(x) < 1 else f"{x:,.3f}".rstrip("0").rstrip(".")
    return html_mod.escape(str(x))


def _short(detail: Mapping[str, Any], limit: int = 600) -> str:
    keep = {k: v for k, v in detail.items() if v not in (None, "", [], {}) and k not in ("prior_detail",)}
    text = ", ".join(f"{k}={v}" for k, v in keep.items())
    return text if len(text) <= limit else text[:limit] + " …"


def _detail(p: Mapping[str, Any]) -> str:
    bits = []
    for k in ("reasons", "pod", "slo", "baseline_p95_s", "p95_s"):
        v = p.get(k)
        if v not in (None, "", []):
            bits.append(f"{k}: {', '.join(v) if isinstance(v, list) else v}")
    return "; ".join(bits)


def _p99(m: Mapping[str, Any], phase: str) -> str:
    value, unreached = m.get(f"{phase}_p99_s"), m.get(f"{phase}_unreached") or 0
    text = "unreached" if value is None and unreached else f"{_num(value)} s"
    return text + (f" ({unreached} never)" if unreached else "")


def _cards(s: Summary) -> list[tuple[str, str, str]]:
    m = s.metrics
    bp = s.reaction.get("backpressure", {})
    sat = s.reaction.get("saturation", {})

    def cls(bad: bool) -> str:
        return "bad" if bad else "ok"

    out = [
        ("launches sent", _num(m.get("launches")), ""),
        ("launch API p50 / p99", f"{_num(m.get('launch_api_p50_s'))} / {_num(m.get('launch_api_p99_s'))} s", ""),
        ("launch error rate", f"{(m.get('launch_error_rate') or 0) * 100:.2f} %", cls(bool(m.get("launch_error_rate")))),
        ("back-pressure (429)", f"{bp.get('responses', 0)} answers" if bp.get("seen") else "never", ""),
        ("accepted while saturated", _num(m.get("accepted_while_saturated")), ""),
        ("launch → pod p99", _p99(m, "launch_to_pod"), cls(bool(m.get("launch_to_pod_unreached")))),
        ("stop → gone p99", _p99(m, "stop_to_gone"), cls(bool(m.get("stop_to_gone_unreached")))),
        ("state drift", f"{_num(m.get('drift_launches'))} launches, max {_num(m.get('drift_max_s'))} s",
         cls(bool(m.get("drift_launches")))),
        ("pods left after stop", _num(m.get("leaked_pods")), cls(bool(m.get("leaked_pods")))),
        ("Lost / Orphaned", f"{_num(m.get('lost'))} / {_num(m.get('orphaned'))}",
         cls(bool(m.get("lost") or m.get("orphaned")))),
        ("retried launches", f"{_num(m.get('retried_launches'))} (max {_num(m.get('pods_per_launch_max'))} pods)", ""),
        ("duplicate pods", _num(m.get("duplicate_launches")), cls(bool(m.get("duplicate_launches")))),
        ("saturated", f"{_num(m.get('saturation_s'))} s in {_num(m.get('saturation_episodes'))} episodes", ""),
        ("recovery", "did not recover" if m.get("recovered") == 0 else
         (f"{_num(m.get('recovery_s'))} s" if m.get("recovery_s") is not None else "–"),
         cls(m.get("recovered") == 0)),
        ("Pending median (KM)", f"{_num(m.get('pending_median_s'))} s", ""),
    ]
    if sat.get("episodes") and m.get("recovered") == 0:
        out.append(("still saturated at the end", "yes", "bad"))
    return out


def render_html(s: Summary) -> str:
    """The whole report page for one summary."""
    from k8sstress.report import plots  # matplotlib: imported only when a page is drawn

    env = Environment(autoescape=True, trim_blocks=False, lstrip_blocks=False)
    env.filters["num"] = _num
    run = s.run
    launches_n = int(s.metrics.get("launches") or 0)
    start = float(run.get("started_at") or 0.0)
    series = s.series
    prom = s.prometheus
    actions = series.get("actions") or []
    figures: list[tuple[str, Markup, str]] = [
        ("Launch rate and runner errors", Markup(plots.launches(series.get("launches") or {}, actions)),
         "Filled: launches the runner refused (4xx) or failed (5xx, timeouts); dashed: 429 back-pressure; per "
         f"{series.get('bucket_s')} s bucket. Lines: launches sent and offered by the schedule."),
        ("Pods by outcome over time", Markup(plots.outcomes(series.get("outcomes") or {}, actions)),
         "The state of every pod at each moment (stacked); launches that never got a pod appear at their verdict."),
        ("Pending-time survival", Markup(plots.survival(series.get("pending_survival") or {})),
         "Kaplan–Meier: the share of pods still Pending t seconds after creation. Pods never scheduled while "
         "watched are censored, not dropped."),
        ("Latency quantiles per phase", Markup(plots.latency(s.latency)),
         "Over all pods and launches; those that never reached the phase count as unreached (infinite)."),
        ("Runner state drift", Markup(plots.drift(series.get("drift") or {}, int(s.metrics.get("state_reports") or 0), actions)),
         f"Reports that lag the cluster by less than {s.reaction.get('drift', {}).get('grace_s', 5)} s are not drift."),
        ("Node allocation and pressure", Markup(plots.nodes(series.get("nodes") or {}, actions)),
         "Requests of pods bound to nodes vs the nodes' allocatable; nodes with Memory/Disk/PID pressure or not Ready."),
    ]
    if prom is not None:
        figures.append(("Runner and apiserver (Prometheus)", Markup(plots.prometheus(prom, start)),
                        "Queried from the run's Prometheus over the run's window."))
    else:
        figures.append(("Runner and apiserver (Prometheus)", Markup(
            '<p class="muted">No Prometheus in this run: runner memory/CPU and apiserver latency/429s are not '
            'available. Enable <code>prometheus</code> in the cluster file to get them.</p>'), ""))
    if s.samples:
        figures.append(("Sampled during the run", Markup(plots.samples(s.samples, start)),
                        "From metrics.jsonl: the load generator's own figures and any the target exposes."))
    failures = {o.value for o in FAILURE_OUTCOMES}
    names = [n for n in s.outcomes] + [n for n in s.pod_outcomes if n not in s.outcomes]
    matrix = s.matrix
    qos_cols = sorted({q for row in matrix.get("qos", {}).values() for q in row},
                      key=lambda q: ("BestEffort", "Burstable", "Guaranteed", "unknown").index(q)
                      if q in ("BestEffort", "Burstable", "Guaranteed", "unknown") else 9)
    first_qos = matrix.get("first_eviction_by_qos_s") or {}
    kill_summary = ""
    if first_qos:
        order = ", ".join(f"{q} first at {t} s" for q, t in sorted(first_qos.items(), key=lambda kv: kv[1]))
        kill_summary = (f"First eviction per QoS class: {order}. "
                        + ("BestEffort went first, as the kubelet's ranking predicts."
                           if matrix.get("eviction_order_by_qos") else
                           "The order does not follow BestEffort → Burstable → Guaranteed."))
    template = env.from_string(_TEMPLATE)
    started = run.get("started_at")
    from datetime import UTC, datetime
    started_text = datetime.fromtimestamp(float(started), UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if started else "-"
    target = run.get("target")
    if isinstance(target, Mapping):
        target = target.get("kind") or target.get("name") or "?"
    cluster = run.get("cluster")
    if isinstance(cluster, Mapping):
        cluster = f"{cluster.get('name', '?')} ({cluster.get('backend', '?')})"
    return template.render(
        s=s, run=run, version=__version__, csp=Markup(CSP), started=started_text, target=target or "-",
        cluster=cluster or "-", colors=plots.OUTCOME_COLORS, failures=failures, outcome_names=names,
        launches_n=launches_n, pods_n=int(s.metrics.get("pods") or 0),
        share=lambda n: f"{100.0 * n / launches_n:.1f} %" if launches_n else "–",
        passed_n=sum(1 for r in s.slo.results if r.passed),
        failed_names=", ".join(r.name for r in s.slo.results if not r.passed),
        breaking_rows=_BREAKING, label_of=lambda k: dict(_BREAKING).get(k, k), detail=_detail,
        cards=_cards(s), drift_eps=(s.reaction.get("drift", {}).get("episodes") or [])[:10],
        leaks=(s.reaction.get("leaks", {}).get("examples") or [])[:10],
        retries=(s.reaction.get("retries", {}).get("examples") or [])[:10],
        figures=figures, qos_cols=qos_cols, kills=(matrix.get("kill_order") or [])[:50], kill_summary=kill_summary,
        failed_examples=[(n, s.examples.get(n, [])) for n in s.outcomes if n in failures],
        short=_short, docs={k: v.doc for k, v in METRICS.items()},
    )
