"""The AWS network and public-access semantics on CloudGoat's scenarios, rebuilt from their
Terraform (../shared/corpus/aws/cloudgoat, SOURCES.md). Deliberately vulnerable.

The rebuild has no network ACLs, so every path into a subnet is unknown: what the security
groups and routes decide is pinned as it stands, and again with the network ACL AWS gives
every new VPC (rule 100 allows everything, both ways) added, to pin the decided answer.

- ec2_ssrf: the SSRF instance is published to the player's /32 on TCP 22 and 80.
- vpc_peering_overexposed: dev (10.10.0.0/16) reaches the prod instance on TCP 22 and 443
  over the peering, and not the customer database (its group admits 10.20.10.0/24 only).
- rce_web_app: the web instance is published on TCP 22 only (9000 is for the load balancer's
  group, and the load balancer is not in the rebuild); the database is not publicly
  accessible and admits the VPC on 5432.
- cloud_breach_s3: no resource policies at all; the proxy instance is published to the
  player's /32 on 22 and 80, and its instance profile is the role with AmazonS3FullAccess:
  the bucket is reached through that role, not published.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from shared_corpus import CORPUS, corpus_path

from drift.aws.function_urls import function_url_exposures
from drift.aws.network import (
    Network,
    groups_reach,
    internet_exposure,
    internet_exposures,
    peering_reaches,
    reach,
    read_network,
)
from drift.aws.public_access import bucket_exposure, bucket_exposures
from drift.model import Evidence, ExposureScope
from drift.ports import PortSet, Protocol

pytestmark = pytest.mark.corpus

PUBLIC, INTERNAL, UNKNOWN = ExposureScope.PUBLIC, ExposureScope.INTERNAL, ExposureScope.UNKNOWN
PLAYER = "198.51.100.10/32"  # CloudGoat's cg_whitelist, as the rebuild sets it
NO_ACLS = "the snapshot has no network ACLs"
EC2 = "aws:arn:aws:ec2:us-east-1:123456789012:instance/"
RDS = "aws:arn:aws:rds:us-east-1:123456789012:db:"


def tcp(*ports: int) -> PortSet:
    out = PortSet.empty()
    for p in ports:
        out |= PortSet.of(Protocol.TCP, p)
    return out


def document(scenario: str, name: str = "ec2-network.json") -> dict[str, Any]:
    path: Path = corpus_path("aws", "cloudgoat", scenario, name)
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def network(scenario: str, *, default_acl: bool = False) -> Network:
    doc = document(scenario)
    if default_acl:
        doc["NetworkAcls"] = [_default_acl(v["VpcId"]) for v in doc["Vpcs"]]
    found = read_network(doc)
    assert found.problems == ()
    return found


def _default_acl(vpc: str) -> dict[str, Any]:
    rules = [
        {"RuleNumber": n, "RuleAction": a, "Protocol": "-1", "CidrBlock": "0.0.0.0/0", "Egress": e}
        for e in (False, True)
        for n, a in ((100, "allow"), (32767, "deny"))
    ]
    return {"NetworkAclId": f"acl-{vpc}", "VpcId": vpc, "IsDefault": True, "Entries": rules}


def scenarios(name: str) -> list[str]:
    found = sorted(p.parent.name for p in (CORPUS / "aws" / "cloudgoat").glob(f"*/{name}"))
    return found or ["(corpus missing)"]


@pytest.mark.parametrize("scenario", scenarios("ec2-network.json"))
def test_every_network_snapshot_reads_and_every_endpoint_is_judged(scenario):
    net = network(scenario)
    doc = document(scenario)
    assert len(net.endpoints) == len(doc.get("Instances", [])) + len(doc.get("DBInstances", []))
    for exposure in internet_exposures(net):
        assert exposure.scope is not PUBLIC, "without network ACLs nothing is decidedly public"
        assert any(NO_ACLS in r for r in exposure.reasons)
    peering_reaches(net)


@pytest.mark.parametrize("scenario", scenarios("resource-policies.json"))
def test_every_resource_policy_document_is_judged(scenario):
    doc = document(scenario, "resource-policies.json")
    for exposure in (*bucket_exposures(doc), *function_url_exposures(doc)):
        assert exposure.scope is not PUBLIC or exposure.reasons == ()


# --- ec2_ssrf ------------------------------------------------------------------------------

SSRF = EC2 + "i-da3a82378d90cba4b"


def test_ec2_ssrf_instance_is_published_to_the_player_with_its_group_rules():
    found = internet_exposure(network("ec2_ssrf"), SSRF)
    assert found is not None
    assert (found.scope, found.ports, found.unknown) == (UNKNOWN, PortSet.empty(), tcp(22, 80))
    assert found.sources == (PLAYER,)
    assert found.evidence == (
        Evidence(
            text="RouteTable rtb-be91f16f8403bd2ae (CloudGoat cgidexample01 Route Table) "
            "route 0.0.0.0/0 -> igw-98eb6fa54fc8fce8a"
        ),
        Evidence(
            text="SecurityGroup sg-af49378fffa84cd3d (cg-ec2-ssh-cgidexample01) "
            f"ingress tcp 22 from {PLAYER}"
        ),
        Evidence(
            text="SecurityGroup sg-af49378fffa84cd3d (cg-ec2-ssh-cgidexample01) "
            f"ingress tcp 80 from {PLAYER}"
        ),
        Evidence(text="i-da3a82378d90cba4b has public IPv4 address 203.0.113.5"),
    )
    assert found.reasons == (f"i-da3a82378d90cba4b: {NO_ACLS}",)


def test_ec2_ssrf_with_the_default_acl_is_public_to_the_player_only():
    found = internet_exposure(network("ec2_ssrf", default_acl=True), SSRF)
    assert found is not None
    assert (found.scope, found.ports, found.unknown, found.sources) == (
        PUBLIC,
        tcp(22, 80),
        PortSet.empty(),
        (PLAYER,),
    )


# --- vpc_peering_overexposed ---------------------------------------------------------------

DEV, PROD = EC2 + "i-c5fa7f687c0f972c9", EC2 + "i-1ff2ef912f05c4b51"
CUSTOMERS = RDS + "customer-db-cgidexample01"
PCX = "VPC peering pcx-d0fb33cffaf634e61"


@pytest.mark.parametrize("default_acl", [False, True])
def test_vpc_peering_dev_reaches_prod_ssh_and_https_not_the_database(default_acl):
    net = network("vpc_peering_overexposed", default_acl=default_acl)
    (one,) = peering_reaches(net)
    assert (one.source, one.target, one.via, one.sources) == (
        "10.10.0.0/16",
        PROD,
        PCX,
        ("10.10.10.0/24",),
    )
    assert (one.ports | one.unknown) == tcp(22, 443)
    assert one.ports == (tcp(22, 443) if default_acl else PortSet.empty())
    assert {
        Evidence(
            text="RouteTable rtb-cfd80326baed72cce (prod-route-table-cgidexample01) "
            "route 10.10.0.0/16 -> pcx-d0fb33cffaf634e61"
        ),
        Evidence(
            text="RouteTable rtb-7bb9f06529d601e60 (dev-route-table-cgidexample01) "
            "route 10.20.0.0/16 -> pcx-d0fb33cffaf634e61"
        ),
        Evidence(
            text="SecurityGroup sg-53791d9bd5f1c5d1f (prod-security-group-cgidexample01) "
            "ingress tcp 22 from 10.10.0.0/16"
        ),
    } <= set(one.evidence)
    from_dev = reach(net, DEV, PROD)
    assert (from_dev.ports | from_dev.unknown, from_dev.via) == (tcp(22, 443), PCX)
    to_db = reach(net, DEV, CUSTOMERS)
    assert (to_db.ports, to_db.unknown) == (PortSet.empty(), PortSet.empty())


def test_vpc_peering_prod_is_not_on_the_internet_and_dev_is_to_the_player():
    net = network("vpc_peering_overexposed", default_acl=True)
    assert internet_exposure(net, PROD) is None  # no public address
    assert internet_exposure(net, CUSTOMERS) is None  # not publicly accessible
    dev = internet_exposure(net, DEV)
    assert dev is not None and (dev.scope, dev.ports, dev.sources) == (PUBLIC, tcp(22), (PLAYER,))


# --- rce_web_app ---------------------------------------------------------------------------

WEBAPP, RCE_DB = EC2 + "i-c6f7d0f2c4cf33bef", RDS + "cg-rds-instance-cgidexample01"


def test_rce_web_app_instance_is_published_on_ssh_only():
    net = network("rce_web_app", default_acl=True)
    found = internet_exposure(net, WEBAPP)
    assert found is not None and (found.scope, found.ports, found.sources) == (
        PUBLIC,
        tcp(22),
        (PLAYER,),
    )
    assert internet_exposure(net, RCE_DB) is None
    # Port 9000 admits the load balancer's group: hosts of the VPC may carry it.
    inside = groups_reach(net, WEBAPP, "10.0.0.0/16")
    assert (inside.ports, inside.unknown) == (PortSet.empty(), tcp(9000))


def test_rce_web_app_instance_reaches_the_database_on_its_port():
    net = network("rce_web_app")
    by_groups = groups_reach(net, RCE_DB, WEBAPP)
    assert (by_groups.ports, by_groups.unknown) == (tcp(5432), PortSet.empty())
    # The database's subnets are not in the rebuild (only the subnet group's name).
    whole = reach(net, WEBAPP, RCE_DB)
    assert (whole.ports, whole.unknown) == (PortSet.empty(), tcp(5432))
    assert any(
        "DB subnet group cloud-goat-rds-subnet-group-cgidexample01" in r for r in whole.reasons
    )


def test_rce_web_app_log_bucket_is_not_public():
    found = bucket_exposure(
        document("rce_web_app", "resource-policies.json"), "cg-logs-s3-bucket-cgidexample01"
    )
    # The policy names the ELB log-delivery account, a fixed principal; the ACL is not rebuilt.
    assert found is not None and (found.scope, found.actions) == (UNKNOWN, ())
    assert found.reasons == (
        "the ACL of bucket cg-logs-s3-bucket-cgidexample01 is not in the input, "
        "nor the public-access block of the bucket and account",
    )


# --- cloud_breach_s3 -----------------------------------------------------------------------

PROXY = EC2 + "i-dcb9567b660360553"


def test_cloud_breach_s3_bucket_is_reached_through_the_ec2_role_not_published():
    assert not (
        corpus_path("aws", "cloudgoat", "cloud_breach_s3") / "resource-policies.json"
    ).exists()
    bucket = bucket_exposure({}, "cg-cardholder-data-bucket-cgidexample01")
    assert bucket is not None and bucket.scope is UNKNOWN  # not public: nothing says so
    net = network("cloud_breach_s3", default_acl=True)
    proxy = internet_exposure(net, PROXY)
    assert proxy is not None
    assert (proxy.scope, proxy.ports, proxy.sources) == (PUBLIC, tcp(22, 80), (PLAYER,))
    iam = document("cloud_breach_s3", "iam-authorization-details.json")
    (role,) = iam["RoleDetailList"]
    profile = document("cloud_breach_s3")["Instances"][0]["IamInstanceProfile"]["Arn"]
    assert profile.endswith("/" + role["InstanceProfileList"][0]["InstanceProfileName"])
    assert [p["PolicyName"] for p in role["AttachedManagedPolicies"]] == ["AmazonS3FullAccess"]


# --- public access -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "bucket", "scope"),
    [
        # Principal {"AWS": "*"} on s3:Get*, but the bucket's RestrictPublicBuckets is on.
        ("vulnerable_cognito", "cognitoctf-cgidexample01", INTERNAL),
        # Principal "*" may PutObject; RestrictPublicBuckets on (BlockPublicPolicy off).
        ("glue_privesc", "cg-web-cgidexample01", INTERNAL),
        ("glue_privesc", "cg-data-cgidexample01", None),  # private ACL, no policy
        # Public GetObject, the bucket's block all off; the account's is not rebuilt.
        ("s3_version_rollback_via_cfn", "cg-s3-version-index-cgidexample01", UNKNOWN),
        # IP-conditioned, one of the IPs a `${aws_eip…}` placeholder.
        ("static", "cg-assets-cgidexample01", UNKNOWN),
        # Service principals only, everything blocked.
        ("ecs_privesc_evade_protection", "cg-cloudtrail-s3-cgidexample01", None),
    ],
)
def test_corpus_buckets(scenario, bucket, scope):
    found = bucket_exposure(document(scenario, "resource-policies.json"), bucket)
    assert (found.scope if found else None) is scope


def test_s3_version_rollback_index_is_public_once_the_account_sets_no_block():
    doc = document("s3_version_rollback_via_cfn", "resource-policies.json")
    doc["AccountPublicAccessBlock"] = None
    for entry in doc["S3BucketPolicies"]:
        entry["CannedACL"] = "private"
    index = bucket_exposure(doc, "cg-s3-version-index-cgidexample01")
    assert index is not None and (index.scope, index.actions) == (PUBLIC, ("s3:GetObject",))
    # aws:Referer does not limit who: the flag object is public too (its Deny statements
    # narrow who gets it, but S3 counts the policy public).
    flag = bucket_exposure(doc, "cg-s3-version-flag-cgidexample01")
    assert flag is not None and flag.scope is PUBLIC


def test_static_bucket_is_conditional_once_its_address_is_known():
    doc = document("static", "resource-policies.json")
    text = json.dumps(doc).replace("${aws_eip.web_ip.public_ip}", "203.0.113.17")
    found = bucket_exposure(json.loads(text), "cg-assets-cgidexample01")
    assert found is not None and found.scope is UNKNOWN  # its ACL is not rebuilt
    assert found.conditions == ("IpAddress aws:SourceIp 198.51.100.10/32, 203.0.113.17/32",)
    with_acl = json.loads(text)
    with_acl["S3BucketPolicies"][0]["CannedACL"] = "private"
    assert bucket_exposure(with_acl, "cg-assets-cgidexample01").scope is INTERNAL


def test_corpus_functions_have_no_public_urls():
    for scenario in scenarios("resource-policies.json"):
        assert function_url_exposures(document(scenario, "resource-policies.json")) == ()
