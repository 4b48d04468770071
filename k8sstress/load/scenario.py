"""Scenario files: the pydantic model and the loader (errors name file, line and field).

A scenario says what to run: the cluster shape, the target (the runner under test),
the launch mix (mode batch/online x template with/without limits x weight, with the
parameters the pods simulate), the load profile, the stop policy, SLOs, durations,
setup objects and dedicated nodes, timed actions, and the outcomes it is built to
produce. See docs/scenarios.md for the format. Keys are kebab-case.

Everything here is pure except :func:`load_scenario` (reads the file and the pod
templates it names). The target's options and an inline cluster are validated by
the layers that own them (targets, cluster) through :meth:`Scenario.error_at`, so
their errors carry the scenario's file and line too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializeAsAny,
    ValidationError,
    field_validator,
    model_validator,
)

from k8sstress.errors import ConfigError, InputError
from k8sstress.load.actions import ActionSpec, validate_action
from k8sstress.load.durations import Duration
from k8sstress.load.profiles import ProfileSpec, Shape, validate_profile
from k8sstress.load.yamlpos import PositionedYaml, parse_positioned, validation_message
from k8sstress.paths import project_root
from k8sstress.records import RawObject
from k8sstress.templates import has_limits, load_template

__all__ = [
    "Scenario",
    "MixEntry",
    "PodParams",
    "StopPolicy",
    "SLOBound",
    "TargetSpec",
    "NodeSpec",
    "Setup",
    "LoadOptions",
    "Durations",
    "Expect",
    "load_scenario",
    "parse_scenario",
    "scenario_dirs",
    "resolve_scenario_path",
    "OUR_STATES",
    "SETUP_KINDS",
]

SETUP_KINDS: dict[str, tuple[str, str, bool]] = {
    "ResourceQuota": ("v1", "resourcequotas", True),
    "LimitRange": ("v1", "limitranges", True),
    "ConfigMap": ("v1", "configmaps", True),
    "Secret": ("v1", "secrets", True),
    "ServiceAccount": ("v1", "serviceaccounts", True),
    "PodDisruptionBudget": ("policy/v1", "poddisruptionbudgets", True),
    "PriorityClass": ("scheduling.k8s.io/v1", "priorityclasses", False),
}
"""Kinds a scenario may create in ``setup.objects``: kind -> (apiVersion, plural, namespaced)."""

OUR_STATES = ("Pending", "Running", "Succeeded", "Failed", "Stopped", "Unknown")
"""The runner states a target reports (after mapping a runner's own names)."""

_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$")


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, alias_generator=_kebab)


class PodParams(_Model):
    """What the simulated pod does (read by the sim pressure model from annotations)."""

    memory_usage: str | None = Field(default=None, description="memory the container ramps to, e.g. 600Mi")
    memory_ramp: Duration | None = None
    cpu_busy: float | None = Field(default=None, ge=0)
    duration: Duration | None = Field(default=None, description="batch: seconds from start to success")

    @field_validator("memory_usage", mode="before")
    @classmethod
    def _quantity(cls, v: object) -> object:
        if v is not None and not _QUANTITY.match(str(v)):
            raise ValueError(f"not a Kubernetes quantity: {v!r} (e.g. 512Mi, 1Gi)")
        return None if v is None else str(v)


class MixEntry(_Model):
    """One kind of launch: a mode, a pod template (with or without limits) and a weight."""

    name: str | None = Field(default=None, pattern=_NAME, max_length=40)
    mode: Literal["batch", "online"]
    template: str
    weight: float = Field(default=1.0, gt=0)
    params: PodParams = Field(default_factory=PodParams)
    lifetime: Duration | None = Field(default=None, gt=0,
                                      description="online: stop this long after the launch (overrides stop.online)")
    pod_overrides: dict[str, Any] = Field(default_factory=dict,
                                          description="deep-merged into the rendered pod (lists replace)")
    _limits: str | None = PrivateAttr(default=None)
    _template_obj: RawObject | None = PrivateAttr(default=None)

    @property
    def label(self) -> str:
        return self.name or f"{self.mode}-{Path(self.template).stem}"

    @property
    def limits(self) -> str:
        """"with" or "without", from the template (known once the scenario is loaded)."""
        if self._limits is None:
            raise InputError(f"mix entry {self.label}: its template is not loaded yet")
        return self._limits

    @property
    def template_obj(self) -> RawObject:
        if self._template_obj is None:
            raise InputError(f"mix entry {self.label}: its template is not loaded yet")
        return self._template_obj

    def attach_template(self, obj: RawObject) -> None:
        self._template_obj = obj
        self._limits = "with" if has_limits(obj) else "without"


