"""The report's plots: matplotlib figures rendered to inline SVG text (no files, no URLs).

Uses matplotlib's object API (``Figure``) only, never pyplot, so nothing global is
touched and no GUI backend is needed. Text stays text in the SVG (smaller, selectable),
ids are salted deterministically, and the XML prologue and metadata are stripped so
the SVG can sit inside HTML.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
from matplotlib.figure import Figure

__all__ = ["OUTCOME_COLORS", "to_svg", "launches", "outcomes", "survival", "latency", "drift", "nodes",
           "prometheus", "samples"]

OUTCOME_COLORS: dict[str, str] = {
    "Pending": "#b0bec5",
    "Unschedulable": "#ffb300",
    "Running": "#42a5f5",
    "Succeeded": "#43a047",
    "Failed": "#e53935",
    "OOMKilled": "#8e24aa",
    "CrashLoopBackOff": "#f06292",
    "Evicted": "#6d4c41",
    "Preempted": "#a1887f",
    "KubeletRejected": "#fdd835",
    "ImagePullFailed": "#00897b",
    "AdmissionRejected": "#b71c1c",
    "Deleted": "#546e7a",
    "Stopped": "#1a237e",
    "Lost": "#000000",
    "Orphaned": "#ff6f00",
}
_RC: dict[str, Any] = {"svg.fonttype": "none", "svg.hashsalt": "k8sstress", "font.size": 9, "axes.titlesize": 10,
       "axes.spines.top": False, "axes.spines.right": False, "legend.fontsize": 8, "legend.frameon": False}


def _rc() -> Any:
    """Our matplotlib settings, for the duration of one drawing."""
    return matplotlib.rc_context(_RC)  # type: ignore[arg-type]


_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)


def to_svg(fig: Figure) -> str:
    buf = io.StringIO()
    with _rc():
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = _METADATA.sub("", _PROLOGUE.sub("", buf.getvalue(), count=1))
    return text.strip()


def _fig(h: float = 3.0, rows: int = 1, sharex: bool = True) -> tuple[Figure, Any]:
    with _rc():
        fig = Figure(figsize=(9.5, h * rows), dpi=100, layout="constrained")
        axes = fig.subplots(rows, 1, sharex=sharex, squeeze=False)[:, 0]
    return fig, axes


def _mark_actions(axes: Sequence[Any], actions: Sequence[Mapping[str, Any]] | None) -> None:
    """Vertical lines where the scenario acted on the cluster (node added, node lost, ...)."""
    for a in actions or ():
        for i, ax in enumerate(axes):
            ax.axvline(a["at_s"], color="#455a64", ls=":", lw=1)
            if i == 0:
                ax.annotate(a["action"], (a["at_s"], 1.0), xycoords=("data", "axes fraction"), fontsize=7,
                            color="#455a64", rotation=90, ha="right", va="top")


def _clean(xs: Sequence[Any]) -> list[float]:
    return [float("nan") if x is None else float(x) for x in xs]


def _empty(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#666")
    ax.set_xticks([])
    ax.set_yticks([])


def launches(series: Mapping[str, Any], actions: Sequence[Mapping[str, Any]] | None = None) -> str:
    """Launch rate (sent vs offered) and runner errors per bucket; launch API latency over time."""
    with _rc():
        fig, (ax, ax2) = _fig(2.6, 2)
        t = series.get("t") or []
        if not t or not any(series.get("sent") or []):
            _empty(ax, "no launches")
            _empty(ax2, "no launches")
            return to_svg(fig)
        width = (t[1] - t[0]) if len(t) > 1 else 1.0
        ends = [x + width for x in t]
        win = series.get("window_s") or width
        ax.plot(ends, series.get("sent_rate_per_s") or series["rate_per_s"], color="#1e88e5", lw=1.4,
                label=f"sent /s ({win:g} s window)")
        ax.plot(ends, series.get("offered_rate_per_s") or series["offered_per_s"], color="#90caf9", lw=1.0,
                ls="--", label="offered /s")
        ax.set_ylabel("launches /s")
        bx = ax.twinx()
        bx.spines["right"].set_visible(True)
        edges = [*t, t[-1] + width]
        bottom = [0.0] * len(t)
        for key, color, label in (("errors", "#e53935", "errors (5xx, timeout)"), ("rejected", "#ff9800", "rejected (4xx)"),
                                  ("throttled", "#6a1b9a", "of which 429")):
            vals = [float(v) for v in series.get(key) or [0] * len(t)]
            if not any(vals):
                continue
            if key == "throttled":
                bx.stairs(vals, edges, color=color, lw=1.2, ls="--", label=label)
                continue
            top = [b + v for b, v in zip(bottom, vals, strict=False)]
            bx.stairs(top, edges, baseline=bottom, fill=True, color=color, alpha=0.55, label=label)
            bottom = top
        bx.set_ylabel("runner refusals per bucket")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = bx.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="upper left", ncols=3)
        ax.set_title("Launch rate and runner errors")
        for key, color, label in (("api_p50_s", "#26a69a", "p50"), ("api_p95_s", "#ffa726", "p95"),
                                  ("api_p99_s", "#e53935", "p99")):
            ax2.plot(t, _clean(series.get(key) or []), color=color, lw=1.2, label=label, marker=".", ms=3)
        ax2.set_ylabel("launch API latency (s)")
        ax2.set_xlabel("seconds into the run")
        ax2.legend(loc="upper left", ncols=3)
        ax2.set_title("Launch API latency per time bucket")
        _mark_actions((ax, ax2), actions)
        return to_svg(fig)


def outcomes(series: Mapping[str, Any], actions: Sequence[Mapping[str, Any]] | None = None) -> str:
    """Pods (and pod-less launches) by state over time, stacked."""
    with _rc():
        fig, (ax,) = _fig(3.2)
        t = series.get("t") or []
        states: Mapping[str, list[int]] = series.get("states") or {}
        if not t or not states:
            _empty(ax, "no pods observed")
            return to_svg(fig)
        names = list(states)
        ax.stackplot(t, *[states[n] for n in names], labels=names, step="post",
                     colors=[OUTCOME_COLORS.get(n, "#999") for n in names], alpha=0.9)
        ax.set_ylabel("pods / launches")
        ax.set_xlabel("seconds into the run")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.set_title("Pods by outcome over time (launches without a pod counted at their verdict)")
        _mark_actions((ax,), actions)
        return to_svg(fig)


def survival(km: Mapping[str, Any]) -> str:
    """The Kaplan–Meier Pending-time curve."""
    with _rc():
        fig, (ax,) = _fig(3.0)
        pts = km.get("points") or []
        if not pts:
            _empty(ax, "no pods observed")
            return to_svg(fig)
        ts = [p["t"] for p in pts]
        ss = [p["survival"] for p in pts]
        ax.step(ts, ss, where="post", color="#5e35b1", lw=1.5, label="share still Pending")
        cens = [(p["t"], p["survival"]) for p in pts if p.get("censored")]
        if cens:
            ax.plot([c[0] for c in cens], [c[1] for c in cens], "|", color="#e53935", ms=9,
                    label="censored (never scheduled while watched)")
        if km.get("median") is not None:
            ax.axvline(km["median"], color="#999", ls=":", lw=1)
            ax.text(km["median"], 0.52, f" median {km['median']:.2f} s", color="#555")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("seconds since pod creation")
        ax.set_ylabel("S(t)")
        ax.legend(loc="upper right")
        ax.set_title(f"Pending-time survival ({km.get('subjects', 0)} pods, {km.get('censored') or 0} censored)")
        return to_svg(fig)


_PHASE_LABELS = {"launch_api": "launch API", "launch_to_pod": "launch→pod", "pod_scheduled": "created→scheduled",
                 "pod_running": "created→running", "pod_ready": "created→ready", "stop_to_gone": "stop→gone"}


def latency(stats: Mapping[str, Mapping[str, Any]]) -> str:
    """Quantiles per phase, grouped bars; unreached counts written above."""
    with _rc():
        fig, (ax,) = _fig(3.2)
        phases = [p for p in _PHASE_LABELS if p in stats and (stats[p].get("count") or stats[p].get("unreached"))]
        if not phases:
            _empty(ax, "no latencies measured")
            return to_svg(fig)
        qs = (("p50", "#26a69a"), ("p95", "#ffa726"), ("p99", "#e53935"), ("max", "#6d4c41"))
        w = 0.2
        for j, (q, color) in enumerate(qs):
            xs = [i + (j - 1.5) * w for i in range(len(phases))]
            vals = [stats[p].get(q) for p in phases]
            ax.bar(xs, [v if v is not None else 0 for v in vals], width=w, color=color, label=q)
            for x, v in zip(xs, vals, strict=False):
                if v is None:
                    ax.text(x, 0, "∞", ha="center", va="bottom", color=color, fontsize=8)
        labels = []
        for p in phases:
            un = stats[p].get("unreached") or 0
            labels.append(f"{_PHASE_LABELS[p]}\n{stats[p].get('count') or 0} reached"
                          + (f"\n{un} unreached" if un else ""))
        ax.set_xticks(range(len(phases)), labels, fontsize=8)
        ax.set_ylabel("seconds")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.set_title("Latency quantiles per phase (∞: the quantile lies on an unreached pod or launch)")
        return to_svg(fig)


def drift(series: Mapping[str, Any], reports: int, actions: Sequence[Mapping[str, Any]] | None = None) -> str:
    with _rc():
        fig, (ax,) = _fig(2.4)
        t = series.get("t") or []
        vals = series.get("launches") or []
        if not reports:
            _empty(ax, "the runner reported no states (no status polls or callbacks)")
            return to_svg(fig)
        ax.fill_between(t, vals, step="post", color="#ef6c00", alpha=0.6, lw=0)
        ax.plot(t, vals, drawstyle="steps-post", color="#ef6c00", lw=1)
        ax.set_ylabel("launches in drift")
        ax.set_xlabel("seconds into the run")
        ax.set_ylim(0, max(max(vals or [0]), 1) * 1.1)
        ax.set_title("Runner state drift: launches whose reported state disagreed with the cluster")
        _mark_actions((ax,), actions)
        return to_svg(fig)


def nodes(series: Mapping[str, Any], actions: Sequence[Mapping[str, Any]] | None = None) -> str:
    with _rc():
        fig, (ax,) = _fig(2.8)
        t = series.get("t") or []
        if not t or not any(series.get("nodes") or []):
            _empty(ax, "no node data observed")
            return to_svg(fig)
        for key, color, label in (("cpu_allocated", "#1e88e5", "cpu requested / allocatable"),
                                  ("memory_allocated", "#8e24aa", "memory requested / allocatable"),
                                  ("pods_allocated", "#43a047", "pods / pod capacity")):
            ax.plot(t, _clean(series.get(key) or []), color=color, lw=1.3, label=label, drawstyle="steps-post")
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("share of allocatable")
        bx = ax.twinx()
        bx.spines["right"].set_visible(True)
        bx.step(t, series.get("nodes_pressure") or [], where="post", color="#e53935", lw=1.2, ls="--",
                label="nodes under pressure")
        bx.step(t, series.get("nodes_not_ready") or [], where="post", color="#000", lw=1.0, ls=":",
                label="nodes not Ready")
        bx.set_ylabel("nodes")
        bx.set_ylim(0, max(max(series.get("nodes") or [1]), 1) + 0.5)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = bx.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="upper left", ncols=2)
        ax.set_xlabel("seconds into the run")
        ax.set_title("Node allocation and pressure")
        _mark_actions((ax,), actions)
        return to_svg(fig)


def _multi(items: list[tuple[str, list[tuple[float, float]], str]], start: float, title: str) -> str:
    with _rc():
        rows = max(1, min(len(items), 6))
        fig, axes = _fig(1.7, rows)
        for ax, (name, points, unit) in zip(axes, items[:rows], strict=False):
            xs = [p[0] - start for p in points]
            ys = [p[1] for p in points]
            ax.plot(xs, ys, lw=1.2, color="#3949ab")
            ax.set_ylabel(unit or "", fontsize=8)
            ax.set_title(name, fontsize=9, loc="left")
        axes[-1].set_xlabel("seconds into the run")
        fig.suptitle(title, fontsize=10)
        return to_svg(fig)


def prometheus(prom: Mapping[str, Any], start: float) -> str:
    items = [(name, [(float(t), float(v)) for t, v in s.get("points") or []], s.get("unit") or "")
             for name, s in (prom.get("series") or {}).items() if s.get("points")]
    if not items:
        with _rc():
            fig, (ax,) = _fig(1.5)
            _empty(ax, "Prometheus answered, but with no data for the run's window")
            return to_svg(fig)
    return _multi(items, start, "Runner and apiserver metrics (Prometheus)")


_SAMPLE_ORDER = ("load.target_rate", "load.in_flight", "load.lateness_max_s", "harness.rss_bytes",
                 "harness.cpu_percent")


def _sample_rank(key: str) -> tuple[int, str]:
    if not key.startswith(("load.", "harness.")):
        return 0, key  # the target's own metrics first
    if key in _SAMPLE_ORDER:
        return 1 + _SAMPLE_ORDER.index(key), key
    return 10 + int(key.endswith("_total")), key


def samples(entries: Mapping[str, Any], start: float) -> str:
    names = sorted(entries, key=_sample_rank)
    items = [(k, [(float(t), float(v)) for t, v in entries[k]["points"]], "") for k in names]
    return _multi(items, start, "Metrics sampled during the run (metrics.jsonl)")
