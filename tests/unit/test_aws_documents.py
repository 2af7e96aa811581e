"""Reading IAM JSON: the shapes AWS returns, and one-line problems naming file and path."""

from __future__ import annotations

import json
import urllib.parse

import pytest
from aws_builders import arn, details, doc, managed, read, role, stmt, user

from drift.aws.documents import AwsInputError, read_aws_files
from drift.aws.policy import Effect


def problems(*documents: dict) -> list[str]:
    with pytest.raises(AwsInputError) as caught:
        read(*documents)
    return list(caught.value.problems)


def test_statement_as_object_and_strings_as_lists_or_not() -> None:
    single = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
    }
    data = read(details(users=[user("alice", inline={"one": single})]))
    [statement] = data.users[arn("user", "alice")].inline[0].document.statements
    assert statement.effect is Effect.DENY
    assert statement.actions.written == ("s3:*",)
    assert statement.resources == ("*",)


def test_url_encoded_and_json_text_documents_are_read() -> None:
    text = json.dumps(doc(stmt(action="s3:GetObject")))
    encoded = urllib.parse.quote(text)
    data = read(details(users=[user("a", inline={"t": text}), user("b", inline={"e": encoded})]))  # type: ignore[dict-item]
    for name in ("a", "b"):
        [policy] = data.users[arn("user", name)].inline
        assert policy.document.statements[0].actions.written == ("s3:GetObject",)


def test_a_bad_effect_names_file_and_json_path() -> None:
    bad = role("r", trust=doc(stmt("Maybe", action="sts:AssumeRole", resource=None, Principal="*")))
    assert problems(details(roles=[role("ok"), bad])) == [
        "doc0.json: RoleDetailList[1].AssumeRolePolicyDocument.Statement[0].Effect: "
        "must be Allow or Deny"
    ]


def test_every_problem_is_reported_at_once() -> None:
    found = problems(
        details(
            users=[user("a", inline={"x": doc({"Effect": "Allow", "Resource": "*"})})],
            policies=[
                managed("P", {"Effect": "Allow", "Action": "s3", "Resource": "*", "Princpal": "*"})
            ],
        )
    )
    assert found == [
        "doc0.json: UserDetailList[0].UserPolicyList[0].PolicyDocument.Statement[0]: "
        "needs Action or NotAction",
        "doc0.json: Policies[0].PolicyVersionList[0].Document.Statement[0].Princpal: "
        "unknown field (did you mean 'Principal'?)",
        "doc0.json: Policies[0].PolicyVersionList[0].Document.Statement[0].Action[0]: "
        "'s3' is not service:action",
    ]


def test_principal_is_refused_in_identity_policies_and_required_in_trust_policies() -> None:
    found = problems(
        details(
            users=[user("a", inline={"x": doc(stmt(Principal="*"))})],
            roles=[role("r", trust=doc(stmt(action="sts:AssumeRole", resource=None)))],
        )
    )
    assert any(
        "UserPolicyList[0].PolicyDocument.Statement[0].Principal: not allowed" in p for p in found
    )
    assert any("AssumeRolePolicyDocument.Statement[0]: needs Principal" in p for p in found)


def test_a_truncated_page_and_an_unknown_section_are_problems() -> None:
    found = problems({"UserDetailList": [], "IsTruncated": True, "Rolez": []})
    assert "doc0.json: Rolez: unknown section" in found[0]
    assert found[1] == "doc0.json: IsTruncated: this is one page of several: merge every page"


def test_a_policy_with_two_default_versions_is_refused() -> None:
    policy = managed("P", versions={"v1": doc(stmt()), "v2": doc(stmt())})
    for version in policy["PolicyVersionList"]:
        version["IsDefaultVersion"] = True
    assert "several default versions" in problems(details(policies=[policy]))[0]


def test_the_account_copy_of_a_managed_policy_wins_over_the_policy_set(tmp_path) -> None:
    aws = "arn:aws:iam::aws:policy/ReadOnly"
    account_copy = managed("ReadOnly", stmt(action="s3:Get*"))
    account_copy["Arn"] = aws
    newer = managed("ReadOnly", stmt(action="*"))
    newer["Arn"] = aws
    (tmp_path / "set.json").write_text(json.dumps({"Policies": [newer]}))
    (tmp_path / "gaad.json").write_text(
        json.dumps(details(users=[user("a")], policies=[account_copy]))
    )
    data = read_aws_files([tmp_path / "set.json", tmp_path / "gaad.json"])
    assert data.policies[aws].document.statements[0].actions.written == ("s3:Get*",)


def test_a_file_that_is_not_json_is_one_line(tmp_path) -> None:
    (tmp_path / "x.json").write_text("{nope")
    with pytest.raises(AwsInputError) as caught:
        read_aws_files([tmp_path / "x.json"])
    [problem] = caught.value.problems
    assert problem.startswith(f"{tmp_path / 'x.json'}: not JSON: ") and "line 1" in problem


def test_resource_policies_are_keyed_by_what_they_govern() -> None:
    data = read(
        {
            "S3BucketPolicies": [
                {"Bucket": "b", "Policy": doc(stmt(Principal="*"))},
                {"Bucket": "acl-only", "CannedACL": "private"},
            ],
            "LambdaFunctionPolicies": [
                {
                    "FunctionName": "f",
                    "Policy": doc(
                        stmt(
                            action="lambda:InvokeFunction",
                            resource="arn:aws:lambda:us-east-1:111122223333:function:f",
                            Principal={"Service": "s3.amazonaws.com"},
                        )
                    ),
                }
            ],
        }
    )
    assert set(data.resource_policies) == {
        "arn:aws:s3:::b",
        "arn:aws:lambda:us-east-1:111122223333:function:f",
    }
    assert data.resource_policies_given
