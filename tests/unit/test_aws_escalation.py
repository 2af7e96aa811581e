"""AWS privilege escalation: the techniques that give a principal every permission in its
account (edges to the administrator node), and how escalations become graph edges."""

from __future__ import annotations

from aws_builders import ACCOUNT, arn, details, doc, group, managed, role, stmt, user

from drift.aws.bucket_nodes import BUCKET_ACTIONS, EVERY_BUCKET
from drift.blast import PathKind, shortest_path
from drift.model import CanEdge, EdgeType, IdentityNode
from tests.unit.aws_escalation_helpers import (
    ADMIN,
    P,
    T,
    V,
    assumes,
    evidence,
    from_,
    model,
    of_user,
    scps,
    trusting,
)

OWN = arn("policy", "own")
ADMINISTRATOR = "arn:aws:iam::aws:policy/AdministratorAccess"


def own_policy(*statements: dict, versions: dict | None = None, default: str = "v1") -> dict:
    return managed("own", *statements, versions=versions, default=default)


def test_create_policy_version_on_its_own_policy_gives_every_permission() -> None:
    graph = model(
        details(
            users=[user("p", attached=(OWN,))],
            policies=[own_policy(stmt(action="iam:CreatePolicyVersion", resource=OWN))],
        )
    )
    edge = assumes(graph, P, ADMIN)
    assert edge is not None and edge.certain and edge.unbounded
    assert edge.via.startswith("iam:CreatePolicyVersion: a new default version of its policy")
    assert evidence(edge) == [f"{OWN} v1 #0"]
    admin = graph.node(ADMIN)
    assert isinstance(admin, IdentityNode)
    assert (admin.kind, admin.declared) == ("AWSAdministrator", False)
    assert admin.name == f"every permission in account {ACCOUNT}"


def test_a_policy_with_five_versions_needs_a_version_deleted_first() -> None:
    def holding(*actions: str) -> dict:
        five = {f"v{i}": doc(stmt(action="iam:ListPolicies")) for i in range(2, 6)}
        five["v1"] = doc(stmt(action=list(actions), resource=OWN))
        return details(users=[user("p", attached=(OWN,))], policies=[own_policy(versions=five)])

    assert assumes(model(holding("iam:CreatePolicyVersion")), P, ADMIN) is None
    both = holding("iam:CreatePolicyVersion", "iam:DeletePolicyVersion")
    edge = assumes(model(both), P, ADMIN)
    assert edge is not None and edge.certain
    assert edge.via.startswith("iam:DeletePolicyVersion + iam:CreatePolicyVersion: ")


def test_an_aws_managed_policy_cannot_be_rewritten() -> None:
    aws_policy = {
        "PolicyName": "ReadOnly",
        "Arn": "arn:aws:iam::aws:policy/ReadOnly",
        "DefaultVersionId": "v1",
        "PolicyVersionList": [
            {
                "VersionId": "v1",
                "IsDefaultVersion": True,
                "Document": doc(stmt("Allow", "iam:Create*")),
            }
        ],
    }
    graph = model(
        details(
            users=[user("p", attached=("arn:aws:iam::aws:policy/ReadOnly",))], policies=[aws_policy]
        )
    )
    assert assumes(graph, P, ADMIN) is None


def test_set_default_policy_version_gains_what_the_other_version_allows() -> None:
    def with_v2(*statements: dict) -> dict:
        versions = {"v1": doc(stmt(action="iam:SetDefaultPolicyVersion", resource=OWN))}
        versions["v2"] = doc(*statements)
        return details(
            users=[user("p", attached=(OWN,)), user("v")], policies=[own_policy(versions=versions)]
        )

    everything = assumes(model(with_v2(stmt())), P, ADMIN)
    assert everything is not None and everything.certain
    assert "version v2 of its policy" in everything.via
    assert f"{OWN} v2 #0" in evidence(everything)
    assert from_(model(with_v2(stmt(action="s3:GetObject"))), P) == {}
    keys = model(with_v2(stmt(action=["iam:CreateAccessKey", "iam:DeleteAccessKey"])))
    assert set(from_(keys, P)) == {V}
    edge = assumes(keys, P, V)
    assert edge is not None and edge.certain
    assert edge.via.startswith("iam:SetDefaultPolicyVersion + iam:CreateAccessKey")


