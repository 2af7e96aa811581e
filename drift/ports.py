"""Sets of ports per protocol, with exact set algebra.

A `PortSet` maps each protocol to sorted, disjoint, non-adjacent inclusive intervals, so two
sets that admit the same ports are equal and hash alike. It is the value of every `connects`
edge ("admitted" and "unknown") and of every port clause in a baseline.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

MIN_PORT = 1
MAX_PORT = 65535

Interval = tuple[int, int]


class Protocol(enum.StrEnum):
    """The transport protocols NetworkPolicy knows (its default is TCP)."""

    TCP = "TCP"
    UDP = "UDP"
    SCTP = "SCTP"


def _normalise(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sort intervals and merge those that overlap or touch."""
    merged: list[list[int]] = []
    for lo, hi in sorted(intervals):
        if not MIN_PORT <= lo <= hi <= MAX_PORT:
            raise ValueError(f"invalid port interval [{lo}, {hi}]")
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return tuple((lo, hi) for lo, hi in merged)


def _intersect(a: Sequence[Interval], b: Sequence[Interval]) -> tuple[Interval, ...]:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _subtract(a: Sequence[Interval], b: Sequence[Interval]) -> tuple[Interval, ...]:
    out: list[Interval] = []
    j = 0
    for lo, hi in a:
        cur = lo
        while j < len(b) and b[j][1] < cur:
            j += 1
        k = j
        while k < len(b) and b[k][0] <= hi:
            if b[k][0] > cur:
                out.append((cur, b[k][0] - 1))
            cur = max(cur, b[k][1] + 1)
            k += 1
        if cur <= hi:
            out.append((cur, hi))
    return tuple(out)


def _unite(a: Sequence[Interval], b: Sequence[Interval]) -> tuple[Interval, ...]:
    if not a or not b:
        return tuple(a or b)
    return _normalise((*a, *b))


_IntervalOp = Callable[[Sequence[Interval], Sequence[Interval]], tuple[Interval, ...]]


class PortSet:
    """An immutable set of (protocol, port) pairs, stored as intervals."""

    __slots__ = ("_by_protocol", "_hash")

    def __init__(self, by_protocol: Mapping[Protocol, Iterable[Interval]] | None = None) -> None:
        normalised: dict[Protocol, tuple[Interval, ...]] = {}
        for protocol, intervals in (by_protocol or {}).items():
            merged = _normalise(intervals)
            if merged:
                normalised[Protocol(protocol)] = merged
        self._by_protocol = dict(sorted(normalised.items()))
        self._hash: int | None = None

    @classmethod
    def _trusted(cls, by_protocol: dict[Protocol, tuple[Interval, ...]]) -> PortSet:
        """Build from intervals already normalised (skips validation)."""
        result = cls.__new__(cls)
        result._by_protocol = {p: by_protocol[p] for p in _ORDER if by_protocol.get(p)}
        result._hash = None
        return result

    @classmethod
    def empty(cls) -> PortSet:
        return cls()

    @classmethod
    def every(cls, protocols: Iterable[Protocol] = tuple(Protocol)) -> PortSet:
        """Every port of the given protocols (all three by default)."""
        return cls({p: [(MIN_PORT, MAX_PORT)] for p in protocols})

    @classmethod
    def of(cls, protocol: Protocol, first: int, last: int | None = None) -> PortSet:
        """One port, or the inclusive range first..last, of one protocol."""
        return cls({protocol: [(first, first if last is None else last)]})

    def intervals(self, protocol: Protocol) -> tuple[Interval, ...]:
        return self._by_protocol.get(protocol, ())

    @property
    def protocols(self) -> tuple[Protocol, ...]:
        return tuple(self._by_protocol)

    def is_empty(self) -> bool:
        return not self._by_protocol

    def __bool__(self) -> bool:
        return bool(self._by_protocol)

    def __contains__(self, item: object) -> bool:
        if not isinstance(item, tuple) or len(item) != 2:
            return False
        protocol, port = item
        return any(lo <= port <= hi for lo, hi in self._by_protocol.get(protocol, ()))

    def _combine(self, other: PortSet, operation: _IntervalOp) -> PortSet:
        protocols = set(self._by_protocol) | set(other._by_protocol)
        return PortSet._trusted(
            {
                p: operation(self._by_protocol.get(p, ()), other._by_protocol.get(p, ()))
                for p in protocols
            }
        )

    # The engine combines port sets millions of times, mostly with empty or full ones:
    # those cases skip the interval walk.

    def __or__(self, other: PortSet) -> PortSet:
        if not other._by_protocol or self is other or self._is_every():
            return self
        if not self._by_protocol or other._is_every():
            return other
        return self._combine(other, _unite)

    def __and__(self, other: PortSet) -> PortSet:
        if not self._by_protocol or other._is_every() or self is other:
            return self
        if not other._by_protocol or self._is_every():
            return other
        return self._combine(other, _intersect)

    def __sub__(self, other: PortSet) -> PortSet:
        if not other._by_protocol or not self._by_protocol:
            return self
        if other._is_every() or self is other:
            return _EMPTY
        return self._combine(other, _subtract)

    def _is_every(self) -> bool:
        return self._by_protocol == _EVERY_INTERVALS

    def issubset(self, other: PortSet) -> bool:
        return (self - other).is_empty()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PortSet) and self._by_protocol == other._by_protocol

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(self._by_protocol.items()))
        return self._hash

    def __iter__(self) -> Iterator[tuple[Protocol, Interval]]:
        for protocol, intervals in self._by_protocol.items():
            for interval in intervals:
                yield protocol, interval

    def to_json(self) -> dict[str, list[list[int]]]:
        """`{"TCP": [[lo, hi], ...], ...}`; protocols with nothing are omitted."""
        return {str(p): [[lo, hi] for lo, hi in iv] for p, iv in self._by_protocol.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Sequence[Sequence[int]]]) -> PortSet:
        return cls({Protocol(p): [(int(lo), int(hi)) for lo, hi in iv] for p, iv in data.items()})

    def only(self, protocol: Protocol) -> PortSet:
        """The ports of one protocol."""
        return PortSet._trusted({protocol: self.intervals(protocol)})

    def describe(self) -> str:
        """For people: `TCP 80, 8000-8080; UDP all`, or `nothing`."""
        parts = []
        for protocol, intervals in self._by_protocol.items():
            if intervals == ((MIN_PORT, MAX_PORT),):
                parts.append(f"{protocol} all ports")
                continue
            text = ", ".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in intervals)
            parts.append(f"{protocol} {text}")
        return "; ".join(parts) or "nothing"

    def __repr__(self) -> str:
        parts = []
        for protocol, intervals in self._by_protocol.items():
            text = ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in intervals)
            parts.append(f"{protocol}:{text}")
        return f"PortSet({' '.join(parts) or 'empty'})"


_ORDER = tuple(sorted(Protocol))
_EVERY_INTERVALS = dict.fromkeys(_ORDER, ((MIN_PORT, MAX_PORT),))
_EMPTY = PortSet()
