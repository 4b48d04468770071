"""Loaders for the recorded fixtures in tests/fixtures/ (pods and events, kubectl -o json shapes)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def load_pod(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / "pods" / f"{name}.json").read_text())


def load_events(name: str) -> list[dict[str, Any]]:
    return json.loads((FIXTURES / "events" / f"{name}.json").read_text())["items"]


def all_events() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted((FIXTURES / "events").glob("*.json")):
        out += json.loads(path.read_text())["items"]
    return out


@pytest.fixture
def pod():
    """``pod(name)`` -> a fresh copy of tests/fixtures/pods/<name>.json."""
    return lambda name: copy.deepcopy(load_pod(name))


@pytest.fixture
def events():
    """``events(name)`` -> the items of tests/fixtures/events/<name>.json."""
    return load_events
