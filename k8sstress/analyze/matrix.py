"""With limits vs without: outcomes x limits (x mode), QoS classes, and who was killed first.

``limits`` is what the launch asked for (the template); what the cluster admitted
(a LimitRange may add limits) is the pod's ``detail.limits``, counted separately.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from k8sstress.analyze.outcomes import LaunchOutcome
from k8sstress.analyze.pods import PodFacts
from k8sstress.records import Outcome

__all__ = ["limits_matrix", "KILLS", "QOS_ORDER"]

KILLS = frozenset({Outcome.EVICTED, Outcome.OOMKILLED, Outcome.PREEMPTED})
QOS_ORDER = ("BestEffort", "Burstable", "Guaranteed")


def _kill_time(f: PodFacts) -> float | None:
    for at, state in f.states:
        if state in (Outcome.EVICTED.value, Outcome.OOMKILLED.value, Outcome.PREEMPTED.value):
            return at
    return f.outcome_at


def limits_matrix(outcomes: Sequence[LaunchOutcome], facts: Sequence[PodFacts], start: float) -> dict[str, Any]:
    rows: dict[str, dict[str, Any]] = {}
    for lo in outcomes:
        for key in (lo.launch.limits, f"{lo.launch.limits}/{lo.launch.mode}"):
            row = rows.setdefault(key, {"launches": 0, "outcomes": Counter()})
            row["launches"] += 1
            row["outcomes"][lo.outcome.value] += 1
    qos: dict[str, Counter[str]] = {}
    admitted: Counter[str] = Counter()
    for f in facts:
        asked = f.verdict.detail.get("limits_template") or f.verdict.detail.get("limits") or "?"
        q = f.verdict.detail.get("qos_class") or "unknown"
        qos.setdefault(str(asked), Counter())[str(q)] += 1
        got = f.verdict.detail.get("limits")
        if got:
            admitted[f"{asked}->{got}"] += 1
    kills: list[dict[str, Any]] = []
    ranked = [(t, f) for f in facts if (t := _kill_time(f)) is not None
              and (f.outcome in KILLS or any(s == Outcome.OOMKILLED.value for _, s in f.states))]
    ranked.sort(key=lambda x: (x[0], x[1].name))
    for i, (t, f) in enumerate(ranked, 1):
        d = f.verdict.detail
        kind = f.outcome.value if f.outcome in KILLS else Outcome.OOMKILLED.value
        kills.append({"rank": i, "at_s": round(t - start, 3), "pod": f.name, "launch_id": f.launch_id,
                      "outcome": kind, "qos_class": d.get("qos_class"), "limits": d.get("limits"),
                      "mode": d.get("mode"), "by": d.get("by"), "resource": d.get("resource"), "node": f.node})
    first_by_qos: dict[str, float] = {}
    for k in kills:
        if k["outcome"] == Outcome.EVICTED.value and k["qos_class"] and k["qos_class"] not in first_by_qos:
            first_by_qos[k["qos_class"]] = k["at_s"]
    seen = [q for q in QOS_ORDER if q in first_by_qos]
    in_order = all(first_by_qos[a] <= first_by_qos[b] for a, b in zip(seen, seen[1:], strict=False))
    columns = sorted({o for r in rows.values() for o in r["outcomes"]}, key=lambda o: list(Outcome).index(Outcome(o)))
    return {
        "columns": columns,
        "rows": {k: {"launches": v["launches"], "outcomes": dict(v["outcomes"])} for k, v in sorted(rows.items())},
        "qos": {k: dict(v) for k, v in sorted(qos.items())},
        "admitted_limits": dict(admitted),
        "kill_order": kills[:200],
        "kills": len(kills),
        "first_eviction_by_qos_s": first_by_qos,
        "eviction_order_by_qos": in_order,
    }
