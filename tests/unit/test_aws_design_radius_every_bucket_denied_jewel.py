"""Blast radius: a grant on every bucket does not stand for a crown-jewel bucket the input
names (an explicit Deny on it may keep it out): no false critical."""

from unit.test_aws_graph import ACCOUNT, REPORTS, account, cluster, irsa_trust, role

from drift.aws.graph import add_aws
from drift.baseline.load import parse_baseline
from drift.diff.check import check
from drift.findings import FindingKind

PAY = "arn:aws:s3:::payments"
READER = f"arn:aws:iam::{ACCOUNT}:role/reader"
DESIGN = f"""
apiVersion: design-drift/v1
kind: Baseline
metadata: {{name: shop, version: "1"}}
cluster: c
zones:
  shop: {{namespaces: [shop]}}
  cloud: {{accounts: ["{ACCOUNT}"]}}
services:
  reporter:
    zone: shop
    select: {{workloads: [Deployment/reporter]}}
    identity: reporter
  payments-data:
    zone: cloud
    select: {{aws: ["{PAY}"]}}
    crownJewel: true
permissions:
  "{READER}":
    - {{actions: ["s3:GetObject"], resources: ["arn:aws:s3:::reports/*"]}}
  "{REPORTS}": []
trust:
  - {{from: shop/reporter, to: "{REPORTS}"}}
  - {{from: "{REPORTS}", to: "{READER}"}}
"""


def test_a_denied_jewel_is_not_reached_through_every_bucket() -> None:
    reader = role(
        "reader",
        [{"Effect": "Allow", "Principal": {"AWS": REPORTS}, "Action": "sts:AssumeRole"}],
        [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:*", "Resource": f"{PAY}/*"},
        ],
    )
    reports = role(
        "reports",
        irsa_trust("system:serviceaccount:shop:reporter"),
        [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": READER}],
    )
    inv, graph = cluster(annotation=REPORTS)
    add_aws(graph, account(reports, reader), inv)
    result = check(parse_baseline(DESIGN.encode(), "design.yaml"), graph, source="test")
    radius = [f for f in result.findings if f.kind is FindingKind.BLAST_RADIUS_WIDENED]
    # Today: CRITICAL "newly reaches crown jewels payments-data (arn:aws:s3:::*)".
    assert not any("payments-data" in f.detail for f in radius)
