"""IAM evaluation, one rule per test, on in-code documents (tests/aws_builders.py)."""

from __future__ import annotations

import pytest
from aws_builders import (
    ACCOUNT,
    OTHER,
    arn,
    ask,
    details,
    doc,
    group,
    managed,
    read,
    refs,
    role,
    stmt,
    user,
)

from drift.aws.iam import Decision, Denial, Evaluator, UnknownPrincipalError
from drift.aws.variables import Missing

ALICE = arn("user", "alice")
P = arn("policy", "P")
BUCKET = "arn:aws:s3:::data"
OBJECT = "arn:aws:s3:::data/report.csv"


def alice_with(*statements: dict, **kw: object) -> dict:
    return details(users=[user("alice", attached=(P,), **kw)], policies=[managed("P", *statements)])


def test_an_allow_names_its_statement_with_version_index_and_sid() -> None:
    answer = ask(alice_with(stmt(action="s3:GetObject", Sid="Read")), ALICE, "s3:GetObject", OBJECT)
    assert answer.decision is Decision.ALLOW
    assert refs(answer) == [f'{P} v1 #0 (Sid "Read")']


def test_nothing_allows_it_is_an_implicit_deny() -> None:
    answer = ask(alice_with(stmt(action="s3:GetObject")), ALICE, "s3:PutObject", OBJECT)
    assert (answer.decision, answer.denial) == (Decision.DENY, Denial.IMPLICIT)
    assert answer.statements == ()
    assert any("no identity-based policy" in r for r in answer.reasons)


def test_an_explicit_deny_wins_over_any_allow() -> None:
    answer = ask(
        alice_with(stmt(action="s3:*"), stmt("Deny", action="s3:GetObject", resource=OBJECT)),
        ALICE,
        "s3:GetObject",
        OBJECT,
    )
    assert (answer.decision, answer.denial) == (Decision.DENY, Denial.EXPLICIT)
    assert refs(answer) == [f"{P} v1 #1"]


def test_action_matching_ignores_case_and_takes_both_wildcards() -> None:
    documents = alice_with(stmt(action=["S3:get*", "iam:?etUser"]))
    assert ask(documents, ALICE, "s3:GetObject", OBJECT).decision is Decision.ALLOW
    assert ask(documents, ALICE, "IAM:GetUser").decision is Decision.ALLOW
    assert ask(documents, ALICE, "iam:GetUserPolicy").decision is Decision.DENY


def test_arn_matching_is_case_sensitive_and_wildcards_stay_in_their_segment() -> None:
    documents = alice_with(stmt(action="s3:GetObject", resource="arn:aws:s3:::data/*"))
    assert ask(documents, ALICE, "s3:GetObject", OBJECT).decision is Decision.ALLOW
    assert ask(documents, ALICE, "s3:GetObject", "arn:aws:s3:::Data/x").decision is Decision.DENY
    across = alice_with(stmt(action="sqs:*", resource="arn:aws:sqs:*:queue"))
    queue = f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue"
    assert ask(across, ALICE, "sqs:SendMessage", queue).decision is Decision.DENY
    one = alice_with(stmt(action="sqs:*", resource=f"arn:aws:sqs:us-east-?:{ACCOUNT}:q*"))
    assert ask(one, ALICE, "sqs:SendMessage", queue).decision is Decision.ALLOW


def test_not_action_allows_everything_else() -> None:
    documents = alice_with(stmt(action=None, NotAction=["iam:*"]))
    assert ask(documents, ALICE, "s3:GetObject", OBJECT).decision is Decision.ALLOW
    assert ask(documents, ALICE, "iam:CreateUser").decision is Decision.DENY


def test_not_resource_covers_every_other_resource() -> None:
    documents = alice_with(
        stmt(action="s3:*"),
        stmt("Deny", action="s3:*", resource=None, NotResource=[BUCKET + "/public/*"]),
    )
    assert ask(documents, ALICE, "s3:GetObject", OBJECT).denial is Denial.EXPLICIT
    public = ask(documents, ALICE, "s3:GetObject", BUCKET + "/public/a")
    assert public.decision is Decision.ALLOW


