"""Safe reads from raw Kubernetes JSON.

Dumps come from any cluster, any version, sometimes hand-edited: a field may be
missing, null or of the wrong type. These accessors never raise; they return an
empty value of the expected type instead, so the classifier always reaches a verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = ["obj", "items", "text", "integer", "number", "path", "timestamp", "dicts"]


def obj(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def items(value: Any) -> list[Any]:
    """``value`` if it is a JSON array, else an empty list."""
    return list(value) if isinstance(value, list | tuple) else []


def dicts(value: Any) -> list[Mapping[str, Any]]:
    """The JSON objects in an array (other members dropped)."""
    return [v for v in items(value) if isinstance(v, Mapping)]


def text(value: Any) -> str:
    """``value`` if it is a string, else ``""`` (numbers and booleans are not text)."""
    return value if isinstance(value, str) else ""


def integer(value: Any) -> int | None:
    """``value`` as an int when it is one (or an integral float/str), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def path(root: Any, *keys: str) -> Any:
    """``root[k1][k2]...`` through JSON objects; None when any step is missing."""
    cur: Any = root
    for key in keys:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(key)
    return cur


def timestamp(value: Any) -> datetime | None:
    """An RFC 3339 time (``metadata.creationTimestamp``, ``eventTime``) as an aware datetime."""
    raw = text(value).strip()
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
