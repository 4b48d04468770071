"""The open-model scheduler: requests go out on schedule whatever the runner's latency.

Every planned request has a due time (seconds after the run's start). At its due
time the scheduler hands it to a task and moves on: a slow answer never delays the
next request (no coordinated omission). Requests in flight are bounded by a
semaphore; when the bound is hit, a due request waits for a slot and is sent late,
never dropped. Its lateness (sent - due) is what the record shows.

The clock, wall clock and sleep are parameters, so unit tests drive the scheduler
with a fake clock. Only asyncio; no other I/O.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from array import array
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

__all__ = ["OpenModelScheduler", "Lateness", "Fire", "percentile"]

T = TypeVar("T")

Fire = Callable[[T, float, float, float], Awaitable[None]]
"""``fire(item, scheduled_at, sent_at, waited_s)``: send one request (called holding an in-flight slot).
``scheduled_at``/``sent_at`` are epoch seconds; ``waited_s`` is the time spent waiting for a slot."""


def percentile(values: Iterable[float], q: float) -> float:
    """The ``q`` (0..100) percentile by nearest rank; 0.0 for no values."""
    data = sorted(values)
    if not data:
        return 0.0
    k = max(0, min(len(data) - 1, math.ceil(q / 100.0 * len(data)) - 1))
    return data[k]


@dataclass
class Lateness:
    """Lateness samples (sent - due, seconds) of one kind of request."""

    values: array[float] = field(default_factory=lambda: array("d"))
    waited: int = 0
    """How many requests had to wait for an in-flight slot."""

    def add(self, late: float, waited: bool) -> None:
        self.values.append(late)
        if waited:
            self.waited += 1

    def summary(self) -> dict[str, float | int]:
        vals = sorted(self.values)
        n = len(vals)
        return {
            "count": n,
            "waited_for_slot": self.waited,
            "p50_s": percentile(vals, 50),
            "p99_s": percentile(vals, 99),
            "max_s": vals[-1] if vals else 0.0,
            "mean_s": sum(vals) / n if n else 0.0,
        }


class OpenModelScheduler(Generic[T]):
    """Dispatch items at their due times with at most ``max_in_flight`` fires running."""

    def __init__(self, max_in_flight: int, *, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.max_in_flight = max_in_flight
        self._sem = asyncio.Semaphore(max_in_flight)
        self._clock = clock
        self._wall = wall
        self._sleep = sleep
        self._t0_mono = clock()
        self._t0_wall = wall()
        self._tasks: set[asyncio.Task[None]] = set()
        self._heap: list[tuple[float, int, Any, Fire[Any], str]] = []
        self._seq = itertools.count()
        self._wakeup = asyncio.Event()
        self.lateness: dict[str, Lateness] = {}
        self.in_flight = 0
        self.waiting = 0
        self.fired = 0
        self.errors = 0

    # -- time --------------------------------------------------------------------------------
    def restart_clock(self) -> None:
        """Make 'now' the run's start (offset 0)."""
        self._t0_mono = self._clock()
        self._t0_wall = self._wall()

    @property
    def started_at(self) -> float:
        """The run's start, epoch seconds."""
        return self._t0_wall

    def offset(self) -> float:
        """Seconds since the run's start."""
        return self._clock() - self._t0_mono

    def wall_at(self, offset: float) -> float:
        return self._t0_wall + offset

    def now_wall(self) -> float:
        return self._t0_wall + (self._clock() - self._t0_mono)

    # -- dispatch ----------------------------------------------------------------------------
    def dispatch(self, item: T, due: float, fire: Fire[T], kind: str = "launch") -> asyncio.Task[None]:
        """Start a task that sends ``item`` (due at offset ``due``) as soon as a slot is free."""
        task = asyncio.ensure_future(self._send(item, due, fire, kind))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _send(self, item: T, due: float, fire: Fire[T], kind: str) -> None:
        waited = self._sem.locked()
        t_wait = self._clock()
        self.waiting += 1
        try:
            await self._sem.acquire()
        finally:
            self.waiting -= 1
        self.in_flight += 1
        try:
            sent_off = self._clock() - self._t0_mono
            lat = self.lateness.get(kind)
            if lat is None:
                lat = self.lateness[kind] = Lateness()
            lat.add(sent_off - due, waited)
            self.fired += 1
            try:
                await fire(item, self._t0_wall + due, self._t0_wall + sent_off, self._clock() - t_wait)
            except asyncio.CancelledError:
                raise
            except Exception:  # a fire must record its own failure; count what escaped
                self.errors += 1
        finally:
            self.in_flight -= 1
            self._sem.release()

    async def run_arrivals(self, items: Iterable[T], due_of: Callable[[T], float], fire: Fire[T],
                           stop: asyncio.Event | None = None, kind: str = "launch") -> int:
        """Dispatch each item of ``items`` (in due order) at its due time; returns how many.

        Stops early (without dispatching the rest) when ``stop`` is set.
        """
        n = 0
        for item in items:
            if stop is not None and stop.is_set():
                break
            due = due_of(item)
            delay = due - (self._clock() - self._t0_mono)
            if delay > 0:
                if stop is None or delay < 0.05:
                    await self._sleep(delay)
                else:
                    try:
                        await asyncio.wait_for(stop.wait(), delay)
                        break
                    except TimeoutError:
                        pass
            self.dispatch(item, due, fire, kind)
            n += 1
        return n

    # -- a dynamic queue (stops, actions) ----------------------------------------------------------
    def schedule(self, due: float, item: Any, fire: Fire[Any], kind: str) -> None:
        """Queue ``item`` for offset ``due`` (processed by :meth:`run_queue`)."""
        heapq.heappush(self._heap, (due, next(self._seq), item, fire, kind))
        self._wakeup.set()

    @property
    def active(self) -> int:
        """Dispatched requests not finished yet (waiting for a slot or in flight)."""
        return len(self._tasks)

    @property
    def queued(self) -> int:
        return len(self._heap)

    def next_due(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    async def run_queue(self, stop: asyncio.Event) -> None:
        """Dispatch queued items as they fall due, until ``stop`` is set."""
        while not stop.is_set():
            now = self._clock() - self._t0_mono
            while self._heap and self._heap[0][0] <= now:
                due, _, item, fire, kind = heapq.heappop(self._heap)
                self.dispatch(item, due, fire, kind)
            delay = (self._heap[0][0] - now) if self._heap else 3600.0
            self._wakeup.clear()
            waiter = asyncio.ensure_future(self._wakeup.wait())
            stopper = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait({waiter, stopper}, timeout=max(0.0, delay),
                                   return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
                stopper.cancel()

    def clear_queue(self) -> int:
        """Forget every queued item not yet due; returns how many."""
        n = len(self._heap)
        self._heap.clear()
        return n

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait for every dispatched task to finish; False if ``timeout`` passed first."""
        deadline = None if timeout is None else self._clock() + timeout
        while self._tasks:
            remaining = None if deadline is None else deadline - self._clock()
            if remaining is not None and remaining <= 0:
                return False
            await asyncio.wait(set(self._tasks), timeout=remaining)
        return True

    async def cancel_all(self) -> None:
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._heap.clear()

    def stats(self) -> dict[str, Any]:
        return {"max_in_flight": self.max_in_flight, "fired": self.fired, "errors": self.errors,
                "lateness": {k: v.summary() for k, v in self.lateness.items()}}
