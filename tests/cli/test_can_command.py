"""`drift can` as a person and a script run it: decisions, exit codes, JSON contract."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from aws_builders import ACCOUNT, arn, details, doc, managed, stmt, user
from click.testing import CliRunner

from drift.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "can-v1.schema.json").read_text())
ALICE = arn("user", "alice")
P = arn("policy", "P")


@pytest.fixture
def gaad(tmp_path: Path) -> Path:
    policy = managed(
        "P",
        stmt(action="s3:*", Sid="S3"),
        stmt("Deny", action="s3:DeleteBucket"),
        stmt(
            action="iam:PassRole",
            Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
        ),
    )
    path = tmp_path / "gaad.json"
    path.write_text(json.dumps(details(users=[user("alice", attached=(P,))], policies=[policy])))
    return path


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_one_question_prints_the_decision_and_its_statement(gaad: Path) -> None:
    result = run("can", "--aws-file", str(gaad), ALICE, "s3:GetObject", "arn:aws:s3:::b/k")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f'allow: {ALICE} s3:GetObject arn:aws:s3:::b/k\n  statement {P} v1 #0 (Sid "S3")\n'
    )


def test_a_deny_still_exits_zero_and_says_which_kind(gaad: Path) -> None:
    result = run("can", "--aws-file", str(gaad), ALICE, "s3:DeleteBucket", "arn:aws:s3:::b")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"deny (explicit-deny): {ALICE}")
    implicit = run("can", "--aws-file", str(gaad), ALICE, "ec2:RunInstances", "*")
    assert implicit.stdout.startswith("deny (implicit-deny)")


def test_context_decides_a_condition(gaad: Path) -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/app"
    open_ = run("can", "--aws-file", str(gaad), ALICE, "iam:PassRole", role)
    assert open_.stdout.startswith("conditional")
    assert "StringEquals iam:PassedToService" in open_.stdout
    told = run(
        "can",
        "--aws-file",
        str(gaad),
        "--context",
        "iam:PassedToService=ec2.amazonaws.com",
        ALICE,
        "iam:PassRole",
        role,
    )
    assert told.stdout.startswith("allow")


def test_batch_questions_in_json_keep_their_order_and_match_the_schema(
    gaad: Path, tmp_path: Path
) -> None:
    questions = [
        {"principal": ALICE, "action": "s3:DeleteBucket", "resource": "arn:aws:s3:::b"},
        {"principal": ALICE, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"},
        {
            "principal": ALICE,
            "action": "iam:PassRole",
            "resource": "*",
            "context": {"iam:PassedToService": ["lambda.amazonaws.com"]},
        },
        {"principal": ALICE, "action": "iam:PassRole", "resource": "*"},
    ]
    path = tmp_path / "q.json"
    path.write_text(json.dumps(questions))
    result = run("can", "--aws-file", str(gaad), "--queries", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    jsonschema.validate(output, SCHEMA)
    decisions = output["decisions"]
    assert [(d["action"], d["decision"], d["denial"]) for d in decisions] == [
        ("s3:DeleteBucket", "deny", "explicit-deny"),
        ("s3:GetObject", "allow", None),
        ("iam:PassRole", "deny", "implicit-deny"),
        ("iam:PassRole", "conditional", None),
    ]
    assert decisions[0]["statements"] == [f"{P} v1 #1"]
    assert decisions[3]["conditions"] == [
        {
            "statement": f"{P} v1 #2",
            "operator": "StringEquals",
            "key": "iam:PassedToService",
            "values": ["ec2.amazonaws.com"],
        }
    ]


def test_an_unknown_principal_exits_2_naming_it(gaad: Path) -> None:
    result = run("can", "--aws-file", str(gaad), arn("user", "alicee"), "s3:GetObject", "*")
    assert result.exit_code == 2
    assert f"principal '{arn('user', 'alicee')}' is not a user or role" in result.stderr
    assert f"did you mean '{ALICE}'" in result.stderr


def test_bad_questions_are_all_reported(gaad: Path, tmp_path: Path) -> None:
    path = tmp_path / "q.json"
    path.write_text(
        json.dumps(
            [
                {"principal": ALICE, "action": "s3:*", "resource": "bucket"},
                {"principal": ALICE, "action": "s3:GetObject"},
            ]
        )
    )
    result = run("can", "--aws-file", str(gaad), "--queries", str(path))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: {path}: [1].resource: required: a non-empty string"
    ]
    path.write_text(json.dumps([{"principal": ALICE, "action": "s3:*", "resource": "bucket"}]))
    lines = run("can", "--aws-file", str(gaad), "--queries", str(path)).stderr.splitlines()
    assert lines == [
        "error: question: action 's3:*' is not one service:Action (no wildcards)",
        "error: question: resource 'bucket' is neither * nor an ARN",
    ]


def test_an_invalid_aws_file_exits_2_with_file_and_path(tmp_path: Path) -> None:
    path = tmp_path / "gaad.json"
    path.write_text(json.dumps(details(users=[user("a", inline={"x": doc(stmt("allow"))})])))
    result = run("can", "--aws-file", str(path), arn("user", "a"), "s3:GetObject", "*")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {path}: UserDetailList[0].UserPolicyList[0].PolicyDocument.Statement[0].Effect: "
        "must be Allow or Deny\n"
    )


def test_a_question_and_queries_together_is_a_usage_error(gaad: Path) -> None:
    assert run("can", "--aws-file", str(gaad)).exit_code == 2
    assert run("can", "--aws-file", str(gaad), ALICE, "s3:GetObject").exit_code == 2
