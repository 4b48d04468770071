"""pytest plugin (entry point ``k8sstress``): stress scenarios as tests, with SLO asserts, for a
platform team's own CI.

Opt-in: nothing runs unless a test asks for a ``k8sstress_*`` fixture, so installing
k8sstress changes no other test session. Runs go through the ``k8sstress`` command
(the same one people run by hand), so a test fails the same way the CLI would::

    def test_runner_holds_under_exhaustion(k8sstress_run):
        run = k8sstress_run("scenarios/exhaustion.yaml", target="http:runner.yaml", time_scale=0.05)
        run.assert_slos()                              # every SLO of the scenario, with evidence
        run.assert_outcomes(Lost=0, Orphaned=0)        # launches by final outcome
        run.assert_metric("launch_api_p99_s", max=1.0)

    def test_recorded_run(k8sstress_summary):          # no cluster: judge a recorded run
        k8sstress_summary("runs/nightly").assert_slos()

Options (or the ini keys ``k8sstress_kubeconfig``, ``k8sstress_cluster``...):
``--k8sstress-kubeconfig FILE`` run against a cluster that is up (else each run brings
up the scenario's own, e.g. the sim cluster, and tears it down), ``--k8sstress-cluster
FILE``, ``--k8sstress-target KIND[:FILE]``, ``--k8sstress-time-scale X``,
``--k8sstress-out DIR`` (keep run directories there; default: the test's tmp path).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from k8sstress.analyze import Summary, compare

__all__ = ["StressRun", "SLOAssertionError", "assert_slos", "assert_outcomes", "assert_metric",
           "assert_no_regression", "k8sstress_command"]

_OPTIONS = (
    ("kubeconfig", "a kubeconfig of a cluster that is already up (default: each run brings up its scenario's cluster)"),
    ("cluster", "the cluster file runs bring up (overrides the scenario's)"),
    ("target", "override every scenario's target: KIND or http:FILE"),
    ("time-scale", "compress every duration by this factor (e.g. 0.05 in CI)"),
    ("out", "keep run directories under this directory (default: the test's tmp path)"),
)


class SLOAssertionError(AssertionError):
    """An SLO, outcome or metric assertion failed; the message carries the evidence."""


def k8sstress_command() -> list[str]:
    """How to invoke the ``k8sstress`` command of this installation."""
    exe = Path(sys.executable).with_name("k8sstress")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("k8sstress")
    if found:
        return [found]
    return [sys.executable, "-c", "from k8sstress.cli.main import entry; entry()"]


def _summary_of(run: StressRun | Summary) -> Summary:
    return run.summary if isinstance(run, StressRun) else run


def assert_slos(run: StressRun | Summary) -> None:
    """Every SLO of the scenario passed; else fail with each broken SLO and its evidence."""
    s = _summary_of(run)
    failed = s.slo.failed
    if failed:
        parts = [f"{len(failed)} of {len(s.slo.results)} SLOs failed in {s.run.get('scenario')}"
                 + (" (partial record)" if s.partial else "") + ":"]
        for r in failed:
            parts.append(f"- {r.name}: {r.message}")
            if r.evidence:
                parts.extend("    " + line for line in r.evidence.splitlines())
        raise SLOAssertionError("\n".join(parts))


def assert_outcomes(run: StressRun | Summary, exact: Mapping[str, int] | None = None, *,
                    at_most: Mapping[str, int] | None = None, at_least: Mapping[str, int] | None = None,
                    **counts: int) -> None:
    """Launches by final outcome: ``assert_outcomes(run, Lost=0, Orphaned=0)`` (exact counts),
    ``at_most={"Evicted": 3}``, ``at_least={"Unschedulable": 1}``."""
    s = _summary_of(run)
    want = {**(exact or {}), **counts}
    problems = []
    for name, n in want.items():
        if s.outcomes.get(name, 0) != n:
            problems.append(f"{name}: {s.outcomes.get(name, 0)} launches, expected {n}")
    for name, n in (at_most or {}).items():
        if s.outcomes.get(name, 0) > n:
            problems.append(f"{name}: {s.outcomes.get(name, 0)} launches, expected at most {n}")
    for name, n in (at_least or {}).items():
        if s.outcomes.get(name, 0) < n:
            problems.append(f"{name}: {s.outcomes.get(name, 0)} launches, expected at least {n}")
    if problems:
        examples = []
        for name in {p.split(":")[0] for p in problems}:
            ids = [e["launch_id"] for e in s.examples.get(name, [])[:5]]
            if ids:
                examples.append(f"  {name}: {', '.join(ids)}")
        raise SLOAssertionError("outcomes differ:\n- " + "\n- ".join(problems)
                                + f"\nall outcomes: {s.outcomes}" + ("\nexamples:\n" + "\n".join(examples)
                                                                     if examples else ""))


def assert_metric(run: StressRun | Summary, name: str, *, max: float | None = None,  # noqa: A002
                  min: float | None = None) -> None:  # noqa: A002
    """One metric of summary.json within bounds (names: docs/report.md)."""
    s = _summary_of(run)
    if name not in s.metrics:
        raise SLOAssertionError(f"no metric {name!r} in the summary (see docs/report.md for the names)")
    value = s.metrics[name]
    if value is None:
        raise SLOAssertionError(f"{name} has no value in this run (nothing measured, or never reached)")
    if max is not None and value > max:
        raise SLOAssertionError(f"{name} = {value}, expected at most {max}")
    if min is not None and value < min:
        raise SLOAssertionError(f"{name} = {value}, expected at least {min}")


def assert_no_regression(baseline: StressRun | Summary | str | Path, candidate: StressRun | Summary, *,
                         tolerance: float = 0.10) -> None:
    """``candidate`` is no worse than ``baseline`` (a run, a summary, or a run directory)."""
    if isinstance(baseline, str | Path):
        from k8sstress.report import load_summary

        base = load_summary(baseline)
    else:
        base = _summary_of(baseline)
    result = compare(base, _summary_of(candidate), tolerance=tolerance)
    if result.regressed:
        lines = [f"- {r.metric}: {r.a} -> {r.b} ({r.better} is better){' ' + r.note if r.note else ''}"
                 for r in result.regressions]
        lines += [f"- SLO {n} passed in the baseline and fails now" for n in result.slo_regressions]
        raise SLOAssertionError("regressed against the baseline:\n" + "\n".join(lines))


@dataclass
class StressRun:
    """One finished run: its directory, the command's exit code, and its summary."""

    run_dir: Path
    exit_code: int
    summary: Summary
    artifacts: dict[str, Path] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""

    @property
    def report(self) -> Path:
        return self.run_dir / "report.html"

    @property
    def outcomes(self) -> dict[str, int]:
        return dict(self.summary.outcomes)

    @property
    def metrics(self) -> dict[str, Any]:
        return dict(self.summary.metrics)

    def assert_slos(self) -> None:
        assert_slos(self)

    def assert_outcomes(self, exact: Mapping[str, int] | None = None, **kw: Any) -> None:
        assert_outcomes(self, exact, **kw)

    def assert_metric(self, name: str, *, max: float | None = None, min: float | None = None) -> None:  # noqa: A002
        assert_metric(self, name, max=max, min=min)

    def assert_no_regression(self, baseline: StressRun | Summary | str | Path, *, tolerance: float = 0.10) -> None:
        assert_no_regression(baseline, self, tolerance=tolerance)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("k8sstress", "k8sstress: stress scenarios as tests (opt-in fixtures)")
    for name, help_text in _OPTIONS:
        group.addoption(f"--k8sstress-{name}", dest=f"k8sstress_{name.replace('-', '_')}", default=None,
                        help=help_text)
        parser.addini(f"k8sstress_{name.replace('-', '_')}", help_text, default=None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "k8sstress: a test that runs a k8sstress scenario (slow; needs a cluster)")


