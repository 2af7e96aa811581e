"""`arn:aws:iam::ACCOUNT:root` in the design stands for the account's principals, as in a
trust policy: a design mirroring a trust in an account root covers every principal of it."""

from aws_builders import ACCOUNT, OTHER, details, doc, role, stmt, user
from aws_design_helpers import aws_graph, checked, header

from drift.findings import FindingKind

R = f"arn:aws:iam::{ACCOUNT}:role/r"
X = f"arn:aws:iam::{ACCOUNT}:role/x"


def test_account_root_covers_its_principals() -> None:
    own = doc(
        stmt(
            action="sts:AssumeRole",
            resource=None,
            Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        )
    )
    other = doc(
        stmt(
            action="sts:AssumeRole",
            resource=None,
            Principal={"AWS": f"arn:aws:iam::{OTHER}:role/deployer"},
        )
    )
    may_assume = {"p": doc(stmt(action="sts:AssumeRole", resource="*"))}
    graph = aws_graph(
        details(
            users=[user("alice", inline=may_assume)],
            roles=[role("r", trust=own), role("x", trust=other)],
        )
    )
    design = header(f"""
trust:
  - {{from: "arn:aws:iam::{ACCOUNT}:root", to: "{R}"}}
  - {{from: "arn:aws:iam::{OTHER}:root", to: "{X}"}}
""")
    trust = [f for f in checked(design, graph).findings if f.kind is FindingKind.TRUST_RELATION]
    assert trust == []
