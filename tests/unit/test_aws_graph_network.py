"""AWS compute and exposure in the graph: what `--aws-file` reads of network documents and
collector snapshots, the workloads it adds, `exposes` edges from what the network and
public-access semantics answer, and the role an instance or function runs as."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from aws_builders import details, doc, role, stmt
from aws_snapshots import (
    ACCOUNT,
    PRIV,
    group,
    instance,
    instance_id,
    permission,
    snapshot,
)

from drift.aws.documents import AwsInput, AwsInputError, read_aws_documents
from drift.aws.graph import add_aws
from drift.blast import blast_radius, shortest_path
from drift.collect import AWS_SNAPSHOT_VERSION
from drift.ids import INTERNET_ID
from drift.model import (
    EdgeType,
    ExposesEdge,
    ExposureScope,
    ResourceNode,
    SystemGraph,
    WorkloadNode,
)
from drift.ports import PortSet, Protocol

PUBLIC, INTERNAL, UNKNOWN = ExposureScope.PUBLIC, ExposureScope.INTERNAL, ExposureScope.UNKNOWN
ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT_SCHEMA = json.loads((ROOT / "docs" / "aws-snapshot-v1.schema.json").read_text())
WEB = instance_id("i-web")
PROFILE = f"arn:aws:iam::{ACCOUNT}:instance-profile/web"
WEB_ROLE = f"arn:aws:iam::{ACCOUNT}:role/web"
READ_ALL = doc(stmt(action="s3:GetObject", resource="*"))
HTTPS_FROM_ANYWHERE = group("sg-web", permission("tcp", (443, 443), cidrs=["0.0.0.0/0"]))


def tcp(*ports: int) -> PortSet:
    out = PortSet.empty()
    for port in ports:
        out |= PortSet.of(Protocol.TCP, port)
    return out


def web_role(*profiles: str) -> dict[str, Any]:
    found = role("web", inline={"read": READ_ALL})
    found["InstanceProfileList"] = [
        {"InstanceProfileName": p.rsplit("/", 1)[-1], "Arn": p} for p in profiles
    ]
    return found


def web(profile: str | None = PROFILE, **more: Any) -> dict[str, Any]:
    found = instance(**more)
    found["Tags"] = [{"Key": "Name", "Value": "shop-web"}, {"Key": "team", "Value": "shop"}]
    if profile:
        found["IamInstanceProfile"] = {"Arn": profile, "Id": "AIPAWEB"}
    return found


def read(*documents: Any) -> AwsInput:
    return read_aws_documents([(f"doc{i}.json", d) for i, d in enumerate(documents)])


def problems(*documents: Any) -> list[str]:
    with pytest.raises(AwsInputError) as caught:
        read(*documents)
    return list(caught.value.problems)


def graph_of(*documents: Any) -> SystemGraph:
    graph = SystemGraph(cluster="c")
    add_aws(graph, read(*documents))
    return graph


def exposes(graph: SystemGraph, target: str) -> ExposesEdge | None:
    edge = graph.edge(INTERNET_ID, target, EdgeType.EXPOSES)
    assert edge is None or isinstance(edge, ExposesEdge)
    return edge


def via(edge: ExposesEdge | None) -> list[str]:
    assert edge is not None
    return [e.text for e in edge.via]


# --- reading ---------------------------------------------------------------------------------


def test_an_ec2_document_is_read_beside_iam_without_touching_it() -> None:
    iam = details(roles=[web_role(PROFILE)])
    data = read(iam, snapshot(SecurityGroups=[HTTPS_FROM_ANYWHERE], Instances=[web()]))
    assert list(data.roles) == [WEB_ROLE]
    (network,) = data.network
    assert network.name == "doc1.json" and network.public is None
    assert network.ec2 is not None and network.ec2["Instances"][0]["InstanceId"] == "i-web"
    assert read(iam).network == ()


def test_an_unknown_section_is_one_line_naming_file_and_key_with_a_suggestion() -> None:
    assert problems(details(), {"Vpc": [], "Instances": []}) == [
        "doc1.json: Vpc: unknown section (did you mean 'Vpcs'?)"
    ]


def test_a_network_section_of_the_wrong_type_is_an_error_not_an_empty_section() -> None:
    assert problems({"Instances": {"InstanceId": "i-web"}, "Vpcs": ["vpc-1"]}) == [
        "doc0.json: Instances: must be a list",
        "doc0.json: Vpcs[0]: must be an object",
    ]


def test_a_field_of_the_wrong_type_inside_is_unknown_as_the_network_module_answers() -> None:
    bad = copy.deepcopy(HTTPS_FROM_ANYWHERE)
    bad["IpPermissions"][0]["FromPort"] = "https"
    graph = graph_of(snapshot(SecurityGroups=[bad], Instances=[web(profile=None)]))
    edge = exposes(graph, WEB)
    assert edge is not None and edge.scope is UNKNOWN
    assert any(line.startswith("undecided: ") for line in via(edge))


def test_describe_instances_reservations_are_flattened_with_their_owner() -> None:
    raw = web(profile=None)
    del raw["Tags"]
    ec2 = snapshot(SecurityGroups=[HTTPS_FROM_ANYWHERE], Instances=None)
    ec2["Reservations"] = [{"OwnerId": "999988887777", "Instances": [raw]}]
    graph = graph_of(ec2)
    node = graph.node("aws:arn:aws:ec2:us-east-1:999988887777:instance/i-web")
    assert isinstance(node, WorkloadNode) and node.name == "i-web"


def test_plain_network_files_are_one_snapshot_together() -> None:
    parts = snapshot(SecurityGroups=[HTTPS_FROM_ANYWHERE], Instances=[web(profile=None)])
    files = [{key: value} for key, value in parts.items()]
    edge = exposes(graph_of(*files), WEB)
    assert edge is not None and (edge.scope, edge.ports) == (PUBLIC, tcp(443))


# --- workloads and exposure ------------------------------------------------------------------


def test_an_instance_is_a_workload_named_by_its_tag_and_published_with_its_evidence() -> None:
    graph = graph_of(snapshot(SecurityGroups=[HTTPS_FROM_ANYWHERE], Instances=[web(None)]))
    assert graph.node(WEB) == WorkloadNode(
        id=WEB,
        kind="EC2Instance",
        namespace="",
        name="shop-web",
        service_account="",
        labels={"Name": "shop-web", "team": "shop"},
    )
    edge = exposes(graph, WEB)
    assert edge is not None and (edge.scope, edge.ports) == (PUBLIC, tcp(443))
    assert via(edge)[0] == "instance i-web (shop-web) is reached from 0.0.0.0/0 on TCP 443"
    assert "SecurityGroup sg-web (web) ingress tcp 443 from 0.0.0.0/0" in via(edge)
    assert "i-web has public IPv4 address 203.0.113.7" in via(edge)


def test_without_network_acls_the_exposure_is_unknown_with_the_reason_in_via() -> None:
    ec2 = snapshot(SecurityGroups=[HTTPS_FROM_ANYWHERE], Instances=[web(None)], NetworkAcls=None)
    edge = exposes(graph_of(ec2), WEB)
    assert edge is not None and (edge.scope, edge.ports) == (UNKNOWN, tcp(443))
    assert "undecided: i-web: the snapshot has no network ACLs" in via(edge)
    assert via(edge)[0].endswith("may be reached from 0.0.0.0/0 on TCP 443 (undecided)")


def test_an_instance_the_internet_does_not_reach_is_a_workload_without_exposes() -> None:
    private = web(None, subnet=PRIV, public_ip=None)
    graph = graph_of(snapshot(SecurityGroups=[HTTPS_FROM_ANYWHERE], Instances=[private]))
    assert graph.has_node(WEB) and exposes(graph, WEB) is None


LB_ARN = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/app/shop/1"


def load_balancer(scheme: str) -> dict[str, Any]:
    return {
        "LoadBalancerArn": LB_ARN,
        "LoadBalancerName": "shop",
        "Scheme": scheme,
        "Type": "application",
        "VpcId": "vpc-1",
        "AvailabilityZones": [{"ZoneName": "us-east-1a", "SubnetId": "subnet-pub"}],
        "SecurityGroups": ["sg-web"],
    }


@pytest.mark.parametrize(("scheme", "scope"), [("internet-facing", PUBLIC), ("internal", INTERNAL)])
def test_a_load_balancer_is_published_as_far_as_its_scheme(scheme: str, scope: Any) -> None:
    listeners = [{"LoadBalancerArn": LB_ARN, "Protocol": "HTTPS", "Port": 443}]
    ec2 = snapshot(
        SecurityGroups=[HTTPS_FROM_ANYWHERE],
        LoadBalancers=[load_balancer(scheme)],
        Listeners=listeners,
    )
    graph = graph_of(ec2)
    node = graph.node(f"aws:{LB_ARN}")
    assert isinstance(node, WorkloadNode) and (node.kind, node.name) == ("LoadBalancer", "shop")
    edge = exposes(graph, f"aws:{LB_ARN}")
    assert edge is not None and (edge.scope, edge.ports) == (scope, tcp(443))


def test_a_load_balancer_listed_by_arn_mapping_reads_the_same() -> None:
    ec2 = snapshot(
        SecurityGroups=[HTTPS_FROM_ANYWHERE],
        LoadBalancers=[load_balancer("internet-facing")],
        Listeners={LB_ARN: [{"Protocol": "HTTPS", "Port": 443}]},
    )
    edge = exposes(graph_of(ec2), f"aws:{LB_ARN}")
    assert edge is not None and (edge.scope, edge.ports) == (PUBLIC, tcp(443))


def database(accessible: bool) -> dict[str, Any]:
    return {
        "DBInstanceIdentifier": "orders",
        "DBInstanceArn": f"arn:aws:rds:us-east-1:{ACCOUNT}:db:orders",
        "PubliclyAccessible": accessible,
        "Endpoint": {"Port": 5432},
        "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-db", "Status": "active"}],
        "DBSubnetGroup": {"VpcId": "vpc-1", "Subnets": [{"SubnetIdentifier": "subnet-pub"}]},
        "TagList": [{"Key": "tier", "Value": "data"}],
    }


@pytest.mark.parametrize("accessible", [True, False])
def test_a_database_is_published_on_its_port_only_when_publicly_accessible(
    accessible: bool,
) -> None:
    open_db = group("sg-db", permission("tcp", (0, 65535), cidrs=["0.0.0.0/0"]))
    graph = graph_of(snapshot(SecurityGroups=[open_db], DBInstances=[database(accessible)]))
    node_id = f"aws:arn:aws:rds:us-east-1:{ACCOUNT}:db:orders"
    node = graph.node(node_id)
    assert isinstance(node, WorkloadNode)
    assert (node.kind, node.name, node.labels) == ("DBInstance", "orders", {"tier": "data"})
    edge = exposes(graph, node_id)
    if accessible:
        assert edge is not None and (edge.scope, edge.ports) == (PUBLIC, tcp(5432))
    else:
        assert edge is None


def interface(eni: str, public_ip: str | None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "NetworkInterfaceId": eni,
        "SubnetId": "subnet-pub",
        "VpcId": "vpc-1",
        "Groups": [{"GroupId": "sg-web"}],
        "PrivateIpAddress": "10.0.1.9",
        "TagSet": [{"Key": "Name", "Value": f"spare {eni}"}],
    }
    if public_ip:
        found["Association"] = {"PublicIp": public_ip}
    return found


def test_a_standalone_interface_is_a_workload_only_when_the_internet_reaches_it() -> None:
    ec2 = snapshot(
        SecurityGroups=[HTTPS_FROM_ANYWHERE],
        NetworkInterfaces=[interface("eni-open", "203.0.113.9"), interface("eni-quiet", None)],
    )
    graph = graph_of(ec2)
    kinds = {n.id.rsplit("/", 1)[-1]: n.kind for n in graph.nodes() if isinstance(n, WorkloadNode)}
    assert kinds == {"eni-open": "NetworkInterface"}
    edge = exposes(graph, f"aws:arn:aws:ec2:us-east-1:{ACCOUNT}:network-interface/eni-open")
    assert edge is not None and edge.scope is PUBLIC


# --- roles -----------------------------------------------------------------------------------


def test_an_instance_runs_as_the_role_its_profile_holds_and_reaches_what_it_may() -> None:
    iam = details(roles=[web_role(PROFILE)])
    graph = graph_of(iam, snapshot(SecurityGroups=[HTTPS_FROM_ANYWHERE], Instances=[web()]))
    assert graph.edge(WEB, WEB_ROLE, EdgeType.RUNS_AS) is not None
    path = shortest_path(graph, WEB, "arn:aws:s3:::*")
    assert path is not None
    assert [(s.type, s.target) for s in path] == [
        (EdgeType.RUNS_AS, WEB_ROLE),
        (EdgeType.CAN, "arn:aws:s3:::*"),
    ]
    assert "arn:aws:s3:::*" in blast_radius(graph).reach_of(WEB)


def test_a_profile_is_matched_by_name_within_its_account_only() -> None:
    listed = f"arn:aws:iam::{ACCOUNT}:instance-profile/team/web"  # another path, same name
    other = "arn:aws:iam::444455556666:instance-profile/web"
    iam = details(roles=[web_role(listed)])
    ec2 = snapshot(SecurityGroups=[HTTPS_FROM_ANYWHERE], Instances=[web()])
    assert graph_of(iam, ec2).edge(WEB, WEB_ROLE, EdgeType.RUNS_AS) is not None
    elsewhere = snapshot(SecurityGroups=[HTTPS_FROM_ANYWHERE], Instances=[web(other)])
    graph = graph_of(iam, elsewhere)
    assert list(graph.edges(EdgeType.RUNS_AS)) == []
    assert graph.notes == [
        f"doc1.json: instance shop-web has instance profile {other}, whose role is not in the "
        "IAM input"
    ]


# --- collector snapshots ---------------------------------------------------------------------

FUNCTION_ARN = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:thumbs"
FUNCTION = f"aws:{FUNCTION_ARN}"
BUCKET_PUBLIC_READ = {
    "Bucket": "assets",
    "Region": "eu-west-1",
    "Policy": doc(stmt(action="s3:GetObject", resource="arn:aws:s3:::assets/*", Principal="*")),
    "Acl": {"Owner": {"ID": "o"}, "Grants": []},
}


def collector_snapshot(
    *, account_block: Any = None, url_auth: str = "NONE", policies: bool = True
) -> dict[str, Any]:
    """What `python -m collectors.aws --out` writes for one account and region."""
    ec2 = snapshot(SecurityGroups=[HTTPS_FROM_ANYWHERE], Instances=[web()])
    for subnet in ec2["Subnets"]:
        subnet["AvailabilityZone"] = "eu-west-1a"  # the region the snapshot names rules
    ec2["LambdaFunctions"] = [
        {"FunctionName": "thumbs", "FunctionArn": FUNCTION_ARN, "Role": WEB_ROLE}
    ]
    invoke = {"Effect": "Allow", "Principal": "*", "Resource": FUNCTION_ARN}
    lambda_policies = [
        {
            "FunctionName": "thumbs",
            "FunctionArn": FUNCTION_ARN,
            "Policy": doc(
                {**invoke, "Action": "lambda:InvokeFunctionUrl"},
                {**invoke, "Action": "lambda:InvokeFunction"},
            ),
        }
    ]
    urls = [
        {
            "FunctionArn": f"{FUNCTION_ARN}:live",
            "FunctionUrl": "https://x.lambda-url.eu-west-1.on.aws/",
            "AuthType": url_auth,
        }
    ]
    return {
        "apiVersion": AWS_SNAPSHOT_VERSION,
        "collectedAt": "2026-01-01T00:00:00Z",
        "accounts": [
            {
                "accountId": ACCOUNT,
                "iamAuthorizationDetails": details(roles=[web_role(PROFILE)]),
                "resourcePolicies": {
                    "S3BucketPolicies": [BUCKET_PUBLIC_READ],
                    "S3AccountPublicAccessBlock": account_block,
                },
                "regions": {
                    "eu-west-1": {
                        "ec2Network": ec2,
                        "resourcePolicies": {
                            **({"LambdaFunctionPolicies": lambda_policies} if policies else {}),
                            "LambdaFunctionUrlConfigs": urls,
                        },
                    }
                },
            }
        ],
        "scopes": [
            {"scope": f"aws:{ACCOUNT}/eu-west-1/ec2:DescribeVpcs", "status": "ok", "detail": ""}
        ],
        "warnings": [],
    }


def test_a_collector_snapshot_joins_iam_compute_exposure_and_roles() -> None:
    document = collector_snapshot()
    jsonschema.validate(document, SNAPSHOT_SCHEMA)
    graph = graph_of(document)
    instance_node = f"aws:arn:aws:ec2:eu-west-1:{ACCOUNT}:instance/i-web"
    assert graph.edge(instance_node, WEB_ROLE, EdgeType.RUNS_AS) is not None
    assert graph.edge(FUNCTION, WEB_ROLE, EdgeType.RUNS_AS) is not None
    assert exposes(graph, instance_node).scope is PUBLIC  # type: ignore[union-attr]
    # The alias's URL publishes the function; no public-access block anywhere: public.
    url = exposes(graph, FUNCTION)
    assert url is not None and url.scope is PUBLIC
    assert any("AuthType NONE" in line for line in via(url))
    bucket = exposes(graph, "arn:aws:s3:::assets")
    assert bucket is not None and bucket.scope is PUBLIC
    assert graph.node("arn:aws:s3:::assets") == ResourceNode(
        id="arn:aws:s3:::assets", name="S3 bucket assets", api_group="s3", resource="assets"
    )


def test_the_account_block_of_a_snapshot_is_honoured() -> None:
    block = dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
    )
    bucket = exposes(graph_of(collector_snapshot(account_block=block)), "arn:aws:s3:::assets")
    assert bucket is not None and bucket.scope is INTERNAL


def test_a_snapshot_function_with_a_url_and_no_policy_is_not_published() -> None:
    document = collector_snapshot()
    region = document["accounts"][0]["regions"]["eu-west-1"]["resourcePolicies"]
    region["LambdaFunctionPolicies"] = []  # collected: the function has no policy
    assert exposes(graph_of(document), FUNCTION) is None
    not_collected = collector_snapshot(policies=False)
    url = exposes(graph_of(not_collected), FUNCTION)
    assert url is not None and url.scope is UNKNOWN


def test_a_snapshot_names_unknown_fields_and_failed_scopes_in_notes_not_errors() -> None:
    document = collector_snapshot()
    document["accounts"][0]["regions"]["eu-west-1"]["ec2Network"]["NatGateways"] = []
    document["scopes"].append(
        {
            "scope": f"aws:{ACCOUNT}/eu-west-1/rds:DescribeDBInstances",
            "status": "forbidden",
            "detail": "AccessDenied: no",
        }
    )
    notes = read(document).notes
    assert (
        "doc0.json: accounts[0].regions.eu-west-1.ec2Network.NatGateways: not read (unknown to "
        "this version of drift)"
    ) in notes
    assert any("rds:DescribeDBInstances forbidden: AccessDenied: no" in n for n in notes)


def test_a_snapshot_with_bad_parts_says_where_in_one_line_each() -> None:
    document = collector_snapshot()
    document["accounts"][0]["regions"]["eu-west-1"]["ec2Network"]["Instances"] = "i-web"
    document["accounts"][0]["iamAuthorizationDetails"]["RoleDetailList"][0]["Arn"] = 7
    assert problems(document) == [
        "doc0.json: accounts[0].regions.eu-west-1.ec2Network.Instances: must be a list",
        "doc0.json: accounts[0].iamAuthorizationDetails.RoleDetailList[0].Arn: must be a string",
    ]
    assert problems({**document, "apiVersion": "v0"}) == [
        f"doc0.json: apiVersion is 'v0', not {AWS_SNAPSHOT_VERSION}"
    ]


def test_the_same_documents_twice_give_the_same_graph() -> None:
    document = collector_snapshot()
    once, twice = graph_of(document), graph_of(document, copy.deepcopy(document))
    assert sorted(n.id for n in twice.nodes()) == sorted(n.id for n in once.nodes())
    assert len(list(twice.edges())) == len(list(once.edges()))


def leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in leaves(v, (*path, k))] or [path]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in leaves(v, (*path, i))] or [path]
    return [path]


@pytest.mark.parametrize("bad", [7, "x", {"a": 1}])
def test_any_field_of_a_wrong_type_gives_one_line_problems_or_a_graph_never_a_crash(
    bad: Any,
) -> None:
    document = collector_snapshot()
    document["accounts"][0]["regions"]["eu-west-1"]["ec2Network"]["LoadBalancers"] = [
        load_balancer("internet-facing")
    ]
    for path in leaves(document):
        changed = copy.deepcopy(document)
        holder = changed
        for key in path[:-1]:
            holder = holder[key]
        holder[path[-1]] = bad
        try:
            graph_of(changed)
        except AwsInputError as exc:
            assert all("\n" not in p and p.startswith("doc0.json: ") for p in exc.problems)
