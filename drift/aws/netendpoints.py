"""What traffic reaches in an EC2 snapshot: instances, network interfaces, RDS instances and
Elastic Load Balancing (v2) load balancers, each as interfaces with security groups and
places in subnets.

Input keys, all optional: `Instances` (DescribeInstances' instances, flattened out of their
reservations; `OwnerId` may sit on each), `NetworkInterfaces` (DescribeNetworkInterfaces),
`DBInstances` (DescribeDBInstances), `LoadBalancers` (elbv2 DescribeLoadBalancers) and
`Listeners`: either elbv2 DescribeListeners' listeners, each naming its `LoadBalancerArn`, or a
mapping from load balancer ARN to that list. These shapes are assumed from the boto3
responses; the collector documents what it actually writes.

Decisions where AWS or the snapshot is silent:
- an interface listing no security group carries its VPC's group named `default` (what EC2
  does when none is given); a group the snapshot lacks makes its rules unknown;
- an instance's own `NetworkInterfaces` (or snapshot interfaces attached to it) replace its
  top-level SubnetId/SecurityGroups/PublicIpAddress when present;
- interfaces a service manages (`RequesterManaged`: a load balancer's, a database's, a NAT
  gateway's, a VPC Lambda's) are not endpoints of their own: the service is modelled, or
  (NAT gateways, Lambda) does not accept connections from outside;
- without a private address, an interface is somewhere in its subnet; a database whose
  subnet group lists no subnets is somewhere in its VPC (its security groups' VPC).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from drift.aws.addresses import IPNetwork, parse_cidr
from drift.aws.netobjects import NetworkObjects
from drift.aws.netread import (
    aws_id,
    ec2_id,
    int_of,
    mapping_of,
    mappings_of,
    name_tag,
    partition_of,
    region_of_zone,
    text_of,
)
from drift.aws.traffic import (
    EVERYTHING,
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


@dataclass(frozen=True, kw_only=True)
class Placement:
    """Where an interface's private address is: in `addresses`, inside subnet `subnet_id`
    (None: which subnet is not known)."""

    subnet_id: str | None
    addresses: tuple[IPNetwork, ...]
    unknown: str = "which subnet it is in is not in the snapshot"  # when subnet_id is None


@dataclass(frozen=True, kw_only=True)
class Interface:
    """One attachment to the network. Its address is in one of `placements` (the inputs may
    not say which). `groups` are its security groups; `filtered` is False for a Network Load
    Balancer without security groups, which filter nothing. `public_v4` holds its public
    IPv4 addresses as written (a placeholder is kept and makes the answer unknown);
    `ipv6` its IPv6 addresses."""

    id: str
    groups: tuple[str, ...]
    placements: tuple[Placement, ...]
    public_v4: tuple[str, ...] = ()
    ipv6: tuple[str, ...] = ()
    filtered: bool = True
    reasons: tuple[str, ...] = ()  # what about its groups the snapshot cannot say


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    """Something traffic reaches. `interfaces` are all of it (reaching one reaches it);
    `listens` is the traffic it serves (a database's port, a load balancer's listeners;
    everything for an instance, whose software the snapshot does not show)."""

    id: str
    kind: str  # instance, network-interface, db-instance, load-balancer
    name: str  # for people: `instance i-… (web)`
    vpc_id: str | None
    interfaces: tuple[Interface, ...]
    listens: Verdict = field(default_factory=lambda: allows(EVERYTHING))
    publicly_accessible: bool | None = None  # databases
    scheme: str | None = None  # load balancers: internet-facing or internal


@dataclass(frozen=True, kw_only=True)
class Context:
    """What ids need: the snapshot's account and region, when it says."""

    objects: NetworkObjects
    account: str | None
    region: str | None


def read_endpoints(doc: Mapping[str, Any], objects: NetworkObjects) -> tuple[Endpoint, ...]:
    ctx = Context(objects=objects, account=_account(doc, objects), region=_region(doc, objects))
    interfaces = [i for i in mappings_of(doc.get("NetworkInterfaces")) if not _managed(i)]
    attached = _by_instance(interfaces)
    instances = mappings_of(doc.get("Instances"))
    found = [_instance(ctx, i, attached) for i in instances]
    listed = {text_of(i.get("InstanceId")) for i in instances}
    found += [
        _standalone(ctx, i)
        for i in interfaces
        if text_of(mapping_of(i.get("Attachment")).get("InstanceId")) not in listed
    ]
    found += [_database(ctx, d) for d in mappings_of(doc.get("DBInstances"))]
    listeners = _listeners(doc.get("Listeners"))
    found += [_load_balancer(ctx, b, listeners) for b in mappings_of(doc.get("LoadBalancers"))]
    return tuple(found)


