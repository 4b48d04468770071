"""The watcher loop against a scripted stand-in for the one I/O seam (k8sstress.kube.Kube).

Real apiservers are in tests/integration/test_observe.py; a young sim cluster serves
even a watch from resourceVersion "1" out of its watch cache, so a 410 Gone cannot be
forced there at will. Here the seam replays the exact shapes an apiserver sends: a
410 as an HTTP error and as an ERROR event in the stream, a connection that breaks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from k8sstress.errors import ClusterError
from k8sstress.kube import ApiError
from k8sstress.observe import ResourceWatcher

from .shapes import pod

EXPIRED = {"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                       "message": "too old resource version: 1 (2345)", "reason": "Expired",
                                       "code": 410}}


def bookmark(rv: str) -> dict[str, Any]:
    return {"type": "BOOKMARK", "object": {"kind": "Pod", "apiVersion": "v1", "metadata": {"resourceVersion": rv}}}


class ScriptedKube:
    """Answers LISTs from ``lists`` and watches from ``watches``, one script step per call."""

    def __init__(self, lists: list[list[dict[str, Any]]], watches: list[Any]) -> None:
        self.lists = lists
        self.watches = watches
        self.calls: list[tuple[str, Any]] = []
        self.done = threading.Event()

    def get(self, path: str, **query: Any) -> dict[str, Any]:
        self.calls.append(("list", query.get("labelSelector")))
        items = self.lists.pop(0)
        rv = max((int(i["metadata"]["resourceVersion"]) for i in items), default=1)
        return {"kind": "PodList", "metadata": {"resourceVersion": str(rv)}, "items": items}

    def watch_lines(self, path: str, resource_version: str | None, timeout_s: int = 60,
                    label_selector: str | None = None, bookmarks: bool = True) -> Iterator[dict[str, Any]]:
        self.calls.append(("watch", resource_version))
        if not self.watches:
            self.done.set()
            time.sleep(0.05)
            return
        step = self.watches.pop(0)
        if isinstance(step, BaseException):
            raise step
        for item in step:
            if isinstance(item, BaseException):
                raise item
            yield item


def run(kube: ScriptedKube, **kw: Any) -> tuple[list[tuple[str, str, bool]], dict[str, int]]:
    """Run a watcher until the script is used up; what it emitted, and its counters."""
    got: list[tuple[str, str, bool]] = []
    w = ResourceWatcher(kube, "pods", lambda _r, t, o, s: got.append((t, o["metadata"]["name"], s)),  # type: ignore[arg-type]
                        namespace="ns1", label_selector="app=x", backoff_initial_s=0.01, backoff_max_s=0.02, **kw)
    w.start()
    assert kube.done.wait(5)
    w.stop()
    w.join(2)
    return got, dict(w.stats)


def test_list_watch_bookmarks_and_an_expired_watch_relist_with_a_deleted_stub() -> None:
    a, b = pod("a", "ua", rv=10), pod("b", "ub", rv=11)
    a2 = pod("a", "ua", rv=12, phase="Running")
    c = pod("c", "uc", rv=20)
    kube = ScriptedKube(
        lists=[[a, b], [a2, c]],  # the relist: a changed, b gone, c new
        watches=[
            [bookmark("15"), EXPIRED],  # resumes at the bookmark, then 410 in the stream
            [],
        ])
    got, stats = run(kube)
    assert got == [("ADDED", "a", False), ("ADDED", "b", False),
                   ("RELIST", "a", True), ("RELIST", "c", True), ("DELETED", "b", True)]
    assert kube.calls[:4] == [("list", "app=x"), ("watch", "11"), ("list", "app=x"), ("watch", "20")]
    assert stats["expired"] == 1 and stats["relists"] == 1


def test_an_http_410_relists_and_a_broken_stream_resumes_where_it_was() -> None:
    a = pod("a", "ua", rv=10)
    a2 = pod("a", "ua", rv=30, phase="Running")
    kube = ScriptedKube(
        lists=[[a]],
        watches=[
            ApiError(410, "Expired", "too old resource version"),  # resumed from a too-old version
            [{"type": "MODIFIED", "object": a2}, ClusterError("cannot reach the API server: reset")],
            ClusterError("cannot reach the API server: refused"),  # reconnecting fails once: backoff
            [],
        ])
    got, stats = run(kube, resource_version="1")
    assert got == [("RELIST", "a", True), ("MODIFIED", "a", False)]
    assert [c for c in kube.calls if c[0] == "watch"][:4] == [("watch", "1"), ("watch", "10"), ("watch", "30"),
                                                              ("watch", "30")]
    assert stats["reconnects"] == 1 and stats["retries"] == 1


def test_a_watch_error_other_than_410_backs_off_and_keeps_the_position() -> None:
    a = pod("a", "ua", rv=10)
    err = {"type": "ERROR", "object": {"kind": "Status", "code": 500, "message": "etcdserver: request timed out"}}
    kube = ScriptedKube(lists=[[a]], watches=[[err], []])
    got, stats = run(kube)
    assert got == [("ADDED", "a", False)]
    assert [c for c in kube.calls if c[0] == "watch"][:2] == [("watch", "10"), ("watch", "10")]
    assert stats["retries"] == 1
