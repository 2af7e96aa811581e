"""AWS network reachability and exposure: what reaches an EC2 instance, network interface,
RDS instance or load balancer, on which ports, and why — pure, over an EC2 snapshot.

Input: one mapping in EC2 `Describe*` response shapes (`drift.aws.netobjects` and
`drift.aws.netendpoints` list the keys). A key the snapshot lacks means "not collected":
whatever depends on it is **unknown**, never allowed and never denied.

What it answers:
- `groups_reach`: what security groups alone let an address range or an endpoint open to a
  target (target ingress; for an endpoint source, its egress too);
- `reach`: the whole path from one endpoint to another: both security groups, both subnets'
  network ACLs (not within one subnet), the route tables both ways (local, or a peering);
- `internet_exposures`: what the internet reaches: a public address (an instance's, a
  publicly accessible database's, an internet-facing load balancer's nodes), a route for the
  client through an internet gateway attached to the VPC, network ACLs that let the request
  in and the reply out, and security groups that admit the client; a database only on its
  port, a load balancer only on its listeners. An internal load balancer is `internal`.
  Internet clients are the addresses outside private ranges (as `drift.k8s.services` counts
  them) and outside the VPC's own ranges (replies to those stay in the VPC); a source range
  such as one /32 still makes the scope public, with `sources` saying which;
- `peering_reaches`: what the hosts of a peered VPC reach, over routes to the peering.

Each answer is a `PortSet` of certain ports, a `PortSet` of `unknown` ones with `reasons`,
and `evidence` naming each object that lets the traffic through (`SecurityGroup sg-… (name)
ingress tcp 22 from 0.0.0.0/0`). IP protocols without ports (ICMP…) are in `protocols`.

Ids: `aws:<arn>`. Instances and interfaces: `aws:arn:<partition>:ec2:<region>:<account>:
instance/<id>` (`network-interface/<id>`), the account from the instance's `OwnerId`, else its
subnet's, else the one account all VPCs name; the region from its zone, else its subnet's,
else the one region of all subnets. Databases: `DBInstanceArn`, else built alike
(`rds:<region>:<account>:db:<identifier>`). Load balancers: `LoadBalancerArn`. Without region
or account: `aws:ec2:instance/<id>`, `aws:rds:db/<identifier>`. An address range is named by
its CIDRs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from drift.aws.addresses import Cell, IPNetwork, parse_cidr
from drift.aws.filters import acl_admits, acl_returns, groups_admit
from drift.aws.internet import internet_exposure, internet_exposures
from drift.aws.netendpoints import Endpoint, Interface, Placement
from drift.aws.netobjects import RouteTable
from drift.aws.netresults import Exposure, Reach, as_reach
from drift.aws.paths import (
    Accept,
    Judge,
    Network,
    as_peer,
    filters_at,
    inside,
    no_route,
    placed,
    population,
    range_peer,
    read_network,
    somewhere,
)
from drift.aws.routing import network_acl, route_table, route_to, to_vpc
from drift.aws.traffic import DENIED, EVERYTHING, Verdict, any_of, both, undecided

__all__ = [
    "Exposure",
    "Network",
    "Reach",
    "groups_reach",
    "internet_exposure",
    "internet_exposures",
    "peering_reaches",
    "reach",
    "read_network",
]


# --- security groups alone -----------------------------------------------------------------


def groups_reach(network: Network, target_id: str, source: str | Sequence[str]) -> Reach:
    """What security groups alone let `source` open to the target: an endpoint id (its
    egress and the target's ingress, matched by addresses and by the groups each carries), or
    CIDRs (the target's ingress, for some address of the ranges). Routes and network ACLs are
    not consulted: `reach` and `internet_exposure` add them."""
    target = network.endpoint(target_id)
    if isinstance(source, str) and source in network.endpoints:
        origin = network.endpoint(source)
        verdict = any_of(
            placed(
                [_groups_pair(network, s, ps, t, pt) for ps in s.placements for pt in t.placements],
                [*s.placements, *t.placements],
            )
            for s in origin.interfaces
            for t in target.interfaces
        )
        return as_reach(source, target.id, both(verdict, target.listens))
    ranges = _ranges([source] if isinstance(source, str) else source)

    def check(interface: Interface) -> Callable[[Cell], Verdict]:
        return lambda c: both(
            groups_admit(network.objects, interface, range_peer(network, c), egress=False),
            target.listens,
        )

    results = [population(network, ranges, check(i)) for i in target.interfaces]
    sources = tuple(dict.fromkeys(x for _, found in results for x in found))
    verdict = any_of(v for v, _ in results)
    return as_reach(", ".join(map(str, ranges)), target.id, verdict, sources=sources)


def _groups_pair(
    network: Network, s: Interface, ps: Placement, t: Interface, pt: Placement
) -> Verdict:
    inbound = filters_at(network, t, pt, as_peer(s), outbound=False, acls=False)
    outbound = filters_at(network, s, ps, as_peer(t), outbound=True, acls=False)
    return both(
        somewhere(network, ps.addresses, inbound), somewhere(network, pt.addresses, outbound)
    )


def _ranges(texts: Iterable[str]) -> list[IPNetwork]:
    out = []
    for text in texts:
        network = parse_cidr(text)
        if network is None:
            raise ValueError(f"{text!r} is neither an endpoint id nor a CIDR")
        out.append(network)
    return out


# --- endpoint to endpoint ------------------------------------------------------------------


def reach(network: Network, source_id: str, target_id: str) -> Reach:
    """What one endpoint may open to another over the whole path: the source's egress and the
    target's ingress security groups, both subnets' network ACLs (requests and replies; not
    between two interfaces of one subnet), and both route tables (the local route within a
    VPC, an active peering connection between two). The interfaces of either end are a
    population (some pair reaches); a place the snapshot does not pin down is uncertain."""
    origin, target = network.endpoint(source_id), network.endpoint(target_id)
    peerings = _peerings_between(network, origin.vpc_id, target.vpc_id)
    if peerings is None:
        return as_reach(source_id, target.id, DENIED)
    verdict = any_of(
        placed(
            [_pair(network, s, ps, t, pt, peerings) for ps in s.placements for pt in t.placements],
            [*s.placements, *t.placements],
        )
        for s in origin.interfaces
        for t in target.interfaces
    )
    via = ", ".join(f"VPC peering {p}" for p in sorted(peerings))
    return as_reach(source_id, target.id, both(verdict, target.listens), via=via)


def _pair(
    network: Network,
    s: Interface,
    ps: Placement,
    t: Interface,
    pt: Placement,
    peerings: set[str],
) -> Verdict:
    acls = ps.subnet_id is None or ps.subnet_id != pt.subnet_id

    def accept(table: RouteTable) -> Judge:
        return to_vpc(table, peerings)

    inbound = filters_at(network, t, pt, as_peer(s), outbound=False, acls=acls, accept=accept)
    outbound = filters_at(network, s, ps, as_peer(t), outbound=True, acls=acls, accept=accept)
    return both(
        somewhere(network, ps.addresses, inbound), somewhere(network, pt.addresses, outbound)
    )


def _peerings_between(network: Network, a: str | None, b: str | None) -> set[str] | None:
    """The active peering connections joining two VPCs (none needed within one VPC); None
    when nothing joins them."""
    if a is not None and a == b:
        return set()
    joined = {p.id for p in network.objects.peerings.values() if p.active and set(p.vpcs) == {a, b}}
    return joined or None


# --- VPC peering ---------------------------------------------------------------------------


def peering_reaches(network: Network) -> tuple[Reach, ...]:
    """What the hosts of each VPC reach in the VPC peered with it, over active peering
    connections: the peer VPC's ranges are the source, the routes both ways must take the
    connection, and the target's groups and network ACL must let them in. The hosts' own
    security groups are not known for a range (reach from one instance is `reach`)."""
    found = []
    for peering in sorted(network.objects.peerings.values(), key=lambda p: p.id):
        if not peering.active:
            continue
        for side, other in ((0, 1), (1, 0)):
            source_vpc, ranges = peering.vpcs[side], peering.cidrs[side]
            for target in network.endpoints.values():
                if target.vpc_id == peering.vpcs[other] and ranges:
                    one = _peer_reach(network, peering.id, source_vpc, ranges, target)
                    if one is not None:
                        found.append(one)
    return tuple(found)


def _peer_reach(
    network: Network,
    peering: str,
    source_vpc: str | None,
    ranges: Sequence[IPNetwork],
    target: Endpoint,
) -> Reach | None:
    def accept(table: RouteTable) -> Judge:
        return to_vpc(table, {peering})

    verdicts, sources = [], []
    for interface in target.interfaces:
        results = []
        for placement in interface.placements:
            end = filters_at(
                network,
                interface,
                placement,
                lambda c: range_peer(network, c),
                outbound=False,
                accept=accept,
            )
            home = _source_subnet(network, source_vpc, placement, accept)
            results.append(population(network, ranges, _joined(end, home, target.listens)))
        verdicts.append(placed([v for v, _ in results], interface.placements))
        sources += [x for _, found in results for x in found]
    verdict = any_of(verdicts)
    if not verdict.possible:
        return None
    return as_reach(
        ", ".join(map(str, ranges)),
        target.id,
        verdict,
        sources=tuple(dict.fromkeys(sources)),
        via=f"VPC peering {peering}",
    )


def _source_subnet(
    network: Network,
    vpc_id: str | None,
    target: Placement,
    accept: Accept,
) -> Callable[[Cell], Verdict]:
    """For a host of the peer VPC: its subnet's route to the target and network ACL (out, and
    replies back in), wherever in its subnet the target's address is."""
    subnets = [s for s in network.objects.subnets.values() if s.vpc_id == vpc_id]
    objects = network.objects

    def check(cell: Cell) -> Verdict:
        home = next((s for s in subnets if any(inside(cell.first, c) for c in s.cidrs)), None)
        if home is None and subnets and vpc_id in objects.vpcs:
            return DENIED  # the snapshot lists the VPC's subnets: no host has this address
        if home is None:
            return undecided(EVERYTHING, f"the subnet of {cell} in {vpc_id} is not in the snapshot")
        acl, table = network_acl(objects, home.id), route_table(objects, home.id)

        def toward(t: Cell) -> Verdict:
            judge = accept(table) if not isinstance(table, str) else no_route
            parts = [route_to(objects, table, t.first, judge)]
            if isinstance(acl, str):
                parts.append(undecided(EVERYTHING, f"{home.id}: {acl}"))
            else:
                parts += [
                    acl_admits(acl.outbound, t.first),
                    acl_returns(acl.inbound, acl.id, t.first),
                ]
            return both(*parts)

        return somewhere(network, target.addresses, toward)

    return check


def _joined(
    a: Callable[[Cell], Verdict], b: Callable[[Cell], Verdict], listens: Verdict
) -> Callable[[Cell], Verdict]:
    return lambda cell: both(a(cell), b(cell), listens)