def test_writing_its_own_policies_gives_every_permission() -> None:
    for action in ("iam:AttachUserPolicy", "iam:PutUserPolicy"):
        edge = assumes(of_user(stmt(action=action, resource=P)), P, ADMIN)
        assert edge is not None and edge.certain and edge.via.startswith(action), action
    for action in ("iam:AttachRolePolicy", "iam:PutRolePolicy"):
        graph = model(
            details(roles=[role("t", inline={"p": doc(stmt(action=action, resource=T))})])
        )
        edge = assumes(graph, T, ADMIN)
        assert edge is not None and edge.certain, action


def test_writing_a_group_it_is_in_gives_every_permission_one_it_is_not_in_nothing() -> None:
    gid = arn("group", "g")
    for action in ("iam:AttachGroupPolicy", "iam:PutGroupPolicy"):
        statement = stmt(action=action, resource=gid)
        member = model(
            details(
                users=[user("p", inline={"p": doc(statement)}, groups=("g",))], groups=[group("g")]
            )
        )
        edge = assumes(member, P, ADMIN)
        assert edge is not None and edge.certain and "its group g" in edge.via
        stranger = model(
            details(users=[user("p", inline={"p": doc(statement)})], groups=[group("g")])
        )
        assert assumes(stranger, P, ADMIN) is None


def test_attaching_asks_which_policy_the_conditions_let_it_attach() -> None:
    def attaching(allowed: str) -> dict:
        condition = {"ArnEquals": {"iam:PolicyARN": allowed}}
        return stmt(action="iam:AttachUserPolicy", resource=P, Condition=condition)

    assert assumes(of_user(attaching(arn("policy", "harmless"))), P, ADMIN) is None
    edge = assumes(of_user(attaching(ADMINISTRATOR)), P, ADMIN)
    assert edge is not None and edge.certain and "AdministratorAccess attached" in edge.via


def test_writing_another_principals_policies_counts_only_when_it_can_become_it() -> None:
    writes = stmt(action="iam:PutRolePolicy", resource=T)
    assert assumes(of_user(writes), P, ADMIN) is None
    graph = of_user(writes, roles=[trusting(P)])
    edge = assumes(graph, P, ADMIN)
    assert edge is not None and edge.certain and edge.unbounded
    assert f"role {T}, which it can become" in edge.via
    assert f"trust policy of {T} #0" in evidence(edge)


def test_joining_a_group_gives_what_the_group_allows() -> None:
    def joining(*statements: dict) -> dict:
        return details(
            users=[user("p", inline={"p": doc(stmt(action="iam:AddUserToGroup"))})],
            groups=[group("g", inline={"g": doc(*statements)})],
        )

    edge = assumes(model(joining(stmt())), P, ADMIN)
    assert edge is not None and edge.certain
    assert edge.via.startswith("iam:AddUserToGroup + ") and "added to group g" in edge.via
    assert from_(model(joining(stmt(action="s3:*"))), P) == {}


def test_a_conditional_grant_is_kept_not_certain_with_its_condition() -> None:
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    edge = assumes(of_user(stmt(action="iam:PutUserPolicy", resource=P, Condition=mfa)), P, ADMIN)
    assert edge is not None and not edge.certain
    assert 'when Bool aws:MultiFactorAuthPresent ["true"]' in edge.via


def test_deny_wins() -> None:
    graph = of_user(stmt(action="iam:*"), stmt("Deny", "iam:Put*"), stmt("Deny", "iam:Attach*"))
    assert assumes(graph, P, ADMIN) is None


def test_a_permissions_boundary_limits_what_it_can_grant_itself() -> None:
    bound = arn("policy", "bound")

    def bounded(*allowed: str) -> dict:
        return details(
            users=[user("p", inline={"p": doc(stmt())}, boundary=bound)],
            policies=[managed("bound", stmt(action=list(allowed)))],
        )

    assert from_(model(bounded("s3:*")), P) == {}  # nothing it needs is within the boundary
    limited = assumes(model(bounded("iam:PutUserPolicy")), P, ADMIN)
    assert limited is not None and not limited.certain and limited.unbounded
    assert f"its permissions boundary {bound} still limits it" in limited.via
    lifted = assumes(
        model(bounded("iam:PutUserPolicy", "iam:DeleteUserPermissionsBoundary")), P, ADMIN
    )
    assert lifted is not None and lifted.certain
    assert "iam:DeleteUserPermissionsBoundary" in lifted.via
    everything = assumes(model(bounded("*")), P, ADMIN)
    assert everything is not None and everything.certain


