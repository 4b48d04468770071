"""Delivering state changes to the callback URL given at launch (aiohttp client, a few workers).

At-least-once within a few retries; each report carries the run's ``sequence`` so a
receiver can order and de-duplicate. A slow or dead receiver never slows launches.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from k8sstress.runner.metrics import RunnerMetrics

__all__ = ["CallbackSender"]

log = logging.getLogger("k8sstress.runner.callbacks")


class CallbackSender:
    def __init__(self, metrics: RunnerMetrics, workers: int = 8, attempts: int = 3, timeout_s: float = 5) -> None:
        self.metrics = metrics
        self.workers = workers
        self.attempts = attempts
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(maxsize=100_000)
        self._tasks: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=self.timeout)
        self._tasks = [asyncio.create_task(self._worker()) for _ in range(self.workers)]

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    def send(self, url: str, report: dict[str, Any]) -> None:
        try:
            self.queue.put_nowait((url, report))
        except asyncio.QueueFull:
            self.metrics.callbacks.labels(result="dropped").inc()

    async def _worker(self) -> None:
        assert self._session is not None
        while True:
            url, report = await self.queue.get()
            for attempt in range(self.attempts):
                try:
                    async with self._session.post(url, json=report) as resp:
                        if resp.status < 500:
                            self.metrics.callbacks.labels(result="ok" if resp.status < 400 else "refused").inc()
                            break
                except (TimeoutError, aiohttp.ClientError) as exc:
                    log.debug("callback to %s failed: %s", url, exc)
                await asyncio.sleep(0.5 * 2**attempt)
            else:
                self.metrics.callbacks.labels(result="failed").inc()
