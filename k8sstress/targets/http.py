"""``http``: any runner with an HTTP API, driven by a request-template file (docs/targets.md).

The template file says how to launch, stop and ask the state of a run, how to read
the run id and the state from the answers, how the runner's state names map to
ours, and how the runner's pods are tied to a run (label/annotation with the run id,
or a pod-name pattern). Optionally the runner calls us back with state changes: the
target then serves ``callback_url`` itself (aiohttp) and records what it hears.

Launch answers: a status in ``accept`` is accepted; 429 and other 4xx are
rejected (the runner said no: back-pressure or a refusal, with the runner's message);
5xx, timeouts and connection errors are errors.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from pydantic import Field

from k8sstress.load.launches import LaunchRequest, LaunchResult, StatusResult, StopRequest, StopResult
from k8sstress.records import StateReport
from k8sstress.targets.base import BaseTarget, PodTie, TargetContext, TargetOptions, register_target
from k8sstress.targets.http_template import HttpTemplate, first_match, load_http_template

__all__ = ["HttpTarget", "HttpOptions", "tie_of", "answer_message"]


class HttpOptions(TargetOptions):
    template: str = Field(description="the request-template file (a path, or a name from manifests/targets/)")
    vars: dict[str, Any] = Field(default_factory=dict, description="available to the template as options.*")
    base_url: str | None = Field(default=None, description="overrides the template's base-url")


def tie_of(tpl: HttpTemplate) -> PodTie:
    p = tpl.pods
    if p.label:
        return PodTie(by="label", key=p.label, value=p.value)
    if p.annotation:
        return PodTie(by="annotation", key=p.annotation, value=p.value)
    return PodTie(by="name-pattern", pattern=p.name_pattern, value=p.value)


def answer_message(body: Any, raw: bytes, limit: int = 500) -> str:
    """The runner's explanation in an answer: a message/error/reason field, else the text."""
    if isinstance(body, dict):
        for key in ("message", "error", "reason", "detail"):
            v = body.get(key)
            if isinstance(v, str) and v:
                return v[:limit]
            if isinstance(v, dict) and isinstance(v.get("message"), str):
                return str(v["message"])[:limit]
    return raw[:limit].decode(errors="replace")


