"""The machinery of `drift.aws.network`: a read snapshot, and the filters at one end of a flow
evaluated over address cells (one host somewhere in a range, or every host of a range)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from drift.aws.addresses import Cell, IPAddress, IPNetwork, cells
from drift.aws.filters import Peer, acl_admits, acl_returns, groups_admit, no_groups
from drift.aws.netendpoints import Endpoint, Interface, Placement, read_endpoints
from drift.aws.netobjects import NetworkObjects, Route, RouteTable, read_objects
from drift.aws.routing import network_acl, route_table, route_to
from drift.aws.traffic import (
    DENIED,
    EVERYTHING,
    Traffic,
    Verdict,
    any_of,
    both,
    one_of,
    undecided,
)

_T = TypeVar("_T")


@dataclass(frozen=True, kw_only=True)
class Network:
    """A read snapshot: its network objects, endpoints by id, what could not be read, and
    every CIDR a rule tests (where address ranges are cut, see `drift.aws.addresses`)."""

    objects: NetworkObjects
    endpoints: Mapping[str, Endpoint]
    problems: tuple[str, ...]
    boundaries: tuple[IPNetwork, ...]

    def endpoint(self, endpoint_id: str) -> Endpoint:
        try:
            return self.endpoints[endpoint_id]
        except KeyError:
            raise KeyError(f"no endpoint {endpoint_id!r} in the snapshot") from None


def read_network(doc: Mapping[str, Any]) -> Network:
    """Read an EC2 snapshot; what cannot be read is listed in `problems` and answered as
    unknown where it matters."""
    problems: list[str] = []
    objects = read_objects(doc, problems)
    endpoints = read_endpoints(doc, objects)
    return Network(
        objects=objects,
        endpoints={e.id: e for e in endpoints},
        problems=tuple(problems),
        boundaries=_boundaries(objects),
    )


def _boundaries(objects: NetworkObjects) -> tuple[IPNetwork, ...]:
    found: set[IPNetwork] = set()
    for group in (objects.groups or {}).values():
        found.update(r.cidr for r in (*group.ingress, *group.egress) if r.cidr)
    for acl in objects.acls or ():
        found.update(e.cidr for e in (*acl.inbound, *acl.outbound) if e.cidr)
    for table in objects.route_tables or ():
        found.update(r.destination for r in table.routes if r.destination)
    for entries in objects.prefix_lists.values():
        found.update(entries)
    for vpc in objects.vpcs.values():
        found.update(vpc.cidrs)
    for subnet in objects.subnets.values():
        found.update(subnet.cidrs)
    for peering in objects.peerings.values():
        found.update(c for side in peering.cidrs for c in side)
    return tuple(sorted(found, key=lambda n: (n.version, n)))


# --- the filters at one end of a flow -------------------------------------------------------

PeerAt = Callable[[Cell], Peer]  # the other end, as the filters here see it, at one address
Judge = Callable[[Route], Verdict]
Accept = Callable[[RouteTable], Judge]


def filters_at(
    network: Network,
    here: Interface,
    at: Placement,
    peer: PeerAt,
    *,
    outbound: bool,
    acls: bool = True,
    accept: Accept | None = None,
) -> Callable[[Cell], Verdict]:
    """What the filters of one end let through for a peer address: its security groups
    (egress when `outbound`), its subnet's network ACL both ways (request and reply) when
    `acls`, and its route table's route to the peer when `accept` judges routes."""
    objects = network.objects
    acl = _where(at, network_acl(objects, at.subnet_id)) if acls else None
    table = _where(at, route_table(objects, at.subnet_id)) if accept else None
    if isinstance(table, str):
        table = f"{here.id}: {table}"

    def check(cell: Cell) -> Verdict:
        parts = [groups_admit(objects, here, peer(cell), egress=outbound)]
        if isinstance(acl, str):
            parts.append(undecided(EVERYTHING, f"{here.id}: {acl}"))
        elif acl is not None:
            forward, back = (acl.outbound, acl.inbound) if outbound else (acl.inbound, acl.outbound)
            parts += [acl_admits(forward, cell.first), acl_returns(back, acl.id, cell.first)]
        if accept is not None and table is not None:
            judge = accept(table) if not isinstance(table, str) else no_route
            parts.append(route_to(objects, table, cell.first, judge))
        return both(*parts)

    return check


