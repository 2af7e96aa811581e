"""The network objects of an EC2 snapshot, read from `Describe*` response shapes.

Input keys (each optional; a missing key means "not collected", never "none exist"): `Vpcs`,
`Subnets`, `SecurityGroups`, `NetworkAcls`, `RouteTables`, `InternetGateways`,
`VpcPeeringConnections`, `ManagedPrefixLists` (each optionally with the `Entries` that
`GetManagedPrefixListEntries` returns). Endpoints (instances, interfaces, databases, load
balancers) are read by `drift.aws.netendpoints`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drift.aws.addresses import IPNetwork, parse_cidr
from drift.aws.netread import (
    int_of,
    is_placeholder,
    mapping_of,
    mappings_of,
    name_tag,
    protocol_of,
    text_of,
)
from drift.aws.traffic import ICMP, ICMPV6, TCP, UDP, Traffic, protocol_traffic
from drift.model import Evidence


@dataclass(frozen=True, kw_only=True)
class Vpc:
    id: str
    cidrs: tuple[IPNetwork, ...]
    owner: str | None = None


@dataclass(frozen=True, kw_only=True)
class Subnet:
    id: str
    vpc_id: str | None
    cidrs: tuple[IPNetwork, ...]
    zone: str | None = None
    owner: str | None = None


@dataclass(frozen=True, kw_only=True)
class SgRule:
    """One source (ingress) or destination (egress) of one security-group permission.
    Exactly one of `cidr`, `group`, `prefix_list` is set, or none when it is `unreadable`."""

    group: str  # the rule's own group, for evidence: `sg-… (name)`
    egress: bool
    traffic: Traffic
    label: str  # `tcp 22`, `all traffic`, `icmp type 8 code -1`
    cidr: IPNetwork | None = None
    peer_group: str | None = None
    prefix_list: str | None = None
    unreadable: str | None = None  # why the rule cannot be read

    @property
    def evidence(self) -> Evidence:
        peer = self.cidr or self.peer_group or self.prefix_list or self.unreadable
        direction = "egress" if self.egress else "ingress"
        return Evidence(
            text=f"SecurityGroup {self.group} {direction} {self.label} "
            f"{'to' if self.egress else 'from'} {peer}"
        )


@dataclass(frozen=True, kw_only=True)
class SecurityGroup:
    id: str
    name: str
    vpc_id: str | None
    ingress: tuple[SgRule, ...]
    egress: tuple[SgRule, ...]


@dataclass(frozen=True, kw_only=True)
class NaclEntry:
    """One numbered network-ACL rule. `partial` holds ICMP protocols it matches only for some
    message types (types are not modelled); `unreadable` says why the rule cannot be read."""

    acl: str
    number: int
    allow: bool
    egress: bool
    cidr: IPNetwork | None
    traffic: Traffic
    label: str
    partial: frozenset[int] = frozenset()
    unreadable: str | None = None

    @property
    def evidence(self) -> Evidence:
        way = "outbound" if self.egress else "inbound"
        action = "allow" if self.allow else "deny"
        peer = self.cidr or self.unreadable
        return Evidence(
            text=f"NetworkAcl {self.acl} {way} rule {self.number} {action} "
            f"{self.label} {'to' if self.egress else 'from'} {peer}"
        )


@dataclass(frozen=True, kw_only=True)
class NetworkAcl:
    id: str
    vpc_id: str | None
    default: bool
    inbound: tuple[NaclEntry, ...]  # by rule number
    outbound: tuple[NaclEntry, ...]
    subnet_ids: frozenset[str]


@dataclass(frozen=True, kw_only=True)
class Route:
    destination: IPNetwork | None
    prefix_list: str | None
    target: str  # igw-…, local, pcx-…, nat-…, …; "" when the route names none
    active: bool

    def describe(self) -> str:
        where = self.destination or self.prefix_list
        state = "" if self.active else " (blackhole)"
        return f"{where} -> {self.target or 'nothing'}{state}"


@dataclass(frozen=True, kw_only=True)
class RouteTable:
    id: str
    name: str
    vpc_id: str | None
    routes: tuple[Route, ...]
    subnet_ids: frozenset[str]
    main: bool


@dataclass(frozen=True, kw_only=True)
class Peering:
    id: str
    active: bool
    vpcs: tuple[str | None, str | None]  # requester, accepter
    cidrs: tuple[tuple[IPNetwork, ...], tuple[IPNetwork, ...]]


@dataclass(frozen=True, kw_only=True)
class NetworkObjects:
    """The snapshot's network objects; None where the key was not collected."""

    vpcs: Mapping[str, Vpc]
    subnets: Mapping[str, Subnet]
    groups: Mapping[str, SecurityGroup] | None
    acls: tuple[NetworkAcl, ...] | None
    route_tables: tuple[RouteTable, ...] | None
    gateways: Mapping[str, frozenset[str]] | None  # igw id -> attached VPC ids
    peerings: Mapping[str, Peering]
    prefix_lists: Mapping[str, tuple[IPNetwork, ...]]  # only those whose entries were read


