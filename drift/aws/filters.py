"""Security groups and network ACLs, as AWS evaluates them, for one peer address.

Security groups are stateful and allow-only: traffic passes when any rule of any group on the
interface admits it, and replies pass on their own. A rule names a CIDR, a prefix list, or a
security group; a group rule admits traffic from (to) interfaces carrying that group, by their
private addresses. Network ACLs are stateless: numbered rules in order, the first rule that
matches the packet decides, and the `*` rule denies what none matched. Replies cross them as
packets of their own, to the client's ephemeral port.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from drift.aws.addresses import IPAddress, IPNetwork
from drift.aws.netendpoints import Interface
from drift.aws.netobjects import NaclEntry, NetworkObjects, SgRule
from drift.aws.traffic import (
    EVERYTHING,
    OTHER_PROTOCOLS,
    PORT_PROTOCOLS,
    SCTP,
    TCP,
    UDP,
    Traffic,
    Verdict,
    allows,
    any_of,
    protocol_traffic,
    undecided,
)
from drift.model import Evidence
from drift.ports import PortSet


def no_groups(_: str) -> bool:
    return False


@dataclass(frozen=True)
class Peer:
    """The other end of a flow: one address, the security groups it certainly carries, and
    whether it may carry others (hosts of an address range may carry any group of their VPC)."""

    address: IPAddress
    groups: frozenset[str] = frozenset()
    may_carry: Callable[[str], bool] = no_groups


# --- security groups -----------------------------------------------------------------------


def groups_admit(
    objects: NetworkObjects, interface: Interface, peer: Peer, *, egress: bool
) -> Verdict:
    """What the interface's security groups let in from `peer` (out to it, with `egress`)."""
    if not interface.filtered:
        text = f"{interface.id} has no security groups, which would filter its traffic"
        return allows(EVERYTHING, Evidence(text=text))
    found = [undecided(EVERYTHING, r) for r in interface.reasons]
    for group_id in interface.groups:
        group = (objects.groups or {}).get(group_id)
        if group is None:
            found.append(undecided(EVERYTHING, f"SecurityGroup {group_id} is not in the snapshot"))
            continue
        rules = group.egress if egress else group.ingress
        found.extend(_rule(rule, peer, objects.prefix_lists) for rule in rules)
    return any_of(found)


def _rule(rule: SgRule, peer: Peer, prefix_lists: Mapping[str, tuple[IPNetwork, ...]]) -> Verdict:
    if rule.cidr is not None:
        matched = _contains((rule.cidr,), peer.address)
        return allows(rule.traffic, rule.evidence) if matched else Verdict()
    if rule.peer_group is not None:
        if rule.peer_group in peer.groups:
            return allows(rule.traffic, rule.evidence)
        if peer.may_carry(rule.peer_group):
            why = f"{rule.evidence.text}: whether the source carries {rule.peer_group} is unknown"
            return Verdict(
                maybe=rule.traffic,
                evidence=((rule.evidence, rule.traffic),),
                reasons=((why, rule.traffic),),
            )
        return Verdict()
    if rule.prefix_list is not None and rule.prefix_list in prefix_lists:
        if _contains(prefix_lists[rule.prefix_list], peer.address):
            return allows(rule.traffic, rule.evidence)
        return Verdict()
    why = f"{rule.evidence.text}: the entries of {rule.prefix_list} are not in the snapshot"
    if rule.unreadable:
        why = f"{rule.evidence.text}: cannot be read"
    return Verdict(maybe=rule.traffic, reasons=((why, rule.traffic),))


def _contains(networks: Iterable[IPNetwork], address: IPAddress) -> bool:
    return any(n.version == address.version and address in n for n in networks)


# --- network ACLs --------------------------------------------------------------------------


def acl_admits(entries: Iterable[NaclEntry], address: IPAddress) -> Verdict:
    """What one direction of a network ACL lets through to or from `address`: the first
    matching rule decides each packet; the `*` rule denies the rest. ICMP message types are
    not modelled: a rule for some types lets "some" of that protocol through, and after a
    deny of some types, a later rule for some types may be about the same ones."""
    remaining, clouded = EVERYTHING, set[int]()
    found: list[Verdict] = []
    for entry in entries:
        if entry.unreadable:
            hit = remaining & entry.traffic
            found.append(undecided(hit, f"{entry.evidence.text}: cannot be read"))
            remaining -= hit
        elif entry.cidr is not None and _contains((entry.cidr,), address):
            if entry.partial:
                found.extend(_partial(entry, remaining, clouded))
                continue
            hit = remaining & entry.traffic
            if entry.allow and hit:
                found.append(allows(hit, entry.evidence))
            remaining -= hit
    return any_of(found)


def _partial(entry: NaclEntry, remaining: Traffic, clouded: set[int]) -> list[Verdict]:
    live = Traffic(protocols=entry.partial & remaining.protocols)
    if not entry.allow:
        clouded.update(live.protocols)
        return []
    if live.protocols & clouded:
        why = f"{entry.evidence.text}: ICMP message types are not modelled (an earlier rule "
        return [undecided(live, why + "denies some types)")]
    return [allows(live, entry.evidence)] if live else []


_EPHEMERAL = (1024, 65535)


def acl_returns(entries: Iterable[NaclEntry], acl: str, client: IPAddress) -> Verdict:
    """Whether replies to the client pass the other direction of a network ACL, for each kind
    of request traffic. TCP and UDP replies go to the client's ephemeral port, which the
    snapshot does not show: they pass when the ACL lets the whole range 1024-65535 through to
    the client, cannot pass when it lets no port of that protocol through, and are unknown in
    between (the client's operating system picks the port). Other protocols' replies pass when
    the ACL lets that protocol through."""
    out = acl_admits(entries, client)
    found = [out.narrowed(Traffic(protocols=OTHER_PROTOCOLS))]
    for number in (TCP, UDP, SCTP):
        protocol = PORT_PROTOCOLS[number]
        every = Traffic(PortSet.every((protocol,)))
        needed = protocol_traffic(number, *_EPHEMERAL) if number != SCTP else every
        # The rules letting replies out vouch for every request of the protocol.
        evidence = tuple((e, every) for e, _ in out.narrowed(needed).evidence)
        if (needed - out.yes).ports.is_empty():
            found.append(Verdict(yes=every, evidence=evidence))
        elif (out.possible & every).ports:
            why = (
                f"NetworkAcl {acl} lets replies to {client} through on only some of the "
                f"ephemeral ports {protocol} 1024-65535: it depends on the client's port"
            )
            reasons = ((why, every), *((r, every) for r, _ in out.narrowed(every).reasons))
            found.append(Verdict(maybe=every, evidence=evidence, reasons=reasons))
    return any_of(found)
