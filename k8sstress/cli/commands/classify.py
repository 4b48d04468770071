"""``k8sstress classify FILE...``: why did these pods end the way they did? No cluster needed.

Reads ``kubectl get pods -o json`` and ``kubectl get events -o json`` dumps (any
mix, any order, ``-`` for stdin), gives every pod its outcome with
:func:`k8sstress.classify.classify_dump` and prints a table or JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from rich.markup import escape

from k8sstress.classify import NotKubernetes, classify_dump, read_document
from k8sstress.classify.dump import Dump
from k8sstress.cli import output
from k8sstress.errors import InputError
from k8sstress.records import OUTCOMES, Outcome, Verdict

__all__ = ["register", "run"]

DESCRIPTION = """\
Give every pod in a kubectl JSON dump exactly one outcome (Pending, Unschedulable,
Running, Succeeded, Failed, OOMKilled, CrashLoopBackOff, Evicted, Preempted,
KubeletRejected, ImagePullFailed, AdmissionRejected, ...) with the details that
explain it: scheduler reasons and node counts, the starved resource of an
eviction, the container that was OOM-killed, the quota that refused a create.

Pod status decides the outcome; events add detail, and also show pods deleted
before the dump (evicted or preempted) and Jobs/ReplicaSets whose pod creates were
refused (FailedCreate). Works on any cluster's dump, with no cluster at hand.
"""

EPILOG = """\
examples:
  kubectl get pods -A -o json > pods.json
  kubectl get events -A -o json > ev.json
  k8sstress classify pods.json ev.json

  kubectl get pods -n jobs -o json | k8sstress classify -            # stdin
  k8sstress classify --format json pods.json ev.json | jq '.[] | select(.outcome == "OOMKilled")'