def test_only_the_default_version_of_a_managed_policy_is_in_force() -> None:
    versions = {"v1": doc(stmt(action="s3:GetObject")), "v2": doc(stmt(action="*"))}
    documents = details(
        users=[user("alice", attached=(P,))], policies=[managed("P", versions=versions)]
    )
    assert ask(documents, ALICE, "iam:CreateUser").decision is Decision.DENY
    v2 = details(
        users=[user("alice", attached=(P,))],
        policies=[managed("P", versions=versions, default="v2")],
    )
    assert refs(ask(v2, ALICE, "iam:CreateUser")) == [f"{P} v2 #0"]


def test_group_policies_inline_and_attached_apply_to_members() -> None:
    g = arn("policy", "G")
    documents = details(
        users=[user("alice", groups=("devs",))],
        groups=[group("devs", attached=(g,), inline={"extra": doc(stmt(action="sqs:*"))})],
        policies=[managed("G", stmt(action="s3:GetObject"))],
    )
    assert refs(ask(documents, ALICE, "s3:GetObject", OBJECT)) == [f"{g} v1 #0"]
    inline = ask(documents, ALICE, "sqs:SendMessage", "*")
    assert refs(inline) == [f"{arn('group', 'devs')} inline extra #0"]


def test_user_inline_policies_apply() -> None:
    documents = details(users=[user("alice", inline={"mine": doc(stmt(action="s3:*"))})])
    assert refs(ask(documents, ALICE, "s3:ListBucket", BUCKET)) == [f"{ALICE} inline mine #0"]


def test_a_permissions_boundary_intersects_identity_policies() -> None:
    b = arn("policy", "B")
    documents = details(
        users=[user("alice", attached=(P,), boundary=b)],
        policies=[managed("P", stmt(action=["s3:*", "iam:*"])), managed("B", stmt(action="s3:*"))],
    )
    allowed = ask(documents, ALICE, "s3:GetObject", OBJECT)
    assert allowed.decision is Decision.ALLOW
    assert f"{b} v1 #0" in refs(allowed)
    cut = ask(documents, ALICE, "iam:CreateUser")
    assert cut.denial is Denial.IMPLICIT
    assert any(b in r and "boundary" in r for r in cut.reasons)


def test_a_boundary_alone_grants_nothing() -> None:
    b = arn("policy", "B")
    documents = details(users=[user("alice", boundary=b)], policies=[managed("B", stmt())])
    assert ask(documents, ALICE, "s3:GetObject", OBJECT).denial is Denial.IMPLICIT