def _where(at: Placement, found: _T | str) -> _T | str:
    """What governs a placement, or why it is not known."""
    return at.unknown if at.subnet_id is None else found


def no_route(_: Route) -> Verdict:
    return DENIED


def somewhere(
    network: Network, addresses: Iterable[IPNetwork], check: Callable[[Cell], Verdict]
) -> Verdict:
    """One host with one address per family, somewhere in `addresses` (which address is not
    known): a flow may take either family it has."""
    addresses = list(addresses)
    by_family = [
        uncertain(
            one_of(check(c) for c in cells(family, network.boundaries)),
            f"it depends on where in {', '.join(map(str, family))} its address is",
        )
        for version in (4, 6)
        if (family := [a for a in addresses if a.version == version])
    ]
    if not by_family:
        return undecided(EVERYTHING, "where its address is, is not in the snapshot")
    return any_of(by_family)


def placed(verdicts: Sequence[Verdict], placements: Sequence[Placement]) -> Verdict:
    """One thing in one of `placements` (a database in one of its subnets)."""
    if len(verdicts) < 2:
        return one_of(verdicts)
    subnets = ", ".join(dict.fromkeys(p.subnet_id or "an unknown subnet" for p in placements))
    return uncertain(one_of(verdicts), f"it depends on which of {subnets} it is in")


def uncertain(verdict: Verdict, why: str) -> Verdict:
    """`verdict`, with `why` for the undecided traffic no other reason explains (places that
    disagree leave traffic undecided without one)."""
    explained = Traffic()
    for _, traffic in verdict.reasons:
        explained |= traffic
    bare = verdict.maybe - explained
    if not bare:
        return verdict
    return Verdict(verdict.yes, verdict.maybe, verdict.evidence, (*verdict.reasons, (why, bare)))


def population(
    network: Network,
    ranges: Sequence[IPNetwork],
    check: Callable[[Cell], Verdict],
    keep: Callable[[Cell], bool] = lambda _c: True,
) -> tuple[Verdict, tuple[str, ...]]:
    """Every host of `ranges` (those `keep` keeps): what one of them reaches, and which of
    them reach (the ranges themselves when all do)."""
    found = [(c, check(c)) for c in cells(ranges, network.boundaries) if keep(c)]
    reaching = [c for c, v in found if v.possible]
    if reaching and len(reaching) == len(found):
        sources = tuple(str(r) for r in ranges if any(c.first in r for c in reaching))
    else:
        collapsed = ipaddress.collapse_addresses(
            n for c in reaching for n in c.cidrs if n.version == 4
        )
        collapsed6 = ipaddress.collapse_addresses(
            n for c in reaching for n in c.cidrs if n.version == 6
        )
        sources = tuple(map(str, [*collapsed, *collapsed6]))
    return any_of(v for _, v in found), sources


def as_peer(interface: Interface) -> PeerAt:
    groups = frozenset(interface.groups)
    may_carry = (lambda _g: True) if interface.reasons else no_groups
    return lambda cell: Peer(cell.first, groups, may_carry)


def range_peer(network: Network, cell: Cell) -> Peer:
    """A host of an address range may carry any group of a VPC containing its address, or a
    group the snapshot lacks (whose VPC is not known)."""
    groups = network.objects.groups or {}

    def may_carry(group_id: str) -> bool:
        group = groups.get(group_id)
        vpc = network.objects.vpcs.get(group.vpc_id or "") if group else None
        return vpc is None or any(inside(cell.first, c) for c in vpc.cidrs)

    return Peer(cell.first, frozenset(), may_carry)


def inside(address: IPAddress, network: IPNetwork) -> bool:
    return address.version == network.version and address in network