class HttpTarget(BaseTarget):
    name = "http"

    def __init__(self, template: HttpTemplate, options: HttpOptions, vars_: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.template = template
        self.opts = options
        self.vars: dict[str, Any] = {**options.vars, **(vars_ or {})}
        self.tie = tie_of(template)
        self.base_url = ""
        self.headers: dict[str, str] = {}
        self.session: aiohttp.ClientSession | None = None
        self.callback_url: str | None = None
        self._callback_runner: web.AppRunner | None = None
        self.callbacks = 0

    # -- lifecycle ------------------------------------------------------------------------------
    def _base_ctx(self) -> dict[str, Any]:
        ctx = self.ctx
        return {"env": dict(os.environ), "options": self.vars,
                "namespace": ctx.namespace if ctx else "", "run": ctx.run if ctx else ""}

    async def start(self, ctx: TargetContext) -> None:
        await super().start(ctx)
        tpl = self.template
        base = self._base_ctx()
        self.base_url = (self.opts.base_url or tpl.render_text("base-url", base)).rstrip("/")
        self.headers = {k: tpl.render_text(f"headers.{k}", base) for k in tpl.headers}
        if tpl.auth is not None:
            token = os.environ.get(tpl.auth.env, "")
            if token or tpl.auth.required:
                self.headers[tpl.auth.header] = tpl.render_text("auth.format", {**base, "token": token})
        connector = aiohttp.TCPConnector(limit=max(1, ctx.max_in_flight), ttl_dns_cache=300)
        self.session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=tpl.timeout),
                                             headers=self.headers)
        if tpl.callback is not None:
            await self._start_callbacks()

    async def _start_callbacks(self) -> None:
        cb = self.template.callback
        assert cb is not None
        app = web.Application()
        app.router.add_post(cb.path, self._on_callback)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, cb.host, 0)
        await site.start()
        server: Any = site._server
        sockets = getattr(server, "sockets", None) or []
        port = sockets[0].getsockname()[1] if sockets else 0
        self._callback_runner = runner
        self.callback_url = f"http://{cb.advertise or cb.host}:{port}{cb.path}"

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None
        if self._callback_runner is not None:
            await self._callback_runner.cleanup()
            self._callback_runner = None
        await super().close()

    async def _on_callback(self, request: web.Request) -> web.Response:
        cb = self.template.callback
        assert cb is not None
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "not JSON"}, status=400)
        tpl = self.template
        run_id = first_match(tpl.jsonpath("callback.run-id"), body)
        theirs = first_match(tpl.jsonpath("callback.state"), body)
        if run_id is None or theirs is None:
            return web.json_response({"error": "no run id or state"}, status=400)
        launch_id = first_match(tpl.jsonpath("callback.launch-id"), body)
        reported = first_match(tpl.jsonpath("callback.reported-at"), body)
        extra: dict[str, str] = {}
        for key in ("reason", "message"):
            if getattr(tpl.callback, key, None):
                value = first_match(tpl.jsonpath(f"callback.{key}"), body)
                if value is not None:
                    extra[key] = str(value)
        now = time.time()
        try:
            reported_at = float(reported) if reported is not None else now
        except (TypeError, ValueError):
            reported_at = now
        self.callbacks += 1
        if self.ctx is not None:
            self.ctx.report_state(StateReport(run_id=str(run_id), launch_id=str(launch_id) if launch_id else None,
                                              state=tpl.map_state(theirs), runner_state=str(theirs),
                                              reported_at=reported_at, received_at=now, source="callback",
                                              **extra))
        return web.Response(status=204)

    # -- requests -------------------------------------------------------------------------------
    def _launch_ctx(self, req: LaunchRequest) -> dict[str, Any]:
        meta = req.manifest.get("metadata") or {}
        launch = {"launch_id": req.launch_id, "mode": req.mode, "limits": req.limits, "template": req.template,
                  "mix": req.mix, "namespace": req.namespace, "run": req.run, "params": req.params,
                  "manifest": req.manifest, "labels": meta.get("labels") or {},
                  "annotations": meta.get("annotations") or {}, "scheduled_at": req.scheduled_at}
        return {"launch": launch, "manifest": req.manifest, "namespace": req.namespace, "run": req.run,
                "launch_id": req.launch_id, "run_id": None, "pod_name": None,
                "callback_url": self.callback_url or "", "env": os.environ, "options": self.vars}

    def _run_ctx(self, req: StopRequest) -> dict[str, Any]:
        return {"launch": {"launch_id": req.launch_id, "mode": req.mode, "namespace": req.namespace},
                "namespace": req.namespace, "run": self.ctx.run if self.ctx else "", "launch_id": req.launch_id,
                "run_id": req.run_id, "pod_name": req.pod_name, "callback_url": self.callback_url or "",
                "env": os.environ, "options": self.vars}

    async def _call(self, section: str, ctx: dict[str, Any]) -> tuple[int | None, Any, bytes, str | None]:
        """(status, parsed JSON or None, raw body, transport error)."""
        if self.session is None:
            return None, None, b"", "target not started"
        try:
            method, path, headers, data = self.template.render_request(section, ctx)
        except Exception as exc:  # a template that fails on this launch's values
            return None, None, b"", f"cannot render the {section} request: {exc}"
        try:
            async with self.session.request(method, self.base_url + path, data=data, headers=headers) as resp:
                raw = await resp.read()
                status = resp.status
        except TimeoutError:
            return None, None, b"", f"no answer within {self.template.timeout:g}s"
        except aiohttp.ClientError as exc:
            return None, None, b"", f"{type(exc).__name__}: {exc}"
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        return status, body, raw, None

    async def launch(self, request: LaunchRequest) -> LaunchResult:
        status, body, raw, err = await self._call("launch", self._launch_ctx(request))
        if err is not None or status is None:
            return LaunchResult("error", error=err)
        spec = self.template.launch
        if status in spec.accept:
            run_id = first_match(self.template.jsonpath("launch.run-id"), body)
            pod = first_match(self.template.jsonpath("launch.pod-name"), body)
            return LaunchResult("accepted", http_status=status, run_id=None if run_id is None else str(run_id),
                                pod_name=None if pod is None else str(pod),
                                error=None if run_id is not None else f"no run id at {spec.run_id} in the answer")
        kind = "rejected" if 400 <= status < 500 else "error"
        return LaunchResult(kind, http_status=status, error=answer_message(body, raw))  # type: ignore[arg-type]

    async def stop(self, request: StopRequest) -> StopResult:
        if request.run_id is None:
            return StopResult("error", error="no run id to stop")
        status, body, raw, err = await self._call("stop", self._run_ctx(request))
        if err is not None or status is None:
            return StopResult("error", error=err)
        spec = self.template.stop
        if status in spec.accept:
            return StopResult("accepted", http_status=status)
        if status in spec.not_found:
            return StopResult("not-found", http_status=status, error=answer_message(body, raw))
        kind = "rejected" if 400 <= status < 500 else "error"
        return StopResult(kind, http_status=status, error=answer_message(body, raw))  # type: ignore[arg-type]

    async def status(self, request: StopRequest) -> StatusResult | None:
        spec = self.template.status
        if spec is None or request.run_id is None:
            return None
        status, body, raw, err = await self._call("status", self._run_ctx(request))
        if err is not None or status is None:
            return StatusResult("Unknown", error=err)
        if status in spec.accept:
            theirs = first_match(self.template.jsonpath("status.state"), body)
            reason = first_match(self.template.jsonpath("status.reason"), body)
            shown = None if theirs is None else str(theirs) + (f"/{reason}" if reason else "")
            message = first_match(self.template.jsonpath("status.message"), body) if spec.message else None
            return StatusResult(self.template.map_state(theirs), runner_state=shown, http_status=status,
                                message=None if message is None else str(message))
        if status in spec.not_found:
            return StatusResult("Unknown", runner_state="NotFound", http_status=status)
        return StatusResult("Unknown", http_status=status, error=answer_message(body, raw))

    def pod_selector(self, run: str) -> str | None:
        if not self.template.pods.selector:
            return None
        return self.template.render_text("pods.selector", {**self._base_ctx(), "run": run})

    def describe(self) -> dict[str, Any]:
        d = super().describe()
        d.update({"kind": self.name, "template": self.template.source, "runner": self.template.name,
                  "base_url": self.base_url or None, "callback_url": self.callback_url})
        return d


def _build(options: dict[str, Any], base_dir: Path | None) -> HttpTarget:
    opts = HttpOptions.model_validate(options)
    tpl = load_http_template(opts.template, base_dir=base_dir, options=opts.vars)
    return HttpTarget(tpl, opts)


register_target("http")(_build)
