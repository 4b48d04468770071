"""One load session against an in-memory launcher: the record it writes, stops per policy, states.

The launcher here is a stand-in for a target (the interface is the load package's own); the
targets themselves are tested against a stub runner and, in the integration tests, the sim cluster.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from k8sstress.load.launches import LaunchRequest, LaunchResult, StatusResult, StopRequest, StopResult
from k8sstress.load.recorder import Recorder
from k8sstress.load.scenario import parse_scenario
from k8sstress.load.session import LoadSession, WeightedMix
from k8sstress.records import LaunchRecord, StateReport, StopRecord
from k8sstress.rundir import RunDir, read_jsonl

SCENARIO = """\
name: unit
mix:
  - name: b
    mode: batch
    template: batch-with-limits
    weight: 1
  - name: o
    mode: online
    template: online-without-limits
    weight: 1
  - name: short
    mode: online
    template: online-without-limits
    weight: 1
    lifetime: 100ms
profile: {kind: constant, rate: 40, launches: 12}
stop: {online: end}
durations: {settle: 2s}
load: {status-poll: 100ms, max-in-flight: 4}
"""


class MemoryLauncher:
    """Accepts every third launch of mix 'b' as refused; batch runs succeed after their first poll."""

    def __init__(self) -> None:
        self.launched: list[LaunchRequest] = []
        self.stopped: list[StopRequest] = []
        self.polls: dict[str, int] = {}

    async def launch(self, request: LaunchRequest) -> LaunchResult:
        await asyncio.sleep(0.01)
        self.launched.append(request)
        if request.launch_id.endswith("000000"):
            return LaunchResult("rejected", http_status=403, error="exceeded quota")
        return LaunchResult("accepted", http_status=201, run_id=f"r-{request.launch_id}")

    async def stop(self, request: StopRequest) -> StopResult:
        self.stopped.append(request)
        return StopResult("accepted", http_status=202)

    async def status(self, request: StopRequest) -> StatusResult | None:
        n = self.polls[request.launch_id] = self.polls.get(request.launch_id, 0) + 1
        if request.stopped:
            return StatusResult("Stopped", runner_state="STOPPED")
        if request.mode == "batch":
            return StatusResult("Succeeded" if n > 1 else "Running", runner_state="x")
        return StatusResult("Running", runner_state="RUN")


def run_session(tmp_path: Path) -> tuple[LoadSession, MemoryLauncher]:
    scenario = parse_scenario(SCENARIO, str(tmp_path / "unit.yaml"))
    launcher = MemoryLauncher()
    rd = RunDir(tmp_path / "run", create=True)
    recorder = Recorder(rd)
    session = LoadSession(scenario, launcher, recorder, run="unit-abc", token="abc123", namespace="ns")
    result = asyncio.run(session.run())
    recorder.close()
    assert result.sent == 12
    return session, launcher


def test_weighted_mix_keeps_exact_proportions() -> None:
    scenario = parse_scenario(SCENARIO.replace("weight: 1\n  - name: o", "weight: 2\n  - name: o"), "x.yaml")
    mix = WeightedMix(scenario.mix)
    picks = [mix.next().label for _ in range(40)]
    assert picks.count("b") == 20 and picks.count("o") == 10 and picks.count("short") == 10


def test_the_session_writes_a_complete_record(tmp_path: Path) -> None:
    session, launcher = run_session(tmp_path)
    r = session.result
    assert (r.sent, r.answered, r.accepted, r.rejected, r.errors) == (12, 12, 11, 1, 0)
    assert r.phase == "done" and r.settled and not r.timed_out and not r.aborted
    rd = RunDir(tmp_path / "run")
    lines = list(read_jsonl(rd.file("launches")))
    assert len(lines) == 24  # one line when sent, one when answered
    last = {rec.launch_id: rec for rec in rd.records("launches", LaunchRecord, "launch_id")}
    assert len(last) == 12
    rejected = last["abc123-000000"]
    assert rejected.status == "rejected" and rejected.http_status == 403 and rejected.error == "exceeded quota"
    ok = last["abc123-000001"]
    assert ok.status == "accepted" and ok.run_id == "r-abc123-000001" and ok.latency_s is not None
    assert ok.lateness_s >= 0 and (ok.model_extra or {})["mix"] in ("b", "o", "short")
    # every online launch is stopped: 'short' ones after their lifetime, the others at the end
    stops = {s.launch_id: s for s in rd.records("stops", StopRecord, "launch_id")}
    online = {k for k, v in last.items() if v.mode == "online" and v.status == "accepted"}
    assert set(stops) == online and len(launcher.stopped) == len(online)
    reasons = {(s.model_extra or {})["reason"] for s in stops.values()}
    assert reasons == {"lifetime", "end"}
    assert all(s.status == "accepted" for s in stops.values())
    # the runner's states: every accepted launch reported, ending terminal (finished launches are
    # retired from following; the final sweep covers those still open: none here)
    states = rd.records("states", StateReport)
    final = {s.launch_id: s.state for s in states}
    assert set(final) == set(k for k, v in last.items() if v.status == "accepted")
    assert session.retired == 11 and not session.tracked
    assert {final[k] for k in online} == {"Stopped"}
    assert {v for k, v in final.items() if k not in online} == {"Succeeded"}
    # metrics every second
    names = {m["name"] for m in read_jsonl(rd.file("metrics"))}
    assert {"load.sent_total", "load.in_flight", "load.target_rate"} <= names


def test_in_flight_is_bounded(tmp_path: Path) -> None:
    session, _ = run_session(tmp_path)
    assert session.result.scheduler["max_in_flight"] == 4
    launch = session.result.scheduler["lateness"]["launch"]
    assert launch["count"] == 12


def test_abort_stops_launching(tmp_path: Path) -> None:
    scenario = parse_scenario(SCENARIO.replace("launches: 12", "duration: 30s"), str(tmp_path / "u.yaml"))
    launcher = MemoryLauncher()
    rd = RunDir(tmp_path / "run", create=True)
    recorder = Recorder(rd)
    session = LoadSession(scenario, launcher, recorder, run="unit-abc", token="abc123", namespace="ns")

    async def main() -> None:
        abort = asyncio.Event()
        asyncio.get_running_loop().call_later(0.3, abort.set)
        await session.run(abort)

    asyncio.run(main())
    recorder.close()
    assert session.result.aborted
    assert 5 < session.result.sent < 30
    assert json.loads((tmp_path / "run" / "launches.jsonl").read_text().splitlines()[-1])["launch_id"]


def test_timeout_marks_the_result(tmp_path: Path) -> None:
    text = SCENARIO.replace("launches: 12", "duration: 30s").replace("settle: 2s}", "settle: 2s, timeout: 500ms}")
    scenario = parse_scenario(text, str(tmp_path / "u.yaml"))
    rd = RunDir(tmp_path / "run", create=True)
    recorder = Recorder(rd)
    session = LoadSession(scenario, MemoryLauncher(), recorder, run="u", token="abc123", namespace="ns")
    result = asyncio.run(session.run())
    recorder.close()
    assert result.timed_out and result.phase == "load"
    assert 10 < result.sent < 30
