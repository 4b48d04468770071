"""``k8sstress run SCENARIO|SUITE``: one scenario (or every scenario of a suite) end to end.

For each scenario: a cluster (brought up from the scenario's cluster shape, reused
while the next scenario wants the same shape, torn down at the end; or the one
behind ``--kubeconfig``), the run's namespace, setup objects and dedicated nodes, the
sim pressure model, the observer recording to the run directory, the target (for
``reference``: the runner process), the load session, then ``finalize`` (summary,
report, runbook, junit) and teardown. Nothing is left running.

Exit codes: 0; 1 bad input; 2 the run timed out; 3 an SLO failed; 4 aborted (Ctrl-C,
SIGTERM, lost cluster): the partial record is finalized either way.

:func:`run_scenario` and :func:`run_suite` are the API ``k8sstress demo`` reuses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from k8sstress import __version__
from k8sstress.cli import output
from k8sstress.errors import ConfigError, InputError, K8sStressError, RunAborted, RunTimeout, SLOFailed
from k8sstress.kube import Kube
from k8sstress.load.actions import ActionContext
from k8sstress.load.durations import format_duration
from k8sstress.load.recorder import Recorder
from k8sstress.load.scenario import Scenario, load_scenario, resolve_scenario_path
from k8sstress.load.session import LoadResult, LoadSession
from k8sstress.load.setup import RunSetup, is_sim_cluster
from k8sstress.load.suite import Suite, is_suite_file, load_suite
from k8sstress.records import OUTCOMES
from k8sstress.rundir import RunDir
from k8sstress.targets.base import Target, TargetContext, build_target

__all__ = ["register", "RunOptions", "RunOutcome", "ClusterPool", "run_scenario", "run_suite", "cmd_run",
           "exit_code_for"]

log = logging.getLogger(__name__)

EPILOG = """\
examples:
  k8sstress run exhaustion                          the built-in exhaustion suite (brings up a sim cluster, tears it down)
  k8sstress run exhaustion --only cpu-limits        one scenario of the suite
  k8sstress run scenarios/staircase.yaml --time-scale 0.01
  k8sstress run exhaustion --target reference       every scenario against the reference runner
  k8sstress run my.yaml --target http:manifests/targets/reference-runner.yaml
  k8sstress run my.yaml --kubeconfig ~/.kube/sim    use a cluster that is already up
  k8sstress run my.yaml --out runs/try-1            the run directory (default runs/<scenario>-<time>)

exit codes: 0 ok, 1 bad input, 2 timed out, 3 an SLO failed, 4 aborted (the partial record is reported)
"""


# -- options and results --------------------------------------------------------------------------------
@dataclass
class RunOptions:
    target: str | None = None
    """Override the scenario's target: a kind (``job``), or ``http:FILE``."""
    target_options: dict[str, Any] = field(default_factory=dict)
    out: Path | None = None
    time_scale: float | None = None
    cluster: str | None = None
    kubeconfig: str | None = None
    keep: bool = False
    show_progress: bool = True
    settle: float | None = None
    """Override every scenario's ``durations.settle``."""


@dataclass
class RunOutcome:
    scenario: str
    run_dir: Path
    exit_code: int = 0
    result: LoadResult | None = None
    artifacts: dict[str, Path] = field(default_factory=dict)
    summary: dict[str, Any] | None = None
    expected: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """Expected outcomes the run did not produce."""
    error: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def outcomes(self) -> dict[str, int]:
        return dict((self.summary or {}).get("outcomes") or {})

    @property
    def pod_outcomes(self) -> dict[str, int]:
        return dict((self.summary or {}).get("pod_outcomes") or {})

    @property
    def seen(self) -> set[str]:
        return {k for k, v in {**self.pod_outcomes, **self.outcomes}.items() if v}


def exit_code_for(outcomes: list[RunOutcome]) -> int:
    """A suite's exit code: aborted (4) over timed out (2) over SLO failed (3) over ok."""
    codes = {o.exit_code for o in outcomes}
    for code in (4, 1, 2, 3):
        if code in codes:
            return code
    return 0


