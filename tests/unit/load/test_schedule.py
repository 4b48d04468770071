"""The open-model scheduler on a virtual clock: on-time sends, lateness accounting, nothing dropped."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Coroutine
from typing import Any

import pytest

from k8sstress.load.profiles import Constant
from k8sstress.load.schedule import OpenModelScheduler, percentile


class VirtualClock:
    """Time that only moves when every task is blocked on :meth:`sleep`."""

    def __init__(self) -> None:
        self.now = 0.0
        self._heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def time(self) -> float:
        return self.now

    def wall(self) -> float:
        return 1000.0 + self.now

    async def sleep(self, delay: float) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (self.now + max(0.0, delay), next(self._seq), fut))
        await fut

    async def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        task = asyncio.ensure_future(coro)
        while not task.done():
            for _ in range(20):  # let every runnable task run until it blocks
                await asyncio.sleep(0)
            if task.done():
                break
            if not self._heap:
                await asyncio.sleep(0)
                continue
            due, _, fut = heapq.heappop(self._heap)
            self.now = max(self.now, due)
            fut.set_result(None)
        return task.result()


def scheduler(clock: VirtualClock, max_in_flight: int) -> OpenModelScheduler[Any]:
    return OpenModelScheduler(max_in_flight, clock=clock.time, wall=clock.wall, sleep=clock.sleep)


def test_sends_go_out_on_time_whatever_the_latency() -> None:
    """A slow target (2 s per answer) does not delay the next launch: no coordinated omission."""
    clock = VirtualClock()
    sent: list[tuple[float, float]] = []

    async def main() -> OpenModelScheduler[Any]:
        sched = scheduler(clock, max_in_flight=1000)

        async def fire(item: Any, scheduled_at: float, sent_at: float, waited: float) -> None:
            sent.append((scheduled_at, sent_at))
            await clock.sleep(2.0)

        arrivals = Constant(rate=10, duration=3).shape().arrivals()
        await sched.run_arrivals(arrivals, lambda a: a.at, fire)
        await sched.drain()
        return sched

    sched = asyncio.run(clock.run(main()))
    assert len(sent) == 30
    assert all(s == pytest.approx(d, abs=1e-9) for d, s in sent)
    lat = sched.lateness["launch"].summary()
    assert lat["count"] == 30 and lat["max_s"] == pytest.approx(0.0, abs=1e-9)
    assert lat["waited_for_slot"] == 0
    assert sched.fired == 30


def test_when_the_bound_is_hit_launches_are_late_not_dropped() -> None:
    clock = VirtualClock()
    sent: list[tuple[int, float]] = []

    async def main() -> OpenModelScheduler[Any]:
        sched = scheduler(clock, max_in_flight=2)

        async def fire(item: Any, scheduled_at: float, sent_at: float, waited: float) -> None:
            sent.append((item.index, sent_at - 1000.0))
            await clock.sleep(1.0)

        arrivals = Constant(rate=10, launches=10).shape().arrivals()  # due at 0.05, 0.15, ... 0.95
        await sched.run_arrivals(arrivals, lambda a: a.at, fire)
        await sched.drain()
        return sched

    sched = asyncio.run(clock.run(main()))
    assert sorted(i for i, _ in sent) == list(range(10))  # every launch sent
    times = dict(sent)
    # two slots, 1 s each: pairs go out at 0.05/0.15, then 1.05/1.15, 2.05/2.15, ...
    assert times[0] == pytest.approx(0.05)
    assert times[1] == pytest.approx(0.15)
    assert times[2] == pytest.approx(1.05)
    assert times[9] == pytest.approx(4.15)
    lat = sched.lateness["launch"]
    assert lat.waited == 8
    assert max(lat.values) == pytest.approx(4.15 - 0.95)
    summary = lat.summary()
    assert summary["p50_s"] > 0 and summary["max_s"] == pytest.approx(3.2)


def test_the_dynamic_queue_dispatches_in_due_order() -> None:
    order: list[str] = []

    async def main() -> None:
        sched: OpenModelScheduler[Any] = OpenModelScheduler(10)  # real time: 0.35 s

        async def fire(item: Any, scheduled_at: float, sent_at: float, waited: float) -> None:
            order.append(item)

        sched.schedule(0.3, "c", fire, "stop")
        sched.schedule(0.1, "a", fire, "stop")
        sched.schedule(0.2, "b", fire, "stop")
        assert sched.queued == 3 and sched.next_due() == 0.1
        stop = asyncio.Event()
        runner = asyncio.ensure_future(sched.run_queue(stop))
        await asyncio.sleep(0.35)
        stop.set()
        await runner
        await sched.drain()
        assert sched.lateness["stop"].summary()["count"] == 3

    asyncio.run(main())
    assert order == ["a", "b", "c"]


def test_a_failing_fire_is_counted_not_fatal() -> None:
    clock = VirtualClock()

    async def main() -> OpenModelScheduler[Any]:
        sched = scheduler(clock, max_in_flight=4)

        async def fire(item: Any, scheduled_at: float, sent_at: float, waited: float) -> None:
            raise RuntimeError("boom")

        await sched.run_arrivals(Constant(rate=5, launches=5).shape().arrivals(), lambda a: a.at, fire)
        await sched.drain()
        return sched

    sched = asyncio.run(clock.run(main()))
    assert sched.errors == 5 and sched.fired == 5


def test_percentile_nearest_rank() -> None:
    assert percentile([], 99) == 0.0
    assert percentile(range(1, 101), 99) == 99
    assert percentile(range(1, 101), 50) == 50
    assert percentile([5.0], 99) == 5.0
