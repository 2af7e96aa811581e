"""deploy/aws/iam-policy.json: what the AWS collector may do, read-only and exactly listed. No
wildcard action, no write, no read of data (objects, secrets, parameters), and AssumeRole only
on the per-account reader role."""

from __future__ import annotations

import json
from typing import Any

import pytest

from collectors.aws.account import all_scopes
from tests.deploy.kustomize import ROOT

POLICY = ROOT / "deploy" / "aws" / "iam-policy.json"
READER_ROLE = "arn:aws:iam::*:role/design-drift-reader"
# What the AWS collector calls (issue 7); a change here is a change of the monitor's privilege.
EXPECTED = {
    "iam:GetAccountAuthorizationDetails",
    "ec2:DescribeRegions",
    "ec2:DescribeVpcs",
    "ec2:DescribeVpcPeeringConnections",
    "ec2:DescribeSubnets",
    "ec2:DescribeRouteTables",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeListeners",
    "s3:ListAllMyBuckets",
    "s3:GetBucketLocation",
    "s3:GetBucketPolicy",
    "s3:GetBucketAcl",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketPolicyStatus",
    "s3:GetAccountPublicAccessBlock",
    "rds:DescribeDBInstances",
    "lambda:ListFunctions",
    "lambda:GetFunctionUrlConfig",
    "lambda:ListFunctionUrlConfigs",
    "lambda:GetPolicy",
    "eks:ListClusters",
    "eks:DescribeCluster",
    "eks:ListPodIdentityAssociations",
    "eks:DescribePodIdentityAssociation",
    "organizations:ListPolicies",
    "organizations:DescribePolicy",
    "organizations:ListTargetsForPolicy",
    "sts:AssumeRole",
}
WRITE_VERBS = (
    "Put", "Create", "Delete", "Update", "Modify", "Attach", "Detach", "Associate",
    "Disassociate", "Add", "Remove", "Set", "Tag", "Untag", "Run", "Start", "Stop",
    "Terminate", "Reboot", "Invoke", "Pass", "Enable", "Disable", "Authorize", "Revoke",
    "Replace", "Restore", "Upload", "Copy", "Publish", "Send", "Decrypt", "Encrypt",
)  # fmt: skip
# Reads of data rather than of configuration: object bodies, secrets, parameters, a
# function's code and environment variables.
DATA_READ_PREFIXES = ("GetObject", "GetSecretValue", "GetParameter", "SelectObjectContent")
DATA_READS = {
    "lambda:GetFunction",  # a link to the code, and the environment variables
    "lambda:GetFunctionConfiguration",  # the environment variables
    "ec2:GetPasswordData",
    "ec2:DescribeInstanceAttribute",  # user data
    "rds:DownloadDBLogFilePortion",
}
DATA_SERVICES = {"secretsmanager", "ssm", "kms", "dynamodb", "sqs", "logs", "kinesis", "glacier"}


def statements() -> list[dict[str, Any]]:
    policy = json.loads(POLICY.read_text(encoding="utf-8"))
    assert policy["Version"] == "2012-10-17"
    found: list[dict[str, Any]] = policy["Statement"]
    return found


def actions() -> list[str]:
    return [action for s in statements() for action in s["Action"]]


def test_only_allow_statements_with_listed_actions() -> None:
    for statement in statements():
        assert statement["Effect"] == "Allow"
        assert isinstance(statement["Action"], list)
        assert not {"NotAction", "NotResource", "Principal"} & set(statement)
    assert len(actions()) == len(set(actions()))


def test_the_actions_are_exactly_what_the_aws_collector_calls() -> None:
    assert set(actions()) == EXPECTED


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_no_wildcard_no_write_and_no_data_read(action: str) -> None:
    service, _, verb = action.partition(":")
    assert "*" not in action and "?" not in action
    assert service not in DATA_SERVICES
    assert not verb.startswith(DATA_READ_PREFIXES)
    assert action not in DATA_READS
    if action != "sts:AssumeRole":
        assert not verb.startswith(WRITE_VERBS)
        assert verb.startswith(("Describe", "List", "Get"))


def test_assume_role_reaches_only_the_reader_role_of_each_account() -> None:
    [assume] = [s for s in statements() if "sts:AssumeRole" in s["Action"]]
    assert assume["Action"] == ["sts:AssumeRole"]
    assert assume["Resource"] == READER_ROLE


def test_the_organizations_statement_is_marked_optional() -> None:
    [scps] = [s for s in statements() if any(a.startswith("organizations:") for a in s["Action"])]
    assert scps["Sid"].startswith("Optional")
    assert all(a.startswith("organizations:") for a in scps["Action"])


def test_the_policy_grants_every_action_the_collector_reads_with() -> None:
    """Each scope of a collection is named by the IAM action behind it; the collector also
    asks which regions are enabled. A new read in the collector fails here until the policy
    (and EXPECTED) grant it."""
    used = {scope.rsplit("/", 1)[1] for scope in all_scopes("123456789012", ["eu-west-1"])}
    used.add("ec2:DescribeRegions")
    assert used <= set(actions()), sorted(used - set(actions()))