def test_a_condition_the_question_does_not_decide_is_conditional_never_true() -> None:
    documents = alice_with(
        stmt(action="s3:*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})
    )
    answer = ask(documents, ALICE, "s3:GetObject", OBJECT)
    assert answer.decision is Decision.CONDITIONAL
    assert [str(n) for n in answer.conditions] == [
        f'{P} v1 #0: Bool aws:MultiFactorAuthPresent ["true"]'
    ]
    told = ask(documents, ALICE, "s3:GetObject", OBJECT, {"aws:multifactorauthpresent": ("true",)})
    assert told.decision is Decision.ALLOW
    told_no = ask(
        documents, ALICE, "s3:GetObject", OBJECT, {"aws:MultiFactorAuthPresent": ("false",)}
    )
    assert told_no.decision is Decision.DENY


def test_a_conditional_deny_makes_an_allow_conditional() -> None:
    documents = alice_with(
        stmt(action="s3:*"),
        stmt("Deny", action="*", Condition={"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
    )
    assert ask(documents, ALICE, "s3:GetObject", OBJECT).decision is Decision.CONDITIONAL
    inside = ask(documents, ALICE, "s3:GetObject", OBJECT, {"aws:SourceIp": ("10.1.2.3",)})
    assert inside.decision is Decision.ALLOW
    outside = ask(documents, ALICE, "s3:GetObject", OBJECT, {"aws:SourceIp": ("192.0.2.1",)})
    assert outside.denial is Denial.EXPLICIT


def test_conditions_on_what_the_principal_is_are_decided() -> None:
    documents = alice_with(
        stmt(action="s3:*", Condition={"StringEquals": {"aws:PrincipalTag/team": "data"}}),
        tags={"team": "data"},
    )
    assert ask(documents, ALICE, "s3:GetObject", OBJECT).decision is Decision.ALLOW
    other = alice_with(
        stmt(action="s3:*", Condition={"StringEquals": {"aws:PrincipalTag/team": "data"}}),
        tags={"team": "web"},
    )
    assert ask(other, ALICE, "s3:GetObject", OBJECT).decision is Decision.DENY


def test_policy_variables_resolve_for_a_user() -> None:
    documents = alice_with(stmt(action="s3:*", resource="arn:aws:s3:::home/${aws:username}/*"))
    assert (
        ask(documents, ALICE, "s3:GetObject", "arn:aws:s3:::home/alice/x").decision
        is Decision.ALLOW
    )
    assert (
        ask(documents, ALICE, "s3:GetObject", "arn:aws:s3:::home/bob/x").decision is Decision.DENY
    )


def test_a_variable_a_role_session_lacks_invalidates_the_statement() -> None:
    documents = details(
        roles=[role("app", attached=(P,))],
        policies=[
            managed("P", stmt(action="s3:*", resource="arn:aws:s3:::home/${aws:username}/*"))
        ],
    )
    answer = ask(documents, arn("role", "app"), "s3:GetObject", "arn:aws:s3:::home/app/x")
    assert answer.denial is Denial.IMPLICIT


def test_an_unknown_variable_is_conditional_unless_no_value_could_match() -> None:
    documents = details(
        roles=[role("app", attached=(P,))],
        policies=[managed("P", stmt(action="s3:*", resource="arn:aws:s3:::home/${aws:userid}/*"))],
    )
    who = arn("role", "app")
    assert (
        ask(documents, who, "s3:GetObject", "arn:aws:s3:::home/x/y").decision
        is Decision.CONDITIONAL
    )
    assert ask(documents, who, "s3:GetObject", "arn:aws:s3:::other/x/y").decision is Decision.DENY


def test_variables_are_literal_in_old_policy_language() -> None:
    documents = details(
        users=[user("alice", attached=(P,))],
        policies=[
            managed(
                "P",
                versions={
                    "v1": doc(
                        stmt(action="s3:*", resource="arn:aws:s3:::${aws:username}"),
                        version="2008-10-17",
                    )
                },
            )
        ],
    )
    assert ask(documents, ALICE, "s3:ListBucket", "arn:aws:s3:::alice").decision is Decision.DENY
    assert (
        ask(documents, ALICE, "s3:ListBucket", "arn:aws:s3:::${aws:username}").decision
        is Decision.ALLOW
    )


def bucket_policy(*statements: dict, account: str | None = None) -> dict:
    entry: dict = {"Bucket": "data", "Policy": doc(*statements)}
    if account:
        entry["Account"] = account
    return {"S3BucketPolicies": [entry]}


def test_same_account_resource_policy_naming_the_user_allows_without_identity_policy() -> None:
    documents = [
        details(users=[user("alice")]),
        bucket_policy(
            stmt(action="s3:GetObject", resource=BUCKET + "/*", Principal={"AWS": ALICE})
        ),
    ]
    answer = ask(documents, ALICE, "s3:GetObject", OBJECT)
    assert refs(answer) == [f"resource policy of {BUCKET} #0"]


def test_a_resource_policy_naming_the_account_delegates_to_identity_policies() -> None:
    documents = [
        details(users=[user("alice")]),
        bucket_policy(stmt(action="s3:*", resource=BUCKET + "/*", Principal={"AWS": ACCOUNT})),
    ]
    assert ask(documents, ALICE, "s3:GetObject", OBJECT).denial is Denial.IMPLICIT


def test_a_resource_policy_naming_a_role_arn_is_still_limited_by_its_boundary() -> None:
    b = arn("policy", "B")
    app = arn("role", "app")
    documents = [
        details(roles=[role("app", boundary=b)], policies=[managed("B", stmt(action="sqs:*"))]),
        bucket_policy(stmt(action="s3:GetObject", resource=BUCKET + "/*", Principal={"AWS": app})),
    ]
    assert ask(documents, app, "s3:GetObject", OBJECT).denial is Denial.IMPLICIT
    unbounded = [
        details(roles=[role("app")]),
        bucket_policy(stmt(action="s3:GetObject", resource=BUCKET + "/*", Principal={"AWS": app})),
    ]
    assert ask(unbounded, app, "s3:GetObject", OBJECT).decision is Decision.ALLOW


def test_an_explicit_deny_in_a_resource_policy_wins() -> None:
    documents = [
        alice_with(stmt(action="s3:*")),
        bucket_policy(stmt("Deny", action="s3:*", resource=BUCKET + "/*", Principal="*")),
    ]
    answer = ask(documents, ALICE, "s3:GetObject", OBJECT)
    assert refs(answer) == [f"resource policy of {BUCKET} #0"]
    assert answer.denial is Denial.EXPLICIT


def test_cross_account_needs_both_identity_and_resource_policy() -> None:
    their = arn("user", "carol", OTHER)
    grant = stmt(action="s3:GetObject", resource=BUCKET + "/*", Principal={"AWS": their})
    only_resource = [
        details(users=[user("carol", account=OTHER)]),
        bucket_policy(grant, account=ACCOUNT),
    ]
    assert ask(only_resource, their, "s3:GetObject", OBJECT).denial is Denial.IMPLICIT
    both = [
        details(
            users=[user("carol", account=OTHER, attached=(arn("policy", "P", OTHER),))],
            policies=[managed("P", stmt(action="s3:*"), account=OTHER)],
        ),
        bucket_policy(grant, account=ACCOUNT),
    ]
    answer = ask(both, their, "s3:GetObject", OBJECT)
    assert answer.decision is Decision.ALLOW
    assert f"resource policy of {BUCKET} #0" in refs(answer)
    only_identity = [
        both[0],
        bucket_policy(stmt(action="s3:*", resource="*", Principal={"AWS": ALICE}), account=ACCOUNT),
    ]
    assert ask(only_identity, their, "s3:GetObject", OBJECT).denial is Denial.IMPLICIT


def test_scps_must_allow_at_every_level_and_their_deny_wins() -> None:
    scps = {
        "ServiceControlPolicies": [
            {
                "AccountId": ACCOUNT,
                "Levels": [
                    {
                        "Target": "r-root",
                        "Policies": [{"Name": "FullAWSAccess", "Content": doc(stmt())}],
                    },
                    {
                        "Target": "ou-prod",
                        "Policies": [{"Name": "OnlyS3", "Content": doc(stmt(action="s3:*"))}],
                    },
                ],
            }
        ]
    }
    documents = [alice_with(stmt()), scps]
    assert ask(documents, ALICE, "s3:GetObject", OBJECT).decision is Decision.ALLOW
    cut = ask(documents, ALICE, "ec2:RunInstances")
    assert cut.denial is Denial.IMPLICIT
    assert any("ou-prod" in r for r in cut.reasons)


def test_scps_do_not_apply_to_service_linked_roles() -> None:
    linked = role("AWSServiceRoleForX", path="/aws-service-role/x.amazonaws.com/", attached=(P,))
    scps = {
        "ServiceControlPolicies": [
            {
                "AccountId": ACCOUNT,
                "Levels": [
                    {
                        "Target": "r-root",
                        "Policies": [{"Name": "Deny", "Content": doc(stmt("Deny"))}],
                    }
                ],
            }
        ]
    }
    documents = [details(roles=[linked], policies=[managed("P", stmt())]), scps]
    who = "arn:aws:iam::111122223333:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX"
    assert ask(documents, who, "s3:GetObject", OBJECT).decision is Decision.ALLOW


def test_a_policy_missing_from_the_input_leaves_the_answer_open() -> None:
    documents = details(
        users=[user("alice", attached=(P, arn("policy", "Gone")))],
        policies=[managed("P", stmt(action="s3:*"))],
    )
    answer = ask(documents, ALICE, "s3:GetObject", OBJECT)
    assert answer.decision is Decision.CONDITIONAL
    assert any("Gone" in r and "not in the input" in r for r in answer.reasons)


def test_an_unknown_principal_is_an_input_error_naming_it() -> None:
    evaluator = Evaluator(read(alice_with(stmt())))
    with pytest.raises(UnknownPrincipalError, match="alicia"):
        evaluator.can(arn("user", "alicia"), "s3:GetObject", OBJECT)


def trust(*statements: dict) -> dict:
    return doc(*statements)


def test_a_trust_policy_naming_a_user_lets_it_assume_without_identity_policy() -> None:
    target = arn("role", "admin")
    documents = details(
        users=[user("alice")],
        roles=[
            role(
                "admin",
                trust=trust(stmt(action="sts:AssumeRole", resource=None, Principal={"AWS": ALICE})),
            )
        ],
    )
    answer = ask(documents, ALICE, "sts:AssumeRole", target)
    assert refs(answer) == [f"trust policy of {target} #0"]


def test_a_trust_policy_naming_the_account_root_needs_the_principals_own_allow() -> None:
    target = arn("role", "admin")
    trusting_root = role(
        "admin",
        trust=trust(
            stmt(
                action="sts:AssumeRole",
                resource=None,
                Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            )
        ),
    )
    without = details(users=[user("alice")], roles=[trusting_root])
    assert ask(without, ALICE, "sts:AssumeRole", target).denial is Denial.IMPLICIT
    with_allow = details(
        users=[user("alice", attached=(P,))],
        roles=[trusting_root],
        policies=[managed("P", stmt(action="sts:AssumeRole", resource=target))],
    )
    answer = ask(with_allow, ALICE, "sts:AssumeRole", target)
    assert answer.decision is Decision.ALLOW
    assert refs(answer) == [f"{P} v1 #0", f"trust policy of {target} #0"]


def test_identity_allow_alone_does_not_assume_a_role_that_does_not_trust_it() -> None:
    target = arn("role", "admin")
    documents = details(
        users=[user("alice", attached=(P,))], roles=[role("admin")], policies=[managed("P", stmt())]
    )
    answer = ask(documents, ALICE, "sts:AssumeRole", target)
    assert answer.denial is Denial.IMPLICIT
    assert any("trust policy" in r for r in answer.reasons)


def test_the_request_context_sets_absent_keys_too() -> None:
    documents = alice_with(stmt(action="s3:*", Condition={"Null": {"aws:TokenIssueTime": "true"}}))
    assert ask(documents, ALICE, "s3:GetObject", OBJECT).decision is Decision.CONDITIONAL
    absent = ask(documents, ALICE, "s3:GetObject", OBJECT, {"aws:TokenIssueTime": Missing.ABSENT})
    assert absent.decision is Decision.ALLOW


def test_a_deny_not_principal_spares_only_a_callers_whole_chain() -> None:
    app = arn("role", "app")
    spare_role = stmt(
        "Deny",
        action="s3:*",
        resource=BUCKET + "/*",
        NotPrincipal={"AWS": [app, f"arn:aws:iam::{ACCOUNT}:root"]},
    )
    documents = [
        details(roles=[role("app", attached=(P,))], policies=[managed("P", stmt())]),
        bucket_policy(spare_role),
    ]
    # The caller is a session of the role, which the NotPrincipal does not list.
    assert ask(documents, app, "s3:GetObject", OBJECT).denial is Denial.EXPLICIT
    spare_user = stmt(
        "Deny",
        action="s3:*",
        resource=BUCKET + "/*",
        NotPrincipal={"AWS": [ALICE, f"arn:aws:iam::{ACCOUNT}:root"]},
    )
    users = [alice_with(stmt()), bucket_policy(spare_user)]
    assert ask(users, ALICE, "s3:GetObject", OBJECT).decision is Decision.ALLOW


def test_when_the_resources_account_is_unknown_and_matters_the_answer_is_conditional() -> None:
    their = arn("user", "carol", OTHER)
    documents = [
        details(
            users=[user("carol", account=OTHER, attached=(arn("policy", "P", OTHER),))],
            policies=[managed("P", stmt(action="s3:*"), account=OTHER)],
        ),
        details(users=[user("alice")]),
    ]
    answer = ask(documents, their, "s3:GetObject", OBJECT)  # S3 ARNs name no account
    assert answer.decision is Decision.CONDITIONAL
    assert any("account of" in r for r in answer.reasons)


def on_tagged_users(condition: dict, **tags: dict[str, str]) -> dict:
    """alice allowed iam:CreateAccessKey on every user under `condition`; users named by
    `tags`, each with its tags."""
    allowed = stmt(action="iam:CreateAccessKey", resource=arn("user", "*"), Condition=condition)
    users = [user("alice", attached=(P,))] + [user(n, tags=t) for n, t in tags.items()]
    return details(users=users, policies=[managed("P", allowed)])


def test_a_users_tags_decide_resource_tag_conditions_on_requests_about_it() -> None:
    documents = on_tagged_users(
        {"StringEquals": {"aws:ResourceTag/Developer": "true"}},
        dev={"developer": "true"},
        ops={"developer": "false"},
        admin={},
    )
    key = "iam:CreateAccessKey"
    assert ask(documents, ALICE, key, arn("user", "dev")).decision is Decision.ALLOW
    assert ask(documents, ALICE, key, arn("user", "ops")).decision is Decision.DENY
    # A tag the user lacks is absent (the input lists every tag), as AWS evaluates it.
    assert ask(documents, ALICE, key, arn("user", "admin")).decision is Decision.DENY
    # A user not in the input: its tags are not known.
    unknown = ask(documents, ALICE, key, arn("user", "ghost"))
    assert unknown.decision is Decision.CONDITIONAL
    # The question's own context wins over the tags.
    told = ask(
        documents, ALICE, key, arn("user", "admin"), {"aws:ResourceTag/developer": ("true",)}
    )
    assert told.decision is Decision.ALLOW


def test_iam_resource_tag_is_the_same_tag_and_if_exists_spares_an_untagged_user() -> None:
    documents = on_tagged_users(
        {"StringEqualsIfExists": {"iam:ResourceTag/team": "data"}},
        data={"team": "data"},
        web={"team": "web"},
        bare={},
    )
    key = "iam:CreateAccessKey"
    assert ask(documents, ALICE, key, arn("user", "data")).decision is Decision.ALLOW
    assert ask(documents, ALICE, key, arn("user", "web")).decision is Decision.DENY
    assert ask(documents, ALICE, key, arn("user", "bare")).decision is Decision.ALLOW
    negated = on_tagged_users(
        {"StringNotEqualsIfExists": {"aws:ResourceTag/protected": "yes"}},
        guarded={"protected": "yes"},
        bare={},
    )
    assert ask(negated, ALICE, key, arn("user", "guarded")).decision is Decision.DENY
    assert ask(negated, ALICE, key, arn("user", "bare")).decision is Decision.ALLOW


def test_a_roles_tags_are_its_resource_tags_and_a_null_test_sees_them() -> None:
    tagged = stmt(
        action="iam:UpdateAssumeRolePolicy",
        resource=arn("role", "*"),
        Condition={"StringLike": {"aws:ResourceTag/owner": "team-*"}},
    )
    untagged_only = stmt(
        action="iam:PutRolePolicy",
        resource=arn("role", "*"),
        Condition={"Null": {"aws:ResourceTag/owner": "true"}},
    )
    documents = details(
        users=[user("alice", attached=(P,))],
        roles=[role("app", tags={"owner": "team-a"}), role("bare")],
        policies=[managed("P", tagged, untagged_only)],
    )
    app, bare = arn("role", "app"), arn("role", "bare")
    assert ask(documents, ALICE, "iam:UpdateAssumeRolePolicy", app).decision is Decision.ALLOW
    assert ask(documents, ALICE, "iam:UpdateAssumeRolePolicy", bare).decision is Decision.DENY
    assert ask(documents, ALICE, "iam:PutRolePolicy", app).decision is Decision.DENY
    assert ask(documents, ALICE, "iam:PutRolePolicy", bare).decision is Decision.ALLOW
