"""The runner's HTTP JSON API (aiohttp): routes only; the work is :class:`~k8sstress.runner.service.Runner`'s."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import time
from typing import Any

from aiohttp import web

from k8sstress.runner.metrics import CONTENT_TYPE
from k8sstress.runner.openapi import openapi_document
from k8sstress.runner.runs import STATES
from k8sstress.runner.service import Answer, Runner, RunnerConfig

__all__ = ["create_app", "serve", "RUNNER_KEY"]

log = logging.getLogger("k8sstress.runner.api")

RUNNER_KEY: web.AppKey[Runner] = web.AppKey("runner", Runner)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


def _reply(answer: Answer) -> web.Response:
    return web.json_response(answer.body, status=answer.status, headers=answer.headers, dumps=_dumps)


def _not_found(run_id: str) -> web.Response:
    return web.json_response({"error": "run_not_found", "message": f"no run with id {run_id!r}",
                              "run_id": run_id}, status=404)


async def launch(request: web.Request) -> web.Response:
    runner = request.app[RUNNER_KEY]
    try:
        body = await request.json(loads=json.loads)
    except ValueError:
        return web.json_response({"error": "bad_request", "message": "the body is not valid JSON"}, status=400)
    return _reply(await runner.launch(body))


async def list_runs(request: web.Request) -> web.Response:
    runner = request.app[RUNNER_KEY]
    state = request.query.get("state")
    if state is not None and state not in STATES:
        return web.json_response({"error": "bad_request", "message": f"state must be one of {', '.join(STATES)}"},
                                 status=400)
    try:
        limit = int(request.query["limit"]) if "limit" in request.query else None
    except ValueError:
        return web.json_response({"error": "bad_request", "message": "limit must be an integer"}, status=400)
    items = runner.list_runs(state, request.query.get("launch_id"), limit)
    return web.json_response({"count": len(items), "counts": runner.counts(), "runs": items}, dumps=_dumps)


async def get_run(request: web.Request) -> web.Response:
    runner = request.app[RUNNER_KEY]
    run_id = request.match_info["run_id"]
    run = runner.runs.get(run_id)
    if run is None:
        return _not_found(run_id)
    return web.json_response(run.as_json(history=True), dumps=_dumps)


async def stop_run(request: web.Request) -> web.Response:
    return _reply(await request.app[RUNNER_KEY].stop_run(request.match_info["run_id"]))


async def healthz(request: web.Request) -> web.Response:
    runner = request.app[RUNNER_KEY]
    follower = runner.follower
    return web.json_response({
        "status": "ok", "policy": runner.policy.name, "namespace": runner.config.namespace,
        "name": runner.config.name, "runs": len(runner.runs), "counts": runner.counts(),
        "following": bool(follower and follower.ready.is_set()), "uptime_s": round(time.time() - runner.started_at, 3),
    })


async def metrics(request: web.Request) -> web.Response:
    runner = request.app[RUNNER_KEY]
    for state, n in runner.counts().items():
        runner.metrics.runs.labels(state=state).set(n)
    return web.Response(body=runner.metrics.render(), headers={"Content-Type": CONTENT_TYPE})


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document(request.app[RUNNER_KEY].policy.name))


@web.middleware
async def errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)  # type: ignore[no-any-return]
    except web.HTTPException as exc:
        if exc.status >= 400 and exc.content_type != "application/json":
            return web.json_response({"error": exc.reason.lower().replace(" ", "_"), "message": exc.text or exc.reason},
                                     status=exc.status)
        raise
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return web.json_response({"error": "internal", "message": "internal error (see the runner's log)"},
                                 status=500)


def create_app(runner: Runner) -> web.Application:
    """The aiohttp application; starting it starts the runner, cleaning it up stops the runner."""
    app = web.Application(middlewares=[errors], client_max_size=1024 * 1024)
    app[RUNNER_KEY] = runner
    app.router.add_post("/runs", launch)
    app.router.add_get("/runs", list_runs)
    app.router.add_get("/runs/{run_id}", get_run)
    app.router.add_delete("/runs/{run_id}", stop_run)
    app.router.add_post("/runs/{run_id}/stop", stop_run)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/openapi.json", openapi)

    async def lifecycle(app: web.Application) -> Any:
        await runner.start()
        yield
        await runner.stop()

    app.cleanup_ctx.append(lifecycle)
    return app


async def _serve(config: RunnerConfig, ready: Any = None) -> None:
    runner = Runner(config)
    app = create_app(runner)
    site_runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await site_runner.setup()
    site = web.TCPSite(site_runner, config.host, config.port, backlog=1024)
    await site.start()
    if ready is not None:
        ready(f"http://{config.host}:{config.port}")
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, done.set)
        except (NotImplementedError, RuntimeError):
            pass
    try:
        await done.wait()
    finally:
        await site_runner.cleanup()


def serve(config: RunnerConfig, ready: Any = None) -> None:
    """Run the runner until SIGTERM/SIGINT. ``ready(url)`` is called once it listens."""
    asyncio.run(_serve(config, ready))
