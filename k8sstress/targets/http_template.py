"""The ``http`` target's request-template file: how to talk to one runner over HTTP.

A YAML file (docs/targets.md) gives the base URL, an auth header read from an
environment variable, the launch/stop/status requests (method, path, JSON body)
templated with Jinja2 from the launch, JSONPath expressions for the run id and the
state in the answers, a mapping of the runner's state names to ours, and how the
runner's pods are tied to a run (a label or annotation holding the run id, or a
pod-name pattern). :func:`load_http_template` validates all of it up front (Jinja
syntax, JSONPath syntax, state names, a dry render with a sample launch) and raises
:class:`~k8sstress.errors.ConfigError` naming the file, line and field.

Rendering is pure: :meth:`HttpTemplate.render_request` gives (method, path, body).
In a body, a string that is a single ``{{ expression }}`` keeps the expression's
type (a mapping stays a mapping: ``pod: "{{ launch.manifest }}"``); any other string
is rendered as text.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Literal

import jinja2
import jinja2.nativetypes
from jsonpath_ng import JSONPath
from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext import parse as jsonpath_parse  # type: ignore[attr-defined]
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from k8sstress.errors import ConfigError
from k8sstress.load.durations import Duration
from k8sstress.load.scenario import OUR_STATES
from k8sstress.load.yamlpos import PositionedYaml, parse_positioned, validation_message
from k8sstress.paths import project_root

__all__ = ["HttpTemplate", "RequestSpec", "load_http_template", "parse_http_template", "template_dirs",
           "sample_context", "first_match"]

_SINGLE_EXPR = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\}\}).)*)\}\}\s*$", re.S)
_DOTTED = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*$")
_MISSING = object()


_SIMPLE_JSONPATH = re.compile(r"^\$((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)$")


class _Found:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class SimplePath:
    """``$.a.b``: the JSONPath subset most runners need, without the parser on the hot path."""

    def __init__(self, expr: str, keys: tuple[str, ...]) -> None:
        self.expr = expr
        self.keys = keys

    def find(self, data: Any) -> list[_Found]:
        for k in self.keys:
            if not isinstance(data, dict) or k not in data:
                return []
            data = data[k]
        return [_Found(data)]

    def __str__(self) -> str:
        return self.expr


def _lookup(ctx: dict[str, Any], parts: tuple[str, ...]) -> Any:
    """``a.b.c`` the way Jinja reads it (item, else attribute); ``_MISSING`` when it is not there."""
    value: Any = ctx
    for part in parts:
        if isinstance(value, dict):
            value = value.get(part, _MISSING)
        else:
            value = getattr(value, part, _MISSING)
        if value is _MISSING:
            return _MISSING
    return value


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, alias_generator=_kebab)


class Auth(_Model):
    header: str = "Authorization"
    env: str = Field(description="environment variable holding the secret")
    format: str = Field(default="Bearer {{ token }}", description="Jinja; 'token' is the variable's value")
    required: bool = True


class RequestSpec(_Model):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    path: str
    body: Any = None
    """A JSON body: a mapping/list whose strings are Jinja templates, or one template string
    that renders to JSON text."""
    query: dict[str, str] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    accept: list[int] = Field(default_factory=lambda: [200, 201, 202, 204])
    """HTTP statuses meaning success."""
    not_found: list[int] = Field(default_factory=lambda: [404])
    run_id: str | None = Field(default=None, description="JSONPath of the run id in the answer (launch)")
    pod_name: str | None = Field(default=None, description="JSONPath of the pod name in the answer (launch)")
    state: str | None = Field(default=None, description="JSONPath of the state in the answer (status)")
    reason: str | None = Field(default=None, description="JSONPath of a reason/detail in the answer")
    message: str | None = Field(default=None, description="JSONPath of a human message in the answer (status)")


class Callback(_Model):
    """The runner POSTs state changes to ``{{ callback_url }}`` (given in the launch body)."""

    run_id: str = Field(description="JSONPath of the run id in the callback body")
    state: str = Field(description="JSONPath of the state in the callback body")
    launch_id: str | None = None
    reported_at: str | None = Field(default=None, description="JSONPath of the runner's timestamp (epoch s)")
    reason: str | None = Field(default=None, description="JSONPath of the state's reason in the callback body")
    message: str | None = Field(default=None, description="JSONPath of the state's message (e.g. a refusal)")
    path: str = "/callback"
    host: str = Field(default="127.0.0.1", description="where our callback server listens")
    advertise: str | None = Field(default=None, description="the host the runner should call (default: host)")


class Pods(_Model):
    """How the runner's pods are tied to a run: exactly one of label, annotation, name-pattern."""

    label: str | None = None
    annotation: str | None = None
    name_pattern: str | None = Field(default=None, description="a regex over pod names; {run_id} is the run id")
    value: Literal["run-id", "launch-id"] = "run-id"
    selector: str | None = Field(default=None,
                                 description="the label selector the observer watches (Jinja; default: the namespace)")

    @model_validator(mode="after")
    def _one(self) -> Pods:
        given = [k for k in ("label", "annotation", "name_pattern") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one of 'label', 'annotation', 'name-pattern'")
        if self.name_pattern is not None:
            if "{run_id}" not in self.name_pattern:
                raise ValueError("'name-pattern' must contain {run_id}")
            try:
                re.compile(self.name_pattern.replace("{run_id}", "x"))
            except re.error as exc:
                raise ValueError(f"'name-pattern' is not a valid regular expression: {exc}") from None
        return self


class HttpTemplate(_Model):
    name: str = "http-runner"
    description: str = ""
    base_url: str = Field(description="Jinja: env and the target's options are available")
    auth: Auth | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: Duration = 30.0
    launch: RequestSpec
    stop: RequestSpec
    status: RequestSpec | None = None
    states: dict[str, str] = Field(description="the runner's state names -> ours")
    default_state: str = "Unknown"
    pods: Pods
    callback: Callback | None = None

    _env: jinja2.Environment = PrivateAttr()
    _native: jinja2.nativetypes.NativeEnvironment = PrivateAttr()
    _compiled: dict[str, Any] = PrivateAttr(default_factory=dict)
    _paths: dict[str, JSONPath | SimplePath] = PrivateAttr(default_factory=dict)
    source: str | None = Field(default=None, exclude=True)

    @field_validator("states")
    @classmethod
    def _states(cls, v: dict[str, str]) -> dict[str, str]:
        for theirs, ours in v.items():
            if ours not in OUR_STATES:
                raise ValueError(f"state {theirs!r} maps to {ours!r}, which is not one of ours: {', '.join(OUR_STATES)}")
        return v

    @field_validator("default_state")
    @classmethod
    def _default_state(cls, v: str) -> str:
        if v not in OUR_STATES:
            raise ValueError(f"not one of our states: {', '.join(OUR_STATES)}")
        return v

    @model_validator(mode="after")
    def _launch_has_run_id(self) -> HttpTemplate:
        if not self.launch.run_id:
            raise ValueError("launch.run-id (a JSONPath to the run id in the launch answer) is required")
        if self.status is not None and not self.status.state:
            raise ValueError("status.state (a JSONPath to the state in the status answer) is required")
        return self

    # -- compilation -----------------------------------------------------------------------------
    def compile(self, src: PositionedYaml | None = None) -> None:
        """Compile every Jinja template and JSONPath; raise ConfigError (with the line) on the first bad one."""
        self._env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)
        self._native = jinja2.nativetypes.NativeEnvironment(undefined=jinja2.StrictUndefined)
        for env in (self._env, self._native):
            env.filters["tojson"] = lambda v: json.dumps(v, separators=(",", ":"))
        self._compiled = {}
        self._paths = {}

        def fail(loc: tuple[Any, ...], msg: str) -> ConfigError:
            if src is not None:
                return src.error(loc, msg)
            return ConfigError(msg, path=self.source, field=".".join(map(str, loc)))

        def template(loc: tuple[Any, ...], text: str) -> None:
            key = ".".join(map(str, loc))
            m = _SINGLE_EXPR.match(text)
            try:
                if m:
                    expr = self._native.compile_expression(m.group("expr"), undefined_to_none=False)
                    dotted = _DOTTED.match(m.group("expr"))
                    if dotted:  # the common case, read without a Jinja context (hot path)
                        self._compiled[key] = ("path", (tuple(dotted.group(1).split(".")), expr))
                    else:
                        self._compiled[key] = ("expr", expr)
                elif "{{" not in text and "{%" not in text and "{#" not in text:
                    self._compiled[key] = ("const", text)
                else:
                    self._compiled[key] = ("text", self._env.from_string(text))
            except jinja2.TemplateSyntaxError as exc:
                raise fail(loc, f"Jinja syntax error: {exc.message}") from exc

        def body(loc: tuple[Any, ...], value: Any) -> None:
            if isinstance(value, str):
                template(loc, value)
            elif isinstance(value, dict):
                for k, v in value.items():
                    body((*loc, k), v)
            elif isinstance(value, list):
                for i, v in enumerate(value):
                    body((*loc, i), v)

        def path(loc: tuple[Any, ...], expr: str | None) -> None:
            if not expr:
                return
            try:
                parsed = jsonpath_parse(expr)  # validates every expression, simple or not
                simple = _SIMPLE_JSONPATH.match(expr.strip())
                self._paths[".".join(map(str, loc))] = \
                    SimplePath(expr, tuple(simple.group(1)[1:].split("."))) if simple else parsed
            except (JsonPathParserError, Exception) as exc:  # the parser raises several types
                raise fail(loc, f"not a valid JSONPath: {expr!r} ({exc})") from exc

        template(("base-url",), self.base_url)
        if self.auth is not None:
            template(("auth", "format"), self.auth.format)
        for k, v in self.headers.items():
            template(("headers", k), v)
        for section in ("launch", "stop", "status"):
            spec: RequestSpec | None = getattr(self, section)
            if spec is None:
                continue
            template((section, "path"), spec.path)
            for k, v in spec.query.items():
                template((section, "query", k), v)
            for k, v in spec.headers.items():
                template((section, "headers", k), v)
            if spec.body is not None:
                body((section, "body"), spec.body)
            for field in ("run_id", "pod_name", "state", "reason", "message"):
                path((section, _kebab(field)), getattr(spec, field))
        if self.pods.selector:
            template(("pods", "selector"), self.pods.selector)
        if self.callback is not None:
            for field in ("run_id", "state", "launch_id", "reported_at", "reason", "message"):
                path(("callback", _kebab(field)), getattr(self.callback, field))

    # -- rendering ----------------------------------------------------------------------------------
    def render(self, key: str, ctx: dict[str, Any]) -> Any:
        kind, tpl = self._compiled[key]
        if kind == "const":
            return tpl
        if kind == "path":
            parts, expr = tpl
            value = _lookup(ctx, parts)
            if value is not _MISSING:
                return value
            tpl = expr  # let Jinja say what is undefined
            kind = "expr"
        if kind == "expr":
            value = tpl(**ctx)
            if isinstance(value, jinja2.Undefined):
                value._fail_with_undefined_error()
            return value
        return tpl.render(ctx)

    def render_text(self, key: str, ctx: dict[str, Any]) -> str:
        value = self.render(key, ctx)
        return value if isinstance(value, str) else json.dumps(value) if isinstance(value, dict | list) \
            else str(value)

    def _render_body(self, loc: str, value: Any, ctx: dict[str, Any]) -> Any:
        if isinstance(value, str):
            return self.render(loc, ctx)
        if isinstance(value, dict):
            return {k: self._render_body(f"{loc}.{k}", v, ctx) for k, v in value.items()}
        if isinstance(value, list):
            return [self._render_body(f"{loc}.{i}", v, ctx) for i, v in enumerate(value)]
        return value

    def render_request(self, section: str, ctx: dict[str, Any]) -> tuple[str, str, dict[str, str], bytes | None]:
        """(method, path with query, headers, JSON body bytes) for ``section`` (launch/stop/status)."""
        spec: RequestSpec = getattr(self, section)
        path = self.render_text(f"{section}.path", ctx)
        if spec.query:
            from urllib.parse import urlencode

            q = {k: self.render_text(f"{section}.query.{k}", ctx) for k in spec.query}
            path += ("&" if "?" in path else "?") + urlencode(q)
        headers = {k: self.render_text(f"{section}.headers.{k}", ctx) for k in spec.headers}
        data: bytes | None = None
        if spec.body is not None:
            rendered = self._render_body(f"{section}.body", spec.body, ctx)
            if isinstance(spec.body, str) and isinstance(rendered, str):
                try:
                    rendered = json.loads(rendered)
                except ValueError as exc:
                    raise ValueError(f"{section}.body did not render to JSON: {exc}") from exc
            data = json.dumps(rendered, separators=(",", ":")).encode()
            headers.setdefault("Content-Type", "application/json")
        return spec.method, path, headers, data

    def jsonpath(self, key: str) -> JSONPath | SimplePath | None:
        return self._paths.get(key)

    def map_state(self, theirs: Any) -> str:
        if theirs is None:
            return self.default_state
        return self.states.get(str(theirs), self.default_state)