def _account(doc: Mapping[str, Any], objects: NetworkObjects) -> str | None:
    owners = {v.owner for v in objects.vpcs.values() if v.owner}
    given = text_of(doc.get("AccountId"))
    return given or (owners.pop() if len(owners) == 1 else None)


def _region(doc: Mapping[str, Any], objects: NetworkObjects) -> str | None:
    regions = {region_of_zone(s.zone) for s in objects.subnets.values()} - {None}
    given = text_of(doc.get("Region"))
    return given or (regions.pop() if len(regions) == 1 else None)


def _managed(interface: Mapping[str, Any]) -> bool:
    return interface.get("RequesterManaged") is True


def _by_instance(interfaces: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for i in interfaces:
        instance = text_of(mapping_of(i.get("Attachment")).get("InstanceId"))
        if instance:
            out.setdefault(instance, []).append(i)
    return out


# --- instances and interfaces --------------------------------------------------------------


def _instance(
    ctx: Context, obj: Mapping[str, Any], attached: Mapping[str, list[Mapping[str, Any]]]
) -> Endpoint:
    instance_id = text_of(obj.get("InstanceId")) or "i-?"
    vpc_id = text_of(obj.get("VpcId"))
    subnet = ctx.objects.subnets.get(text_of(obj.get("SubnetId")) or "")
    region = region_of_zone(mapping_of(obj.get("Placement")).get("AvailabilityZone"))
    region = region or (region_of_zone(subnet.zone) if subnet else None) or ctx.region
    account = text_of(obj.get("OwnerId")) or (subnet.owner if subnet else None) or ctx.account
    own = mappings_of(obj.get("NetworkInterfaces")) or attached.get(instance_id, [])
    if own:
        interfaces = tuple(_interface(ctx, i, vpc_id) for i in own)
    else:
        interfaces = (_interface(ctx, obj, vpc_id, instance_id),)
    name = name_tag(obj)
    return Endpoint(
        id=ec2_id("instance", instance_id, region, account),
        kind="instance",
        name=f"instance {instance_id}" + (f" ({name})" if name else ""),
        vpc_id=vpc_id,
        interfaces=interfaces,
    )


def _interface(
    ctx: Context, obj: Mapping[str, Any], vpc_id: str | None, own_id: str | None = None
) -> Interface:
    """An interface from a NetworkInterfaces entry, or from an instance's own fields."""
    vpc_id = text_of(obj.get("VpcId")) or vpc_id
    groups, reasons = _groups_of(ctx, obj, vpc_id)
    subnet_id = text_of(obj.get("SubnetId"))
    private = [a.get("PrivateIpAddress") for a in mappings_of(obj.get("PrivateIpAddresses"))] or [
        obj.get("PrivateIpAddress")
    ]
    public = [obj.get("PublicIpAddress"), mapping_of(obj.get("Association")).get("PublicIp")]
    public += [
        mapping_of(a.get("Association")).get("PublicIp")
        for a in mappings_of(obj.get("PrivateIpAddresses"))
    ]
    raw_v6 = [a.get("Ipv6Address") for a in mappings_of(obj.get("Ipv6Addresses"))]
    raw_v6.append(obj.get("Ipv6Address"))
    ipv6 = tuple(dict.fromkeys(a for a in raw_v6 if isinstance(a, str) and a))
    return Interface(
        id=own_id or text_of(obj.get("NetworkInterfaceId")) or "eni-?",
        groups=groups,
        placements=(_placement(ctx, subnet_id, private, vpc_id, ipv6),),
        public_v4=tuple(dict.fromkeys(p for p in public if isinstance(p, str) and p)),
        ipv6=ipv6,
        reasons=reasons,
    )


def _groups_of(
    ctx: Context, obj: Mapping[str, Any], vpc_id: str | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    listed = mappings_of(obj.get("SecurityGroups")) + mappings_of(obj.get("Groups"))
    groups = tuple(dict.fromkeys(g for x in listed if (g := text_of(x.get("GroupId")))))
    if groups:
        return groups, ()
    defaults = [
        g.id
        for g in (ctx.objects.groups or {}).values()
        if g.name == "default" and g.vpc_id == vpc_id
    ]
    if defaults:
        return tuple(defaults), ()
    why = "lists no security group: its VPC's default group applies, and is not in the snapshot"
    return (), (why,)


def _placement(
    ctx: Context,
    subnet_id: str | None,
    private: list[object],
    vpc_id: str | None,
    ipv6: Iterable[str] = (),
) -> Placement:
    """Its private IPv4 address (a /32) when given, else somewhere in its subnet's IPv4
    ranges, else its VPC's; and its IPv6 addresses (/128), which are always given."""
    known = [n for p in private if isinstance(p, str) and (n := parse_cidr(p)) is not None]
    subnet = ctx.objects.subnets.get(subnet_id or "")
    vpc = ctx.objects.vpcs.get(vpc_id or "")
    v4 = known or [
        c for c in (subnet.cidrs if subnet else vpc.cidrs if vpc else ()) if c.version == 4
    ]
    v6 = [n for a in ipv6 if (n := parse_cidr(a)) is not None and n.version == 6]
    return Placement(subnet_id=subnet_id, addresses=(*v4, *v6))


def _standalone(ctx: Context, obj: Mapping[str, Any]) -> Endpoint:
    interface = _interface(ctx, obj, None)
    subnet = ctx.objects.subnets.get(text_of(obj.get("SubnetId")) or "")
    region = region_of_zone(obj.get("AvailabilityZone")) or (
        region_of_zone(subnet.zone) if subnet else ctx.region
    )
    account = text_of(obj.get("OwnerId")) or ctx.account
    description = text_of(obj.get("Description"))
    return Endpoint(
        id=ec2_id("network-interface", interface.id, region, account),
        kind="network-interface",
        name=f"network interface {interface.id}" + (f" ({description})" if description else ""),
        vpc_id=text_of(obj.get("VpcId")),
        interfaces=(interface,),
    )


# --- databases -----------------------------------------------------------------------------


def _database(ctx: Context, obj: Mapping[str, Any]) -> Endpoint:
    identifier = text_of(obj.get("DBInstanceIdentifier")) or "?"
    group_ids = tuple(
        g
        for x in mappings_of(obj.get("VpcSecurityGroups"))
        if x.get("Status", "active") == "active" and (g := text_of(x.get("VpcSecurityGroupId")))
    )
    subnet_group = mapping_of(obj.get("DBSubnetGroup"))
    vpc_id = text_of(subnet_group.get("VpcId")) or _vpc_of_groups(ctx, group_ids)
    placements = _db_placements(ctx, obj, subnet_group, vpc_id)
    accessible = obj.get("PubliclyAccessible")
    return Endpoint(
        id=_db_id(ctx, obj, identifier),
        kind="db-instance",
        name=f"RDS instance {identifier}",
        vpc_id=vpc_id,
        interfaces=(Interface(id=identifier, groups=group_ids, placements=placements),),
        listens=_db_port(obj, identifier),
        publicly_accessible=accessible if isinstance(accessible, bool) else None,
    )


def _vpc_of_groups(ctx: Context, group_ids: Iterable[str]) -> str | None:
    vpcs = {g.vpc_id for i in group_ids if (g := (ctx.objects.groups or {}).get(i))} - {None}
    return vpcs.pop() if len(vpcs) == 1 else None


def _db_placements(
    ctx: Context, obj: Mapping[str, Any], subnet_group: Mapping[str, Any], vpc_id: str | None
) -> tuple[Placement, ...]:
    """The database is in one of its subnet group's subnets (those of its zone, when given)."""
    zone = text_of(obj.get("AvailabilityZone"))
    listed = mappings_of(subnet_group.get("Subnets"))
    subnet_ids = [
        s
        for x in listed
        if (s := text_of(x.get("SubnetIdentifier")))
        and (
            zone is None or mapping_of(x.get("SubnetAvailabilityZone")).get("Name") in (None, zone)
        )
    ]
    if subnet_ids:
        return tuple(_placement(ctx, s, [], vpc_id) for s in subnet_ids)
    name = subnet_group.get("DBSubnetGroupName")
    vpc = ctx.objects.vpcs.get(vpc_id or "")
    why = f"the subnets of DB subnet group {name} are not in the snapshot"
    return (Placement(subnet_id=None, addresses=vpc.cidrs if vpc else (), unknown=why),)


def _db_port(obj: Mapping[str, Any], identifier: str) -> Verdict:
    port = int_of(mapping_of(obj.get("Endpoint")).get("Port")) or int_of(obj.get("DbInstancePort"))
    if port is None or not 1 <= port <= 65535:
        return undecided(EVERYTHING, f"RDS instance {identifier}: its port is not in the snapshot")
    return allows(
        protocol_traffic(TCP, port, port),
        Evidence(text=f"RDS instance {identifier} listens on tcp {port}"),
    )


def _db_id(ctx: Context, obj: Mapping[str, Any], identifier: str) -> str:
    arn = text_of(obj.get("DBInstanceArn"))
    if arn:
        return aws_id(arn)
    region = region_of_zone(obj.get("AvailabilityZone")) or ctx.region
    account = ctx.account
    if region and account:
        return aws_id(f"arn:{partition_of(region)}:rds:{region}:{account}:db:{identifier}")
    return f"aws:rds:db/{identifier}"


# --- load balancers ------------------------------------------------------------------------

_LISTENER_PROTOCOLS = {
    "HTTP": (TCP,),
    "HTTPS": (TCP,),
    "TCP": (TCP,),
    "TLS": (TCP,),
    "UDP": (UDP,),
    "TCP_UDP": (TCP, UDP),
    "GENEVE": (UDP,),
}


def _listeners(raw: object) -> dict[str, list[Mapping[str, Any]]] | None:
    """Listeners by load balancer ARN; None when the snapshot has none collected."""
    if isinstance(raw, Mapping):
        return {str(arn): mappings_of(items) for arn, items in raw.items()}
    if isinstance(raw, list):
        out: dict[str, list[Mapping[str, Any]]] = {}
        for listener in mappings_of(raw):
            out.setdefault(str(listener.get("LoadBalancerArn")), []).append(listener)
        return out
    return None


def _load_balancer(
    ctx: Context, obj: Mapping[str, Any], listeners: Mapping[str, list[Mapping[str, Any]]] | None
) -> Endpoint:
    arn = text_of(obj.get("LoadBalancerArn")) or f"elb:{obj.get('LoadBalancerName')}"
    name = f"load balancer {obj.get('LoadBalancerName') or arn}"
    vpc_id = text_of(obj.get("VpcId"))
    listed = obj.get("SecurityGroups")
    groups = tuple(g for g in listed if isinstance(g, str)) if isinstance(listed, list) else ()
    # A Network Load Balancer may have no security groups; then they filter nothing.
    filtered = bool(groups) or obj.get("Type") not in ("network", "gateway")
    reasons = () if groups or not filtered else (f"{name} lists no security groups",)
    nodes = tuple(
        Interface(
            id=f"{name} in {zone.get('ZoneName') or zone.get('SubnetId')}",
            groups=groups,
            placements=(_placement(ctx, text_of(zone.get("SubnetId")), [], vpc_id),),
            filtered=filtered,
            reasons=reasons,
        )
        for zone in mappings_of(obj.get("AvailabilityZones"))
    )
    return Endpoint(
        id=aws_id(arn) if arn.startswith("arn:") else f"aws:{arn}",
        kind="load-balancer",
        name=name,
        vpc_id=vpc_id,
        interfaces=nodes,
        listens=_listener_traffic(name, None if listeners is None else listeners.get(arn, [])),
        scheme=text_of(obj.get("Scheme")),
    )


def _listener_traffic(name: str, listeners: list[Mapping[str, Any]] | None) -> Verdict:
    if listeners is None:
        return undecided(EVERYTHING, f"{name}: its listeners are not in the snapshot")
    found = []
    for listener in listeners:
        port, protocol = int_of(listener.get("Port")), str(listener.get("Protocol"))
        numbers = _LISTENER_PROTOCOLS.get(protocol)
        text = f"{name} listener {protocol} {port}"
        if port is None or numbers is None or not 1 <= port <= 65535:
            found.append(undecided(EVERYTHING, f"{text} cannot be read"))
            continue
        traffic = Traffic()
        for number in numbers:
            traffic |= protocol_traffic(number, port, port)
        found.append(allows(traffic, Evidence(text=text)))
    return any_of(found)