def read_objects(doc: Mapping[str, Any], problems: list[str]) -> NetworkObjects:
    groups = doc.get("SecurityGroups")
    acls = doc.get("NetworkAcls")
    tables = doc.get("RouteTables")
    gateways = doc.get("InternetGateways")
    return NetworkObjects(
        vpcs={v.id: v for v in map(_vpc, mappings_of(doc.get("Vpcs"))) if v},
        subnets={s.id: s for s in map(_subnet, mappings_of(doc.get("Subnets"))) if s},
        groups=None if groups is None else _groups(groups, problems),
        acls=None if acls is None else tuple(_acl(a, problems) for a in mappings_of(acls)),
        route_tables=None if tables is None else tuple(_table(t) for t in mappings_of(tables)),
        gateways=None if gateways is None else _gateways(gateways),
        peerings={p.id: p for p in map(_peering, mappings_of(doc.get("VpcPeeringConnections")))},
        prefix_lists=_prefix_lists(doc.get("ManagedPrefixLists")),
    )


def _cidrs(obj: Mapping[str, Any], v6_key: str = "Ipv6CidrBlockAssociationSet") -> list[IPNetwork]:
    raw = [obj.get("CidrBlock")]
    raw += [a.get("CidrBlock") for a in mappings_of(obj.get("CidrBlockAssociationSet"))]
    raw += [a.get("Ipv6CidrBlock") for a in mappings_of(obj.get(v6_key))]
    return list(dict.fromkeys(n for n in map(parse_cidr, raw) if n is not None))


def _vpc(obj: Mapping[str, Any]) -> Vpc | None:
    vpc_id = text_of(obj.get("VpcId"))
    return (
        Vpc(id=vpc_id, cidrs=tuple(_cidrs(obj)), owner=text_of(obj.get("OwnerId")))
        if vpc_id
        else None
    )


def _subnet(obj: Mapping[str, Any]) -> Subnet | None:
    subnet_id = text_of(obj.get("SubnetId"))
    if not subnet_id:
        return None
    return Subnet(
        id=subnet_id,
        vpc_id=text_of(obj.get("VpcId")),
        cidrs=tuple(_cidrs(obj)),
        zone=text_of(obj.get("AvailabilityZone")),
        owner=text_of(obj.get("OwnerId")),
    )


# --- security groups -----------------------------------------------------------------------


def _groups(raw: object, problems: list[str]) -> dict[str, SecurityGroup]:
    out = {}
    for obj in mappings_of(raw):
        group_id = text_of(obj.get("GroupId"))
        if not group_id:
            problems.append("SecurityGroups: a group without GroupId is left out")
            continue
        label = f"{group_id} ({obj.get('GroupName') or name_tag(obj) or 'no name'})"
        out[group_id] = SecurityGroup(
            id=group_id,
            name=text_of(obj.get("GroupName")) or "",
            vpc_id=text_of(obj.get("VpcId")),
            ingress=_sg_rules(label, obj.get("IpPermissions"), egress=False, problems=problems),
            egress=_sg_rules(label, obj.get("IpPermissionsEgress"), egress=True, problems=problems),
        )
    return out


def _sg_rules(label: str, raw: object, *, egress: bool, problems: list[str]) -> tuple[SgRule, ...]:
    rules: list[SgRule] = []
    for permission in mappings_of(raw):
        protocol = protocol_of(permission.get("IpProtocol"))
        bad = unreadable_ports(permission, ("FromPort", "ToPort"), protocol)
        # Unreadable ports: what the rule may admit is every port of its protocol.
        traffic, what = _sg_traffic(
            {"IpProtocol": permission.get("IpProtocol")} if bad else permission
        )
        base: dict[str, Any] = {"group": label, "egress": egress, "traffic": traffic, "label": what}
        if bad:
            problems.append(f"SecurityGroup {label}: {bad}")
        for key, entry in _peers(permission):
            rule = _sg_rule(base, key, entry, problems)
            if bad and not rule.unreadable:
                peer = rule.cidr or rule.peer_group or rule.prefix_list
                rule = SgRule(**base, unreadable=f"{peer} ({bad})")
            rules.append(rule)
    return tuple(rules)