# -- clusters ---------------------------------------------------------------------------------------------
class ClusterPool:
    """Brings up the cluster a scenario asks for; keeps it while the next scenario wants the same shape."""

    def __init__(self, keep: bool = False, show_progress: bool = True) -> None:
        self.keep = keep
        self.show_progress = show_progress
        self._current: tuple[str, Any, Any] | None = None  # (key, config, info)
        self._count = 0

    def kubeconfig_for(self, config: Any) -> tuple[str, dict[str, Any]]:
        from k8sstress.cluster import get_backend

        shape = config.model_dump(mode="json", by_alias=True, exclude={"name", "source"})
        key = json.dumps(shape, sort_keys=True)
        if self._current is not None and self._current[0] == key:
            info = self._current[2]
            return info.kubeconfig, {"backend": info.backend, "name": info.name, "reused": True,
                                     "config_file": config.source, "nodes": info.nodes_total}
        self.close()
        self._count += 1
        name = f"kst-run-{os.getpid()}-{self._count}"[:40]
        config = config.model_copy(update={"name": name})
        backend = get_backend(config.backend)
        started = time.monotonic()
        with _progress(self.show_progress) as on_progress:
            info = backend.up(config, on_progress=on_progress, wait_s=300)
        output.info(f"cluster {name} ({config.backend}) up in {time.monotonic() - started:.1f}s: "
                    f"{info.nodes_ready}/{info.nodes_total} nodes Ready")
        self._current = (key, config, info)
        return info.kubeconfig, {"backend": info.backend, "name": name, "reused": False,
                                 "config_file": config.source, "nodes": info.nodes_total}

    def close(self) -> None:
        if self._current is None:
            return
        _, config, info = self._current
        self._current = None
        if self.keep:
            output.info(f"cluster {info.name} kept (--keep): k8sstress cluster down --name {info.name}")
            return
        from k8sstress.cluster import get_backend

        try:
            get_backend(config.backend).down(info.name)
        except K8sStressError as exc:
            output.warn(f"cluster {info.name} did not come down cleanly: {exc.message}")


@contextmanager
def _progress(show: bool) -> Iterator[Callable[[str, int, int], None]]:
    if not show:
        yield lambda _s, _d, _t: None
        return
    with output.steps(transient=True) as on_progress:
        yield on_progress


def _cluster_config(scenario: Scenario, opts: RunOptions) -> Any:
    from k8sstress.cli.commands.cluster import resolve_config
    from k8sstress.cluster.config import ClusterConfig

    if opts.cluster:
        return resolve_config(opts.cluster)
    spec = scenario.cluster
    if isinstance(spec, dict):
        try:
            return ClusterConfig.model_validate({"name": "scenario", **spec}).model_copy(
                update={"source": scenario.source_path})
        except ValidationError as exc:
            raise scenario.validation_error(exc, ("cluster",)) from exc
    if isinstance(spec, str):
        base = Path(scenario.source_path).parent if scenario.source_path else None
        if base is not None and (base / spec).exists():
            return resolve_config(str(base / spec))
        try:
            return resolve_config(spec)
        except InputError as exc:
            raise scenario.error_at(("cluster",), exc.message, exc.hint) from exc
    return resolve_config(None)


def _node_builder() -> Callable[[dict[str, Any], int], dict[str, Any]]:
    from k8sstress.cluster.config import NodePool
    from k8sstress.cluster.sim import node_manifest

    def build(spec: dict[str, Any], index: int) -> dict[str, Any]:
        pool = NodePool.model_validate({
            "name": spec["name"], "count": 1, "cpu": spec.get("cpu", "4"), "memory": spec.get("memory", "8Gi"),
            "pods": spec.get("pods", 110), "eviction-hard-memory": spec.get("eviction_hard_memory", "100Mi"),
            "labels": spec.get("labels") or {}})
        return node_manifest(pool, index)

    return build


