"""Who may assume a role: one test per principal form of a trust policy."""

from __future__ import annotations

from aws_builders import ACCOUNT, OTHER, arn, details, doc, managed, read, role, stmt, user

from drift.aws.iam import Decision, Evaluator
from drift.aws.trust import TrustKind, TrustRelation, trust_relations

TARGET = arn("role", "target")
OIDC = f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"


def relations(
    *statements: dict, users: list | None = None, policies: list | None = None
) -> list[TrustRelation]:
    data = read(
        details(
            users=users or [],
            roles=[role("target", trust=doc(*statements))],
            policies=policies or [],
        )
    )
    return list(trust_relations(Evaluator(data), [TARGET]))


def assume(principal: object, action: str = "sts:AssumeRole", **more: object) -> dict:
    return stmt(action=action, resource=None, Principal=principal, **more)


def test_a_user_of_the_input_named_directly() -> None:
    [found] = relations(assume({"AWS": arn("user", "alice")}), users=[user("alice")])
    assert (found.principal, found.kind, found.decision) == (
        arn("user", "alice"),
        TrustKind.PRINCIPAL,
        Decision.ALLOW,
    )
    assert str(found.statement) == f"trust policy of {TARGET} #0"
    assert not found.via_account


def test_the_account_root_means_principals_whose_own_policies_allow_assume_role() -> None:
    p = arn("policy", "P")
    found = relations(
        assume({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}),
        users=[user("alice", attached=(p,)), user("bob")],
        policies=[managed("P", stmt(action="sts:AssumeRole"))],
    )
    assert [(r.principal, r.via_account) for r in found] == [(arn("user", "alice"), True)]
    assert f"{p} v1 #0" in [str(s) for s in found[0].evidence]


def test_another_account_is_kept_as_its_root() -> None:
    [found] = relations(assume({"AWS": OTHER}))
    assert (found.principal, found.kind) == (f"arn:aws:iam::{OTHER}:root", TrustKind.ACCOUNT)
    [arn_form] = relations(assume({"AWS": arn("role", "ci", OTHER)}))
    assert (arn_form.principal, arn_form.kind) == (arn("role", "ci", OTHER), TrustKind.EXTERNAL)


def test_anyone_is_public_without_conditions_and_conditional_with_them() -> None:
    [public] = relations(assume("*"))
    assert (public.kind, public.decision) == (TrustKind.ANYONE, Decision.ALLOW)
    [org] = relations(
        assume({"AWS": "*"}, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-123"}})
    )
    assert (org.kind, org.decision) == (TrustKind.ANYONE, Decision.CONDITIONAL)
    assert [str(c) for c in org.conditions] == ['StringEquals aws:PrincipalOrgID ["o-123"]']


def test_service_principals() -> None:
    [found] = relations(assume({"Service": ["ec2.amazonaws.com"]}))
    assert (found.principal, found.kind, found.actions) == (
        "ec2.amazonaws.com",
        TrustKind.SERVICE,
        ("sts:AssumeRole",),
    )


def test_a_federated_oidc_provider_keeps_sub_and_aud_for_the_irsa_bridge() -> None:
    issuer = "oidc.eks.us-east-1.amazonaws.com/id/ABC"
    [found] = relations(
        assume(
            {"Federated": OIDC},
            action=["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
            Condition={
                "StringEquals": {
                    f"{issuer}:sub": "system:serviceaccount:shop:cart",
                    f"{issuer}:aud": "sts.amazonaws.com",
                }
            },
        )
    )
    assert (found.kind, found.decision) == (TrustKind.FEDERATED, Decision.CONDITIONAL)
    assert found.actions == ("sts:AssumeRoleWithWebIdentity", "sts:TagSession")
    assert found.condition_values(":sub") == ("system:serviceaccount:shop:cart",)
    assert found.condition_values(":aud") == ("sts.amazonaws.com",)


def test_a_deny_in_the_trust_policy_removes_or_conditions_the_relation() -> None:
    assert (
        relations(assume("*"), stmt("Deny", action="sts:AssumeRole", resource=None, Principal="*"))
        == []
    )
    [found] = relations(
        assume({"Service": "ec2.amazonaws.com"}),
        stmt(
            "Deny",
            action="sts:*",
            resource=None,
            Principal="*",
            Condition={"Bool": {"aws:SecureTransport": "false"}},
        ),
    )
    assert found.decision is Decision.CONDITIONAL


def test_a_statement_without_an_assume_action_is_no_relation() -> None:
    assert relations(assume({"Service": "ec2.amazonaws.com"}, action="sts:TagSession")) == []