def unreadable_ports(
    holder: Mapping[str, Any], keys: tuple[str, str], protocol: int | str | None
) -> str | None:
    """Why the ports written in `holder` (`keys`: first, last) cannot be read, or None: a
    value that is not a number, or for TCP and UDP a range that is none (`-1`, every port,
    aside). Such a rule is never taken as every port (allowing or denying them all)."""
    for key in keys:
        raw = holder.get(key)
        if raw is not None and int_of(raw) is None:
            return f"{key} {raw!r} is not a port"
    low, high = (int_of(holder.get(k)) for k in keys)
    if low is None or high is None or low < 0 or protocol not in (TCP, UDP):
        return None
    if not low <= high <= 65535:
        return f"{keys[0]} {low} to {keys[1]} {high} is not a port range"
    return None


_PEER_KEYS = (
    ("IpRanges", "CidrIp"),
    ("Ipv6Ranges", "CidrIpv6"),
    ("UserIdGroupPairs", "GroupId"),
    ("PrefixListIds", "PrefixListId"),
)


def _peers(permission: Mapping[str, Any]) -> list[tuple[str, object]]:
    """(field, value) of every source or destination one permission names."""
    return [
        (key, entry.get(key))
        for list_key, key in _PEER_KEYS
        for entry in mappings_of(permission.get(list_key))
    ]


def _sg_rule(base: dict[str, Any], key: str, raw: object, problems: list[str]) -> SgRule:
    if key == "GroupId":
        peer = text_of(raw)
        if peer and not is_placeholder(peer):
            return SgRule(**base, peer_group=peer)
        return SgRule(**base, unreadable=f"group {raw!r}")
    if key == "PrefixListId":
        return SgRule(**base, prefix_list=str(raw))
    cidr = parse_cidr(raw)
    if cidr is None:
        problems.append(f"SecurityGroup {base['group']}: {raw!r} is not a CIDR")
        return SgRule(**base, unreadable=f"range {raw!r}")
    return SgRule(**base, cidr=cidr)


def _sg_traffic(permission: Mapping[str, Any]) -> tuple[Traffic, str]:
    """The traffic of one permission, as security groups define it: ports only for TCP and
    UDP, ICMP type and code in FromPort and ToPort, every port for any other protocol."""
    protocol = protocol_of(permission.get("IpProtocol"))
    low, high = int_of(permission.get("FromPort")), int_of(permission.get("ToPort"))
    if isinstance(protocol, str):
        return protocol_traffic(None), f"protocol {protocol!r} (unreadable)"
    if protocol is None:
        return protocol_traffic(None), "all traffic"
    if protocol in (TCP, UDP):
        name = "tcp" if protocol == TCP else "udp"
        if low is None or high is None or low < 0:
            return protocol_traffic(protocol), f"{name} all ports"
        ports = str(low) if low == high else f"{low}-{high}"
        return protocol_traffic(protocol, low, high), f"{name} {ports}"
    if protocol in (ICMP, ICMPV6):
        name = "icmp" if protocol == ICMP else "icmpv6"
        types = "all" if low in (None, -1) else f"type {low} code {high}"
        return protocol_traffic(protocol), f"{name} {types}"
    return protocol_traffic(protocol), f"protocol {protocol}"


# --- network ACLs --------------------------------------------------------------------------


def _acl(obj: Mapping[str, Any], problems: list[str]) -> NetworkAcl:
    acl_id = text_of(obj.get("NetworkAclId")) or "acl-?"
    entries = sorted(
        (_nacl_entry(acl_id, e, problems) for e in mappings_of(obj.get("Entries"))),
        key=lambda e: e.number,
    )
    return NetworkAcl(
        id=acl_id,
        vpc_id=text_of(obj.get("VpcId")),
        default=obj.get("IsDefault") is True,
        inbound=tuple(e for e in entries if not e.egress),
        outbound=tuple(e for e in entries if e.egress),
        subnet_ids=frozenset(
            s for a in mappings_of(obj.get("Associations")) if (s := text_of(a.get("SubnetId")))
        ),
    )


def _nacl_entry(acl: str, obj: Mapping[str, Any], problems: list[str]) -> NaclEntry:
    number = int_of(obj.get("RuleNumber"))
    raw_cidr = obj.get("CidrBlock") or obj.get("Ipv6CidrBlock")
    cidr = parse_cidr(raw_cidr)
    protocol = protocol_of(obj.get("Protocol"))
    action = obj.get("RuleAction")
    readable = number is not None and action in ("allow", "deny") and cidr is not None
    bad_ports = unreadable_ports(mapping_of(obj.get("PortRange")), ("From", "To"), protocol)
    if readable and not bad_ports and not isinstance(protocol, str):
        traffic, label, partial = _nacl_match(obj, protocol)
        why = None
    else:
        fields = f"{raw_cidr!r}, {obj.get('Protocol')!r}, {action!r}"
        fields += f", {bad_ports}" if bad_ports else ""
        why = f"rule {obj.get('RuleNumber')!r} cannot be read ({fields})"
        problems.append(f"NetworkAcl {acl}: {why}")
        traffic, label, partial = protocol_traffic(None), "(unreadable)", frozenset()
    return NaclEntry(
        acl=acl,
        number=32767 if number is None else number,
        allow=action == "allow",
        egress=obj.get("Egress") is True,
        cidr=cidr,
        traffic=traffic,
        label=label,
        partial=partial,
        unreadable=why,
    )