# -- the target ----------------------------------------------------------------------------------------------
def _target_for(scenario: Scenario, opts: RunOptions) -> Target:
    kind = scenario.target.kind
    options = scenario.target.options
    loc: tuple[Any, ...] = ("target",)
    if opts.target:
        new_kind, _, arg = opts.target.partition(":")
        if new_kind != kind:
            options = {}
        kind = new_kind
        if arg:
            options = {**options, "template": arg}
        loc = ()
    options = {**options, **opts.target_options}
    base = Path(scenario.source_path).parent if scenario.source_path else None
    try:
        return build_target(kind, options, base)
    except ValidationError as exc:
        if loc:
            raise scenario.validation_error(exc, loc) from exc
        first = exc.errors()[0]
        raise ConfigError(str(first["msg"]), path="--target-option",
                          field=".".join(str(p) for p in first["loc"])) from exc


# -- one scenario -----------------------------------------------------------------------------------------------
class _Live:
    """Outcome counts from the observer (its threads) for the progress line."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_pod: dict[str, str] = {}

    def on_verdict(self, verdict: Any, _event: Any) -> None:
        with self.lock:
            self.by_pod[f"{verdict.namespace}/{verdict.name}"] = str(verdict.outcome)

    def text(self) -> str:
        with self.lock:
            counts = Counter(self.by_pod.values())
        return " ".join(f"{k}={v}" for k, v in sorted(counts.items(), key=lambda kv: OUTCOMES.index(kv[0])
                                                      if kv[0] in OUTCOMES else 99))


def _default_out(scenario: Scenario, parent: Path | None = None) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = parent if parent is not None else Path("runs")
    p = base / f"{scenario.name}-{stamp}"
    n = 1
    while p.exists():
        n += 1
        p = base / f"{scenario.name}-{stamp}-{n}"
    return p


def _check_run_dir(path: Path) -> None:
    if (path / "run.json").exists():
        raise InputError(f"{path} already holds a run (run.json exists)", hint="give another --out")


def run_scenario(scenario: Scenario, opts: RunOptions, *, pool: ClusterPool | None = None,
                 out: Path | None = None) -> RunOutcome:
    """Run one scenario end to end; returns how it went (never raises for run failures)."""
    time_scale = opts.time_scale or scenario.time_scale
    target = _target_for(scenario, opts)  # options validated before anything runs
    run_path = out or opts.out or _default_out(scenario)
    _check_run_dir(run_path)
    own_pool = pool is None
    pool = pool or ClusterPool(keep=opts.keep, show_progress=opts.show_progress)
    token = secrets.token_hex(3)
    run = f"{scenario.name}-{token}"[:63]
    outcome = RunOutcome(scenario=scenario.name, run_dir=run_path, expected=list(scenario.expect.outcomes))
    run_dir: RunDir | None = None
    setup: RunSetup | None = None
    observer: Any = None
    pressure: Any = None
    recorder: Recorder | None = None
    result: LoadResult | None = None
    aborted = False
    started = time.time()
    try:
        try:
            if opts.kubeconfig:
                kubeconfig = opts.kubeconfig
                cluster_info: dict[str, Any] = {"backend": "given", "kubeconfig": kubeconfig}
            else:
                kubeconfig, cluster_info = pool.kubeconfig_for(_cluster_config(scenario, opts))
            kube = Kube(kubeconfig)
            sim = is_sim_cluster(kube)
            cluster_info["sim"] = sim
            run_dir = RunDir(run_path, create=True)
            recorder = Recorder(run_dir)
            namespace = scenario.namespace or f"kst-{scenario.name}-{token}"[:63].rstrip("-")
            pin = f"run-{token}"
            setup = RunSetup(kube, namespace, run, pin, build_node=_node_builder() if sim else None)
            shape = scenario.shape(time_scale)
            recorder.write_run({
                "name": run, "run_id": run, "token": token, "scenario": scenario.as_record(),
                "scenario_file": scenario.source_path, "target": target.describe(), "cluster": cluster_info,
                "namespace": namespace, "time_scale": time_scale, "started_at": started,
                "profile": {"kind": scenario.profile.kind, "duration_s": shape.duration,
                            "expected_launches": round(shape.expected_launches, 3), "peak_rate": shape.peak_rate,
                            "steps": shape.steps()},
                "expect": list(scenario.expect.outcomes), "k8sstress": __version__, "pid": os.getpid(),
                "status": "running",
            })
            output.info(f"[bold]{scenario.name}[/bold]: {scenario.description.strip().splitlines()[0] if scenario.description.strip() else ''}")
            output.info(f"  target {target.name}, profile {scenario.profile.kind} "
                        f"({format_duration(shape.duration)}, ~{shape.expected_launches:.0f} launches), "
                        f"time scale {time_scale:g}, namespace {namespace}")
            output.artifact("run directory", run_path)

            setup.create_namespace()
            if scenario.setup.objects:
                done = setup.apply_objects(scenario.setup.objects)
                output.info(f"  setup: {', '.join(done)}")
            if scenario.setup.nodes:
                nodes = setup.create_nodes([n.model_dump() for n in scenario.setup.nodes])
                output.info(f"  dedicated nodes: {', '.join(n for ns in nodes.values() for n in ns)}")
            recorder.update_run(nodes=setup.nodes, pin=pin if scenario.setup.nodes and scenario.setup.pin else None)

            if scenario.wants_pressure(sim):
                pressure = _start_pressure(kubeconfig, run_path)
            live = _Live()
            observer = _start_observer(kubeconfig, namespace, target.pod_selector(run), run_dir, live)
            pin_pool = pin if (scenario.setup.nodes and scenario.setup.pin) else None
            action_ctx = ActionContext(kube=kube, namespace=namespace, run=run, nodes=setup.nodes,
                                       make_node=setup.add_node if sim else None)
            result, aborted = _run_session(scenario, target, recorder, run=run, token=token, namespace=namespace,
                                           time_scale=time_scale, pin_pool=pin_pool, action_ctx=action_ctx,
                                           kubeconfig=kubeconfig, kube=kube, run_path=run_path, live=live,
                                           opts=opts)
            outcome.result = result
        except KeyboardInterrupt:
            aborted = True
            outcome.error = "interrupted"
        except K8sStressError as exc:
            if run_dir is None:
                raise
            outcome.error = exc.message
            outcome.exit_code = exc.exit_code
            aborted = aborted or isinstance(exc, RunAborted)
        finally:
            if observer is not None:
                _stop_quietly(lambda: (observer.stop(timeout=2.0), observer.kube.close()), outcome, "observer")
            if pressure is not None:
                _stop_quietly(pressure.stop, outcome, "pressure model")
            observer = pressure = None
        if recorder is not None and run_dir is not None:
            partial = aborted or bool(result and (result.timed_out or result.aborted)) or outcome.error is not None
            recorder.update_run(ended_at=time.time(), status="aborted" if aborted else
                                "timed-out" if result and result.timed_out else
                                "failed" if outcome.error else "done",
                                partial=partial, result=result.as_json() if result else None,
                                error=outcome.error)
            recorder.close()
            _finalize(outcome, run_path, partial)
            _check_expectations(outcome)
        if aborted:
            outcome.exit_code = RunAborted.exit_code
        elif result is not None and result.timed_out:
            outcome.exit_code = RunTimeout.exit_code
        elif outcome.exit_code == 0 and outcome.summary is not None and \
                (outcome.summary.get("slo") or {}).get("passed") is False:
            outcome.exit_code = SLOFailed.exit_code
    finally:
        _teardown(setup, opts, outcome)
        if setup is not None:
            setup.kube.close()
        if own_pool:
            pool.close()
    return outcome


def _stop_quietly(fn: Callable[[], Any], outcome: RunOutcome, what: str) -> None:
    try:
        fn()
    except Exception as exc:  # teardown goes on
        outcome.problems.append(f"{what}: {exc}")


def _teardown(setup: RunSetup | None, opts: RunOptions, outcome: RunOutcome) -> None:
    if setup is not None and opts.keep:
        nodes = [n for names in setup.nodes.values() for n in names]
        output.info(f"  kept (--keep): namespace {setup.namespace}" + (f", nodes {', '.join(nodes)}" if nodes else ""))
    if setup is not None and not opts.keep:
        try:
            outcome.problems.extend(setup.teardown())
        except K8sStressError as exc:
            outcome.problems.append(f"teardown: {exc.message}")


def _start_pressure(kubeconfig: str, run_path: Path) -> Any:
    try:
        from k8sstress.pressure import start_pressure
    except ImportError as exc:
        output.warn(f"the sim pressure model is not available ({exc}); memory, OOM and eviction scenarios "
                    "will not produce their outcomes")
        return None
    return start_pressure(kubeconfig, log_path=run_path / "pressure.jsonl")


def _start_observer(kubeconfig: str, namespace: str, selector: str | None, run_dir: RunDir, live: _Live) -> Any:
    try:
        from k8sstress.observe import Observer
    except ImportError as exc:
        output.warn(f"the observer is not available ({exc}); observer.jsonl will be empty")
        return None
    observer = Observer(Kube(kubeconfig), namespace=namespace, label_selector=selector, record=run_dir,
                        on_verdict=live.on_verdict)
    observer.start()
    if not observer.wait_synced(30):
        output.warn("the observer did not finish its first listing within 30s; going on")
    return observer


def _run_session(scenario: Scenario, target: Target, recorder: Recorder, *, run: str, token: str, namespace: str,
                 time_scale: float, pin_pool: str | None, action_ctx: ActionContext, kubeconfig: str, kube: Kube,
                 run_path: Path, live: _Live, opts: RunOptions) -> tuple[LoadResult, bool]:
    if opts.settle is not None:  # a shallow copy: the mix entries keep their loaded templates
        scenario = scenario.model_copy(update={"durations": scenario.durations.model_copy(
            update={"settle": opts.settle})})

    async def main() -> tuple[LoadResult, bool]:
        abort = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, abort.set)
        task_id: Any = None
        prog: Any = None

        def on_tick(snap: dict[str, Any]) -> None:
            if prog is None or task_id is None:
                return
            desc = (f"{scenario.name} [{snap['phase']}] sent={int(snap['load.sent_total'])} "
                    f"ok={int(snap['load.accepted_total'])} rej={int(snap['load.rejected_total'])} "
                    f"err={int(snap['load.errors_total'])} inflight={int(snap['load.in_flight'])} {live.text()}")
            prog.update(task_id, completed=min(snap["offset"], snap["duration"]) if snap["phase"] == "load"
                        else snap["duration"], description=desc)

        session = LoadSession(scenario, target, recorder, run=run, token=token, namespace=namespace,
                              time_scale=time_scale, pin_pool=pin_pool, action_context=action_ctx,
                              on_tick=on_tick, sample_metrics=target.sample_metrics)
        ctx = TargetContext(namespace=namespace, run=run, run_dir=run_path, kubeconfig=kubeconfig, kube=kube,
                            report_state=session.report_state, time_scale=time_scale,
                            max_in_flight=scenario.load.max_in_flight)
        try:
            await target.start(ctx)
            recorder.update_run(target=target.describe())
            if opts.show_progress:
                with output.progress() as p:
                    prog = p
                    task_id = p.add_task(scenario.name, total=max(session.shape.duration, 0.001))
                    result = await session.run(abort)
            else:
                result = await session.run(abort)
        finally:
            try:
                await target.close()
            finally:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)
        return result, abort.is_set()

    try:
        result, aborted = asyncio.run(main())
    finally:
        _install_sigterm()
    r = result
    output.info(f"  {scenario.name}: sent {r.sent}, accepted {r.accepted}, rejected {r.rejected}, "
                f"errors {r.errors}, stops {r.stops_sent}, state reports {r.state_reports}"
                + (" [timed out]" if r.timed_out else "") + (" [aborted]" if aborted else ""))
    late = (r.scheduler.get("lateness") or {}).get("launch") or {}
    if late:
        output.info(f"  schedule lateness p50 {late['p50_s'] * 1000:.1f} ms, p99 {late['p99_s'] * 1000:.1f} ms, "
                    f"max {late['max_s'] * 1000:.1f} ms ({late['waited_for_slot']} waited for an in-flight slot)")
    return result, aborted


def _finalize(outcome: RunOutcome, run_path: Path, partial: bool) -> None:
    try:
        from k8sstress.report import finalize
    except ImportError:
        finalize = None  # type: ignore[assignment]
    if finalize is None or not callable(finalize):
        outcome.problems.append("k8sstress.report.finalize is not available: no summary/report written")
        output.warn("the report part is not available yet: summary.json, report.html and runbook.md not written")
        return
    try:
        artifacts = finalize(run_path, partial=partial)
    except K8sStressError as exc:
        outcome.problems.append(f"finalize: {exc.message}")
        output.error(f"writing the report failed: {exc.message}")
        return
    except Exception as exc:  # a report bug must not lose the run
        log.exception("finalize failed")
        outcome.problems.append(f"finalize: {type(exc).__name__}: {exc}")
        output.error(f"writing the report failed: {type(exc).__name__}: {exc}")
        return
    outcome.artifacts = {k: Path(v) for k, v in (artifacts or {}).items()}
    summary_path = outcome.artifacts.get("summary") or run_path / "summary.json"
    if summary_path.exists():
        try:
            outcome.summary = json.loads(summary_path.read_text())
        except ValueError:
            outcome.problems.append(f"{summary_path} is not valid JSON")


def _check_expectations(outcome: RunOutcome) -> None:
    if not outcome.expected or outcome.summary is None:
        return
    seen = outcome.seen
    outcome.missing = [o for o in outcome.expected if o not in seen]


def _install_sigterm() -> None:
    """SIGTERM as Ctrl-C outside the session (the session handles both itself)."""
    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)


# -- a suite ----------------------------------------------------------------------------------------------------------
def run_suite(suite: Suite, opts: RunOptions, only: list[str] | None = None) -> tuple[Path, list[RunOutcome]]:
    """Every (selected) scenario of ``suite`` in order, each in its own run directory under one parent."""
    scenarios = suite.select(only)
    for s in scenarios:
        _target_for(s, opts)  # every target validated before the first run
    parent = opts.out or Path("runs") / f"{suite.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    parent.mkdir(parents=True, exist_ok=True)
    pool = ClusterPool(keep=opts.keep, show_progress=opts.show_progress)
    outcomes: list[RunOutcome] = []
    try:
        for i, scenario in enumerate(scenarios, 1):
            output.info(f"\n[bold]({i}/{len(scenarios)})[/bold] suite {suite.name}")
            o = run_scenario(scenario, opts, pool=pool, out=parent / scenario.name)
            outcomes.append(o)
            if o.exit_code == RunAborted.exit_code:
                output.warn(f"suite {suite.name} aborted after {scenario.name}")
                break
    finally:
        pool.close()
    index = {"suite": suite.name, "file": str(suite.path), "runs": [
        {"scenario": o.scenario, "run_dir": str(o.run_dir), "exit_code": o.exit_code, "outcomes": o.outcomes,
         "pod_outcomes": o.pod_outcomes, "expected": o.expected, "missing": o.missing, "error": o.error,
         "slo_passed": (o.summary or {}).get("slo", {}).get("passed") if o.summary else None}
        for o in outcomes]}
    (parent / "suite.json").write_text(json.dumps(index, indent=2))
    return parent, outcomes


# -- the command --------------------------------------------------------------------------------------------------------
def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("run", help="run a scenario or a suite (e.g. exhaustion) against a target",
                       description="Runs a scenario (or every scenario of a suite such as 'exhaustion'): brings "
                                   "up the cluster, launches on the profile's open-model schedule through the "
                                   "target, records everything in a run directory, then writes summary.json, "
                                   "report.html and runbook.md and tears everything down.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", metavar="SCENARIO", help="a scenario or suite file, or a name from scenarios/")
    p.add_argument("--target", metavar="KIND[:FILE]",
                   help="override the scenario's target: direct, job, reference, or http:TEMPLATE_FILE")
    p.add_argument("--target-option", action="append", default=[], metavar="KEY=VALUE",
                   help="a target option (repeatable; YAML values), e.g. policy=naive, backoff-limit=2, "
                        "'vars={port: 8080}'")
    p.add_argument("--out", metavar="DIR", help="the run directory (a suite: the parent of its runs)")
    p.add_argument("--time-scale", type=float, metavar="X",
                   help="multiply every duration of the load by X (0.01: the staircase in about a minute per step)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--cluster", metavar="FILE|NAME", help="the cluster shape to bring up (overrides the scenario's)")
    g.add_argument("--kubeconfig", metavar="FILE", help="use this cluster instead of bringing one up")
    p.add_argument("--only", action="append", metavar="NAME", help="a suite: run only this scenario (repeatable)")
    p.add_argument("--settle", type=float, metavar="SECONDS", help="override every scenario's settle time")
    p.add_argument("--keep", action="store_true", help="keep the namespace, nodes and cluster for inspection")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--format", choices=["table", "json"], default="table", help="the result on stdout")
    p.set_defaults(func=cmd_run)


def _parse_target_options(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InputError(f"--target-option {item!r}: expected KEY=VALUE")
        out[key.strip()] = yaml.safe_load(value) if value else ""
    return out


def options_from_args(args: argparse.Namespace) -> RunOptions:
    if args.time_scale is not None and args.time_scale <= 0:
        raise InputError("--time-scale must be > 0")
    return RunOptions(target=args.target, target_options=_parse_target_options(args.target_option),
                      out=Path(args.out) if args.out else None, time_scale=args.time_scale, cluster=args.cluster,
                      kubeconfig=args.kubeconfig, keep=args.keep, show_progress=not args.no_progress,
                      settle=args.settle)


def _table(outcomes: list[RunOutcome]) -> output.Table:
    t = output.Table(title="runs")
    for col in ("scenario", "exit", "launches", "accepted", "outcomes (launches)", "expected", "run directory"):
        t.add_column(col)
    for o in outcomes:
        r = o.result
        outs = ", ".join(f"{k} {v}" for k, v in o.outcomes.items()) or (o.error or "-")
        exp = "-" if not o.expected else ("ok" if not o.missing and o.summary is not None else
                                          "no summary" if o.summary is None else "missing " + ", ".join(o.missing))
        t.add_row(o.scenario, str(o.exit_code), str(r.sent if r else 0), str(r.accepted if r else 0), outs, exp,
                  str(o.run_dir))
    return t


def cmd_run(args: argparse.Namespace) -> int:
    opts = options_from_args(args)
    _install_sigterm()
    path = resolve_scenario_path(args.scenario)
    if is_suite_file(path):
        suite = load_suite(path)
        parent, outcomes = run_suite(suite, opts, only=args.only)
        output.artifact("suite index", parent / "suite.json")
    else:
        if args.only:
            raise InputError("--only applies to suites")
        scenario = load_scenario(path)
        outcomes = [run_scenario(scenario, opts)]
    for o in outcomes:
        for name, p in o.artifacts.items():
            output.artifact(name, p)
        for problem in o.problems:
            output.warn(f"{o.scenario}: {problem}")
        if o.missing:
            output.warn(f"{o.scenario}: expected outcomes not seen: {', '.join(o.missing)}")
        if o.error and o.error != "interrupted":
            output.error(f"{o.scenario}: {o.error}")
    if args.format == "json":
        output.print_json([{"scenario": o.scenario, "run_dir": str(o.run_dir), "exit_code": o.exit_code,
                            "outcomes": o.outcomes, "pod_outcomes": o.pod_outcomes, "expected": o.expected,
                            "missing": o.missing, "error": o.error,
                            "artifacts": {k: str(v) for k, v in o.artifacts.items()},
                            "load": o.result.as_json() if o.result else None} for o in outcomes])
    else:
        output.print_table(_table(outcomes))
    code = exit_code_for(outcomes)
    if code == RunAborted.exit_code:
        output.error("aborted: the partial record was finalized")
    elif code == RunTimeout.exit_code:
        output.error("the run timed out: the partial record was finalized")
    elif code == SLOFailed.exit_code:
        output.error("an SLO failed (see the report)")
    return code
