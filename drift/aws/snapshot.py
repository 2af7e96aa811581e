"""A snapshot of the AWS collector (docs/aws-snapshot-v1.schema.json) as the model's input.

Read from it: each account's IAM authorization details and S3 bucket policies, each region's
Lambda function policies — handed to `drift.aws.documents` as the files it reads, so a live
collection and saved documents are read by the same code — and each region's EKS clusters and
Pod Identity associations (`drift.aws.eks`). The network sections are not read here.

Only what was collected is in a snapshot: a section whose scope was forbidden or failed is
absent, and so is absent from the input; the scope outcomes say why (`drift.lifecycle`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from drift.aws.documents import AwsInput, AwsInputError, read_aws_documents
from drift.aws.eks import EksInput, PodIdentityAssociation, read_associations, read_clusters
from drift.aws.jsonread import JsonPath, JsonReader
from drift.k8s.objects import format_path

# The resource-policy sections `drift.aws.documents` reads, where the snapshot holds them.
ACCOUNT_POLICIES = ("S3BucketPolicies",)
REGION_POLICIES = ("LambdaFunctionPolicies",)


def read_snapshot(snapshot: Mapping[str, Any], *, source: str) -> AwsInput:
    """The input a snapshot holds; AwsInputError naming `source` and the path of each
    problem."""
    reader = JsonReader(name=source)
    documents: list[tuple[str, Any]] = []
    clusters: set[str] = set()
    associations: list[PodIdentityAssociation] = []
    for path, account_id, account in _accounts(reader, snapshot):
        documents.extend(_account_documents(source, path, account_id, account))
        for where, region, sections in _regions(reader, path, account):
            policies = sections.get("resourcePolicies")
            if isinstance(policies, Mapping):
                documents.extend(
                    _policies(
                        source, (*where, "resourcePolicies"), account_id, policies, REGION_POLICIES
                    )
                )
            network = sections.get("ec2Network")
            if not isinstance(network, Mapping):
                continue
            at = {"account": account_id, "region": region}
            base = (*where, "ec2Network")
            if "EksClusters" in network:
                clusters |= read_clusters(
                    reader, (*base, "EksClusters"), network["EksClusters"], **at
                )
            if "EksPodIdentityAssociations" in network:
                raw = network["EksPodIdentityAssociations"]
                associations += read_associations(
                    reader, (*base, "EksPodIdentityAssociations"), raw, **at
                )
    try:
        data = read_aws_documents(documents)
    except AwsInputError as exc:  # reported with the snapshot's own problems, all at once
        raise AwsInputError([*reader.problems, *exc.problems]) from None
    if reader.problems:
        raise AwsInputError(reader.problems)
    return replace(
        data, eks=EksInput(clusters=frozenset(clusters), associations=tuple(associations))
    )


def _accounts(
    reader: JsonReader, snapshot: Mapping[str, Any]
) -> Iterator[tuple[JsonPath, str, Mapping[str, Any]]]:
    for index, raw in enumerate(reader.items(("accounts",), snapshot.get("accounts"))):
        path: JsonPath = ("accounts", index)
        account = reader.mapping(path, raw)
        if account is None:
            continue
        account_id = account.get("accountId")
        if account_id is None and set(account) <= {"accountId", "roleArn"}:
            continue  # an account that could not be reached: nothing of it was read
        found = reader.text((*path, "accountId"), account_id)
        if found is not None:
            yield path, found, account


def _regions(
    reader: JsonReader, path: JsonPath, account: Mapping[str, Any]
) -> Iterator[tuple[JsonPath, str, Mapping[str, Any]]]:
    regions = account.get("regions")
    if regions is None:
        return
    found = reader.mapping((*path, "regions"), regions)
    for region, raw in (found or {}).items():
        where = (*path, "regions", region)
        sections = reader.mapping(where, raw)
        if sections is not None:
            yield where, str(region), sections


def _account_documents(
    source: str, path: JsonPath, account_id: str, account: Mapping[str, Any]
) -> Iterator[tuple[str, Any]]:
    details = account.get("iamAuthorizationDetails")
    if details is not None:
        yield _name(source, (*path, "iamAuthorizationDetails")), details
    policies = account.get("resourcePolicies")
    if isinstance(policies, Mapping):
        yield from _policies(
            source, (*path, "resourcePolicies"), account_id, policies, ACCOUNT_POLICIES
        )


def _policies(
    source: str,
    path: JsonPath,
    account_id: str,
    policies: Mapping[str, Any],
    sections: tuple[str, ...],
) -> Iterator[tuple[str, Any]]:
    """The sections `drift.aws.documents` reads, as one document of the account (S3 ARNs
    name no account: `AccountId` gives the bucket's)."""
    present = {s: policies[s] for s in sections if s in policies}
    if present:
        yield _name(source, path), {"AccountId": account_id, **present}


def _name(source: str, path: JsonPath) -> str:
    return f"{source}: {format_path(path)}"
