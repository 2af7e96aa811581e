"""Tag it, then act on it: a step allowed only on resources carrying some tags becomes
`iam:TagUser` / `iam:TagRole` first, then the step, when the principal may set the tags."""

from __future__ import annotations

from typing import Any

from aws_builders import arn, details, doc, role, stmt, user

from drift.aws.escalation_outcome import Outcome, Prepared, both, doubted
from drift.aws.iam import Decision
from tests.unit.aws_escalation_helpers import P, T, V, assumes, evidence, from_, model

KEYS = ["iam:CreateAccessKey", "iam:DeleteAccessKey"]
DEVELOPERS = {"StringEquals": {"aws:ResourceTag/developer": "true"}}


def rotating(*more: dict[str, Any], users: list[Any] | None = None) -> Any:
    """User `p` may rotate the keys of users tagged developer=true, plus `more`; users `v`
    (untagged) and those given."""
    keys = stmt(action=KEYS, resource=arn("user", "*"), Condition=DEVELOPERS)
    return model(
        details(
            users=[user("p", inline={"p": doc(keys, *more)}), user("v"), *(users or [])],
            roles=[role("t")],
        )
    )


def test_a_user_it_may_tag_is_tagged_first_then_its_keys_rotated() -> None:
    graph = rotating(stmt(action="iam:TagUser", Sid="Tag"))
    edge = assumes(graph, P, V)
    assert edge is not None and edge.certain
    assert edge.via == (
        "iam:TagUser + iam:CreateAccessKey + iam:DeleteAccessKey: a new access key of "
        f"{V}, user v tagged developer=true first"
    )
    assert set(evidence(edge)) == {f"{P} inline p #0", f'{P} inline p #1 (Sid "Tag")'}


def test_without_tagging_only_the_users_already_tagged_are_reached() -> None:
    dev = arn("user", "dev")
    graph = rotating(users=[user("dev", tags={"developer": "true"})])
    assert set(from_(graph, P)) == {dev}  # one answer per tag value, not per pattern
    edge = assumes(graph, P, dev)
    assert edge is not None and edge.certain
    assert edge.via.startswith("iam:CreateAccessKey + iam:DeleteAccessKey: a new access key")
    # Already tagged so: nothing to tag first, even when it may.
    tagging = rotating(stmt(action="iam:TagUser"), users=[user("dev", tags={"developer": "true"})])
    kept = assumes(tagging, P, dev)
    assert kept is not None and "tagged" not in kept.via


def test_tagging_is_asked_with_the_request_tag_and_tag_keys() -> None:
    other_value = stmt(
        action="iam:TagUser", Condition={"StringEquals": {"aws:RequestTag/developer": "false"}}
    )
    assert assumes(rotating(other_value), P, V) is None
    other_key = stmt(
        action="iam:TagUser", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}
    )
    assert assumes(rotating(other_key), P, V) is None
    this_one = stmt(
        action="iam:TagUser",
        Condition={
            "StringEquals": {"aws:RequestTag/developer": "true"},
            "ForAllValues:StringEquals": {"aws:TagKeys": ["developer"]},
        },
    )
    edge = assumes(rotating(this_one), P, V)
    assert edge is not None and edge.certain


def test_a_conditional_tagging_leaves_the_step_possible_not_certain() -> None:
    mfa = stmt(action="iam:TagUser", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    edge = assumes(rotating(mfa), P, V)
    assert edge is not None and not edge.certain
    assert "tagged developer=true first" in edge.via
    assert "aws:MultiFactorAuthPresent" in edge.via


def test_a_deny_on_what_the_tag_would_make_it_still_wins() -> None:
    denied = stmt(
        "Deny",
        action="iam:CreateAccessKey",
        Condition={"Null": {"aws:ResourceTag/developer": "false"}},
    )
    assert assumes(rotating(stmt(action="iam:TagUser"), denied), P, V) is None


def test_a_role_it_may_tag_is_tagged_first_then_its_trust_rewritten() -> None:
    rewrite = stmt(
        action="iam:UpdateAssumeRolePolicy",
        resource=arn("role", "*"),
        Condition={"StringLike": {"iam:ResourceTag/owner": "team-*"}},
    )
    assume = stmt(action="sts:AssumeRole")
    untagged = model(
        details(users=[user("p", inline={"p": doc(rewrite, assume)})], roles=[role("t")])
    )
    assert assumes(untagged, P, T) is None
    tagger = stmt(action="iam:TagRole")
    graph = model(
        details(users=[user("p", inline={"p": doc(rewrite, assume, tagger)})], roles=[role("t")])
    )
    edge = assumes(graph, P, T)
    assert edge is not None and edge.certain
    assert edge.via.startswith("iam:TagRole + iam:UpdateAssumeRolePolicy + sts:AssumeRole:")
    assert edge.via.endswith("role t tagged owner=team-x first")


def test_outcomes_keep_what_is_prepared_when_combined_or_doubted() -> None:
    first = Prepared(action="iam:TagUser", resource=V, tags=(("developer", "true"),))
    second = Prepared(action="iam:TagUser", resource=V, tags=(("team", "a"),))
    tagged = Outcome(decision=Decision.ALLOW, prepared=(first,))
    other = Outcome(decision=Decision.ALLOW, prepared=(second, first))
    assert both(tagged, other).prepared == (first, second)
    assert doubted(tagged, "why").prepared == (first,)
    assert str(first) == "user v tagged developer=true first"
