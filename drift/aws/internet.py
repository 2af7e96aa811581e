"""What the internet reaches in an EC2 snapshot (see `drift.aws.network`)."""

from __future__ import annotations

import ipaddress

from drift.aws.addresses import EVERY_V4, EVERY_V6, IPNetwork
from drift.aws.filters import Peer
from drift.aws.netendpoints import Endpoint, Interface, Placement
from drift.aws.netobjects import RouteTable
from drift.aws.netread import is_placeholder
from drift.aws.netresults import Exposure
from drift.aws.paths import Judge, Network, filters_at, inside, placed, population
from drift.aws.routing import to_internet
from drift.aws.traffic import EVERYTHING, Verdict, allows, any_of, both, undecided
from drift.model import Evidence, ExposureScope


def internet_exposures(network: Network) -> tuple[Exposure, ...]:
    """Every endpoint the internet reaches or may reach, and every internal load balancer."""
    found = (internet_exposure(network, endpoint_id) for endpoint_id in sorted(network.endpoints))
    return tuple(e for e in found if e is not None)


def internet_exposure(network: Network, target_id: str) -> Exposure | None:
    """How the internet reaches one endpoint; None when it decidedly does not (no public
    address, nothing admitted, no route back to the client)."""
    target = network.endpoint(target_id)
    if target.kind == "load-balancer" and target.scheme == "internal":
        return _internal(target)
    verdicts, sources = [], []
    for interface in target.interfaces:
        for family, address in _public_addresses(target, interface):
            results = [
                _clients(network, target, interface, p, family, address)
                for p in interface.placements
            ]
            verdicts.append(placed([v for v, _ in results], interface.placements))
            sources += [x for _, found in results for x in found]
    verdict = any_of(verdicts)
    if not verdict.possible:
        return None
    return Exposure(
        target_id=target.id,
        kind=target.kind,
        name=target.name,
        scope=ExposureScope.PUBLIC if verdict.yes else ExposureScope.UNKNOWN,
        ports=verdict.yes.ports,
        unknown=verdict.maybe.ports,
        protocols=verdict.yes.protocols,
        unknown_protocols=verdict.maybe.protocols,
        sources=tuple(dict.fromkeys(sources)),
        evidence=tuple(e for e, _ in verdict.evidence),
        reasons=tuple(r for r, _ in verdict.reasons),
    )


def _clients(
    network: Network,
    target: Endpoint,
    interface: Interface,
    placement: Placement,
    family: IPNetwork,
    address: Verdict,
) -> tuple[Verdict, tuple[str, ...]]:
    """What internet clients of one address family reach at one place of an interface."""

    def accept(table: RouteTable) -> Judge:
        return to_internet(network.objects, table)

    end = filters_at(
        network, interface, placement, lambda c: Peer(c.first), outbound=False, accept=accept
    )
    own = network.objects.vpcs.get(target.vpc_id or "")
    own_ranges = own.cidrs if own else ()
    return population(
        network,
        [family],
        lambda c: both(address, end(c), target.listens),
        keep=lambda c: c.internet and not any(inside(c.first, r) for r in own_ranges),
    )


def _public_addresses(target: Endpoint, interface: Interface) -> list[tuple[IPNetwork, Verdict]]:
    """The address families the internet may reach an interface by, each with what gives it
    a public address there."""
    if target.kind == "db-instance":
        return _database_address(target)
    if target.kind == "load-balancer":
        if target.scheme == "internet-facing":
            return [
                (EVERY_V4, allows(EVERYTHING, Evidence(text=f"{target.name} is internet-facing")))
            ]
        why = f"{target.name}: its scheme (internet-facing or internal) is not in the snapshot"
        return [(EVERY_V4, undecided(EVERYTHING, why))]
    found: list[tuple[IPNetwork, Verdict]] = []
    if interface.public_v4:
        listed = ", ".join(interface.public_v4)
        if any(is_placeholder(a) for a in interface.public_v4):
            why = f"{interface.id}: its public IPv4 address {listed} is not known"
            found.append((EVERY_V4, undecided(EVERYTHING, why)))
        else:
            text = f"{interface.id} has public IPv4 address {listed}"
            found.append((EVERY_V4, allows(EVERYTHING, Evidence(text=text))))
    routed = [a for a in interface.ipv6 if _global_v6(a)]
    if routed:
        text = f"{interface.id} has IPv6 address {', '.join(routed)}"
        found.append((EVERY_V6, allows(EVERYTHING, Evidence(text=text))))
    return found


def _database_address(target: Endpoint) -> list[tuple[IPNetwork, Verdict]]:
    if target.publicly_accessible is None:
        why = f"{target.name}: whether it is PubliclyAccessible is not in the snapshot"
        return [(EVERY_V4, undecided(EVERYTHING, why))]
    if not target.publicly_accessible:
        return []
    text = f"{target.name} is PubliclyAccessible (its endpoint resolves to a public address)"
    return [(EVERY_V4, allows(EVERYTHING, Evidence(text=text)))]


def _global_v6(text: str) -> bool:
    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return address.is_global


def _internal(target: Endpoint) -> Exposure:
    """An internal load balancer publishes its listeners inside its VPC (and what routes to
    it); how far is the business of the VPC's routes, not of the internet."""
    return Exposure(
        target_id=target.id,
        kind=target.kind,
        name=target.name,
        scope=ExposureScope.INTERNAL,
        ports=target.listens.yes.ports,
        unknown=target.listens.maybe.ports,
        evidence=(
            Evidence(text=f"{target.name} is internal"),
            *(e for e, _ in target.listens.evidence),
        ),
        reasons=tuple(r for r, _ in target.listens.reasons),
    )