def _option(config: pytest.Config, name: str) -> str | None:
    key = f"k8sstress_{name.replace('-', '_')}"
    value = config.getoption(key, default=None) or config.getini(key) or os.environ.get(key.upper())
    return str(value) if value else None


@pytest.fixture(scope="session")
def k8sstress_kubeconfig(pytestconfig: pytest.Config) -> str | None:
    """The kubeconfig runs use (``--k8sstress-kubeconfig`` / ``K8SSTRESS_KUBECONFIG``), or None:
    each run then brings up its scenario's cluster and tears it down."""
    return _option(pytestconfig, "kubeconfig")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:60] or "run"


@pytest.fixture
def k8sstress_run(pytestconfig: pytest.Config, k8sstress_kubeconfig: str | None, tmp_path: Path,
                  request: pytest.FixtureRequest, record_property: Callable[[str, object], None]
                  ) -> Iterator[Callable[..., StressRun]]:
    """Run a scenario with ``k8sstress run`` and return a :class:`StressRun` (exit code, summary).

    ``k8sstress_run(scenario, *, target=None, time_scale=None, out=None, args=(), timeout=None)``.
    The run's report path is recorded as a junit property of the test.
    """
    base_out = _option(pytestconfig, "out")

    def run(scenario: str | Path, *, target: str | None = None, time_scale: float | None = None,
            out: str | Path | None = None, args: Sequence[str] = (), timeout: float | None = None,
            env: Mapping[str, str] | None = None) -> StressRun:
        if out is None:
            root = Path(base_out) / _slug(request.node.nodeid) if base_out else tmp_path
            root.mkdir(parents=True, exist_ok=True)
            out = root / f"{_slug(Path(str(scenario)).stem)}-{len(list(root.iterdir()))}"
        out = Path(out)
        cmd = [*k8sstress_command(), "run", str(scenario), "--out", str(out), "--format", "json", "--no-progress"]
        target = target or _option(pytestconfig, "target")
        scale = time_scale if time_scale is not None else _option(pytestconfig, "time-scale")
        cluster = _option(pytestconfig, "cluster")
        if target:
            cmd += ["--target", target]
        if scale is not None:
            cmd += ["--time-scale", str(scale)]
        if k8sstress_kubeconfig:
            cmd += ["--kubeconfig", k8sstress_kubeconfig]
        elif cluster:
            cmd += ["--cluster", cluster]
        cmd += list(args)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **(env or {})})
        artifacts: dict[str, Path] = {}
        try:
            results = json.loads(proc.stdout) if proc.stdout.strip() else []
            first = results[0] if isinstance(results, list) and results else {}
            artifacts = {k: Path(v) for k, v in (first.get("artifacts") or {}).items()}
            out = Path(first.get("run_dir") or out)
        except ValueError:
            pass
        if not out.is_dir() or proc.returncode == 1:
            raise pytest.fail.Exception(
                f"k8sstress run failed (exit {proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-4000:]}")
        from k8sstress.report import load_summary

        summary = load_summary(out)
        record_property("k8sstress_run_dir", str(out))
        record_property("k8sstress_report", str(out / "report.html"))
        return StressRun(out, proc.returncode, summary, artifacts, proc.stdout, proc.stderr)

    yield run


@pytest.fixture
def k8sstress_summary() -> Callable[[str | Path], StressRun]:
    """Load a recorded run directory (no cluster): ``k8sstress_summary("runs/nightly").assert_slos()``.
    A run without summary.json is analysed on the spot."""

    def load(run_dir: str | Path) -> StressRun:
        from k8sstress.report import load_summary

        path = Path(run_dir)
        return StressRun(path, 0, load_summary(path))

    return load
