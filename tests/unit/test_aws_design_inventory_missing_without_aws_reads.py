"""A service selecting AWS resources is not `inventory.missing` when the input holds no AWS
resource answers at all (IAM documents only): absence cannot be told."""

import json

from aws_design_helpers import checked, header
from shared_corpus import corpus_path

from drift.aws.documents import read_aws_documents
from drift.aws.graph import add_aws
from drift.findings import FindingKind
from drift.model import SystemGraph

IAM_PARTS = ("aws", "cloudgoat", "ec2_ssrf", "iam-authorization-details.json")
INSTANCE = "arn:aws:ec2:us-east-1:123456789012:instance/i-da3a82378d90cba4b"


def test_no_ec2_document_is_not_a_missing_instance() -> None:
    graph = SystemGraph(cluster="c")
    add_aws(
        graph, read_aws_documents([("iam.json", json.loads(corpus_path(*IAM_PARTS).read_text()))])
    )
    design = header(f"""
zones:
  aws: {{accounts: ["123456789012"]}}
services:
  web:
    zone: aws
    select: {{aws: ["{INSTANCE}"]}}
""")
    result = checked(design, graph)
    missing = [f for f in result.findings if f.kind is FindingKind.INVENTORY_MISSING]
    assert missing == []
