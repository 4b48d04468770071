"""Compact storage for what the fold keeps about pods that went quiet.

*   :class:`Codec`: JSON values (dicts, lists, strings, numbers) marshalled and
    zlib-deflated with a preset dictionary
    learned from the run's own objects. Pods from the same templates share nearly
    all their text (field names, condition types, scheduler and kubelet messages),
    so with a dictionary made of earlier pods a trimmed pod of ~850 bytes packs
    into ~200. The dictionary is learned twice (after the first 32 KiB of samples,
    and again after ``relearn_after`` packs, when later states such as Succeeded or
    Evicted have shown up); each packed value starts with the version of the
    dictionary it used, so all versions stay readable.
*   :class:`TimelinePacker`: timeline entries as 12 bytes each: local observation
    time in milliseconds and Kubernetes time in whole seconds, both relative to a
    base time, and an index into a table of (kind, what) pairs kept once.
"""

from __future__ import annotations

import marshal
import math
import struct
import sys
import zlib
from collections.abc import Iterator
from typing import Any

__all__ = ["Codec", "TimelinePacker"]

_WBITS = -15  # raw deflate, 32 KiB window (the whole dictionary is usable)
_LEVEL = 1
_MEM_LEVEL = 6
_DICT_SIZE = 32 * 1024


class Codec:
    """Pack JSON values into deflated bytes with a learned dictionary; unpack them again."""

    def __init__(self, relearn_after: int = 4096) -> None:
        self._dicts: list[bytes] = [b""]
        self._base = self._compressor(b"")
        self._samples: list[bytes] = []
        self._sampled = 0
        self._relearn_after = relearn_after
        self.packed = 0

    @staticmethod
    def _compressor(zdict: bytes) -> Any:
        if zdict:
            return zlib.compressobj(_LEVEL, zlib.DEFLATED, _WBITS, _MEM_LEVEL, zlib.Z_DEFAULT_STRATEGY, zdict)
        return zlib.compressobj(_LEVEL, zlib.DEFLATED, _WBITS, _MEM_LEVEL, zlib.Z_DEFAULT_STRATEGY)

    @property
    def version(self) -> int:
        return len(self._dicts) - 1

    def _learn(self, data: bytes) -> None:
        learning = len(self._dicts) == 1 or (len(self._dicts) == 2 and self.packed >= self._relearn_after)
        if not learning:
            return
        self._samples.append(data)
        self._sampled += len(data)
        if self._sampled >= _DICT_SIZE:
            # the end of a dictionary is the cheapest to refer to: put the most common last
            zdict = b"".join(self._samples)[-_DICT_SIZE:]
            self._dicts.append(zdict)
            self._base = self._compressor(zdict)
            self._samples = []
            self._sampled = 0

    def pack(self, value: Any) -> bytes:
        data = marshal.dumps(value)
        self._learn(data)
        c = self._base.copy()
        self.packed += 1
        packed: bytes = c.compress(data) + c.flush()
        return bytes((self.version,)) + packed

    def unpack(self, blob: bytes) -> Any:
        zdict = self._dicts[blob[0]]
        d = zlib.decompressobj(_WBITS, zdict) if zdict else zlib.decompressobj(_WBITS)
        return marshal.loads(d.decompress(blob[1:]) + d.flush())

    def size(self) -> int:
        """Bytes held by the dictionaries."""
        return sum(len(d) for d in self._dicts)


_ENTRY = struct.Struct("<iiI")
_NONE_AT = -(2**31)
_MAX_I32 = 2**31 - 1


class TimelinePacker:
    """Timeline entries (seen, at, kind, what) packed 12 bytes each (see the module docstring)."""

    def __init__(self) -> None:
        self.base: int | None = None
        self._codes: dict[tuple[str, str], int] = {}
        self._whats: list[tuple[str, str]] = []
        self.clamped = 0

    def code(self, kind: str, what: str) -> int:
        """The index of a (kind, what) pair, added to the table when new."""
        key = (kind, what)
        code = self._codes.get(key)
        if code is None:
            code = len(self._whats)
            key = (sys.intern(kind), sys.intern(what))
            self._whats.append(key)
            self._codes[key] = code
        return code

    def what(self, code: int) -> tuple[str, str]:
        return self._whats[code]

    def _clamp(self, v: int) -> int:
        if -_MAX_I32 <= v <= _MAX_I32:
            return v
        self.clamped += 1
        return max(-_MAX_I32, min(_MAX_I32, v))

    def pack(self, entries: list[tuple[float, float | None, int]]) -> bytes:
        """``(seen, at, code)`` entries as bytes (``at`` rounded to whole seconds)."""
        if self.base is None:
            self.base = int(entries[0][0])
        base = self.base
        out = []
        for seen, at, code in entries:
            s = self._clamp(round((seen - base) * 1000))
            a = _NONE_AT if at is None or math.isnan(at) else self._clamp(round(at - base))
            out.append(_ENTRY.pack(s, a, code))
        return b"".join(out)

    def unpack(self, blob: bytes) -> Iterator[tuple[float, float | None, int]]:
        base = self.base or 0
        for s, a, code in _ENTRY.iter_unpack(blob):
            yield base + s / 1000.0, None if a == _NONE_AT else float(base + a), code
