"""AWS privilege reaches past S3: a role the design allows `s3:GetObject` only, which may also
read every secret, is a `privilege.widened` finding."""

from aws_builders import ACCOUNT, details, doc, role, stmt
from aws_design_helpers import aws_graph, checked, header

ROLE = f"arn:aws:iam::{ACCOUNT}:role/r"


def test_non_s3_grants_beyond_the_design_are_not_silently_accepted() -> None:
    policy = doc(
        stmt(action="s3:GetObject", resource="arn:aws:s3:::reports/*"),
        stmt(action=["iam:*", "secretsmanager:GetSecretValue"], resource="*"),
    )
    graph = aws_graph(details(roles=[role("r", inline={"p": policy})]))
    design = header(f"""
permissions:
  "{ROLE}":
    - {{actions: ["s3:GetObject"], resources: ["arn:aws:s3:::reports/*"]}}
trust:
  - {{from: "service:ec2.amazonaws.com", to: "{ROLE}"}}
""")
    result = checked(design, graph)
    said = (
        [f.detail for f in result.findings]
        + [u.detail for u in result.unknowns]
        + list(result.notes)
    )
    assert any("iam:" in s or "secretsmanager" in s or "not judged" in s for s in said)
