"""In-code builders of EC2 snapshots (Describe* response shapes) for the AWS network tests.

`snapshot()` is one VPC `vpc-1` (10.0.0.0/16, account 111122223333, us-east-1) with an
attached internet gateway `igw-1`, a public subnet `subnet-pub` (10.0.1.0/24, its own route
table with 0.0.0.0/0 and ::/0 to the gateway), a private subnet `subnet-priv` (10.0.2.0/24,
local routes only), and the VPC's default network ACL letting everything through both ways,
as AWS creates it. Each part can be replaced.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

ACCOUNT = "111122223333"
VPC = "vpc-1"
PUB, PRIV = "subnet-pub", "subnet-priv"


def permission(
    protocol: str = "tcp",
    ports: tuple[int, int] | None = None,
    *,
    cidrs: Iterable[str] = (),
    v6: Iterable[str] = (),
    groups: Iterable[str] = (),
    prefix_lists: Iterable[str] = (),
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "IpProtocol": protocol,
        "IpRanges": [{"CidrIp": c} for c in cidrs],
        "Ipv6Ranges": [{"CidrIpv6": c} for c in v6],
        "UserIdGroupPairs": [{"GroupId": g, "UserId": ACCOUNT} for g in groups],
        "PrefixListIds": [{"PrefixListId": p} for p in prefix_lists],
    }
    if ports is not None:
        out["FromPort"], out["ToPort"] = ports
    return out


EGRESS_ALL = permission("-1", cidrs=["0.0.0.0/0"], v6=["::/0"])


def group(
    group_id: str,
    *ingress: Mapping[str, Any],
    egress: Sequence[Mapping[str, Any]] = (EGRESS_ALL,),
    name: str | None = None,
    vpc: str = VPC,
) -> dict[str, Any]:
    return {
        "GroupId": group_id,
        "GroupName": name or group_id.removeprefix("sg-"),
        "VpcId": vpc,
        "OwnerId": ACCOUNT,
        "IpPermissions": list(ingress),
        "IpPermissionsEgress": list(egress),
    }


def instance(
    instance_id: str = "i-web",
    *,
    subnet: str = PUB,
    groups: Iterable[str] = ("sg-web",),
    public_ip: str | None = "203.0.113.7",
    private_ip: str | None = None,
    ipv6: str | None = None,
    vpc: str = VPC,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "InstanceId": instance_id,
        "SubnetId": subnet,
        "VpcId": vpc,
        "SecurityGroups": [{"GroupId": g, "GroupName": g} for g in groups],
    }
    if public_ip:
        out["PublicIpAddress"] = public_ip
    if private_ip:
        out["PrivateIpAddress"] = private_ip
    if ipv6:
        out["Ipv6Address"] = ipv6
    return out


def entry(
    number: int,
    action: str,
    *,
    cidr: str = "0.0.0.0/0",
    protocol: str = "-1",
    ports: tuple[int, int] | None = None,
    egress: bool = False,
) -> dict[str, Any]:
    key = "Ipv6CidrBlock" if ":" in cidr else "CidrBlock"
    out: dict[str, Any] = {
        "RuleNumber": number,
        "RuleAction": action,
        key: cidr,
        "Protocol": protocol,
        "Egress": egress,
    }
    if ports is not None:
        out["PortRange"] = {"From": ports[0], "To": ports[1]}
    return out


def acl(
    acl_id: str,
    inbound: Iterable[Mapping[str, Any]],
    outbound: Iterable[Mapping[str, Any]] = (),
    *,
    subnets: Iterable[str] = (),
    default: bool = False,
    vpc: str = VPC,
) -> dict[str, Any]:
    """A network ACL; the `*` rules (32767 deny, both families) are added as AWS shows them."""
    star = [
        entry(32767, "deny", cidr=c, egress=e) for e in (False, True) for c in ("0.0.0.0/0", "::/0")
    ]
    return {
        "NetworkAclId": acl_id,
        "VpcId": vpc,
        "IsDefault": default,
        "Entries": [*inbound, *({**e, "Egress": True} for e in outbound), *star],
        "Associations": [{"NetworkAclId": acl_id, "SubnetId": s} for s in subnets],
    }


def open_acl(acl_id: str = "acl-default", *, default: bool = True, **kw: Any) -> dict[str, Any]:
    """What AWS puts in a VPC's default network ACL: rule 100 allows everything, both ways."""
    every = [entry(100, "allow"), entry(101, "allow", cidr="::/0")]
    return acl(acl_id, every, every, default=default, **kw)


def route(destination: str, target: str, *, state: str = "active") -> dict[str, Any]:
    key = "DestinationIpv6CidrBlock" if ":" in destination else "DestinationCidrBlock"
    if target.startswith("pcx-"):
        return {key: destination, "VpcPeeringConnectionId": target, "State": state}
    if target.startswith("nat-"):
        return {key: destination, "NatGatewayId": target, "State": state}
    return {key: destination, "GatewayId": target, "State": state}


def table(
    table_id: str,
    *routes: Mapping[str, Any],
    subnets: Iterable[str] = (),
    main: bool = False,
    vpc: str = VPC,
) -> dict[str, Any]:
    associations: list[dict[str, Any]] = [
        {"RouteTableId": table_id, "Main": False, "SubnetId": s} for s in subnets
    ]
    if main:
        associations.append({"RouteTableId": table_id, "Main": True})
    return {
        "RouteTableId": table_id,
        "VpcId": vpc,
        "Routes": [route("10.0.0.0/16", "local"), *routes],
        "Associations": associations,
    }


PUBLIC_TABLE = table("rtb-pub", route("0.0.0.0/0", "igw-1"), route("::/0", "igw-1"), subnets=[PUB])
PRIVATE_TABLE = table("rtb-priv", subnets=[PRIV])


def snapshot(**parts: Any) -> dict[str, Any]:
    """The snapshot described above; keyword arguments replace (or, None, drop) its keys."""
    doc: dict[str, Any] = {
        "Vpcs": [
            {
                "VpcId": VPC,
                "CidrBlock": "10.0.0.0/16",
                "OwnerId": ACCOUNT,
                "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "2600:1f18:1:100::/56"}],
            }
        ],
        "Subnets": [
            {
                "SubnetId": PUB,
                "VpcId": VPC,
                "CidrBlock": "10.0.1.0/24",
                "AvailabilityZone": "us-east-1a",
                "OwnerId": ACCOUNT,
                "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "2600:1f18:1:101::/64"}],
            },
            {
                "SubnetId": PRIV,
                "VpcId": VPC,
                "CidrBlock": "10.0.2.0/24",
                "AvailabilityZone": "us-east-1b",
                "OwnerId": ACCOUNT,
            },
        ],
        "SecurityGroups": [],
        "RouteTables": [PUBLIC_TABLE, PRIVATE_TABLE],
        "InternetGateways": [
            {"InternetGatewayId": "igw-1", "Attachments": [{"VpcId": VPC, "State": "available"}]}
        ],
        "NetworkAcls": [open_acl()],
        "Instances": [],
    }
    for key, value in parts.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


def instance_id(name: str = "i-web") -> str:
    return f"aws:arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{name}"
