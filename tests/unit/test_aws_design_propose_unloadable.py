"""`drift baseline propose` drafts baselines that load and find nothing on the same input,
whatever the AWS input holds (resource policies alone, instances without an owner, unique-id
principals, a namespace called `aws`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_builders import details, doc, role, stmt
from aws_design_helpers import aws_graph, proposed_and_checked
from builders import deployment, inventory, namespace
from shared_corpus import corpus_path

from drift.aws.documents import read_aws_documents
from drift.aws.graph import add_aws
from drift.build import build_graph
from drift.model import SystemGraph


def cloudgoat(*parts: str) -> Path:
    return corpus_path("aws", "cloudgoat", *parts)


def test_trust_naming_a_unique_id_principal() -> None:
    # AWS rewrites a deleted principal in a trust policy to its unique id (AROA.../AIDA...).
    trust = doc(
        stmt(action="sts:AssumeRole", resource=None, Principal={"AWS": "AROAGONEROLEID1234"})
    )
    graph = aws_graph(details(roles=[role("r", trust=trust)]))
    assert proposed_and_checked(graph).findings == ()


@pytest.mark.parametrize(
    "scenario", ["static", "glue_privesc", "rce_web_app", "vulnerable_cognito"]
)
def test_resource_policies_alone(scenario: str) -> None:
    # Published buckets only: the `aws` zone is drafted with `accounts: []`.
    raw = json.loads(cloudgoat(scenario, "resource-policies.json").read_text())
    graph = SystemGraph(cluster="c")
    add_aws(graph, read_aws_documents([("rp.json", raw)]))
    assert proposed_and_checked(graph).findings == ()


def _strip_owner(value: object) -> object:
    if isinstance(value, dict):
        return {k: _strip_owner(v) for k, v in value.items() if k != "OwnerId"}
    if isinstance(value, list):
        return [_strip_owner(v) for v in value]
    return value


def test_instances_without_owner_id() -> None:
    # `describe-instances --query 'Reservations[].Instances[]'` drops OwnerId: ids become
    # `aws:ec2:instance/i-...`, which propose writes into select.aws (not an ARN pattern).
    raw = _strip_owner(json.loads(cloudgoat("ec2_ssrf", "ec2-network.json").read_text()))
    graph = SystemGraph(cluster="c")
    add_aws(graph, read_aws_documents([("ec2.json", raw)]))
    assert proposed_and_checked(graph).findings == ()


def test_a_namespace_named_aws() -> None:
    inv = inventory(namespace("aws"), deployment("web", namespace="aws"))
    graph = build_graph(inv)
    raw = json.loads(cloudgoat("ec2_ssrf", "ec2-network.json").read_text())
    add_aws(graph, read_aws_documents([("ec2.json", raw)]), inv)
    assert proposed_and_checked(graph).findings == ()
