"""Escalation limits a reviewer checked: roles only AWS may change (IAM Identity Center's),
a Deny of the principal that outlives what it attaches, and an entry point's blast radius
naming another account's every permission when its own is reached in one step."""

from __future__ import annotations

import yaml
from aws_builders import OTHER, arn, details, doc, role, stmt, user
from aws_design_helpers import aws_graph, checked
from shared_corpus import corpus_path
from unit.aws_escalation_helpers import ADMIN, P, assumes, of_user

from drift.aws.documents import read_aws_files
from drift.aws.escalation import escalations
from drift.aws.iam import Evaluator
from drift.aws.trust import trust_relations
from drift.baseline.propose import propose
from drift.findings import FindingKind

ADMINISTRATOR = "arn:aws:iam::aws:policy/AdministratorAccess"
SSO_PATH = "/aws-reserved/sso.amazonaws.com/"


def test_sso_reserved_role_trust_cannot_be_rewritten_crafted() -> None:
    sso = role("AWSReservedSSO_Admin_0123", path=SSO_PATH, attached=(ADMINISTRATOR,))
    graph = of_user(stmt(action="iam:UpdateAssumeRolePolicy"), roles=[sso])
    target = arn("role", "aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123")
    assert assumes(graph, P, target) is None
    assert assumes(graph, ADMIN, target) is None or not assumes(graph, ADMIN, target).certain


def test_sso_reserved_role_in_iam_vulnerable_corpus() -> None:
    path = corpus_path("aws", "cloudsplaining", "iam-vulnerable-account-authorization-details.json")
    data = read_aws_files([path])
    evaluator = Evaluator(data)
    wrong = [
        (e.source, e.target)
        for e in escalations(evaluator, trust_relations(evaluator))
        if e.certain and "/aws-reserved/sso.amazonaws.com/" in e.target
    ]
    assert wrong == []


def test_deny_that_outlives_the_attached_policy_is_not_every_permission() -> None:
    graph = of_user(
        stmt(action="iam:AttachUserPolicy", resource=P),
        stmt("Deny", action=None, NotAction=["iam:AttachUserPolicy"]),
    )
    edge = assumes(graph, P, ADMIN)
    assert edge is None or not edge.certain


def test_entry_radius_still_names_another_accounts_admin() -> None:
    u = arn("user", "u")
    rb = arn("role", "rb", OTHER)
    graph = aws_graph(
        details(
            users=[
                user(
                    "u",
                    inline={
                        "p": doc(
                            stmt(action="iam:AttachUserPolicy", resource=u),
                            stmt(action="sts:AssumeRole", resource=rb),
                        )
                    },
                )
            ],
            roles=[
                role(
                    "rb",
                    account=OTHER,
                    trust=doc(stmt(action="sts:AssumeRole", resource=None, Principal={"AWS": u})),
                    inline={"p": doc(stmt(action="iam:AttachRolePolicy", resource=rb))},
                )
            ],
        )
    )
    design = yaml.safe_load(propose(graph, source="t"))
    design["trust"] = [t for t in design.get("trust") or [] if t["to"] != "*"]  # u -> rb only
    result = checked(yaml.safe_dump(design), graph)
    radius = [
        f
        for f in result.findings
        if f.kind is FindingKind.BLAST_RADIUS_WIDENED and f.subjects == (u,)
    ]
    assert radius and f"account {OTHER}" in radius[0].title + radius[0].detail