def _stop_when(value: object, words: tuple[str, ...]) -> object:
    if isinstance(value, str) and value in words:
        return value
    from k8sstress.load.durations import parse_duration

    try:
        return parse_duration(value)
    except ValueError:
        raise ValueError(f"expected one of {', '.join(words)} or a duration (e.g. 30s)") from None


class StopPolicy(_Model):
    """When launches are stopped through the target.

    ``online``: ``end`` (stopped when the load ends; the default), ``never``, or a
    lifetime (stopped that long after the launch). ``batch``: ``finish`` (left to run
    to completion; the default) or a duration after which an unfinished run is stopped.
    """

    online: Literal["end", "never"] | float = "end"
    batch: Literal["finish"] | float = "finish"

    @field_validator("online", mode="before")
    @classmethod
    def _online(cls, v: object) -> object:
        return _stop_when(v, ("end", "never"))

    @field_validator("batch", mode="before")
    @classmethod
    def _batch(cls, v: object) -> object:
        return _stop_when(v, ("finish",))


def _slo_metric(name: str) -> str:
    """An SLO names a metric of summary.json (the analysis catalog), when that catalog is installed."""
    try:
        from k8sstress.analyze.catalog import METRICS
    except ImportError:  # the analysis is a sibling part; without it names are taken verbatim
        return name
    if name not in METRICS:
        close = sorted(m for m in METRICS if name.split("_")[0] in m)[:6]
        raise ValueError(f"unknown metric {name!r} for an SLO" + (f"; similar: {', '.join(close)}" if close else "")
                         + " (docs/report.md lists them)")
    return name


SLOName = Annotated[str, AfterValidator(_slo_metric)]


class SLOBound(_Model):
    """``{max: number}`` and/or ``{min: number}`` for one metric; evaluated by the report."""

    max: float | None = None
    min: float | None = None

    @model_validator(mode="after")
    def _one(self) -> SLOBound:
        if self.max is None and self.min is None:
            raise ValueError("give 'max' or 'min' (a number)")
        return self


class TargetSpec(BaseModel):
    """``kind`` picks the target; every other key is that target's option (validated by it)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    kind: str = "direct"

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class NodeSpec(_Model):
    """A dedicated simulated node pool made for this run; the run's pods are pinned to it."""

    name: str = Field(pattern=_NAME, max_length=30)
    count: int = Field(default=1, ge=1, le=1000)
    cpu: str = "4"
    memory: str = "8Gi"
    pods: int = Field(default=110, ge=1, le=10000)
    eviction_hard_memory: str = "100Mi"
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict,
                                        description="node annotations, e.g. k8sstress.io/eviction-interval-seconds")

    @field_validator("cpu", "memory", "eviction_hard_memory", mode="before")
    @classmethod
    def _quantity(cls, v: object) -> str:
        if not _QUANTITY.match(str(v)):
            raise ValueError(f"not a Kubernetes quantity: {v!r}")
        return str(v)


class Setup(_Model):
    objects: list[RawObject] = Field(default_factory=list,
                                     description="applied to the run's namespace first (ResourceQuota, LimitRange)")
    nodes: list[NodeSpec] = Field(default_factory=list)
    pin: bool = Field(default=True, description="pin the run's pods to its dedicated nodes")
    pressure: Literal["auto", "on", "off"] = "auto"
    """Start the sim pressure model (the kubelet stand-in: usage, OOM kills, eviction, batch
    completion): ``auto`` starts it on sim clusters."""

    @field_validator("objects")
    @classmethod
    def _objects(cls, v: list[RawObject]) -> list[RawObject]:
        for i, obj in enumerate(v):
            if not isinstance(obj, dict) or not obj.get("kind") or not obj.get("apiVersion"):
                raise ValueError(f"object {i} needs 'apiVersion' and 'kind'")
            if not (obj.get("metadata") or {}).get("name"):
                raise ValueError(f"object {i} ({obj.get('kind')}) needs metadata.name")
            if obj["kind"] not in SETUP_KINDS:
                raise ValueError(f"object {i}: kind {obj['kind']!r} is not supported here; "
                                 f"use one of: {', '.join(SETUP_KINDS)}")
        return v


