"""AWS network reachability and exposure, one rule of EC2 per test: security groups, network
ACLs, route tables, internet gateways, public addresses, load balancers, RDS and peering.

Snapshots are built in code (`aws_snapshots`): one VPC with a public and a private subnet,
the default network ACL letting everything through, unless a test says otherwise.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_snapshots import (
    ACCOUNT,
    PRIV,
    PRIVATE_TABLE,
    PUB,
    PUBLIC_TABLE,
    acl,
    entry,
    group,
    instance,
    instance_id,
    open_acl,
    permission,
    route,
    snapshot,
    table,
)

from drift.aws.network import (
    Exposure,
    groups_reach,
    internet_exposure,
    internet_exposures,
    peering_reaches,
    reach,
    read_network,
)
from drift.aws.traffic import OTHER_PROTOCOLS
from drift.model import Evidence, ExposureScope
from drift.ports import PortSet, Protocol

PUBLIC, INTERNAL, UNKNOWN = ExposureScope.PUBLIC, ExposureScope.INTERNAL, ExposureScope.UNKNOWN
TCP, UDP, SCTP = Protocol.TCP, Protocol.UDP, Protocol.SCTP
WEB = instance_id("i-web")


def tcp(*ports: int | tuple[int, int]) -> PortSet:
    out = PortSet.empty()
    for p in ports:
        out |= PortSet.of(TCP, *p) if isinstance(p, tuple) else PortSet.of(TCP, p)
    return out


def web(*ingress: dict[str, Any], **parts: Any) -> dict[str, Any]:
    """The snapshot with instance i-web (public IP, subnet-pub) in group sg-web."""
    parts.setdefault("SecurityGroups", [group("sg-web", *ingress)])
    parts.setdefault("Instances", [instance()])
    return snapshot(**parts)


def exposure(doc: dict[str, Any], target: str = WEB) -> Exposure | None:
    return internet_exposure(read_network(doc), target)


SSH_WORLD = permission("tcp", (22, 22), cidrs=["0.0.0.0/0"])
HTTP_WORLD = permission("tcp", (80, 80), cidrs=["0.0.0.0/0"])


# --- security groups -----------------------------------------------------------------------


def test_security_groups_of_an_instance_are_united():
    doc = web(
        SecurityGroups=[
            group("sg-ssh", SSH_WORLD, name="ssh"),
            group("sg-https", permission("tcp", (443, 443), cidrs=["0.0.0.0/0"]), name="https"),
        ],
        Instances=[instance(groups=["sg-ssh", "sg-https"])],
    )
    found = exposure(doc)
    assert found is not None
    assert (found.scope, found.ports, found.unknown) == (PUBLIC, tcp(22, 443), PortSet.empty())
    assert found.sources == ("0.0.0.0/0",)
    assert set(found.evidence) == {
        Evidence(text="SecurityGroup sg-ssh (ssh) ingress tcp 22 from 0.0.0.0/0"),
        Evidence(text="SecurityGroup sg-https (https) ingress tcp 443 from 0.0.0.0/0"),
        Evidence(text="i-web has public IPv4 address 203.0.113.7"),
        Evidence(text="RouteTable rtb-pub route 0.0.0.0/0 -> igw-1"),
        Evidence(text="NetworkAcl acl-default inbound rule 100 allow all traffic from 0.0.0.0/0"),
        Evidence(text="NetworkAcl acl-default outbound rule 100 allow all traffic to 0.0.0.0/0"),
    }


def test_a_group_rule_admits_sources_carrying_that_group_and_no_others():
    doc = snapshot(
        SecurityGroups=[
            group("sg-db", permission("tcp", (5432, 5432), groups=["sg-app"])),
            group("sg-app"),
            group("sg-other"),
        ],
        Instances=[
            instance("i-db", subnet=PRIV, groups=["sg-db"], public_ip=None),
            instance("i-app", groups=["sg-app"]),
            instance("i-other", groups=["sg-other"]),
        ],
    )
    network = read_network(doc)
    db = instance_id("i-db")
    app = groups_reach(network, db, instance_id("i-app"))
    assert (app.ports, app.unknown) == (tcp(5432), PortSet.empty())
    assert Evidence(text="SecurityGroup sg-db (db) ingress tcp 5432 from sg-app") in app.evidence
    other = groups_reach(network, db, instance_id("i-other"))
    assert (other.ports, other.unknown) == (PortSet.empty(), PortSet.empty())
    # A host of the VPC's range may carry sg-app; an internet address cannot.
    inside = groups_reach(network, db, "10.0.0.0/16")
    assert (inside.ports, inside.unknown) == (PortSet.empty(), tcp(5432))
    outside = groups_reach(network, db, "198.51.100.0/24")
    assert outside.unknown == PortSet.empty() and outside.ports == PortSet.empty()


def test_protocol_minus_one_admits_every_port_and_protocol():
    doc = web(permission("-1", cidrs=["0.0.0.0/0"]))
    found = exposure(doc)
    assert found is not None
    assert found.ports == PortSet.every()
    assert found.protocols == OTHER_PROTOCOLS
    assert Evidence(text="SecurityGroup sg-web (web) ingress all traffic from 0.0.0.0/0") in (
        found.evidence
    )


@pytest.mark.parametrize(
    ("rule", "ports"),
    [
        (permission("tcp", (8000, 8080), cidrs=["0.0.0.0/0"]), PortSet.of(TCP, 8000, 8080)),
        (permission("udp", (53, 53), cidrs=["0.0.0.0/0"]), PortSet.of(UDP, 53)),
        (permission("tcp", (0, 65535), cidrs=["0.0.0.0/0"]), PortSet.of(TCP, 1, 65535)),
        # A protocol other than tcp/udp/icmp/icmpv6 opens every port, whatever the range.
        (permission("132", (5, 6), cidrs=["0.0.0.0/0"]), PortSet.every((SCTP,))),
    ],
)
def test_port_ranges_are_read_as_security_groups_define_them(rule, ports):
    found = exposure(web(rule))
    assert found is not None and found.ports == ports


def test_icmp_is_a_protocol_without_ports():
    found = exposure(web(permission("icmp", (8, -1), cidrs=["0.0.0.0/0"])))
    assert found is not None
    assert (found.ports, found.protocols) == (PortSet.empty(), frozenset({1}))
    rule = "SecurityGroup sg-web (web) ingress icmp type 8 code -1 from 0.0.0.0/0"
    assert Evidence(text=rule) in found.evidence


def test_ipv6_clients_need_an_ipv6_address_an_ipv6_rule_and_a_v6_route():
    rule = permission("tcp", (443, 443), v6=["::/0"])
    with_v6 = web(rule, Instances=[instance(ipv6="2600:1f18:1:101::10")])
    found = exposure(with_v6)
    assert found is not None
    assert (found.scope, found.ports, found.sources) == (PUBLIC, tcp(443), ("::/0",))
    # The same rule does not admit IPv4 clients, and without an IPv6 address nothing reaches.
    assert exposure(web(rule)) is None
    v4_only = table("rtb-pub", route("0.0.0.0/0", "igw-1"), subnets=[PUB])
    assert (
        exposure(
            web(
                rule,
                Instances=[instance(ipv6="2600:1f18:1:101::10")],
                RouteTables=[v4_only, PRIVATE_TABLE],
            )
        )
        is None
    )


def test_a_narrow_source_range_publishes_to_that_range_only():
    found = exposure(web(permission("tcp", (22, 22), cidrs=["198.51.100.10/32"])))
    assert found is not None
    assert (found.scope, found.ports, found.sources) == (PUBLIC, tcp(22), ("198.51.100.10/32",))


def test_private_source_ranges_do_not_publish_to_the_internet():
    assert exposure(web(permission("tcp", (22, 22), cidrs=["10.0.0.0/8"]))) is None


def test_a_group_the_snapshot_lacks_makes_the_answer_unknown():
    found = exposure(web(Instances=[instance(groups=["sg-web", "sg-gone"])]))
    assert found is not None
    assert (found.scope, found.ports, found.unknown) == (UNKNOWN, PortSet.empty(), PortSet.every())
    assert "SecurityGroup sg-gone is not in the snapshot" in found.reasons


def test_prefix_lists_are_unknown_until_their_entries_are_read():
    rule = permission("tcp", (443, 443), prefix_lists=["pl-1"])
    unread = exposure(web(rule))
    assert unread is not None and (unread.scope, unread.unknown) == (UNKNOWN, tcp(443))
    lists = [{"PrefixListId": "pl-1", "Entries": [{"Cidr": "192.0.2.0/24"}]}]
    read = exposure(web(rule, ManagedPrefixLists=lists))
    assert read is not None
    assert (read.scope, read.ports, read.sources) == (PUBLIC, tcp(443), ("192.0.2.0/24",))


@pytest.mark.parametrize(
    ("ports", "problem"),
    [
        ({"FromPort": "ssh"}, "FromPort 'ssh' is not a port"),
        ({"ToPort": 2}, "FromPort 22 to ToPort 2 is not a port range"),
        ({"ToPort": 70000}, "FromPort 22 to ToPort 70000 is not a port range"),
    ],
)
def test_group_ports_that_cannot_be_read_are_unknown_never_every_port(ports, problem):
    found = exposure(web({**SSH_WORLD, **ports}))
    assert found is not None
    assert (found.scope, found.ports, found.unknown) == (UNKNOWN, PortSet.empty(), tcp((1, 65535)))
    assert read_network(web({**SSH_WORLD, **ports})).problems == (
        f"SecurityGroup sg-web (web): {problem}",
    )


# --- network ACLs --------------------------------------------------------------------------


def subnet_acl(*inbound: dict[str, Any], outbound: tuple[dict[str, Any], ...] = ()) -> list[Any]:
    everything_out = (entry(100, "allow"),)
    return [open_acl(), acl("acl-pub", inbound, outbound or everything_out, subnets=[PUB])]


def test_network_acl_rules_apply_in_number_order_first_match_wins():
    deny_first = subnet_acl(entry(200, "allow"), entry(100, "deny", protocol="6", ports=(22, 22)))
    found = exposure(web(SSH_WORLD, HTTP_WORLD, NetworkAcls=deny_first))
    assert found is not None and found.ports == tcp(80)
    allow_first = subnet_acl(entry(100, "allow"), entry(200, "deny", protocol="6", ports=(22, 22)))
    found = exposure(web(SSH_WORLD, HTTP_WORLD, NetworkAcls=allow_first))
    assert found is not None and found.ports == tcp(22, 80)
    assert Evidence(
        text="NetworkAcl acl-pub inbound rule 100 allow all traffic from 0.0.0.0/0"
    ) in (found.evidence)


def test_network_acl_denies_what_no_rule_allows():
    only_http = subnet_acl(entry(100, "allow", protocol="6", ports=(80, 80)))
    found = exposure(web(SSH_WORLD, HTTP_WORLD, NetworkAcls=only_http))
    assert found is not None and found.ports == tcp(80)
    nothing = subnet_acl(entry(100, "deny"))
    assert exposure(web(SSH_WORLD, NetworkAcls=nothing)) is None


def test_a_network_acl_port_that_is_not_a_number_neither_denies_nor_allows_every_port():
    bad = {**entry(50, "deny", protocol="6"), "PortRange": {"From": "ssh", "To": 22}}
    found = exposure(web(SSH_WORLD, HTTP_WORLD, NetworkAcls=subnet_acl(bad, entry(100, "allow"))))
    assert found is not None
    assert (found.scope, found.ports, found.unknown) == (UNKNOWN, PortSet.empty(), tcp(22, 80))


def test_network_acl_rules_match_the_client_address():
    blocked = subnet_acl(entry(50, "deny", cidr="198.51.100.0/24"), entry(100, "allow"))
    found = exposure(
        web(permission("tcp", (22, 22), cidrs=["198.51.100.0/23"]), NetworkAcls=blocked)
    )
    assert found is not None and found.sources == ("198.51.101.0/24",)


@pytest.mark.parametrize(
    ("outbound", "scope", "ports", "unknown"),
    [
        ((entry(100, "allow", protocol="6", ports=(1024, 65535)),), PUBLIC, tcp(22), PortSet()),
        ((entry(100, "allow", protocol="6", ports=(32768, 65535)),), UNKNOWN, PortSet(), tcp(22)),
        ((entry(100, "deny"),), None, None, None),
    ],
)
def test_replies_need_the_ephemeral_ports_out_to_the_client(outbound, scope, ports, unknown):
    acls = subnet_acl(entry(100, "allow"), outbound=outbound)
    found = exposure(web(SSH_WORLD, NetworkAcls=acls))
    if scope is None:
        assert found is None
        return
    assert found is not None and (found.scope, found.ports, found.unknown) == (
        scope,
        ports,
        unknown,
    )
    if scope is UNKNOWN:
        assert any("ephemeral ports TCP 1024-65535" in r for r in found.reasons)


def test_a_subnet_without_an_acl_association_uses_the_default_acl():
    strict_default = acl(
        "acl-default",
        [entry(100, "allow", protocol="6", ports=(80, 80))],
        [entry(100, "allow")],
        default=True,
    )
    found = exposure(web(SSH_WORLD, HTTP_WORLD, NetworkAcls=[strict_default]))
    assert found is not None and found.ports == tcp(80)


def test_no_network_acls_in_the_snapshot_is_unknown_not_allowed():
    found = exposure(web(SSH_WORLD, NetworkAcls=None))
    assert found is not None
    assert (found.scope, found.ports, found.unknown) == (UNKNOWN, PortSet.empty(), tcp(22))
    assert found.reasons == ("i-web: the snapshot has no network ACLs",)
    assert Evidence(text="SecurityGroup sg-web (web) ingress tcp 22 from 0.0.0.0/0") in (
        found.evidence
    )


# --- routes, gateways, public addresses ----------------------------------------------------


def test_a_subnet_without_an_association_uses_the_main_route_table():
    main = table("rtb-main", route("0.0.0.0/0", "igw-1"), main=True)
    found = exposure(web(SSH_WORLD, RouteTables=[main, PRIVATE_TABLE]))
    assert found is not None and found.scope is PUBLIC
    assert Evidence(text="RouteTable rtb-main route 0.0.0.0/0 -> igw-1") in found.evidence
    private_main = table("rtb-main", main=True)
    assert exposure(web(SSH_WORLD, RouteTables=[private_main, PRIVATE_TABLE])) is None


def test_no_route_table_for_the_subnet_is_unknown():
    found = exposure(web(SSH_WORLD, RouteTables=[PRIVATE_TABLE]))
    assert found is not None and (found.scope, found.unknown) == (UNKNOWN, tcp(22))
    assert any("route table of subnet-pub is not in the snapshot" in r for r in found.reasons)
    missing = exposure(web(SSH_WORLD, RouteTables=None))
    assert missing is not None and "i-web: the snapshot has no route tables" in missing.reasons


@pytest.mark.parametrize(
    "routes",
    [
        (),  # only the local route
        (route("0.0.0.0/0", "nat-1"),),  # replies would leave by the NAT gateway
        (route("0.0.0.0/0", "igw-1", state="blackhole"),),
        (route("0.0.0.0/0", "igw-other"),),  # a gateway attached to another VPC
    ],
)
def test_without_a_route_to_an_attached_internet_gateway_nothing_is_public(routes):
    rtb = table("rtb-pub", *routes, subnets=[PUB])
    gateways = [
        {"InternetGatewayId": "igw-1", "Attachments": [{"VpcId": "vpc-1", "State": "available"}]},
        {
            "InternetGatewayId": "igw-other",
            "Attachments": [{"VpcId": "vpc-9", "State": "available"}],
        },
    ]
    assert exposure(web(SSH_WORLD, RouteTables=[rtb], InternetGateways=gateways)) is None


def test_the_most_specific_route_decides_where_replies_go():
    rtb = table(
        "rtb-pub", route("0.0.0.0/0", "igw-1"), route("198.51.100.0/24", "nat-1"), subnets=[PUB]
    )
    found = exposure(web(permission("tcp", (22, 22), cidrs=["198.51.100.0/23"]), RouteTables=[rtb]))
    assert found is not None and found.sources == ("198.51.101.0/24",)


def test_without_a_public_address_nothing_is_public():
    assert exposure(web(SSH_WORLD, Instances=[instance(public_ip=None)])) is None


def test_an_unresolved_public_address_is_unknown():
    found = exposure(web(SSH_WORLD, Instances=[instance(public_ip="${aws_eip.ip.public_ip}")]))
    assert found is not None and (found.scope, found.unknown) == (UNKNOWN, tcp(22))


# --- load balancers and databases ----------------------------------------------------------


LB_ARN = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/web/1"
LB = f"aws:{LB_ARN}"


def load_balancer(
    scheme: str, *, groups: list[str] | None = None, kind: str = "application"
) -> dict[str, Any]:
    return {
        "LoadBalancerArn": LB_ARN,
        "LoadBalancerName": "web",
        "Scheme": scheme,
        "Type": kind,
        "VpcId": "vpc-1",
        "AvailabilityZones": [{"ZoneName": "us-east-1a", "SubnetId": PUB}],
        "SecurityGroups": ["sg-lb"] if groups is None else groups,
    }


def listeners(*ports: tuple[str, int]) -> list[dict[str, Any]]:
    return [{"LoadBalancerArn": LB_ARN, "Protocol": p, "Port": n} for p, n in ports]


def test_an_internet_facing_load_balancer_publishes_listeners_its_groups_admit():
    doc = snapshot(
        SecurityGroups=[group("sg-lb", permission("tcp", (443, 443), cidrs=["0.0.0.0/0"]))],
        LoadBalancers=[load_balancer("internet-facing")],
        Listeners=listeners(("HTTPS", 443), ("HTTP", 80)),
    )
    found = exposure(doc, LB)
    assert found is not None
    assert (found.scope, found.ports, found.kind) == (PUBLIC, tcp(443), "load-balancer")
    assert Evidence(text="load balancer web listener HTTPS 443") in found.evidence


def test_an_internal_load_balancer_is_internal():
    doc = snapshot(
        SecurityGroups=[group("sg-lb", permission("tcp", (443, 443), cidrs=["0.0.0.0/0"]))],
        LoadBalancers=[load_balancer("internal")],
        Listeners=listeners(("HTTPS", 443)),
    )
    found = exposure(doc, LB)
    assert found is not None and (found.scope, found.ports) == (INTERNAL, tcp(443))


def test_a_network_load_balancer_without_groups_filters_nothing():
    doc = snapshot(
        LoadBalancers=[load_balancer("internet-facing", groups=[], kind="network")],
        Listeners=listeners(("TCP_UDP", 53)),
    )
    found = exposure(doc, LB)
    assert found is not None and found.ports == PortSet.of(TCP, 53) | PortSet.of(UDP, 53)


def test_a_load_balancer_without_its_listeners_is_unknown():
    doc = snapshot(
        SecurityGroups=[group("sg-lb", permission("tcp", (443, 443), cidrs=["0.0.0.0/0"]))],
        LoadBalancers=[load_balancer("internet-facing")],
    )
    found = exposure(doc, LB)
    assert found is not None and (found.scope, found.unknown) == (UNKNOWN, tcp(443))


def database(accessible: bool, subnets: list[str]) -> dict[str, Any]:
    return {
        "DBInstanceIdentifier": "orders",
        "PubliclyAccessible": accessible,
        "Endpoint": {"Port": 5432},
        "DBSubnetGroup": {
            "DBSubnetGroupName": "orders",
            "VpcId": "vpc-1",
            "Subnets": [{"SubnetIdentifier": s} for s in subnets],
        },
        "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-db", "Status": "active"}],
    }


DB = f"aws:arn:aws:rds:us-east-1:{ACCOUNT}:db:orders"
DB_OPEN = group("sg-db", permission("-1", cidrs=["0.0.0.0/0"]))


def test_a_publicly_accessible_database_in_a_public_subnet_is_public_on_its_port():
    found = exposure(snapshot(SecurityGroups=[DB_OPEN], DBInstances=[database(True, [PUB])]), DB)
    assert found is not None and (found.scope, found.ports) == (PUBLIC, tcp(5432))
    assert Evidence(text="RDS instance orders listens on tcp 5432") in found.evidence


def test_a_publicly_accessible_database_without_a_route_out_is_not_public():
    assert (
        exposure(snapshot(SecurityGroups=[DB_OPEN], DBInstances=[database(True, [PRIV])]), DB)
        is None
    )


def test_a_database_that_is_not_publicly_accessible_is_not_public():
    assert (
        exposure(snapshot(SecurityGroups=[DB_OPEN], DBInstances=[database(False, [PUB])]), DB)
        is None
    )


def test_a_database_in_one_of_a_public_and_a_private_subnet_may_be_public():
    doc = snapshot(SecurityGroups=[DB_OPEN], DBInstances=[database(True, [PUB, PRIV])])
    found = exposure(doc, DB)
    assert found is not None and (found.scope, found.unknown) == (UNKNOWN, tcp(5432))


# --- endpoint to endpoint, peering ---------------------------------------------------------


def two_instances(acls: list[Any], *, app_subnet: str = PRIV) -> dict[str, Any]:
    return snapshot(
        SecurityGroups=[
            group("sg-db", permission("tcp", (5432, 5432), cidrs=["10.0.0.0/16"])),
            group("sg-app"),
        ],
        Instances=[
            instance("i-db", subnet=PUB, groups=["sg-db"], public_ip=None),
            instance("i-app", subnet=app_subnet, groups=["sg-app"], public_ip=None),
        ],
        NetworkAcls=acls,
    )


def test_reach_between_subnets_crosses_both_network_acls():
    closed = [open_acl(), acl("acl-db", [entry(100, "deny")], [entry(100, "allow")], subnets=[PUB])]
    network = read_network(two_instances(closed))
    assert reach(network, instance_id("i-app"), instance_id("i-db")).ports == PortSet.empty()
    network = read_network(two_instances([open_acl()]))
    found = reach(network, instance_id("i-app"), instance_id("i-db"))
    assert (found.ports, found.unknown) == (tcp(5432), PortSet.empty())


def test_reach_within_one_subnet_does_not_cross_its_network_acl():
    closed = [open_acl(), acl("acl-db", [entry(100, "deny")], [entry(100, "deny")], subnets=[PUB])]
    network = read_network(two_instances(closed, app_subnet=PUB))
    assert reach(network, instance_id("i-app"), instance_id("i-db")).ports == tcp(5432)


def test_reach_needs_the_source_egress_too():
    doc = two_instances([open_acl()])
    doc["SecurityGroups"][1] = group("sg-app", egress=[permission("-1", cidrs=["10.0.9.0/24"])])
    network = read_network(doc)
    found = reach(network, instance_id("i-app"), instance_id("i-db"))
    assert (found.ports, found.unknown) == (PortSet.empty(), PortSet.empty())


def peered(*, prod_routes: tuple[dict[str, Any], ...], status: str = "active") -> dict[str, Any]:
    doc = snapshot(
        SecurityGroups=[
            group("sg-prod", permission("tcp", (22, 22), cidrs=["10.1.0.0/16"]), vpc="vpc-1"),
        ],
        Instances=[instance("i-prod", subnet=PRIV, groups=["sg-prod"], public_ip=None)],
        NetworkAcls=[open_acl(), open_acl("acl-dev", vpc="vpc-dev")],
    )
    doc["Vpcs"].append({"VpcId": "vpc-dev", "CidrBlock": "10.1.0.0/16", "OwnerId": ACCOUNT})
    doc["Subnets"].append(
        {
            "SubnetId": "subnet-dev",
            "VpcId": "vpc-dev",
            "CidrBlock": "10.1.1.0/24",
            "AvailabilityZone": "us-east-1a",
        }
    )
    doc["RouteTables"] = [
        PUBLIC_TABLE,
        table("rtb-priv", *prod_routes, subnets=[PRIV]),
        {
            "RouteTableId": "rtb-dev",
            "VpcId": "vpc-dev",
            "Routes": [route("10.1.0.0/16", "local"), route("10.0.0.0/16", "pcx-1")],
            "Associations": [{"SubnetId": "subnet-dev", "Main": False}],
        },
    ]
    doc["VpcPeeringConnections"] = [
        {
            "VpcPeeringConnectionId": "pcx-1",
            "RequesterVpcInfo": {"VpcId": "vpc-dev", "CidrBlock": "10.1.0.0/16"},
            "AccepterVpcInfo": {"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16"},
            "Status": {"Code": status},
        }
    ]
    return doc


def test_a_peered_vpc_reaches_what_routes_and_groups_let_through():
    found = peering_reaches(read_network(peered(prod_routes=(route("10.1.0.0/16", "pcx-1"),))))
    assert len(found) == 1
    (one,) = found
    assert (one.source, one.target, one.via) == (
        "10.1.0.0/16",
        instance_id("i-prod"),
        "VPC peering pcx-1",
    )
    assert (one.ports, one.unknown, one.sources) == (tcp(22), PortSet.empty(), ("10.1.1.0/24",))
    assert Evidence(text="RouteTable rtb-priv route 10.1.0.0/16 -> pcx-1") in one.evidence
    assert (
        Evidence(text="SecurityGroup sg-prod (prod) ingress tcp 22 from 10.1.0.0/16")
        in one.evidence
    )


def test_peering_without_a_route_back_or_inactive_reaches_nothing():
    assert peering_reaches(read_network(peered(prod_routes=()))) == ()
    inactive = peered(prod_routes=(route("10.1.0.0/16", "pcx-1"),), status="pending-acceptance")
    assert peering_reaches(read_network(inactive)) == ()


# --- ids and the listing -------------------------------------------------------------------


def test_ids_are_arns_from_the_owner_and_the_zone_else_stable_strings():
    network = read_network(web(SSH_WORLD))
    assert set(network.endpoints) == {f"aws:arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-web"}
    anonymous = web(SSH_WORLD)
    for vpc in anonymous["Vpcs"]:
        del vpc["OwnerId"]
    for subnet in anonymous["Subnets"]:
        del subnet["OwnerId"]
    assert set(read_network(anonymous).endpoints) == {"aws:ec2:instance/i-web"}


def test_the_listing_holds_only_what_is_or_may_be_published():
    doc = web(SSH_WORLD, Instances=[instance(), instance("i-quiet", public_ip=None)])
    assert [e.target_id for e in internet_exposures(read_network(doc))] == [WEB]


# --- network interfaces (DescribeNetworkInterfaces) ----------------------------------------


def eni(eni_id: str, *, instance: str | None = None, managed: bool = False, **extra: Any):
    out: dict[str, Any] = {
        "NetworkInterfaceId": eni_id,
        "SubnetId": PUB,
        "VpcId": "vpc-1",
        "OwnerId": ACCOUNT,
        "Groups": [{"GroupId": "sg-web"}],
        "PrivateIpAddress": "10.0.1.20",
        "RequesterManaged": managed,
        **extra,
    }
    if instance:
        out["Attachment"] = {"InstanceId": instance}
    return out


def test_interfaces_attached_to_an_instance_carry_its_addresses_and_groups():
    # The instance's own fields say nothing public; its interface has the public address.
    doc = web(
        SSH_WORLD,
        Instances=[instance(public_ip=None, groups=["sg-none"])],
        NetworkInterfaces=[eni("eni-1", instance="i-web", Association={"PublicIp": "203.0.113.9"})],
    )
    network = read_network(doc)
    assert set(network.endpoints) == {WEB}
    found = internet_exposure(network, WEB)
    assert found is not None and (found.scope, found.ports) == (PUBLIC, tcp(22))
    assert Evidence(text="eni-1 has public IPv4 address 203.0.113.9") in found.evidence


def test_unattached_interfaces_are_endpoints_and_service_managed_ones_are_not():
    doc = web(
        SSH_WORLD,
        Instances=[],
        NetworkInterfaces=[
            eni("eni-free", Association={"PublicIp": "203.0.113.9"}),
            eni("eni-elb", managed=True, Association={"PublicIp": "203.0.113.10"}),
        ],
    )
    network = read_network(doc)
    free = f"aws:arn:aws:ec2:us-east-1:{ACCOUNT}:network-interface/eni-free"
    assert set(network.endpoints) == {free}
    found = internet_exposure(network, free)
    assert found is not None and (found.kind, found.ports) == ("network-interface", tcp(22))


def test_network_acl_rules_for_some_icmp_types_let_some_icmp_through():
    def icmp(number: int, action: str, kind: int) -> dict[str, Any]:
        return {**entry(number, action, protocol="1"), "IcmpTypeCode": {"Type": kind, "Code": -1}}

    rule = permission("icmp", (-1, -1), cidrs=["0.0.0.0/0"])
    # Echo requests denied, then everything: other ICMP messages still pass.
    some = subnet_acl(icmp(100, "deny", 8), entry(200, "allow"))
    found = exposure(web(rule, NetworkAcls=some))
    assert found is not None and (found.protocols, found.unknown_protocols) == (
        frozenset({1}),
        frozenset(),
    )
    # Echo requests denied, then one type allowed: it may be the same type.
    unsure = subnet_acl(icmp(100, "deny", 8), icmp(200, "allow", 0))
    found = exposure(web(rule, NetworkAcls=unsure))
    assert found is not None and found.unknown_protocols == frozenset({1})