def test_the_administrator_node_reaches_every_principal_and_bucket() -> None:
    linked = role("AWSServiceRoleForX", path="/aws-service-role/x.amazonaws.com/")
    graph = model(
        details(users=[user("p", inline={"p": doc(stmt())}), user("v")], roles=[role("t"), linked])
    )
    reached = from_(graph, ADMIN)
    assert set(reached) == {P, V, T}  # not the service-linked role
    assert all(e.certain and not e.unbounded for e in reached.values())
    assert "iam:UpdateAssumeRolePolicy" in reached[T].via
    assert "iam:CreateAccessKey" in reached[V].via
    can = graph.edge(ADMIN, EVERY_BUCKET, EdgeType.CAN)
    assert isinstance(can, CanEdge) and can.actions == frozenset(BUCKET_ACTIONS)


def test_with_scps_the_administrator_nodes_edges_are_not_certain() -> None:
    graph = model(details(users=[user("p", inline={"p": doc(stmt())}), user("v")]), scps(stmt()))
    edge = assumes(graph, P, ADMIN)
    assert edge is not None and edge.certain  # it can still grant itself every permission
    assert not any(e.certain for e in from_(graph, ADMIN).values())


def test_a_certain_way_to_every_permission_stands_for_the_rest() -> None:
    graph = of_user(stmt(), roles=[role("t"), role("u")])
    assert set(from_(graph, P)) == {ADMIN}
    partial = of_user(
        stmt(
            action="iam:PutUserPolicy", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}
        ),
        stmt(action="iam:UpdateAssumeRolePolicy"),
    )
    assert set(from_(partial, P)) == {ADMIN, T}  # not certain: the others are kept
    path = shortest_path(graph, P, V, kind=PathKind.CONTROL)
    assert path is not None and [s.target for s in path] == [ADMIN, V]


def test_no_edge_from_a_principal_to_itself() -> None:
    graph = model(
        details(roles=[role("t", inline={"p": doc(stmt(action="iam:UpdateAssumeRolePolicy"))})])
    )
    assert assumes(graph, T, T) is None


def test_an_escalation_merges_into_the_trust_edge_of_the_same_pair() -> None:
    graph = of_user(stmt(action="iam:UpdateAssumeRolePolicy", resource=T), roles=[trusting(P)])
    edge = assumes(graph, P, T)
    assert edge is not None and edge.certain and not edge.unbounded
    trust, rewrite = edge.via.split("; ")
    assert trust == f"sts:AssumeRole per the trust policy of {T}"
    assert rewrite.startswith("iam:UpdateAssumeRolePolicy + sts:AssumeRole: the trust policy")
    assert evidence(edge) == [f"trust policy of {T} #0", f"{P} inline p #0"]


def test_writing_the_policies_of_a_user_whose_key_it_can_make() -> None:
    keys = stmt(action=["iam:CreateAccessKey", "iam:DeleteAccessKey"], resource=V)
    graph = of_user(keys, stmt(action="iam:AttachUserPolicy", resource=V))
    edge = assumes(graph, P, ADMIN)
    assert edge is not None and edge.certain
    assert f"AdministratorAccess attached to user {V}, which it can become" in edge.via
    assert set(from_(graph, P)) == {ADMIN}  # certain: it stands for the edge to V


def test_iam_requests_name_iams_region() -> None:
    # IAM's endpoint is in us-east-1: an SCP keeping requests in eu-west-1 without exempting
    # IAM forbids writing one's own policy; exempting it does not.
    outside = {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}
    me = details(users=[user("p", inline={"p": doc(stmt(action="iam:PutUserPolicy"))})])
    locked = model(me, scps(stmt(), stmt("Deny", "*", Condition=outside)))
    assert assumes(locked, P, ADMIN) is None
    exempt = {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*", "Condition": outside}
    edge = assumes(model(me, scps(stmt(), exempt)), P, ADMIN)
    assert edge is not None and edge.certain
