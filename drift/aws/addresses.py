"""Address ranges cut into cells that no rule boundary crosses, and which ranges the internet
routes.

Security-group, network-ACL and route rules each test whether an address lies in a CIDR. Cut
a range at every such CIDR's edges and each cell is wholly inside or wholly outside every rule,
so evaluating one address of a cell answers for all of it, exactly.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable
from dataclasses import dataclass

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

EVERY_V4 = ipaddress.IPv4Network("0.0.0.0/0")
EVERY_V6 = ipaddress.IPv6Network("::/0")

# What the internet does not route to a VPC: the same ranges `drift.k8s.services` treats as
# private for load balancer source ranges (RFC 1918, shared address space, loopback,
# link-local; unique-local and link-local IPv6).
_NOT_INTERNET: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(r)
    for r in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "fc00::/7",
        "::1/128",
        "fe80::/10",
    )
)


@dataclass(frozen=True)
class Cell:
    """Addresses `first`..`last` of one family, all alike to the boundaries that cut them."""

    first: IPAddress
    last: IPAddress

    @property
    def cidrs(self) -> tuple[IPNetwork, ...]:
        return tuple(ipaddress.summarize_address_range(self.first, self.last))

    def __str__(self) -> str:
        return ", ".join(str(n) for n in self.cidrs)

    @property
    def internet(self) -> bool:
        """Whether the internet routes these addresses (none lies in a private range)."""
        return not any(self.first in n for n in _NOT_INTERNET if n.version == self.first.version)


def parse_cidr(text: object) -> IPNetwork | None:
    if not isinstance(text, str):
        return None
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def cells(ranges: Iterable[IPNetwork], boundaries: Iterable[IPNetwork]) -> list[Cell]:
    """`ranges` cut at the edges of `boundaries` (and, so that `Cell.internet` is exact, of the
    private ranges), family by family, in address order."""
    ranges = list(ipaddress.collapse_addresses(r for r in ranges if r.version == 4)) + list(
        ipaddress.collapse_addresses(r for r in ranges if r.version == 6)
    )
    edges: dict[int, set[int]] = {4: set(), 6: set()}
    for network in itertools.chain(boundaries, _NOT_INTERNET, ranges):
        edges[network.version].update(_edges(network))
    out: list[Cell] = []
    for network in ranges:
        inner = sorted(
            e for e in edges[network.version] if _edges(network)[0] < e <= _last(network)
        )
        starts = [_edges(network)[0], *inner]
        ends = [*(e - 1 for e in inner), _last(network)]
        make = ipaddress.IPv4Address if network.version == 4 else ipaddress.IPv6Address
        out.extend(Cell(make(a), make(b)) for a, b in zip(starts, ends, strict=True))
    return out


def _edges(network: IPNetwork) -> tuple[int, int]:
    """Where `network` starts and the first address after it."""
    return int(network.network_address), int(network.broadcast_address) + 1


def _last(network: IPNetwork) -> int:
    return int(network.broadcast_address)