class LoadOptions(_Model):
    max_in_flight: int = Field(default=256, ge=1, le=100000,
                               description="requests to the target in flight at once (launches + stops)")
    arrivals: Literal["uniform", "poisson"] = "uniform"
    seed: int = 0
    status_poll: Duration | None = Field(default=2.0, description="poll the target's status this often (null: never)")
    status_concurrency: int = Field(default=16, ge=1, le=1000)
    request_timeout: Duration = Field(default=30.0, gt=0, description="a launch/stop/status request gives up after this")


class Durations(_Model):
    settle: Duration = Field(default=30.0, description="after the load, wait up to this for launches to settle")
    timeout: Duration | None = Field(default=None, description="hard limit for the whole run (exit 2)")


class Expect(_Model):
    """The outcomes this scenario is built to produce (the suite checks them)."""

    outcomes: list[str] = Field(default_factory=list)

    @field_validator("outcomes")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        from k8sstress.records import OUTCOMES

        for o in v:
            if o not in OUTCOMES:
                raise ValueError(f"unknown outcome {o!r}; the taxonomy: {', '.join(OUTCOMES)}")
        return v


class Scenario(_Model):
    name: str = Field(pattern=_NAME, max_length=40)
    description: str = ""
    cluster: str | dict[str, Any] | None = Field(
        default=None, description="a clusters/*.yaml name or path, or an inline cluster mapping")
    namespace: str | None = Field(default=None, pattern=_NAME, max_length=63)
    time_scale: float = Field(default=1.0, gt=0, description="the default --time-scale")
    target: TargetSpec = Field(default_factory=TargetSpec)
    mix: list[MixEntry] = Field(min_length=1)
    profile: SerializeAsAny[ProfileSpec]
    stop: StopPolicy = Field(default_factory=StopPolicy)
    slo: dict[SLOName, SLOBound] = Field(default_factory=dict)
    durations: Durations = Field(default_factory=Durations)
    load: LoadOptions = Field(default_factory=LoadOptions)
    setup: Setup = Field(default_factory=Setup)
    actions: list[SerializeAsAny[ActionSpec]] = Field(default_factory=list)
    expect: Expect = Field(default_factory=Expect)

    _source: PositionedYaml | None = PrivateAttr(default=None)

    @field_validator("profile", mode="before")
    @classmethod
    def _profile(cls, v: object) -> ProfileSpec:
        return validate_profile(v)

    @field_validator("actions", mode="before")
    @classmethod
    def _actions(cls, v: object) -> list[ActionSpec]:
        if not isinstance(v, list):
            raise ValueError("expected a list of actions")
        out: list[ActionSpec] = []
        errors: list[Any] = []
        for i, item in enumerate(v):  # errors keep the item's index, so they point at its line
            try:
                out.append(validate_action(item))
            except ValidationError as exc:
                errors += [{"type": e["type"], "loc": (i, *e["loc"]), "input": e.get("input"),
                            "ctx": e.get("ctx", {})} for e in exc.errors()]
            except ValueError as exc:
                errors.append({"type": "value_error", "loc": (i,), "input": item, "ctx": {"error": exc}})
        if errors:
            raise ValidationError.from_exception_data("actions", errors)
        return out

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        labels = [m.label for m in self.mix]
        dup = {x for x in labels if labels.count(x) > 1}
        if dup:
            raise ValueError(f"mix entries need distinct names (give 'name'): {', '.join(sorted(dup))}")
        pools = {n.name for n in self.setup.nodes}
        for a in self.actions:
            ref = getattr(a, "pool", None)
            if ref is not None and ref not in pools:
                raise ValueError(f"action {a.action} names pool {ref!r}, which is not in setup.nodes")
        return self

    # -- derived -------------------------------------------------------------------------
    @property
    def source_path(self) -> str | None:
        return self._source.path if self._source else None

    def shape(self, time_scale: float | None = None) -> Shape:
        """The profile's shape with every duration scaled."""
        return self.profile.shape().scaled(time_scale or self.time_scale)

    def wants_pressure(self, sim: bool) -> bool:
        """Whether to start the sim pressure model on this cluster (never on a real one)."""
        return sim and self.setup.pressure != "off"

    def error_at(self, loc: tuple[Any, ...], message: str, hint: str | None = None) -> ConfigError:
        """A :class:`ConfigError` pointing at ``loc`` in this scenario's file (for other layers)."""
        if self._source is None:
            return ConfigError(message, path=None, field=".".join(str(p) for p in loc), hint=hint)
        return self._source.error(loc, message, hint)

    def validation_error(self, exc: ValidationError, prefix: tuple[Any, ...]) -> ConfigError:
        """Turn another layer's pydantic error on a section of this scenario into a ConfigError."""
        first = exc.errors()[0]
        hint = f"{len(exc.errors())} problem(s) in all" if len(exc.errors()) > 1 else None
        return self.error_at((*prefix, *first["loc"]), validation_message(first), hint)

    def as_record(self) -> dict[str, Any]:
        """The scenario as stored in run.json (SLOs verbatim)."""
        d = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        d["slo"] = {k: v.model_dump(exclude_none=True) for k, v in self.slo.items()}
        return d