FILE may hold a List (kubectl's -o json), a PodList/EventList (raw API), a single
Pod, or events of either API (core/v1 or events.k8s.io/v1). Outcome names and
detail fields: docs/outcomes.md. Exit code 1 when a file is not Kubernetes JSON.
"""

_STDIN = "-"
_BAD = {"Failed", "OOMKilled", "CrashLoopBackOff", "Evicted", "Preempted", "KubeletRejected", "ImagePullFailed",
        "AdmissionRejected", "Lost", "Orphaned", "Unschedulable"}
_GOOD = {"Running", "Succeeded", "Stopped"}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "classify",
        help="give every pod in a `kubectl get -o json` dump its outcome (no cluster needed)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "files", metavar="FILE", nargs="+",
        help="`kubectl get pods -o json` or `kubectl get events -o json` output; '-' reads stdin",
    )
    parser.add_argument(
        "--format", choices=("table", "json"), default="table",
        help="table (default): one row per pod and a count per outcome; "
             "json: a list of {namespace, name, uid, launch_id, outcome, detail}",
    )
    parser.set_defaults(func=run)


def _read_text(name: str) -> str:
    if name == _STDIN:
        return sys.stdin.read()
    path = Path(name)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory, not a JSON file") from None
    except UnicodeDecodeError:
        raise InputError(f"{name}: not a text file (not UTF-8)") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None


def _load(name: str) -> Any:
    label = "<stdin>" if name == _STDIN else name
    text = _read_text(name)
    if not text.strip():
        raise InputError(f"{label}: empty; expected `kubectl get pods -o json` output")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        looks_yaml = text.lstrip().startswith(("apiVersion:", "kind:", "items:", "---"))
        hint = ("this looks like YAML: dump with `-o json`" if looks_yaml
                else "is the file truncated? write it again with `kubectl get pods -o json > FILE`")
        raise InputError(
            f"{label}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})", hint=hint,
        ) from None


def _read_all(names: list[str]) -> Dump:
    if names.count(_STDIN) > 1:
        raise InputError("'-' (stdin) can be given only once")
    dump = Dump()
    for name in names:
        label = "<stdin>" if name == _STDIN else name
        try:
            part = read_document(_load(name))
        except NotKubernetes as exc:
            raise InputError(f"{label}: {exc}") from None
        others = ", ".join(f"{kind} x{n}" for kind, n in sorted(part.skipped.items()))
        if part.skipped and not part.pods and not part.events:
            raise InputError(f"{label}: holds no pods or events (found {others})",
                             hint="dump pods with `kubectl get pods -o json`, events with `kubectl get events -o json`")
        if part.skipped:
            output.warn(f"{label}: ignored objects of other kinds ({others})")
        dump.extend(part)
    return dump


# --- table -----------------------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _summary(v: Verdict) -> str:
    d = v.detail
    o = v.outcome
    parts: list[str] = []
    if o is Outcome.UNSCHEDULABLE:
        counted = ", ".join(f"{n} {r}" if n is not None else r for r, n in (d.get("reason_nodes") or {}).items())
        total = d.get("nodes_total")
        parts.append(f"0/{total} nodes: {counted}" if total is not None else counted or (d.get("message") or ""))
        if d.get("truncated"):
            parts.append("(message truncated)")
    elif o is Outcome.PENDING:
        parts.append(f"since {d.get('since')}" if d.get("since") else "")
        if d.get("waiting"):
            parts.append(str(d["waiting"]))
    elif o is Outcome.RUNNING:
        parts.append("ready" if d.get("ready") else "not ready")
        parts.append(_plural(d.get("restarts") or 0, "restart"))
    elif o is Outcome.SUCCEEDED:
        if d.get("duration_s") is not None:
            parts.append(f"in {d['duration_s']:.0f}s")
    elif o is Outcome.FAILED:
        parts.append(f"exit {d.get('exit_code')}" if d.get("exit_code") is not None else "")
        parts.append(str(d.get("reason") or ""))
        if d.get("container"):
            parts.append(f"container {d['container']}")
    elif o is Outcome.OOMKILLED:
        parts.append(f"container {d.get('container')}")
        parts.append(f"exit {d.get('exit_code')}")
        parts.append(_plural(d.get("restarts") or 0, "restart"))
    elif o is Outcome.CRASHLOOPBACKOFF:
        parts.append(f"container {d.get('container')}")
        parts.append(_plural(d.get("restarts") or 0, "restart"))
        parts.append(f"last exit {d.get('exit_code')} ({d.get('last_reason')})")
        if d.get("back_off"):
            parts.append(f"back-off {d['back_off']}")
    elif o is Outcome.EVICTED:
        parts.append(f"by {d.get('by')}" + (f": low on {d['resource']}" if d.get("resource") else ""))
        for c in d.get("containers") or []:
            request = f" (request {c['request']})" if c.get("request") else ""
            parts.append(f"{c.get('container')} used {c.get('usage')}{request}")
    elif o is Outcome.PREEMPTED:
        if d.get("preemptor"):
            parts.append(f"by pod {d['preemptor']} on node {d.get('node')}")
        elif d.get("scheduler"):
            parts.append(f"by {d['scheduler']}")
    elif o is Outcome.KUBELET_REJECTED:
        parts.append(str(d.get("reason") or ""))
        if d.get("capacity") is not None:
            parts.append(f"{d.get('resource')} requested {d.get('requested')}, used {d.get('used')} "
                         f"of {d.get('capacity')}")
    elif o is Outcome.IMAGE_PULL_FAILED:
        parts.append(f"{d.get('reason')}: {d.get('image')}")
    elif o is Outcome.ADMISSION_REJECTED:
        if d.get("owner_kind"):
            parts.append(f"{d['owner_kind']} has no pod ({_plural(d.get('refusals') or 1, 'refusal')})")
        if d.get("quota"):
            limited = ", ".join(f"{k}={val}" for k, val in (d.get("limited") or {}).items())
            parts.append(f"quota {d['quota']}" + (f" (limited {limited})" if limited else ""))
        else:
            parts.append(f"{d.get('reason')}: {d.get('message')}")
    elif o in (Outcome.DELETED, Outcome.STOPPED, Outcome.ORPHANED):
        if d.get("prior_outcome"):
            parts.append(f"was {d['prior_outcome']}")
        if d.get("stop_latency_s") is not None:
            parts.append(f"stop took {d['stop_latency_s']:.1f}s")
    if d.get("deleted"):
        parts.append("deleted")
    if d.get("from_events"):
        parts.append("gone, from events")
    if d.get("raw_reason"):
        parts.append(f"raw: {d['raw_reason']}")
    if d.get("simulated"):
        parts.append("[simulated]")
    return ", ".join(p for p in parts if p)


def _outcome_cell(outcome: Outcome) -> str:
    if outcome.value in _BAD:
        return f"[red]{outcome.value}[/red]"
    if outcome.value in _GOOD:
        return f"[green]{outcome.value}[/green]"
    return outcome.value


def _print_table(verdicts: list[Verdict]) -> None:
    table = output.Table(title=f"{len(verdicts)} classified", title_justify="left")
    for column in ("NAMESPACE", "NAME", "OUTCOME", "QOS", "DETAIL"):
        table.add_column(column, overflow="fold")
    for v in verdicts:
        table.add_row(escape(v.namespace), escape(v.name), _outcome_cell(v.outcome),
                      escape(str(v.detail.get("qos_class") or "-")), escape(_summary(v)))
    output.print_table(table)
    counts = Counter(v.outcome.value for v in verdicts)
    summary = output.Table(title="per outcome", title_justify="left")
    summary.add_column("OUTCOME")
    summary.add_column("COUNT", justify="right")
    for name in OUTCOMES:
        if counts[name]:
            summary.add_row(_outcome_cell(Outcome(name)), str(counts[name]))
    summary.add_row("total", str(len(verdicts)))
    output.print_table(summary)


def run(args: argparse.Namespace) -> int:
    dump = _read_all(list(args.files))
    result = classify_dump(dump.pods, dump.events)
    if result.unclassified:
        output.warn(f"{_plural(result.unclassified, 'pod')} appear only in the events (deleted before the dump) "
                    "with nothing decisive in them; not classified")
    if args.format == "json":
        output.print_json([v.as_json() for v in result.verdicts])
    else:
        _print_table(result.verdicts)
    return 0
