"""Following the runner's pods and Jobs with kopf, embedded as kopf's docs advise.

kopf runs in its own thread with its own event loop and its own registry
(``kopf.OperatorRegistry``), namespaced (``clusterwide=False``), standalone (no
peering), with event posting off and a server-side label selector so it only ever
receives this runner's objects. Watch events are queued for the runner's own loop, which
is woken with ``call_soon_threadsafe`` once per burst; nothing else crosses the
two loops.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

import kopf

from k8sstress.kube import Kube
from k8sstress.records import RawObject

__all__ = ["Follower"]

log = logging.getLogger("k8sstress.runner.following")

OnEvent = Callable[[str, str | None, RawObject], None]
"""``(resource "pods"|"jobs", event type or None for the initial listing, raw object)``."""


def connection_info(kube: Kube) -> kopf.ConnectionInfo:
    """kopf's credentials from the same kubeconfig the runner's :class:`Kube` loaded."""
    cfg = kube.configuration
    header = cfg.get_api_key_with_prefix("BearerToken") or cfg.get_api_key_with_prefix("authorization")
    parts = header.split(" ", 1) if header else []
    scheme, token = ((None, None) if not parts else (None, parts[0]) if len(parts) == 1 else (parts[0], parts[1]))
    return kopf.ConnectionInfo(
        server=cfg.host, ca_path=cfg.ssl_ca_cert, insecure=not cfg.verify_ssl,
        username=cfg.username or None, password=cfg.password or None, scheme=scheme, token=token,
        certificate_path=cfg.cert_file, private_key_path=cfg.key_file, default_namespace=None,
    )


class _NoDiffBase(kopf.DiffBaseStorage):
    """No diff-base: the runner has only ``on.event`` handlers, which never look at diffs.

    kopf builds an object's "essence" (a deep copy) on every event for change-detecting
    handlers; without them that copy is pure cost (about 2/3 of kopf's time per event).
    """

    def build(self, *, body: Any, extra_fields: Any = None) -> Any:
        return None

    def fetch(self, *, body: Any) -> None:
        return None

    def store(self, *, body: Any, patch: Any, essence: Any) -> None:
        return None


class Follower:
    """The embedded kopf operator: ``start()`` in a thread, ``stop()`` joins it."""

    def __init__(self, kube: Kube, namespace: str, selector: dict[str, str], on_event: OnEvent,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.kube = kube
        self.namespace = namespace
        self.selector = selector
        self.on_event = on_event
        self.loop = loop
        self.registry = kopf.OperatorRegistry()
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.events = 0
        self._lock = threading.Lock()
        self._queue: list[tuple[str, str | None, RawObject]] = []
        self._scheduled = False
        self._register()

    def _deliver(self, resource: str, type_: str | None, obj: RawObject) -> None:
        """Queue an event for the runner's loop; wake that loop once per burst, not once per event."""
        self.events += 1
        with self._lock:
            self._queue.append((resource, type_, obj))
            if self._scheduled:
                return
            self._scheduled = True
        try:
            self.loop.call_soon_threadsafe(self._drain)
        except RuntimeError:  # the runner's loop is closed: we are stopping
            pass

    def _drain(self) -> None:
        with self._lock:
            batch, self._queue = self._queue, []
            self._scheduled = False
        for resource, type_, obj in batch:
            self.on_event(resource, type_, obj)

    def _register(self) -> None:
        reg = self.registry
        selector_text = ",".join(f"{k}={v}" for k, v in sorted(self.selector.items()))
        info = connection_info(self.kube)

        @kopf.on.startup(registry=reg)
        def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
            settings.posting.enabled = False
            settings.persistence.diffbase_storage = _NoDiffBase()
            settings.scanning.disabled = True
            settings.peering.standalone = True
            settings.watching.label_selectors["v1", "pods"] = selector_text
            settings.watching.label_selectors["batch", "v1", "jobs"] = selector_text
            settings.watching.server_timeout = 300
            settings.networking.error_backoffs = (0.5, 1, 2, 5)
            settings.queueing.idle_timeout = 1.0

        @kopf.on.login(registry=reg)
        def login(**_: Any) -> kopf.ConnectionInfo:
            return info

        @kopf.on.event("v1", "pods", labels=self.selector, registry=reg)
        async def pod_event(**kwargs: Any) -> None:
            event = kwargs["event"]
            self._deliver("pods", event.get("type"), event["object"])

        @kopf.on.event("batch", "v1", "jobs", labels=self.selector, registry=reg)
        async def job_event(**kwargs: Any) -> None:
            event = kwargs["event"]
            self._deliver("jobs", event.get("type"), event["object"])

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(kopf.operator(
                registry=self.registry, clusterwide=False, namespaces=[self.namespace], standalone=True,
                stop_flag=self._stop, ready_flag=self.ready,
            ))
        except Exception:
            log.exception("the embedded kopf operator failed")
        finally:
            loop.close()

    def start(self) -> Follower:
        self._thread = threading.Thread(target=self._main, name="runner-kopf", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
