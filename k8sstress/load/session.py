"""One load run against one target: launches on schedule, stops per policy, the runner's
states polled, timed actions, then a settle phase; everything written to the record.

The session knows nothing of clusters, observers or reports: the target (a
:class:`~k8sstress.load.launches.Launcher`), the recorder, the action context and an
optional ``settled()`` check are given to it (the CLI wires them). Phases:

1. load      arrivals from the profile's shape, dispatched by the open-model scheduler
2. answers   wait for launches in flight to be answered
3. stops     online launches still running are stopped (policy ``end``); wait until every
             queued stop (lifetimes, ``batch: <duration>``) and action has been done
4. settle    wait up to ``durations.settle`` until every launch is settled
5. final     one last status sweep (the runner's final view of every launch)

Ctrl-C (the ``abort`` event) stops launching at once and skips to the end; a timeout
does the same and marks the result ``timed_out``. The record is flushed either way.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from k8sstress.load.actions import ActionContext, ActionSpec
from k8sstress.load.launches import (
    TERMINAL_STATES,
    Launcher,
    LaunchRequest,
    LaunchResult,
    StatusResult,
    StopRequest,
    StopResult,
    render_launch_pod,
)
from k8sstress.load.profiles import Arrival, Shape
from k8sstress.load.recorder import Recorder
from k8sstress.load.scenario import MixEntry, Scenario
from k8sstress.load.schedule import OpenModelScheduler
from k8sstress.records import LaunchRecord, StateReport, StopRecord

__all__ = ["LoadSession", "LoadResult", "Tracked", "WeightedMix", "Planned"]

log = logging.getLogger(__name__)


class WeightedMix:
    """Smooth weighted round-robin over the mix: exact proportions, deterministic order."""

    def __init__(self, entries: list[MixEntry]) -> None:
        self.entries = entries
        self._current = [0.0] * len(entries)
        self._total = sum(e.weight for e in entries)

    def next(self) -> MixEntry:
        best = 0
        for i, e in enumerate(self.entries):
            self._current[i] += e.weight
            if self._current[i] > self._current[best]:
                best = i
        self._current[best] -= self._total
        return self.entries[best]


@dataclass
class Planned:
    """An arrival with its mix entry and launch id, rendered ahead of its due time."""

    arrival: Arrival
    entry: MixEntry
    launch_id: str
    request: LaunchRequest


@dataclass
class Tracked:
    """An accepted launch the session follows (stops, status polls)."""

    launch_id: str
    mode: str
    mix: str
    namespace: str
    run_id: str | None
    pod_name: str | None
    due: float
    extra: dict[str, Any] = field(default_factory=dict)
    state: str | None = None
    runner_state: str | None = None
    stop_queued: bool = False
    stop_answered: bool = False
    final: bool = False

    def stop_request(self) -> StopRequest:
        return StopRequest(self.launch_id, self.run_id, self.mode, self.namespace, self.pod_name, dict(self.extra),
                           stopped=self.stop_answered)


@dataclass
class LoadResult:
    started_at: float
    ended_at: float = 0.0
    planned: float = 0.0
    sent: int = 0
    answered: int = 0
    accepted: int = 0
    rejected: int = 0
    errors: int = 0
    stops_sent: int = 0
    stops_accepted: int = 0
    stops_failed: int = 0
    state_reports: int = 0
    actions: list[dict[str, Any]] = field(default_factory=list)
    settled: bool = False
    timed_out: bool = False
    aborted: bool = False
    phase: str = "load"
    scheduler: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class LoadSession:
    def __init__(self, scenario: Scenario, launcher: Launcher, recorder: Recorder, *, run: str, token: str,
                 namespace: str, time_scale: float | None = None, pin_pool: str | None = None,
                 action_context: ActionContext | None = None, settled: Callable[[], bool] | None = None,
                 on_tick: Callable[[dict[str, Any]], None] | None = None,
                 sample_metrics: Callable[[], list[tuple[str, float, dict[str, str]]]] | None = None) -> None:
        self.scenario = scenario
        self.launcher = launcher
        self.recorder = recorder
        self.run_name = run
        self.token = token
        self.namespace = namespace
        self.time_scale = time_scale or scenario.time_scale
        self.pin_pool = pin_pool
        self.action_context = action_context
        self.settled_check = settled
        self.on_tick = on_tick
        self._poll_lock = asyncio.Lock()
        self._final_polled = False
        self.sample_metrics = sample_metrics
        self.shape: Shape = scenario.shape(self.time_scale)
        self.tracked: dict[str, Tracked] = {}
        self.retired = 0
        """Launches no longer followed: finished by the runner's account (and stopped, if asked)."""
        self.result = LoadResult(started_at=0.0, planned=self.shape.expected_launches)
        self._sched: OpenModelScheduler[Any] | None = None

    # -- planning ---------------------------------------------------------------------------
    def scaled(self, seconds: float | None) -> float | None:
        return None if seconds is None else seconds * self.time_scale

    def _params(self, entry: MixEntry) -> dict[str, Any]:
        p = entry.params
        return {"memory_usage": p.memory_usage, "memory_ramp": self.scaled(p.memory_ramp),
                "cpu_busy": p.cpu_busy, "duration": self.scaled(p.duration)}

    def plan(self) -> Iterator[Planned]:
        """The arrivals of the scaled profile, each with its mix entry and rendered request."""
        mix = WeightedMix(self.scenario.mix)
        params = {e.label: self._params(e) for e in self.scenario.mix}
        for arrival in self.shape.arrivals(self.scenario.load.arrivals, self.scenario.load.seed):
            entry = mix.next()
            launch_id = f"{self.token}-{arrival.index:06d}"
            pod = render_launch_pod(entry.template_obj, launch_id=launch_id, mode=entry.mode, run=self.run_name,
                                    namespace=self.namespace, params=params[entry.label],
                                    overrides=entry.pod_overrides, pin_pool=self.pin_pool)
            req = LaunchRequest(launch_id=launch_id, mode=entry.mode, limits=entry.limits,  # type: ignore[arg-type]
                                template=entry.template, mix=entry.label, manifest=pod, namespace=self.namespace,
                                run=self.run_name, params={k: v for k, v in params[entry.label].items() if v is not None})
            yield Planned(arrival, entry, launch_id, req)

    def stop_delay(self, entry: MixEntry) -> float | None:
        """Seconds after its due time at which a launch of ``entry`` is stopped (None: not by time)."""
        if entry.mode == "online":
            if entry.lifetime is not None:
                return self.scaled(entry.lifetime)
            pol = self.scenario.stop.online
            return self.scaled(pol) if isinstance(pol, float) else None
        pol_b = self.scenario.stop.batch
        return self.scaled(pol_b) if isinstance(pol_b, float) else None

    def default_timeout(self) -> float:
        longest_stop = max((self.stop_delay(e) or 0.0 for e in self.scenario.mix), default=0.0)
        last_action = max((a.at * self.time_scale for a in self.scenario.actions), default=0.0)
        load = max(self.shape.duration + longest_stop, last_action)
        return load * 1.5 + self.scenario.durations.settle + 120.0

    # -- the run ----------------------------------------------------------------------------------
    async def run(self, abort: asyncio.Event | None = None) -> LoadResult:
        abort = abort or asyncio.Event()
        opts = self.scenario.load
        sched: OpenModelScheduler[Any] = OpenModelScheduler(opts.max_in_flight)
        self._sched = sched
        self.result.started_at = sched.started_at
        stop_bg = asyncio.Event()
        bg = [asyncio.ensure_future(self.recorder.flusher(stop_bg)),
              asyncio.ensure_future(self._sampler(stop_bg)),
              asyncio.ensure_future(sched.run_queue(stop_bg))]
        if opts.status_poll:
            bg.append(asyncio.ensure_future(self._poller(stop_bg, opts.status_poll)))
        action_tasks = [asyncio.ensure_future(self._action(a, abort)) for a in self.scenario.actions]
        timeout = self.scenario.durations.timeout or self.default_timeout()
        try:
            async with asyncio.timeout(timeout):
                await self._phases(sched, abort, action_tasks)
        except TimeoutError:
            self.result.timed_out = True
            log.warning("run timed out after %.0fs in phase %s", timeout, self.result.phase)
        finally:
            if abort.is_set():
                self.result.aborted = True
            for t in action_tasks:
                t.cancel()
            await asyncio.gather(*action_tasks, return_exceptions=True)
            sched.clear_queue()  # no new stops; answers already on their way get a moment to land
            await sched.drain(timeout=2.0)
            await sched.cancel_all()
            stop_bg.set()
            await asyncio.gather(*bg, return_exceptions=True)
            self.result.ended_at = time.time()
            self.result.scheduler = sched.stats()
            await asyncio.to_thread(self.recorder.flush)
        return self.result

    async def _phases(self, sched: OpenModelScheduler[Any], abort: asyncio.Event,
                      action_tasks: list[asyncio.Task[None]]) -> None:
        self.result.phase = "load"
        await sched.run_arrivals(self.plan(), lambda p: p.arrival.at, self._fire_launch, stop=abort)
        if abort.is_set():
            return
        self.result.phase = "answers"
        await self._until(abort, lambda: sched.active == 0)
        if abort.is_set():
            return
        self.result.phase = "stops"
        self.queue_end_stops()
        await self._until(abort, lambda: sched.queued == 0 and sched.active == 0
                          and all(t.done() for t in action_tasks))
        if abort.is_set():
            return
        self.result.phase = "settle"
        deadline = time.monotonic() + self.scenario.durations.settle
        self.result.settled = await self._until(abort, self.is_settled, deadline=deadline)
        if abort.is_set():
            return
        self.result.phase = "final"
        await self.poll_all(final=True)
        self.result.phase = "done"

    async def _until(self, abort: asyncio.Event, cond: Callable[[], bool], deadline: float | None = None,
                     interval: float = 0.1) -> bool:
        while not cond():
            if abort.is_set():
                return False
            if deadline is not None and time.monotonic() >= deadline:
                return False
            try:
                await asyncio.wait_for(abort.wait(), interval)
            except TimeoutError:
                pass
        return True

    def is_settled(self) -> bool:
        """Every accepted launch is finished (Succeeded, Failed or Stopped). Online runs that are
        never stopped keep the settle phase going to its full length (things still happen to them)."""
        if self.settled_check is not None:
            return self.settled_check()
        return all(t.final for t in self.tracked.values())

    # -- launches ---------------------------------------------------------------------------------
    async def _fire_launch(self, planned: Planned, scheduled_at: float, sent_at: float, waited: float) -> None:
        req = planned.request
        base: dict[str, Any] = {
            "launch_id": req.launch_id, "mode": req.mode, "limits": req.limits, "template": req.template,
            "scheduled_at": scheduled_at, "sent_at": sent_at, "namespace": req.namespace, "mix": req.mix,
            "rate": round(planned.arrival.rate, 6), "step": planned.arrival.step, "phase": planned.arrival.phase,
            "waited_s": round(waited, 6),
        }
        self.recorder.launch(LaunchRecord(**base))
        self.result.sent += 1
        try:
            res = await asyncio.wait_for(self.launcher.launch(req), self.scenario.load.request_timeout)
        except TimeoutError:
            res = LaunchResult("error", error=f"no answer within {self.scenario.load.request_timeout:g}s")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a target bug or transport error is a launch error, not a crash
            res = LaunchResult("error", error=f"{type(exc).__name__}: {exc}")
        answered = self._sched.now_wall() if self._sched else time.time()
        rec = LaunchRecord(**base, answered_at=answered, status=res.status, http_status=res.http_status,
                           error=res.error, run_id=res.run_id, pod_name=res.pod_name, **res.extra)
        self.recorder.launch(rec)
        self.result.answered += 1
        if res.status == "accepted":
            self.result.accepted += 1
            t = Tracked(req.launch_id, req.mode, req.mix, req.namespace, res.run_id, res.pod_name,
                        planned.arrival.at, dict(res.extra))
            self.tracked[req.launch_id] = t
            delay = self.stop_delay(planned.entry)
            if delay is not None:
                self._queue_stop(t, planned.arrival.at + delay, "lifetime" if req.mode == "online" else "batch-after")
        elif res.status == "rejected":
            self.result.rejected += 1
        else:
            self.result.errors += 1

    # -- stops ----------------------------------------------------------------------------------------
    def _queue_stop(self, t: Tracked, due: float, reason: str) -> None:
        if t.stop_queued or self._sched is None:
            return
        t.stop_queued = True
        self._sched.schedule(due, (t, reason), self._fire_stop, "stop")

    def queue_end_stops(self) -> None:
        """Policy ``online: end``: stop every online launch not stopped yet, all at once."""
        if self._sched is None or self.scenario.stop.online != "end":
            return
        now = self._sched.offset()
        for t in self.tracked.values():
            if t.mode == "online" and not t.stop_queued and self._stop_delay_for(t) is None:
                self._queue_stop(t, now, "end")

    def _stop_delay_for(self, t: Tracked) -> float | None:
        entry = next((e for e in self.scenario.mix if e.label == t.mix), None)
        return self.stop_delay(entry) if entry else None

    async def _fire_stop(self, item: tuple[Tracked, str], scheduled_at: float, sent_at: float,
                         waited: float) -> None:
        t, reason = item
        if reason == "batch-after" and t.state in TERMINAL_STATES:
            return  # finished before its deadline: nothing to stop
        base: dict[str, Any] = {"launch_id": t.launch_id, "run_id": t.run_id, "sent_at": sent_at,
                                "scheduled_at": scheduled_at, "reason": reason, "waited_s": round(waited, 6)}
        self.recorder.stop(StopRecord(**base))
        self.result.stops_sent += 1
        try:
            res = await asyncio.wait_for(self.launcher.stop(t.stop_request()), self.scenario.load.request_timeout)
        except TimeoutError:
            res = StopResult("error", error=f"no answer within {self.scenario.load.request_timeout:g}s")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            res = StopResult("error", error=f"{type(exc).__name__}: {exc}")
        answered = self._sched.now_wall() if self._sched else time.time()
        self.recorder.stop(StopRecord(**base, answered_at=answered, status=res.status,
                                      http_status=res.http_status, error=res.error))
        t.stop_answered = True
        if res.status in ("accepted", "not-found"):
            self.result.stops_accepted += 1
            t.final = False  # follow it until the runner says Stopped (or gone)
        else:
            self.result.stops_failed += 1

    # -- the runner's states ----------------------------------------------------------------------------
    def report_state(self, report: StateReport) -> None:
        """A state from the runner (a callback, or a poll): recorded, and followed."""
        self.recorder.state(report)
        self.result.state_reports += 1
        t = self.tracked.get(report.launch_id or "")
        if t is None:
            t = next((x for x in self.tracked.values() if x.run_id == report.run_id), None)
        if t is not None:
            self._update(t, report.state, report.runner_state)

    def _update(self, t: Tracked, state: str, runner_state: str | None) -> None:
        t.state = state
        t.runner_state = runner_state
        if state in TERMINAL_STATES or (t.stop_answered and state == "Unknown"):
            t.final = True
            if t.mode == "batch" and not t.stop_queued or t.stop_answered:
                # nothing more will happen to it through the runner: stop following it (long soaks
                # would otherwise keep every launch in memory and in every poll sweep)
                self.tracked.pop(t.launch_id, None)
                self.retired += 1

    async def _poll_one(self, t: Tracked, sem: asyncio.Semaphore, final: bool = False) -> None:
        if t.run_id is None:
            return
        async with sem:
            try:
                res: StatusResult | None = await asyncio.wait_for(
                    self.launcher.status(t.stop_request()), self.scenario.load.request_timeout)
            except (TimeoutError, asyncio.CancelledError):
                return
            except Exception as exc:
                res = StatusResult("Unknown", error=f"{type(exc).__name__}: {exc}")
        if res is None:
            return
        changed = res.state != t.state or res.runner_state != t.runner_state
        if changed or final:
            now = time.time()
            extra: dict[str, Any] = {"final": True} if final else {}
            if res.error:
                extra["error"] = res.error
            if res.http_status is not None:
                extra["http_status"] = res.http_status
            if res.message:
                extra["message"] = res.message
            self.recorder.state(StateReport(run_id=t.run_id, launch_id=t.launch_id, state=res.state,
                                            runner_state=res.runner_state, reported_at=now, received_at=now,
                                            source="poll", **extra))
            self.result.state_reports += 1
        self._update(t, res.state, res.runner_state)

    async def poll_all(self, final: bool = False) -> None:
        """Poll every followed launch. Rounds never overlap (a slow round finishing after the
        final one would record an older view last), and nothing polls after the final round."""
        async with self._poll_lock:
            if self._final_polled:
                return
            sem = asyncio.Semaphore(self.scenario.load.status_concurrency)
            todo = [t for t in self.tracked.values() if t.run_id and (final or not t.final)]
            await asyncio.gather(*(self._poll_one(t, sem, final) for t in todo), return_exceptions=True)
            if final:
                self._final_polled = True

    async def _poller(self, stop: asyncio.Event, interval: float) -> None:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), interval)
                return
            except TimeoutError:
                pass
            await self.poll_all()

    # -- actions ------------------------------------------------------------------------------------------
    async def _action(self, action: ActionSpec, abort: asyncio.Event) -> None:
        due = action.at * self.time_scale
        assert self._sched is not None
        delay = due - self._sched.offset()
        if delay > 0:
            try:
                await asyncio.wait_for(abort.wait(), delay)
                return
            except TimeoutError:
                pass
        entry: dict[str, Any] = {"action": action.action, "due": self._sched.wall_at(due),
                                 "at": self._sched.now_wall()}
        if self.action_context is None:
            entry["error"] = "no cluster access for actions"
        else:
            try:
                entry["detail"] = await asyncio.to_thread(action.execute, self.action_context)
            except Exception as exc:  # recorded, the run goes on
                entry["error"] = f"{type(exc).__name__}: {getattr(exc, 'message', exc)}"
        entry["done"] = time.time()
        self.result.actions.append(entry)
        self.recorder.metric(f"action.{action.action}", 1.0,
                             {"error": entry.get("error", ""),
                              "nodes": ",".join((entry.get("detail") or {}).get("nodes", []))}, t=entry["at"])
        log.info("action %s: %s", action.action, entry)

    # -- metrics -------------------------------------------------------------------------------------------
    async def _sampler(self, stop: asyncio.Event) -> None:
        try:
            import psutil

            proc: Any = psutil.Process(os.getpid())
            proc.cpu_percent(None)
        except Exception:  # psutil is optional here
            proc = None
        seen = 0
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                pass
            sched = self._sched
            if sched is None:
                continue
            now = time.time()
            r = self.result
            lat = sched.lateness.get("launch")
            recent = list(lat.values[seen:]) if lat else []
            seen = len(lat.values) if lat else 0
            values = {
                "load.target_rate": self.shape.rate_at(sched.offset()),
                "load.sent_total": r.sent, "load.answered_total": r.answered,
                "load.accepted_total": r.accepted, "load.rejected_total": r.rejected,
                "load.errors_total": r.errors, "load.in_flight": sched.in_flight,
                "load.waiting_for_slot": sched.waiting, "load.stops_sent_total": r.stops_sent,
                "load.lateness_max_s": max(recent) if recent else 0.0,
            }
            if proc is not None:
                try:
                    values["harness.cpu_percent"] = proc.cpu_percent(None)
                    values["harness.rss_bytes"] = proc.memory_info().rss
                except Exception:
                    proc = None
            for name, value in values.items():
                self.recorder.metric(name, float(value), t=now)
            if self.sample_metrics is not None:
                try:
                    for name, value, labels in self.sample_metrics():
                        self.recorder.metric(name, float(value), labels, t=now)
                except Exception as exc:
                    log.debug("target metrics: %s", exc)
            if self.on_tick is not None:
                self.on_tick({"phase": r.phase, "offset": sched.offset(), "duration": self.shape.duration,
                              "planned": r.planned, **values})
