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