def scenario_dirs() -> list[Path]:
    dirs = [Path.cwd() / "scenarios"]
    root = project_root()
    if root is not None and root / "scenarios" not in dirs:
        dirs.append(root / "scenarios")
    return dirs


def resolve_scenario_path(name_or_path: str) -> Path:
    """A scenario (or suite) file by path, or by name from scenarios/ (``exhaustion`` is a suite)."""
    p = Path(name_or_path)
    if p.exists():
        return p / "suite.yaml" if p.is_dir() else p
    for d in scenario_dirs():
        for cand in (d / f"{name_or_path}.yaml", d / name_or_path / "suite.yaml", d / f"{name_or_path}.yml"):
            if cand.exists():
                return cand
    known = sorted({f.stem for d in scenario_dirs() if d.is_dir() for f in d.glob("*.yaml")}
                   | {f.parent.name for d in scenario_dirs() if d.is_dir() for f in d.glob("*/suite.yaml")})
    raise InputError(f"scenario {name_or_path!r} not found (a path, or a name from scenarios/)",
                     hint=f"known: {', '.join(known)}" if known else None)


def _resolve_template(name: str, base: Path | None) -> RawObject:
    if base is not None:
        cand = (base / name)
        if cand.exists():
            return load_template(str(cand))
    return load_template(name)


def parse_scenario(text: str, path: str = "<scenario>", *, load_templates: bool = True) -> Scenario:
    """Validate a scenario's YAML text; with ``load_templates`` read each mix entry's pod template."""
    src = parse_positioned(text, path)
    data = src.data
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping at the top level (a scenario)", path=path, line=1)
    if "scenarios" in data and "mix" not in data:
        raise ConfigError("this is a suite file, not a scenario", path=path, line=src.lines.get(("scenarios",)),
                          hint="run it with 'k8sstress run' (suites run every scenario they list)")
    if "name" not in data:
        data = {"name": _default_name(path), **data}
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        hint = f"{len(exc.errors())} problem(s) in all; see docs/scenarios.md" if len(exc.errors()) > 1 \
            else "see docs/scenarios.md"
        raise src.error(first["loc"], validation_message(first), hint) from exc
    scenario._source = src
    if load_templates:
        base = Path(path).parent if path and not path.startswith("<") else None
        for i, entry in enumerate(scenario.mix):
            try:
                obj = _resolve_template(entry.template, base)
            except InputError as exc:
                raise src.error(("mix", i, "template"), exc.message) from exc
            restart = (obj.get("spec") or {}).get("restartPolicy", "Always")
            if entry.mode == "batch" and restart == "Always":
                raise src.error(("mix", i, "template"),
                                f"a batch launch needs a run-to-completion pod (restartPolicy Never or OnFailure); "
                                f"template {entry.template!r} has {restart}")
            entry.attach_template(obj)
    return scenario


def _default_name(path: str) -> str:
    stem = re.sub(r"[^a-z0-9-]+", "-", Path(path).stem.lower()).strip("-")
    return stem[:40] or "scenario"


def load_scenario(path: str | Path, *, load_templates: bool = True) -> Scenario:
    """Read and validate a scenario file; a bad file raises :class:`ConfigError` (file:line: field)."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read scenario file: {exc.strerror}", path=str(p)) from exc
    return parse_scenario(text, str(p), load_templates=load_templates)
