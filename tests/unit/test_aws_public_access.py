"""What bucket policies, bucket ACLs and Lambda function URLs publish, one documented rule of
S3's "meaning of public", its public-access block, or Lambda's URL auth per test."""

from __future__ import annotations

import json
from typing import Any

import pytest

from drift.aws.function_urls import function_url_exposures
from drift.aws.public_access import bucket_exposure, bucket_exposures
from drift.model import ExposureScope

PUBLIC, INTERNAL, UNKNOWN = ExposureScope.PUBLIC, ExposureScope.INTERNAL, ExposureScope.UNKNOWN
FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
OFF = dict.fromkeys(FLAGS, False)


def statement(principal: Any = "*", condition: dict[str, Any] | None = None, **extra: Any):
    out = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/*",
        **extra,
    }
    if condition:
        out["Condition"] = condition
    return out


def bucket(
    *statements: dict[str, Any],
    block: dict[str, bool] | None = None,
    account: dict[str, bool] | None = None,
    acl: str | None = "private",
    **entry: Any,
) -> dict[str, Any]:
    """A document with bucket `b`: its policy, public-access block (default: none set, for
    the bucket and the account) and canned ACL."""
    one: dict[str, Any] = {"Bucket": "b", "PublicAccessBlockConfiguration": block or {}, **entry}
    if statements:
        one["Policy"] = {"Version": "2012-10-17", "Statement": list(statements)}
    if acl is not None:
        one["CannedACL"] = acl
    return {
        "S3BucketPolicies": [one],
        "AccountPublicAccessBlock": {"PublicAccessBlockConfiguration": account or {}},
    }


def scope(doc: dict[str, Any]) -> ExposureScope | None:
    found = bucket_exposure(doc, "b")
    return None if found is None else found.scope


# --- bucket policies -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "principal",
    [
        "*",
        {"AWS": "*"},
        {"AWS": ["arn:aws:iam::111122223333:root", "*"]},
        {"AWS": "arn:aws:iam::*:root"},
        {"Federated": "graph.facebook.com"},
    ],
)
def test_a_principal_that_is_not_fixed_makes_the_policy_public(principal):
    found = bucket_exposure(bucket(statement(principal)), "b")
    assert found is not None
    assert (found.scope, found.actions, found.target_id) == (
        PUBLIC,
        ("s3:GetObject",),
        "aws:arn:aws:s3:::b",
    )


def test_fixed_principals_publish_nothing():
    assert scope(bucket(statement({"AWS": "arn:aws:iam::127311923021:root"}))) is None
    assert scope(bucket(statement({"Service": "cloudtrail.amazonaws.com"}))) is None


def test_a_deny_statement_grants_nothing():
    assert scope(bucket({**statement(), "Effect": "Deny"})) is None


def test_the_policy_may_be_json_text_as_get_bucket_policy_returns_it():
    doc = bucket()
    doc["S3BucketPolicies"][0]["Policy"] = json.dumps({"Statement": [statement()]})
    assert scope(doc) is PUBLIC


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
        {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
        {"IpAddress": {"aws:SourceIp": ["198.51.100.0/24", "10.0.0.0/8"]}},
        {"ArnEquals": {"aws:SourceArn": "arn:aws:cloudfront::111122223333:distribution/E1"}},
        {"ForAnyValue:StringEquals": {"aws:SourceAccount": "111122223333"}},
    ],
)
def test_a_fixed_limiting_condition_makes_the_grant_conditional(condition):
    found = bucket_exposure(bucket(statement(condition=condition)), "b")
    assert found is not None and found.scope is INTERNAL
    ((operator, pairs),) = condition.items()
    ((key, value),) = pairs.items()
    values = ", ".join(value if isinstance(value, list) else [value])
    assert found.conditions == (f"{operator} {key} {values}",)


@pytest.mark.parametrize(
    "condition",
    [
        {"IpAddress": {"aws:SourceIp": "0.0.0.0/1"}},  # broader than /8
        {"IpAddress": {"aws:SourceIp": "2001:db8::/16"}},  # broader than /32
        {"NotIpAddress": {"aws:SourceIp": "198.51.100.0/24"}},
        {"StringLike": {"aws:SourceVpc": "vpc-*"}},  # a wildcard is not fixed
        {"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}},  # holds without the key
        {"ForAllValues:StringEquals": {"aws:SourceAccount": "111122223333"}},
        {"StringEquals": {"aws:SourceAccount": "${aws:PrincipalAccount}"}},  # a policy variable
        {"StringLike": {"aws:Referer": "http://example.com/*"}},  # not a limiting key
    ],
)
def test_conditions_that_do_not_limit_to_fixed_values_leave_it_public(condition):
    assert scope(bucket(statement(condition=condition))) is PUBLIC


def test_an_unresolved_condition_value_is_unknown():
    condition = {"IpAddress": {"aws:SourceIp": ["198.51.100.10/32", "${aws_eip.web.public_ip}/32"]}}
    found = bucket_exposure(bucket(statement(condition=condition)), "b")
    assert found is not None and found.scope is UNKNOWN
    assert any("cannot be read" in r for r in found.reasons)


# --- the public-access block ---------------------------------------------------------------


@pytest.mark.parametrize("where", ["bucket", "account"])
def test_restrict_public_buckets_limits_a_public_policy_to_the_account(where):
    flags = {**OFF, "RestrictPublicBuckets": True}
    doc = bucket(statement(), **({"block": flags} if where == "bucket" else {"account": flags}))
    found = bucket_exposure(doc, "b")
    assert found is not None and found.scope is INTERNAL
    assert any(e.text.startswith(f"RestrictPublicBuckets ({where})") for e in found.evidence)


def test_block_public_policy_does_not_change_a_policy_in_place():
    flags = {**OFF, "BlockPublicPolicy": True, "BlockPublicAcls": True, "IgnorePublicAcls": True}
    assert scope(bucket(statement(), block=flags)) is PUBLIC


def test_an_account_block_not_collected_leaves_a_public_policy_unknown():
    doc = bucket(statement())
    del doc["AccountPublicAccessBlock"]
    found = bucket_exposure(doc, "b")
    assert found is not None and found.scope is UNKNOWN
    assert any("public-access block of the account" in r for r in found.reasons)
    # ...but not a policy the bucket's own block restricts.
    doc = bucket(statement(), block={**OFF, "RestrictPublicBuckets": True})
    del doc["AccountPublicAccessBlock"]
    assert scope(doc) is INTERNAL


# --- ACLs ----------------------------------------------------------------------------------

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def test_an_acl_grant_to_all_users_is_public_unless_ignored():
    grants = {
        "Owner": {"ID": "x"},
        "Grants": [{"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}],
    }
    found = bucket_exposure(bucket(acl=None, Acl=grants), "b")
    assert found is not None and (found.scope, found.actions) == (PUBLIC, ("ACL READ to AllUsers",))
    assert scope(bucket(acl=None, Acl=grants, block={**OFF, "BlockPublicAcls": True})) is PUBLIC
    assert scope(bucket(acl=None, Acl=grants, account={**OFF, "IgnorePublicAcls": True})) is None


@pytest.mark.parametrize(
    ("canned", "expected"),
    [
        ("public-read", PUBLIC),
        ("authenticated-read", PUBLIC),
        ("private", None),
        ("log-delivery-write", None),
    ],
)
def test_canned_acls(canned, expected):
    assert scope(bucket(acl=canned)) is expected


def test_acls_disabled_by_bucket_owner_enforced_publish_nothing():
    controls = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert scope(bucket(acl="public-read", OwnershipControls=controls)) is None


def test_an_acl_not_collected_is_unknown():
    found = bucket_exposure(bucket(acl=None), "b")
    assert found is not None and found.scope is UNKNOWN
    assert found.reasons == ("the ACL of bucket b is not in the input",)


def test_a_bucket_not_in_the_input_is_unknown_and_the_listing_skips_private_buckets():
    assert scope({}) is UNKNOWN
    assert bucket_exposures(bucket()) == ()
    assert [e.target_id for e in bucket_exposures(bucket(statement()))] == ["aws:arn:aws:s3:::b"]


# --- function URLs -------------------------------------------------------------------------

ARN = "arn:aws:lambda:us-east-1:111122223333:function:f"


def function(auth: str, *statements: dict[str, Any], created: str | None = None, urls: bool = True):
    doc: dict[str, Any] = {
        "LambdaFunctionPolicies": [{"FunctionName": "f", "Policy": {"Statement": list(statements)}}]
    }
    if urls:
        config = {
            "FunctionArn": ARN,
            "FunctionUrl": "https://abc.lambda-url.us-east-1.on.aws/",
            "AuthType": auth,
        }
        if created:
            config["CreationTime"] = created
        doc["LambdaFunctionUrlConfigs"] = [config]
    return doc


def invoke(
    action: str, principal: Any = "*", condition: dict[str, Any] | None = None
) -> dict[str, Any]:
    out = {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": ARN}
    if condition:
        out["Condition"] = condition
    return out


URL_NONE = {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}


def url_scope(doc: dict[str, Any]) -> ExposureScope | None:
    found = function_url_exposures(doc)
    assert len(found) <= 1
    return found[0].scope if found else None


def test_auth_none_with_public_invoke_grants_is_public():
    doc = function(
        "NONE",
        invoke("lambda:InvokeFunctionUrl", condition=URL_NONE),  # not a limiting condition
        invoke("lambda:InvokeFunction"),
    )
    (found,) = function_url_exposures(doc)
    assert (found.scope, found.target_id, found.kind) == (
        PUBLIC,
        f"aws:{ARN}",
        "lambda-function-url",
    )


def test_auth_none_with_only_the_url_action_depends_on_when_the_url_was_made():
    grant = invoke("lambda:InvokeFunctionUrl")
    assert url_scope(function("NONE", grant)) is UNKNOWN
    assert url_scope(function("NONE", grant, created="2024-03-01T10:00:00.000+0000")) is PUBLIC
    assert url_scope(function("NONE", grant, created="2026-01-10T10:00:00.000+0000")) is None


def test_auth_none_without_a_public_grant_is_not_callable():
    assert (
        url_scope(
            function(
                "NONE",
                invoke("lambda:InvokeFunctionUrl", {"AWS": "arn:aws:iam::111122223333:root"}),
            )
        )
        is None
    )


def test_auth_aws_iam_publishes_only_to_the_principals_granted():
    account = {"AWS": "arn:aws:iam::111122223333:root"}
    assert (
        url_scope(
            function(
                "AWS_IAM",
                invoke("lambda:InvokeFunctionUrl", account),
                invoke("lambda:InvokeFunction", account),
            )
        )
        is None
    )
    (found,) = function_url_exposures(function("AWS_IAM", invoke("lambda:*")))
    assert found.scope is PUBLIC
    assert any("any signed-in AWS principal" in e.text for e in found.evidence)


def test_a_public_url_grant_without_url_configurations_is_unknown():
    doc = function("NONE", invoke("lambda:InvokeFunctionUrl"), urls=False)
    (found,) = function_url_exposures(doc)
    assert (found.scope, found.target_id) == (UNKNOWN, f"aws:{ARN}")
    assert (
        function_url_exposures(function("NONE", invoke("lambda:InvokeFunction"), urls=False)) == ()
    )
