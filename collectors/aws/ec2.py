"""EC2 in one region, in the shapes of the `Describe*` answers as the corpus's
`ec2-network.json` holds them: one section per call, every page merged. Instances are
taken out of their reservations into one `Instances` list, as in the corpus."""

from __future__ import annotations

from typing import Any

from .credentials import Clients
from .paging import listed
from .plain import Document
from .scopes import Read, Reader

# section: (operation, IAM action, the answer's list)
LISTS = {
    "Vpcs": ("describe_vpcs", "ec2:DescribeVpcs", "Vpcs"),
    "Subnets": ("describe_subnets", "ec2:DescribeSubnets", "Subnets"),
    "RouteTables": ("describe_route_tables", "ec2:DescribeRouteTables", "RouteTables"),
    "InternetGateways": (
        "describe_internet_gateways",
        "ec2:DescribeInternetGateways",
        "InternetGateways",
    ),
    "NetworkAcls": ("describe_network_acls", "ec2:DescribeNetworkAcls", "NetworkAcls"),
    "SecurityGroups": ("describe_security_groups", "ec2:DescribeSecurityGroups", "SecurityGroups"),
    "NetworkInterfaces": (
        "describe_network_interfaces",
        "ec2:DescribeNetworkInterfaces",
        "NetworkInterfaces",
    ),
    "VpcPeeringConnections": (
        "describe_vpc_peering_connections",
        "ec2:DescribeVpcPeeringConnections",
        "VpcPeeringConnections",
    ),
}
INSTANCES = "ec2:DescribeInstances"
ACTIONS = (*(action for _, action, _ in LISTS.values()), INSTANCES)
SECTIONS = (*LISTS, "Instances")


def read_ec2(reader: Reader, clients: Clients) -> Document:
    """The sections that could be read; a forbidden or failed one is left out."""
    ec2 = clients.client("ec2", reader.region)
    sections: Document = {}
    for section, (operation, action, key) in LISTS.items():
        value: list[Any] | None = reader.read(action, _lister(ec2, operation, key), empty=[])
        if value is not None:
            sections[section] = value
    instances: list[Any] | None = reader.read(INSTANCES, lambda: _instances(ec2), empty=[])
    if instances is not None:
        sections["Instances"] = instances
    return sections


def _lister(client: Any, operation: str, key: str) -> Any:
    return lambda: listed(client, operation, key)


def _instances(ec2: Any) -> Read[list[Any]]:
    reservations = listed(ec2, "describe_instances", "Reservations")
    instances = [i for r in reservations.value for i in r.get("Instances") or []]
    return Read(instances, f"{len(instances)} Instances; {reservations.detail}")
