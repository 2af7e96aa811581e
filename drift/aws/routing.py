"""Which route table and network ACL govern a subnet, and where its routes send an address.

A subnet uses the route table explicitly associated with it, else its VPC's main table; and
the network ACL associated with it, else its VPC's default ACL. A route table sends a packet
by the most specific route containing its destination (a VPC's `local` routes always exist);
a blackhole route, or no route, drops it.
"""

from __future__ import annotations

from collections.abc import Callable

from drift.aws.addresses import IPAddress
from drift.aws.netobjects import NetworkAcl, NetworkObjects, Route, RouteTable
from drift.aws.traffic import DENIED, EVERYTHING, Verdict, allows, undecided
from drift.model import Evidence

# Targets that may be appliances forwarding traffic on (a Gateway Load Balancer or Network
# Firewall endpoint, an instance or its interface): where they send it is not modelled.
_APPLIANCES = ("vpce-", "eni-", "i-")


def route_table(objects: NetworkObjects, subnet_id: str | None) -> RouteTable | str:
    if subnet_id is None:
        return "which subnet it is in is not in the snapshot"
    if objects.route_tables is None:
        return "the snapshot has no route tables"
    tables = objects.route_tables
    explicit = [t for t in tables if subnet_id in t.subnet_ids]
    if explicit:
        return explicit[0]
    subnet = objects.subnets.get(subnet_id)
    main = [t for t in tables if t.main and subnet is not None and t.vpc_id == subnet.vpc_id]
    if main:
        return main[0]
    return f"the route table of {subnet_id} is not in the snapshot (no association, no main table)"


def network_acl(objects: NetworkObjects, subnet_id: str | None) -> NetworkAcl | str:
    if subnet_id is None:
        return "which subnet it is in is not in the snapshot"
    if objects.acls is None:
        return "the snapshot has no network ACLs"
    explicit = [a for a in objects.acls if subnet_id in a.subnet_ids]
    if explicit:
        return explicit[0]
    subnet = objects.subnets.get(subnet_id)
    default = [a for a in objects.acls if a.default and subnet and a.vpc_id == subnet.vpc_id]
    if default:
        return default[0]
    return f"the network ACL of {subnet_id} is not in the snapshot (no association, no default)"


def route_to(
    objects: NetworkObjects,
    table: RouteTable | str,
    address: IPAddress,
    accept: Callable[[Route], Verdict],
) -> Verdict:
    """Where `table` sends packets for `address`, judged by `accept`."""
    if isinstance(table, str):
        return undecided(EVERYTHING, table)
    routes = list(table.routes) + _implicit_local(objects, table)
    unresolved = [
        r.prefix_list
        for r in routes
        if r.destination is None and r.prefix_list and r.prefix_list not in objects.prefix_lists
    ]
    if unresolved:
        why = f"RouteTable {table.id} routes to prefix lists whose entries are not in the snapshot"
        return undecided(EVERYTHING, f"{why}: {', '.join(sorted(set(unresolved)))}")
    best = _most_specific(objects, routes, address)
    if best is None or not best.active:
        return DENIED
    return accept(best)


def _implicit_local(objects: NetworkObjects, table: RouteTable) -> list[Route]:
    vpc = objects.vpcs.get(table.vpc_id or "")
    listed = {r.destination for r in table.routes if r.target == "local"}
    return [
        Route(destination=c, prefix_list=None, target="local", active=True)
        for c in (vpc.cidrs if vpc else ())
        if c not in listed
    ]


def _most_specific(
    objects: NetworkObjects, routes: list[Route], address: IPAddress
) -> Route | None:
    """The longest prefix containing `address`; a CIDR route wins over a prefix-list route of
    the same length."""
    candidates: list[tuple[int, int, Route]] = []
    for route in routes:
        if route.destination is not None:
            networks, rank = [route.destination], 1
        else:
            networks, rank = list(objects.prefix_lists.get(route.prefix_list or "", ())), 0
        candidates.extend(
            (n.prefixlen, rank, route)
            for n in networks
            if n.version == address.version and address in n
        )
    return max(candidates, key=lambda c: (c[0], c[1]))[2] if candidates else None


def route_evidence(table: RouteTable, route: Route) -> Evidence:
    name = f" ({table.name})" if table.name else ""
    return Evidence(text=f"RouteTable {table.id}{name} route {route.describe()}")


def to_internet(objects: NetworkObjects, table: RouteTable) -> Callable[[Route], Verdict]:
    """Replies to an internet client must leave through an internet gateway attached to the
    VPC: through anything else (a NAT gateway, a transit gateway, a peering) they no longer
    come from the public address the client reached, and are lost."""

    def accept(route: Route) -> Verdict:
        if route.target.startswith("igw-"):
            attached = objects.gateways is None or table.vpc_id in objects.gateways.get(
                route.target, frozenset()
            )
            return allows(EVERYTHING, route_evidence(table, route)) if attached else DENIED
        if route.target.startswith(_APPLIANCES):
            return undecided(
                EVERYTHING,
                f"{route_evidence(table, route).text}: an appliance, which may forward replies "
                "to the internet gateway",
            )
        return DENIED

    return accept


def to_vpc(table: RouteTable, peerings: set[str]) -> Callable[[Route], Verdict]:
    """Packets to another VPC's address must take the peering connection between them (or,
    within a VPC, the local route)."""

    def accept(route: Route) -> Verdict:
        if route.target == "local" and not peerings:
            return allows(EVERYTHING)
        if route.target in peerings:
            return allows(EVERYTHING, route_evidence(table, route))
        if route.target.startswith((*_APPLIANCES, "tgw-")):
            return undecided(
                EVERYTHING, f"{route_evidence(table, route).text}: where it leads is not modelled"
            )
        return DENIED

    return accept
