"""The http target against a stub runner (an in-process aiohttp app): answers mapped to launch
statuses, run ids and states read by JSONPath, callbacks recorded."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from k8sstress.load.launches import LaunchRequest, StopRequest
from k8sstress.records import StateReport
from k8sstress.targets.base import TargetContext
from k8sstress.targets.http import HttpOptions, HttpTarget
from k8sstress.targets.http_template import parse_http_template

TEMPLATE = """\
name: stub
base-url: "http://127.0.0.1:{{ options.port }}"
launch:
  path: /runs
  body: {node: "{{ launch.launch_id }}", mode: "{{ launch.mode }}", callback: "{{ callback_url }}"}
  run-id: $.id
stop:
  method: DELETE
  path: "/runs/{{ run_id }}"
status:
  method: GET
  path: "/runs/{{ run_id }}"
  state: $.status
  reason: $.why
states: {QUEUED: Pending, RUNNING: Running, DONE: Succeeded}
pods:
  label: stub.example.com/run
callback:
  run-id: $.id
  state: $.status
  launch-id: $.node
"""


def request(launch_id: str, mode: str = "batch") -> LaunchRequest:
    return LaunchRequest(launch_id=launch_id, mode=mode, limits="with", template="batch-with-limits",  # type: ignore[arg-type]
                         mix="m", manifest={"metadata": {"labels": {}}, "spec": {}}, namespace="ns", run="run-1")


async def scenario(tmp_path: Path) -> dict[str, Any]:
    seen: dict[str, Any] = {"bodies": []}

    async def launch(req: web.Request) -> web.Response:
        body = await req.json()
        seen["bodies"].append(body)
        node = body["node"]
        if node == "full":
            return web.json_response({"message": "no room"}, status=429)
        if node == "refused":
            return web.json_response({"error": {"message": "exceeded quota"}}, status=422)
        if node == "broken":
            return web.Response(text="oops", status=500)
        # the runner calls back with the state change
        async with aiohttp.ClientSession() as s:
            await s.post(body["callback"], json={"id": f"r-{node}", "status": "QUEUED", "node": node})
        return web.json_response({"id": f"r-{node}"}, status=201)

    async def get(req: web.Request) -> web.Response:
        rid = req.match_info["rid"]
        if rid == "r-gone":
            return web.json_response({"message": "no such run"}, status=404)
        return web.json_response({"status": "RUNNING", "why": "started"})

    async def delete(req: web.Request) -> web.Response:
        return web.json_response({}, status=404 if req.match_info["rid"] == "r-gone" else 202)

    app = web.Application()
    app.router.add_post("/runs", launch)
    app.router.add_get("/runs/{rid}", get)
    app.router.add_delete("/runs/{rid}", delete)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    reports: list[StateReport] = []
    tpl = parse_http_template(TEMPLATE, "stub.yaml", options={"port": port})
    target = HttpTarget(tpl, HttpOptions(template="stub.yaml", vars={"port": port}))
    await target.start(TargetContext(namespace="ns", run="run-1", run_dir=tmp_path, report_state=reports.append))
    try:
        seen["ok"] = await target.launch(request("a1"))
        seen["full"] = await target.launch(request("full"))
        seen["refused"] = await target.launch(request("refused"))
        seen["broken"] = await target.launch(request("broken"))
        stop = StopRequest("a1", "r-a1", "batch", "ns")
        seen["status"] = await target.status(stop)
        seen["stop"] = await target.stop(stop)
        gone = StopRequest("g", "r-gone", "batch", "ns")
        seen["status_gone"] = await target.status(gone)
        seen["stop_gone"] = await target.stop(gone)
        seen["selector"] = target.pod_selector("run-1")
        seen["describe"] = target.describe()
        await asyncio.sleep(0.05)
        seen["reports"] = reports
    finally:
        await target.close()
        await runner.cleanup()
    seen["unreachable"] = None
    target2 = HttpTarget(tpl, HttpOptions(template="stub.yaml", vars={"port": port}))
    await target2.start(TargetContext(namespace="ns", run="run-1", run_dir=tmp_path))
    try:
        seen["unreachable"] = await target2.launch(request("x"))
    finally:
        await target2.close()
    return seen


def test_http_target_maps_answers(tmp_path: Path) -> None:
    seen = asyncio.run(scenario(tmp_path))
    ok = seen["ok"]
    assert (ok.status, ok.http_status, ok.run_id) == ("accepted", 201, "r-a1")
    assert seen["bodies"][0]["callback"].startswith("http://127.0.0.1:")
    full = seen["full"]
    assert (full.status, full.http_status, full.error) == ("rejected", 429, "no room")
    refused = seen["refused"]
    assert (refused.status, refused.http_status, refused.error) == ("rejected", 422, "exceeded quota")
    broken = seen["broken"]
    assert (broken.status, broken.http_status, broken.error) == ("error", 500, "oops")
    st = seen["status"]
    assert (st.state, st.runner_state, st.http_status) == ("Running", "RUNNING/started", 200)
    assert seen["stop"].status == "accepted"
    assert (seen["status_gone"].state, seen["status_gone"].runner_state) == ("Unknown", "NotFound")
    assert seen["stop_gone"].status == "not-found"
    assert seen["selector"] is None  # no selector: the observer watches the run's namespace
    assert seen["describe"]["tie"] == {"by": "label", "key": "stub.example.com/run", "value": "run-id"}
    (report,) = seen["reports"]
    assert (report.run_id, report.launch_id, report.state, report.runner_state, report.source) == \
        ("r-a1", "a1", "Pending", "QUEUED", "callback")
    assert seen["unreachable"].status == "error" and seen["unreachable"].error
