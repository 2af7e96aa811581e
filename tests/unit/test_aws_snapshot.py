"""The AWS snapshot without a server: what an AWS error means for a scope, plain values, a
saved snapshot read back, and the corpus's AWS documents against the snapshot's schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from shared_corpus import corpus_path

from collectors.aws.failures import classify
from collectors.aws.plain import to_plain
from drift.collect import AWS_SNAPSHOT_VERSION, AwsCollection, ScopeStatus
from drift.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "aws-snapshot-v1.schema.json").read_text())
FORBIDDEN, FAILED = ScopeStatus.FORBIDDEN, ScopeStatus.FAILED


def client_error(code: str, status: int, message: str = "m", retries: int = 0) -> ClientError:
    answer = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": retries},
    }
    return ClientError(answer, "DescribeVpcs")


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("AccessDenied", 403, FORBIDDEN),
        ("UnauthorizedOperation", 403, FORBIDDEN),
        ("AccessDeniedException", 400, FORBIDDEN),
        ("", 403, FORBIDDEN),  # a 403 whose body names no code is still a refusal
        ("InvalidClientTokenId", 403, FAILED),  # the credentials, not a permission
        ("SignatureDoesNotMatch", 403, FAILED),
        ("ExpiredToken", 400, FAILED),
        ("403", 403, FAILED),  # a 403 page that is no AWS error
        ("OptInRequired", 401, ScopeStatus.NOT_INSTALLED),
        ("InternalError", 500, FAILED),
    ],
)
def test_what_an_aws_error_means_for_its_scope(code: str, status: int, expected: Any) -> None:
    assert classify(client_error(code, status))[0] is expected


def test_a_detail_is_one_bounded_line_saying_how_often_it_was_tried() -> None:
    status, detail = classify(client_error("Throttling", 400, "Rate\nexceeded " * 100, retries=4))
    assert status is FAILED and "\n" not in detail and len(detail) <= 300
    assert detail.startswith("throttled: Throttling: Rate exceeded Rate")
    _, detail = classify(client_error("Throttling", 400, "Rate exceeded", retries=4))
    assert detail == "throttled: Throttling: Rate exceeded (after 5 attempts)"
    _, detail = classify(client_error("404", 404, "<html>...</html>"))
    assert detail == "the endpoint does not serve DescribeVpcs (HTTP 404)"


def test_no_answer_and_no_credentials_are_failed() -> None:
    status, detail = classify(EndpointConnectionError(endpoint_url="https://ec2.example"))
    assert status is FAILED and detail.startswith("no answer: Could not connect")
    status, detail = classify(NoCredentialsError())
    assert status is FAILED and detail.startswith("no AWS credentials found")


def test_plain_values_have_utc_iso_times_and_no_response_metadata() -> None:
    cet = timezone(timedelta(hours=1))
    answer = {
        "ResponseMetadata": {"RequestId": "r"},
        "Items": ({"At": datetime(2026, 1, 1, 1, 0, tzinfo=cet)}, {"At": datetime(2026, 1, 1)}),
        "Raw": b"\x00\x01",
    }
    assert to_plain(answer) == {
        "Items": [{"At": "2026-01-01T00:00:00Z"}, {"At": "2026-01-01T00:00:00Z"}],
        "Raw": "AAE=",
    }


def snapshot(**extra: Any) -> dict[str, Any]:
    base = {
        "apiVersion": AWS_SNAPSHOT_VERSION,
        "collectedAt": to_plain(datetime(2026, 1, 1, tzinfo=UTC)),
        "accounts": [{"accountId": "123456789012"}],
        "scopes": [
            {
                "scope": "aws:123456789012/eu-west-1/rds:DescribeDBInstances",
                "status": "forbidden",
                "detail": "AccessDenied: no",
            }
        ],
    }
    return base | extra


def test_a_saved_snapshot_gives_its_outcomes_back() -> None:
    document = snapshot()
    jsonschema.validate(document, SCHEMA)
    collection = AwsCollection.from_snapshot(document, source="s.json")
    (outcome,) = collection.outcomes
    assert outcome.status is FORBIDDEN and outcome.detail == "AccessDenied: no"
    assert not collection.complete and collection.warnings == ()


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (snapshot(apiVersion="v0"), "s.json: apiVersion is 'v0', not design-drift/aws-snapshot/v1"),
        (snapshot(scopes={}), "s.json: scopes and warnings must be lists"),
        (
            snapshot(scopes=[{"scope": "x", "status": "fine"}]),
            "s.json: scopes[0]: needs a scope name and a status "
            "(ok, forbidden, failed, not installed)",
        ),
    ],
)
def test_what_is_not_a_snapshot_is_refused_by_name(document: Any, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        AwsCollection.from_snapshot(document, source="s.json")
    assert caught.value.problems == (problem,)


def _validator(definition: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        {"$defs": SCHEMA["$defs"], "$ref": f"#/$defs/{definition}"}
    )


DEFINITIONS = {
    "iam-authorization-details.json": "iamAuthorizationDetails",
    "ec2-network.json": "ec2Network",
    "resource-policies.json": "resourcePolicies",
}


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_the_corpus_aws_documents_have_the_snapshot_shapes(name: str) -> None:
    files = sorted(corpus_path("aws", "cloudgoat").glob(f"*/{name}"))
    if name == "iam-authorization-details.json":
        files += sorted(corpus_path("aws", "cloudsplaining").glob("*authorization-details.json"))
    assert len(files) >= 11
    validator = _validator(DEFINITIONS[name])
    for path in files:
        errors = [
            f"{list(e.absolute_path)}: {e.message}"
            for e in validator.iter_errors(json.loads(path.read_text()))
        ]
        assert not errors, f"{path}: {errors[:3]}"


# -- a snapshot as the model's input (drift.aws.snapshot) -----------------------------------

ROLE_ARN = "arn:aws:iam::123456789012:role/cart"
CLUSTER_ARN = "arn:aws:eks:eu-west-1:123456789012:cluster/prod"


def collected(**region: Any) -> dict[str, Any]:
    trust = {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}}
    role = {
        "RoleName": "cart",
        "Arn": ROLE_ARN,
        "RoleId": "AROACART",
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [trust | {"Action": ["sts:AssumeRole", "sts:TagSession"]}],
        },
        "RolePolicyList": [],
        "AttachedManagedPolicies": [],
    }
    bucket_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": ROLE_ARN},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::carts/*",
            }
        ],
    }
    association = {
        "clusterName": "prod",
        "namespace": "shop",
        "serviceAccount": "cart",
        "roleArn": ROLE_ARN,
        "associationId": "a-1",
        "associationArn": "arn:aws:eks:eu-west-1:123456789012:podidentityassociation/prod/a-1",
        "createdAt": "2026-01-01T00:00:00Z",
    }
    network = {
        "EksClusters": [{"name": "prod", "arn": CLUSTER_ARN}],
        "EksPodIdentityAssociations": [association],
    }
    return snapshot(
        accounts=[
            {
                "accountId": "123456789012",
                "iamAuthorizationDetails": {
                    "UserDetailList": [],
                    "GroupDetailList": [],
                    "RoleDetailList": [role],
                    "Policies": [],
                },
                "resourcePolicies": {
                    "S3BucketPolicies": [
                        {
                            "Bucket": "carts",
                            "Region": "eu-west-1",
                            "Policy": bucket_policy,
                            "Acl": {"Grants": []},
                        },
                        {"Bucket": "empty", "Region": "eu-west-1", "Acl": {"Grants": []}},
                    ],
                    "S3AccountPublicAccessBlock": None,
                },
                "regions": {
                    "eu-west-1": {
                        "ec2Network": network | region,
                        "resourcePolicies": {"LambdaFunctionUrlConfigs": []},
                    }
                },
            },
            {"accountId": None},  # could not be reached: nothing of it was read
        ]
    )


def test_a_snapshot_reads_into_the_input_iam_bucket_policies_and_pod_identity() -> None:
    from drift.aws.snapshot import read_snapshot

    document = collected()
    jsonschema.validate(document, SCHEMA)
    data = read_snapshot(document, source="s.json")
    assert list(data.roles) == [ROLE_ARN]
    policy = data.resource_policies["arn:aws:s3:::carts"]
    assert policy.account == "123456789012" and list(data.resource_policies) == [policy.resource]
    assert data.eks.clusters == {CLUSTER_ARN}
    (association,) = data.eks.associations
    assert (association.cluster, association.namespace, association.service_account) == (
        CLUSTER_ARN,
        "shop",
        "cart",
    )
    assert association.role == ROLE_ARN and association.session_tags
    assert association.where == (
        "s.json: accounts[0].regions.eu-west-1.ec2Network.EksPodIdentityAssociations[0]"
    )


def test_a_section_the_collector_could_not_read_is_simply_absent() -> None:
    from drift.aws.snapshot import read_snapshot

    document = collected()
    del document["accounts"][0]["iamAuthorizationDetails"]
    del document["accounts"][0]["regions"]["eu-west-1"]["ec2Network"]["EksPodIdentityAssociations"]
    data = read_snapshot(document, source="s.json")
    assert data.roles == {} and data.eks.associations == () and data.eks.clusters


def test_every_problem_of_a_snapshot_names_its_path() -> None:
    from drift.aws.documents import AwsInputError
    from drift.aws.snapshot import read_snapshot

    document = collected()
    region = document["accounts"][0]["regions"]["eu-west-1"]["ec2Network"]
    del region["EksPodIdentityAssociations"][0]["roleArn"]
    document["accounts"][0]["iamAuthorizationDetails"]["RoleDetailList"][0]["Arn"] = 7
    with pytest.raises(AwsInputError) as caught:
        read_snapshot(document, source="s.json")
    assert caught.value.problems == (
        "s.json: accounts[0].iamAuthorizationDetails.RoleDetailList[0].Arn: must be a string",
        "s.json: accounts[0].regions.eu-west-1.ec2Network.EksPodIdentityAssociations[0].roleArn: "
        "required: a non-empty string",
    )
