"""A grant on a bucket-name pattern (`arn:aws:s3:::pay*/*`) is a `can` edge of its own: the
role is judged for it, and the crown-jewel bucket it covers is reached."""

from aws_builders import ACCOUNT, details, doc, role, stmt
from aws_design_helpers import aws_graph, checked, header

from drift.findings import FindingKind

ROLE = f"arn:aws:iam::{ACCOUNT}:role/r"
DESIGN = header(f"""
zones:
  cloud: {{accounts: ["{ACCOUNT}"]}}
services:
  payments:
    zone: cloud
    select: {{aws: ["arn:aws:s3:::payments"]}}
    crownJewel: true
permissions:
  "{ROLE}": []
trust:
  - {{from: "service:ec2.amazonaws.com", to: "{ROLE}"}}
""")


def test_a_grant_on_a_bucket_name_pattern_is_judged() -> None:
    policy = doc(stmt(action="s3:GetObject", resource="arn:aws:s3:::pay*/*"))
    graph = aws_graph(details(roles=[role("r", inline={"p": policy})]))
    result = checked(DESIGN, graph)
    privilege = [f for f in result.findings if f.kind is FindingKind.PRIVILEGE_WIDENED]
    # Today: no finding and no unknown at all; the design said the role may do nothing.
    assert privilege or result.unknowns, "s3:GetObject on pay*/* went unjudged"
