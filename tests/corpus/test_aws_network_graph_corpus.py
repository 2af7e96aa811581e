"""`drift graph --aws-file` with CloudGoat's network documents (../shared/corpus/aws/cloudgoat,
rebuilt from Terraform: no network ACLs, no load balancers) beside its IAM and resource
policies: instances and databases as workloads, what the internet reaches as `exposes`, and
the role each instance runs as — so a path runs from a published instance to the buckets.

The rebuild has no network ACLs, so whatever the security groups and routes let in is
`unknown`, with that reason; with the ACL AWS gives every new VPC added, it is public.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from shared_corpus import CORPUS, corpus_path

from drift.aws.documents import read_aws_files
from drift.aws.graph import add_aws
from drift.blast import blast_radius, shortest_path
from drift.cli import main
from drift.model import EdgeType, SystemGraph

pytestmark = pytest.mark.corpus

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "graph-v1.schema.json").read_text())
FILES = ("iam-authorization-details.json", "resource-policies.json", "ec2-network.json")
EC2 = "aws:arn:aws:ec2:us-east-1:123456789012:instance/"
RDS = "aws:arn:aws:rds:us-east-1:123456789012:db:"
ROLE = "arn:aws:iam::123456789012:role/"
PLAYER = "198.51.100.10/32"  # CloudGoat's cg_whitelist, as the rebuild sets it
NO_ACLS = "the snapshot has no network ACLs"


def files(scenario: str) -> list[Path]:
    folder = corpus_path("aws", "cloudgoat", scenario)
    return [folder / name for name in FILES if (folder / name).exists()]


def cli_graph(paths: list[Path]) -> dict[str, Any]:
    args = ["graph", "--quiet"]
    for path in paths:
        args += ["--aws-file", str(path)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    graph: dict[str, Any] = json.loads(result.stdout)
    jsonschema.validate(graph, SCHEMA)
    return graph


def exposes(graph: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        e["target"]: e
        for e in graph["edges"]
        if e["type"] == "exposes" and not e["target"].startswith("k8s:")
    }


def runs_as(graph: dict[str, Any]) -> dict[str, str]:
    return {
        e["source"]: e["target"]
        for e in graph["edges"]
        if e["type"] == "runs_as" and e["source"].startswith("aws:")
    }


def aws_workloads(graph: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        n["id"]: n for n in graph["nodes"] if n["type"] == "workload" and n["id"].startswith("aws:")
    }


def network_scenarios() -> list[str]:
    found = sorted(p.parent.name for p in (CORPUS / "aws" / "cloudgoat").glob("*/ec2-network.json"))
    return found or ["(corpus missing)"]


@pytest.mark.parametrize("scenario", network_scenarios())
def test_every_scenario_with_a_network_joins_the_model(scenario: str) -> None:
    graph = cli_graph(files(scenario))
    network = json.loads(files(scenario)[-1].read_text())
    workloads = aws_workloads(graph)
    listed = {EC2 + i["InstanceId"] for i in network.get("Instances", [])}
    listed |= {RDS + d["DBInstanceIdentifier"] for d in network.get("DBInstances", [])}
    assert set(workloads) == listed
    for target, edge in exposes(graph).items():
        if target in workloads:  # nothing decidedly public without network ACLs
            assert edge["scope"] == "unknown"
            assert any(NO_ACLS in line for line in edge["via"]), target
    profiled = {
        EC2 + i["InstanceId"] for i in network.get("Instances", []) if "IamInstanceProfile" in i
    }
    assert set(runs_as(graph)) == profiled  # every profile's role is in the rebuilt IAM


def with_default_acl(path: Path, tmp_path: Path) -> Path:
    """The scenario's network with the network ACL AWS gives every new VPC (rule 100 allows
    everything both ways), in a file of its own."""
    doc = json.loads(path.read_text())
    rules = [
        {"RuleNumber": n, "RuleAction": a, "Protocol": "-1", "CidrBlock": "0.0.0.0/0", "Egress": e}
        for e in (False, True)
        for n, a in ((100, "allow"), (32767, "deny"))
    ]
    doc["NetworkAcls"] = [
        {
            "NetworkAclId": f"acl-{v['VpcId']}",
            "VpcId": v["VpcId"],
            "IsDefault": True,
            "Entries": rules,
        }
        for v in doc["Vpcs"]
    ]
    out = tmp_path / "ec2-network.json"
    out.write_text(json.dumps(doc))
    return out


# --- cloud_breach_s3 -----------------------------------------------------------------------

PROXY = EC2 + "i-dcb9567b660360553"
WAF_ROLE = ROLE + "cg-banking-WAF-Role-cgidexample01"


def test_cloud_breach_s3_proxy_is_published_and_runs_as_the_waf_role(tmp_path: Path) -> None:
    graph = cli_graph(files("cloud_breach_s3"))
    proxy = aws_workloads(graph)[PROXY]
    assert (proxy["kind"], proxy["name"]) == (
        "EC2Instance",
        "ec2-vulnerable-proxy-server-cgidexample01",
    )
    edge = exposes(graph)[PROXY]
    assert (edge["scope"], edge["ports"]) == ("unknown", {"TCP": [[22, 22], [80, 80]]})
    assert f"undecided: i-dcb9567b660360553: {NO_ACLS}" in edge["via"]
    assert runs_as(graph) == {PROXY: WAF_ROLE}
    iam, network = files("cloud_breach_s3")
    decided = exposes(cli_graph([iam, with_default_acl(network, tmp_path)]))[PROXY]
    assert (decided["scope"], decided["ports"]) == ("public", {"TCP": [[22, 22], [80, 80]]})
    assert decided["via"][0] == (
        f"instance i-dcb9567b660360553 (ec2-vulnerable-proxy-server-cgidexample01) is reached "
        f"from {PLAYER} on TCP 22, 80"
    )


def test_cloud_breach_s3_proxy_reaches_every_bucket_through_its_role() -> None:
    graph = SystemGraph(cluster="c")
    add_aws(graph, read_aws_files(files("cloud_breach_s3")))
    path = shortest_path(graph, PROXY, "arn:aws:s3:::*")
    assert path is not None and all(step.certain for step in path)
    assert [(s.source, s.type, s.target) for s in path] == [
        (PROXY, EdgeType.RUNS_AS, WAF_ROLE),
        (WAF_ROLE, EdgeType.CAN, "arn:aws:s3:::*"),
    ]
    radius = blast_radius(graph)
    assert WAF_ROLE in radius.control_of(PROXY)
    assert "arn:aws:s3:::*" in radius.reach_of(PROXY)


# --- static --------------------------------------------------------------------------------


def test_static_bucket_is_published_to_the_public_by_its_statement() -> None:
    graph = cli_graph(files("static"))
    edge = exposes(graph)["arn:aws:s3:::cg-assets-cgidexample01"]
    # Principal "*" may PutObject, the bucket's block is off; the account's block is not in
    # the rebuild and one allowed address is a `${…}` placeholder: not decided.
    assert (edge["scope"], edge["ports"]) == ("unknown", {})
    statement = next(line for line in edge["via"] if line.startswith("bucket policy of"))
    assert "(Sid PublicReadWrite) allows s3:GetObject, s3:ListBucket, s3:PutObject" in statement
    assert "to the public if IpAddress aws:SourceIp 198.51.100.10/32" in statement
    assert (
        "undecided: a condition value cannot be read: IpAddress aws:SourceIp "
        "198.51.100.10/32, ${aws_eip.web_ip.public_ip}/32"
    ) in edge["via"]
    bucket = next(n for n in graph["nodes"] if n["id"] == "arn:aws:s3:::cg-assets-cgidexample01")
    assert (bucket["type"], bucket["apiGroup"], bucket["resource"]) == (
        "resource",
        "s3",
        "cg-assets-cgidexample01",
    )


# --- vpc_peering_overexposed ---------------------------------------------------------------

DEV, PROD = EC2 + "i-c5fa7f687c0f972c9", EC2 + "i-1ff2ef912f05c4b51"
CUSTOMERS = RDS + "customer-db-cgidexample01"


def test_vpc_peering_only_the_dev_instance_is_published() -> None:
    graph = cli_graph(files("vpc_peering_overexposed"))
    found = exposes(graph)
    assert set(found) == {DEV}  # prod has no public address, the database is not public
    assert (found[DEV]["scope"], found[DEV]["ports"]) == ("unknown", {"TCP": [[22, 22]]})
    assert found[DEV]["via"][0].endswith(f"may be reached from {PLAYER} on TCP 22 (undecided)")
    assert aws_workloads(graph)[CUSTOMERS]["kind"] == "DBInstance"
    assert runs_as(graph) == {
        DEV: ROLE + "dev-ec2-role-cgidexample01",
        PROD: ROLE + "prod-ec2-role-cgidexample01",
    }


# --- rce_web_app ---------------------------------------------------------------------------

WEBAPP, RCE_DB = EC2 + "i-c6f7d0f2c4cf33bef", RDS + "cg-rds-instance-cgidexample01"


def test_rce_web_app_publishes_ssh_and_the_log_bucket_is_undecided() -> None:
    graph = cli_graph(files("rce_web_app"))
    found = exposes(graph)
    # 9000 admits the load balancer's group only, and the rebuild has no load balancer.
    assert (found[WEBAPP]["scope"], found[WEBAPP]["ports"]) == ("unknown", {"TCP": [[22, 22]]})
    assert RCE_DB not in found  # not publicly accessible
    kinds = sorted(n["kind"] for n in aws_workloads(graph).values())
    assert kinds == ["DBInstance", "EC2Instance"]
    logs = found["arn:aws:s3:::cg-logs-s3-bucket-cgidexample01"]
    assert logs["scope"] == "unknown"
    assert logs["via"] == [
        "undecided: the ACL of bucket cg-logs-s3-bucket-cgidexample01 is not in the input, nor "
        "the public-access block of the bucket and account"
    ]


# --- ec2_ssrf ------------------------------------------------------------------------------

SSRF = EC2 + "i-da3a82378d90cba4b"


def test_ec2_ssrf_instance_is_published_to_the_player_and_runs_as_its_role() -> None:
    graph = cli_graph(files("ec2_ssrf"))
    edge = exposes(graph)[SSRF]
    assert (edge["scope"], edge["ports"]) == ("unknown", {"TCP": [[22, 22], [80, 80]]})
    group = "SecurityGroup sg-af49378fffa84cd3d (cg-ec2-ssh-cgidexample01)"
    assert f"{group} ingress tcp 80 from {PLAYER}" in edge["via"]
    assert runs_as(graph) == {SSRF: ROLE + "cg-ec2-role-cgidexample01"}
