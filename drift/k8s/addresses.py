"""Address ranges outside the cluster, cut into the cells that ipBlocks can tell apart.

Every ipBlock `cidr` and `except` range is a boundary. Two addresses fall in the same cell
when exactly the same boundaries contain them, so every ipBlock is a union of whole cells
and no two cells overlap. A cell is named by the most specific boundary containing it
(unique, because CIDR ranges nest or are disjoint); the addresses no boundary contains form
one cell named `OTHER_ADDRESSES`.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from drift.k8s.netpol import IpBlock, IPNetwork

OTHER_ADDRESSES = "other-addresses"

_FAMILY_SIZE = {4: 2**32, 6: 2**128}


@dataclass(frozen=True, kw_only=True)
class AddressCell:
    name: str
    cidrs: tuple[str, ...]
    boundaries: frozenset[IPNetwork]


def partition(blocks: Iterable[IpBlock]) -> tuple[AddressCell, ...]:
    """The cells of the whole IPv4 and IPv6 space drawn by `blocks`, sorted by name."""
    blocks = list(blocks)
    boundaries = {b.cidr for b in blocks} | {e for b in blocks for e in b.excepts}
    ranges: dict[frozenset[IPNetwork], list[tuple[int, int, int]]] = {}
    for version, size in _FAMILY_SIZE.items():
        family = [n for n in boundaries if n.version == version]
        for first, last, signature in _swept_ranges(family, size):
            ranges.setdefault(signature, []).append((version, first, last))
    cells = [
        AddressCell(name=_name(sig), cidrs=_cidrs(spans), boundaries=sig)
        for sig, spans in ranges.items()
    ]
    return tuple(sorted(cells, key=lambda c: c.name))


def _swept_ranges(
    networks: list[IPNetwork], size: int
) -> list[tuple[int, int, frozenset[IPNetwork]]]:
    """The elementary ranges between all range edges, each with the ranges containing it,
    in one sweep: ranges open and close at their edges, so the work follows the number of
    ranges and their nesting, not ranges times edges."""
    opening: dict[int, list[IPNetwork]] = {}
    closing: dict[int, list[IPNetwork]] = {}
    for n in networks:
        opening.setdefault(int(n.network_address), []).append(n)
        closing.setdefault(int(n.broadcast_address) + 1, []).append(n)
    points = sorted({0, size, *opening, *closing})
    active: set[IPNetwork] = set()
    out = []
    for first, after in itertools.pairwise(points):
        active.difference_update(closing.get(first, ()))
        active.update(opening.get(first, ()))
        out.append((first, after - 1, frozenset(active)))
    return out


def cells_inside(cells: tuple[AddressCell, ...]) -> dict[IPNetwork, frozenset[int]]:
    """For each range edge, the cells inside it: an ipBlock is `cells_inside[cidr]` minus
    those of its excepts, found without testing every block against every cell."""
    inside: dict[IPNetwork, set[int]] = {}
    for index, cell in enumerate(cells):
        for boundary in cell.boundaries:
            inside.setdefault(boundary, set()).add(index)
    return {boundary: frozenset(members) for boundary, members in inside.items()}


def _name(signature: frozenset[IPNetwork]) -> str:
    if not signature:
        return OTHER_ADDRESSES
    return str(max(signature, key=lambda n: n.prefixlen))


def _cidrs(spans: list[tuple[int, int, int]]) -> tuple[str, ...]:
    out: list[str] = []
    for version, first, last in sorted(spans):
        cls = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
        out.extend(str(n) for n in ipaddress.summarize_address_range(cls(first), cls(last)))
    return tuple(out)