def first_match(path: JSONPath | SimplePath | None, data: Any) -> Any:
    """The first value ``path`` finds in ``data`` (None when nothing matches)."""
    if path is None:
        return None
    found = path.find(data)
    return found[0].value if found else None


def sample_context(options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A launch context with sample values, for the dry render that validates a template."""
    manifest: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"generateName": "batch-node-", "namespace": "ns",
                             "labels": {"k8sstress.io/launch-id": "abc123-000000"},
                             "annotations": {}},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "node", "image": "x",
                                                                   "resources": {}}]}}
    launch = {"launch_id": "abc123-000000", "mode": "batch", "limits": "with", "template": "batch-with-limits",
              "mix": "batch-with-limits", "namespace": "ns", "run": "run-1", "params": {},
              "manifest": manifest, "labels": manifest["metadata"]["labels"],
              "annotations": {}, "scheduled_at": 0.0}
    return {"launch": launch, "manifest": manifest, "namespace": "ns", "run": "run-1",
            "run_id": "run-abc", "launch_id": "abc123-000000", "pod_name": "batch-node-x",
            "callback_url": "http://127.0.0.1:1/callback", "env": dict(os.environ),
            "options": dict(options or {})}


def template_dirs() -> list[Path]:
    dirs = [Path.cwd() / "manifests" / "targets"]
    root = project_root()
    if root is not None and root / "manifests" / "targets" not in dirs:
        dirs.append(root / "manifests" / "targets")
    return dirs


def _resolve(name_or_path: str, base_dir: Path | None) -> Path:
    p = Path(name_or_path)
    if p.is_absolute() and p.exists():
        return p
    cands = ([base_dir / p] if base_dir is not None else []) + [p]
    cands += [d / name_or_path for d in template_dirs()] + [d / f"{name_or_path}.yaml" for d in template_dirs()]
    for c in cands:
        if c.exists():
            return c
    raise ConfigError(f"http target template {name_or_path!r} not found (a path, or a name from manifests/targets/)",
                      path=name_or_path)


def parse_http_template(text: str, path: str, *, options: dict[str, Any] | None = None,
                        check_env: bool = True) -> HttpTemplate:
    """Validate a template file's text (syntax, names, a dry render); errors name file, line, field."""
    src = parse_positioned(text, path)
    if not isinstance(src.data, dict):
        raise ConfigError("expected a mapping at the top level (an http target template)", path=path, line=1)
    try:
        tpl = HttpTemplate.model_validate(src.data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise src.error(first["loc"], validation_message(first), "see docs/targets.md") from exc
    tpl.source = path
    tpl.compile(src)
    if check_env and tpl.auth is not None and tpl.auth.required and not os.environ.get(tpl.auth.env):
        raise src.error(("auth", "env"), f"environment variable {tpl.auth.env} (the runner's credential) is not set",
                        hint=f"export {tpl.auth.env}=... or set auth.required: false")
    ctx = sample_context(options)
    ctx["env"] = {**ctx["env"], **({tpl.auth.env: "sample"} if tpl.auth else {})}
    for key in list(tpl._compiled):
        section = key.split(".", 1)[0]
        try:
            if section == "auth":
                tpl.render(key, {**ctx, "token": "sample"})
            else:
                tpl.render(key, ctx)
        except jinja2.UndefinedError as exc:
            loc = tuple(int(p) if p.isdigit() else p for p in key.split("."))
            raise src.error(loc, f"template uses an unknown variable: {exc.message}",
                            hint="available: launch (launch_id, mode, limits, template, mix, namespace, run, params, "
                                 "manifest, labels), run_id, launch_id, pod_name, namespace, run, callback_url, "
                                 "env, options") from exc
        except Exception as exc:  # a filter or expression error in the dry render
            loc = tuple(int(p) if p.isdigit() else p for p in key.split("."))
            raise src.error(loc, f"template does not render: {exc}") from exc
    for section in ("launch", "stop", "status"):
        spec = getattr(tpl, section)
        if spec is not None and isinstance(spec.body, str):
            try:
                json.loads(tpl.render(f"{section}.body", ctx))
            except ValueError as exc:
                raise src.error((section, "body"), f"does not render to JSON: {exc}") from exc
    return tpl


def load_http_template(name_or_path: str, *, base_dir: Path | None = None, options: dict[str, Any] | None = None,
                       check_env: bool = True) -> HttpTemplate:
    p = _resolve(name_or_path, base_dir)
    try:
        text = p.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=str(p)) from exc
    return parse_http_template(text, str(p), options=options, check_env=check_env)
