"""The backend interface and its registry.

A backend turns a :class:`ClusterConfig` into a running cluster and a kubeconfig.
Backends register with :func:`register`; nothing dispatches with ``if`` chains.
The state of clusters brought up by k8sstress is kept in ``<cache>/clusters/<name>.json``
so that ``status`` and ``down`` find them from any shell.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Protocol

from k8sstress.cluster.config import ClusterConfig
from k8sstress.errors import InputError
from k8sstress.paths import state_dir

__all__ = ["Backend", "ClusterInfo", "BACKENDS", "register", "get_backend", "save_state", "load_state",
           "forget_state", "known_clusters"]


@dataclass
class ClusterInfo:
    backend: str
    name: str
    kubeconfig: str
    nodes_ready: int = 0
    nodes_total: int = 0
    running: bool = False
    config_file: str | None = None
    context: str | None = None
    prometheus_url: str | None = None
    details: dict[str, object] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return asdict(self)


class Backend(Protocol):
    name: str

    def up(self, config: ClusterConfig, *, on_progress: Callable[[str, int, int], None] | None = None,
           wait_s: float = 300) -> ClusterInfo: ...

    def down(self, name: str) -> None: ...

    def status(self, name: str) -> ClusterInfo: ...


BACKENDS: dict[str, Callable[[], Backend]] = {}


def register(name: str) -> Callable[[Callable[[], Backend]], Callable[[], Backend]]:
    def deco(factory: Callable[[], Backend]) -> Callable[[], Backend]:
        BACKENDS[name] = factory
        return factory
    return deco


def get_backend(name: str) -> Backend:
    # importing the modules registers them
    from k8sstress.cluster import existing, kind, sim  # noqa: F401

    try:
        return BACKENDS[name]()
    except KeyError:
        raise InputError(f"unknown backend {name!r}; choose one of: {', '.join(sorted(BACKENDS))}") from None


def _state_path(name: str):  # type: ignore[no-untyped-def]
    return state_dir() / f"{name}.json"


def save_state(info: ClusterInfo) -> None:
    _state_path(info.name).write_text(json.dumps(info.as_json(), indent=2))


def load_state(name: str) -> ClusterInfo | None:
    p = _state_path(name)
    if not p.exists():
        return None
    data = json.loads(p.read_text())
    return ClusterInfo(**data)


def forget_state(name: str) -> None:
    _state_path(name).unlink(missing_ok=True)


def known_clusters() -> list[ClusterInfo]:
    out = []
    for p in sorted(state_dir().glob("*.json")):
        try:
            out.append(ClusterInfo(**json.loads(p.read_text())))
        except (ValueError, TypeError):
            continue
    return out
