"""The target interface, how a target's pods are tied to launches, and the registry.

A target adapts one runner under test to the load generator's
:class:`~k8sstress.load.launches.Launcher` (launch, stop, status), plus a lifecycle
(``start``/``close``) and a statement of how its pods are tied to launches
(:class:`PodTie`): Lost, Orphaned and drift are per-launch verdicts, so every pod
must be matched to its launch. Targets register a factory in :data:`TARGETS`; the
factory validates the target's options (pydantic) before anything runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from k8sstress.errors import InputError
from k8sstress.kube import Kube
from k8sstress.load.launches import LaunchRequest, LaunchResult, StatusResult, StopRequest, StopResult
from k8sstress.records import LAUNCH_ID_LABEL, RUN_LABEL, StateReport

__all__ = ["PodTie", "TargetContext", "Target", "BaseTarget", "TargetOptions", "TARGETS", "register_target",
           "get_target_factory", "build_target", "Metric"]

Metric = tuple[str, float, dict[str, str]]

@dataclass(frozen=True)
class PodTie:
    """How the runner's pods are matched to launches.

    ``by``: ``label`` or ``annotation`` (``key`` holds the run id, or the launch id when
    ``value`` is ``launch-id``), ``owner`` (owner references: ``owner_kinds`` from the pod up
    to the object the launch created, e.g. ``["ReplicaSet", "Deployment"]``), or
    ``name-pattern`` (a regular expression over the pod's name in which ``{run_id}`` stands
    for the run id). Every k8sstress-rendered pod also carries
    :data:`~k8sstress.records.LAUNCH_ID_LABEL`, which wins when present.
    """

    by: Literal["label", "annotation", "owner", "name-pattern"]
    key: str | None = None
    value: Literal["run-id", "launch-id"] = "run-id"
    pattern: str | None = None
    owner_kinds: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["owner_kinds"] = list(self.owner_kinds)
        return {k: v for k, v in d.items() if v not in (None, [], ())}

@dataclass
class TargetContext:
    """What a target is given when a run starts."""

    namespace: str
    run: str
    run_dir: Path
    kubeconfig: str | None = None
    kube: Kube | None = None
    report_state: Callable[[StateReport], None] = lambda _r: None
    """Where callbacks from the runner go (the session records them)."""
    time_scale: float = 1.0
    max_in_flight: int = 256
    extra: dict[str, Any] = field(default_factory=dict)

class Target(Protocol):
    name: str
    tie: PodTie

    async def start(self, ctx: TargetContext) -> None: ...

    async def close(self) -> None: ...

    async def launch(self, request: LaunchRequest) -> LaunchResult: ...

    async def stop(self, request: StopRequest) -> StopResult: ...

    async def status(self, request: StopRequest) -> StatusResult | None: ...

    def pod_selector(self, run: str) -> str | None:
        """The label selector of this run's pods and owners for the observer (None: the whole namespace)."""
        ...

    def sample_metrics(self) -> list[Metric]: ...

    def describe(self) -> dict[str, Any]:
        """What run.json says about the target (kind, tie, options)."""
        ...

class TargetOptions(BaseModel):
    """Base of target option models (scenario ``target:`` keys other than ``kind``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              alias_generator=lambda name: name.replace("_", "-"))

class BaseTarget:
    """Defaults for targets: no lifecycle, the run label as selector, a thread pool for sync I/O."""

    name = "base"
    tie = PodTie(by="label", key=LAUNCH_ID_LABEL, value="launch-id")

    def __init__(self, options: TargetOptions | None = None) -> None:
        self.options = options
        self.ctx: TargetContext | None = None
        self._pool: ThreadPoolExecutor | None = None

    async def start(self, ctx: TargetContext) -> None:
        self.ctx = ctx

    async def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def pod_selector(self, run: str) -> str | None:
        return f"{RUN_LABEL}={run}"

    def sample_metrics(self) -> list[Metric]:
        return []

    def describe(self) -> dict[str, Any]:
        opts = self.options.model_dump(mode="json", by_alias=True) if self.options is not None else {}
        return {"kind": self.name, "tie": self.tie.as_json(), "options": opts}

    @property
    def kube(self) -> Kube:
        if self.ctx is None or self.ctx.kube is None:
            raise InputError(f"target {self.name} needs cluster access (a kubeconfig)")
        return self.ctx.kube

    async def in_thread(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a blocking call (the Kube seam is synchronous) on this target's thread pool."""
        if self._pool is None:
            workers = min(64, max(8, (self.ctx.max_in_flight if self.ctx else 32)))
            self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"target-{self.name}")
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

TargetFactory = Callable[[dict[str, Any], Path | None], Target]
"""``factory(options, base_dir)``: validate the options (raise pydantic ValidationError or
ConfigError) and build the target. ``base_dir``: where relative paths in the options start."""

TARGETS: dict[str, TargetFactory] = {}

def register_target(name: str) -> Callable[[TargetFactory], TargetFactory]:
    def deco(factory: TargetFactory) -> TargetFactory:
        TARGETS[name] = factory
        return factory
    return deco

def _load_builtin() -> None:
    from k8sstress.targets import direct, http, job, reference  # noqa: F401  (they register)

def get_target_factory(name: str) -> TargetFactory:
    _load_builtin()
    try:
        return TARGETS[name]
    except KeyError:
        raise InputError(f"unknown target {name!r}; choose one of: {', '.join(sorted(TARGETS))}") from None

def build_target(name: str, options: dict[str, Any] | None = None, base_dir: Path | None = None) -> Target:
    """A target by registry name, its options validated (pydantic errors propagate)."""
    return get_target_factory(name)(dict(options or {}), base_dir)