def _nacl_match(
    obj: Mapping[str, Any], protocol: int | None
) -> tuple[Traffic, str, frozenset[int]]:
    """What one readable rule matches: ports only for TCP and UDP; an ICMP rule for some
    message types matches that protocol only in part."""
    ports = mapping_of(obj.get("PortRange"))
    low, high = int_of(ports.get("From")), int_of(ports.get("To"))
    traffic = protocol_traffic(protocol, low, high)
    if protocol in (ICMP, ICMPV6):
        icmp = mapping_of(obj.get("IcmpTypeCode"))
        kind, code = int_of(icmp.get("Type")), int_of(icmp.get("Code"))
        name = "icmp" if protocol == ICMP else "icmpv6"
        if kind not in (None, -1):
            return traffic, f"{name} type {kind} code {code}", frozenset({protocol})
        return traffic, f"{name} all", frozenset()
    return traffic, _nacl_label(protocol, low, high), frozenset()


def _nacl_label(protocol: int | None, low: int | None, high: int | None) -> str:
    if protocol is None:
        return "all traffic"
    if protocol in (TCP, UDP):
        name = "tcp" if protocol == TCP else "udp"
        if low is None or high is None:
            return f"{name} all ports"
        return f"{name} {low}" if low == high else f"{name} {low}-{high}"
    return f"protocol {protocol}"


# --- routes, gateways, peering, prefix lists -----------------------------------------------

_TARGET_KEYS = (
    "GatewayId",
    "NatGatewayId",
    "VpcPeeringConnectionId",
    "TransitGatewayId",
    "EgressOnlyInternetGatewayId",
    "LocalGatewayId",
    "CarrierGatewayId",
    "CoreNetworkArn",
    "NetworkInterfaceId",
    "InstanceId",
)


def _table(obj: Mapping[str, Any]) -> RouteTable:
    associations = mappings_of(obj.get("Associations"))
    return RouteTable(
        id=text_of(obj.get("RouteTableId")) or "rtb-?",
        name=name_tag(obj) or "",
        vpc_id=text_of(obj.get("VpcId")),
        routes=tuple(_route(r) for r in mappings_of(obj.get("Routes"))),
        subnet_ids=frozenset(s for a in associations if (s := text_of(a.get("SubnetId")))),
        main=any(a.get("Main") is True for a in associations),
    )


def _route(obj: Mapping[str, Any]) -> Route:
    destination = parse_cidr(obj.get("DestinationCidrBlock") or obj.get("DestinationIpv6CidrBlock"))
    target = next((t for k in _TARGET_KEYS if (t := text_of(obj.get(k)))), "")
    return Route(
        destination=destination,
        prefix_list=text_of(obj.get("DestinationPrefixListId")),
        target=target,
        active=obj.get("State", "active") == "active",
    )


def _gateways(raw: object) -> dict[str, frozenset[str]]:
    out = {}
    for gateway in mappings_of(raw):
        gateway_id = text_of(gateway.get("InternetGatewayId"))
        if gateway_id:
            out[gateway_id] = frozenset(
                vpc
                for a in mappings_of(gateway.get("Attachments"))
                if a.get("State") in ("available", "attached") and (vpc := text_of(a.get("VpcId")))
            )
    return out


def _peering(obj: Mapping[str, Any]) -> Peering:
    sides = [mapping_of(obj.get("RequesterVpcInfo")), mapping_of(obj.get("AccepterVpcInfo"))]
    requester, accepter = (tuple(_cidrs(s, "Ipv6CidrBlockSet")) for s in sides)
    return Peering(
        id=text_of(obj.get("VpcPeeringConnectionId")) or "pcx-?",
        active=mapping_of(obj.get("Status")).get("Code") == "active",
        vpcs=(text_of(sides[0].get("VpcId")), text_of(sides[1].get("VpcId"))),
        cidrs=(requester, accepter),
    )


def _prefix_lists(raw: object) -> dict[str, tuple[IPNetwork, ...]]:
    out = {}
    for obj in mappings_of(raw):
        list_id, entries = text_of(obj.get("PrefixListId")), obj.get("Entries")
        if list_id and isinstance(entries, list):
            cidrs = [parse_cidr(e.get("Cidr")) for e in mappings_of(entries)]
            if all(c is not None for c in cidrs):
                out[list_id] = tuple(c for c in cidrs if c is not None)
    return out
