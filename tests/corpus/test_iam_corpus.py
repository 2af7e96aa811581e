"""`drift can` on deliberately vulnerable accounts: each privilege escalation path's key
permission comes out allow (or conditional), naming its statement; the false-positive
policies of iam-vulnerable come out denied, its false negatives allowed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from shared_corpus import corpus_path

from drift.aws.documents import read_aws_files
from drift.aws.iam import Answer, Decision, Denial, Evaluator
from drift.aws.trust import TrustKind, trust_relations
from drift.cli import main

pytestmark = pytest.mark.corpus

VULNERABLE = ("aws", "cloudsplaining", "iam-vulnerable-account-authorization-details.json")
MANAGED = ("aws", "aws-managed-policies", "aws-managed-policies.json")
IV = "arn:aws:iam::200611803367:"
GOAT = "arn:aws:iam::123456789012:"


def iv(kind: str, name: str) -> str:
    return f"{IV}{kind}/{name}"


@pytest.fixture(scope="module")
def vulnerable() -> Evaluator:
    return Evaluator(read_aws_files([corpus_path(*VULNERABLE)]))


def goat(scenario: str, *more: str) -> Evaluator:
    files = [corpus_path("aws", "cloudgoat", scenario, "iam-authorization-details.json")]
    files.extend(corpus_path("aws", "cloudgoat", scenario, m) for m in more)
    return Evaluator(read_aws_files(files))


def refs(answer: Answer) -> list[str]:
    return [str(s) for s in answer.statements]


@pytest.mark.parametrize(
    ("principal", "actions", "policy"),
    [
        (
            "user/privesc1-CreateNewPolicyVersion-user",
            ["iam:CreatePolicyVersion"],
            "privesc1-CreateNewPolicyVersion",
        ),
        (
            "user/privesc2-SetExistingDefaultPolicyVersion-user",
            ["iam:SetDefaultPolicyVersion"],
            "privesc2-SetExistingDefaultPolicyVersion",
        ),
        (
            "user/privesc3-CreateEC2WithExistingInstanceProfile-user",
            ["iam:PassRole", "ec2:RunInstances"],
            "privesc3-CreateEC2WithExistingInstanceProfile",
        ),
        ("user/privesc4-CreateAccessKey-user", ["iam:CreateAccessKey"], "privesc4-CreateAccessKey"),
        (
            "user/privesc7-AttachUserPolicy-user",
            ["iam:AttachUserPolicy"],
            "privesc7-AttachUserPolicy",
        ),
        (
            "user/privesc8-AttachGroupPolicy-user",
            ["iam:AttachGroupPolicy"],
            "privesc8-AttachGroupPolicy",
        ),
        (
            "role/privesc9-AttachRolePolicy-role",
            ["iam:AttachRolePolicy"],
            "privesc9-AttachRolePolicy",
        ),
        ("user/privesc10-PutUserPolicy-user", ["iam:PutUserPolicy"], "privesc10-PutUserPolicy"),
        ("user/privesc13-AddUserToGroup-user", ["iam:AddUserToGroup"], "privesc13-AddUserToGroup"),
        (
            "user/privesc14-UpdatingAssumeRolePolicy-user",
            ["iam:UpdateAssumeRolePolicy"],
            "privesc14-UpdatingAssumeRolePolicy",
        ),
        (
            "user/privesc15-PassExistingRoleToNewLambdaThenInvoke-user",
            ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"],
            "privesc15-PassExistingRoleToNewLambdaThenInvoke",
        ),
        (
            "role/privesc17-EditExistingLambdaFunctionWithRole-role",
            ["lambda:UpdateFunctionCode"],
            "privesc17-EditExistingLambdaFunctionWithRole",
        ),
        (
            "user/privesc20-PassExistingRoleToCloudFormation-user",
            ["iam:PassRole", "cloudformation:CreateStack"],
            "privesc20-PassExistingRoleToCloudFormation",
        ),
        (
            "user/privesc-sageMakerCreateTrainingJobPassRole-user",
            ["sagemaker:CreateTrainingJob", "iam:PassRole"],
            "privesc-sageMakerCreateTrainingJobPassRole-policy",
        ),
    ],
)
def test_each_privesc_principal_may_do_what_its_name_promises(
    vulnerable: Evaluator, principal: str, actions: list[str], policy: str
) -> None:
    for action in actions:
        answer = vulnerable.can(f"{IV}{principal}", action, "*")
        assert answer.decision is Decision.ALLOW, (action, answer)
        assert [r.split(" ")[0] for r in refs(answer)] == [iv("policy", policy)]


def test_a_group_grants_the_sre_user_iam_and_the_sre_role_trusts_it(vulnerable: Evaluator) -> None:
    user = iv("user", "privesc-sre-user")
    assert refs(vulnerable.can(user, "iam:CreateUser", "*")) == [
        f"{iv('policy', 'privesc-sre-admin-policy')} v1 #0"
    ]
    role = iv("role", "privesc-sre-role")
    assert refs(vulnerable.can(user, "sts:AssumeRole", role)) == [f"trust policy of {role} #0"]


def test_false_positives_are_denied(vulnerable: Evaluator) -> None:
    fp1 = vulnerable.can(iv("user", "fp1-allow-and-deny-user"), "iam:CreatePolicyVersion", "*")
    assert fp1.denial is Denial.EXPLICIT
    assert refs(fp1) == [f"{iv('policy', 'fp1-allow-and-deny')} v1 #1"]
    fp2 = vulnerable.can(
        iv("role", "fp2-allow-and-deny-multiple-policies-role"), "iam:PassRole", "*"
    )
    assert refs(fp2) == [f"{iv('policy', 'deny-all')} v1 #0"]
    fp3 = vulnerable.can(iv("user", "fp3-deny-iam-user"), "iam:AttachUserPolicy", "*")
    assert fp3.denial is Denial.EXPLICIT
    own = vulnerable.can(
        iv("user", "fp4-nonExploitableResourceConstraint-user"),
        "iam:CreatePolicyVersion",
        iv("policy", "fp4-x"),
    )
    assert own.denial is Denial.IMPLICIT  # the statement only names AWS-managed policies
    fp5 = vulnerable.can(
        iv("user", "fp5-nonExploitableConditionConstraint-user"), "iam:CreatePolicyVersion", "*"
    )
    assert fp5.decision is Decision.CONDITIONAL
    assert [str(n.test) for n in fp5.conditions] == [
        'DateLessThan aws:TokenIssueTime ["2020-01-01T00:00:01Z"]'
    ]
    today = {"aws:TokenIssueTime": ("2026-01-01T00:00:00Z",)}
    fp5_today = vulnerable.can(
        iv("user", "fp5-nonExploitableConditionConstraint-user"),
        "iam:CreatePolicyVersion",
        "*",
        today,
    )
    assert fp5_today.denial is Denial.IMPLICIT


def test_deny_all_denies_everything_even_beside_allow_all(vulnerable: Evaluator) -> None:
    for action in ("s3:GetObject", "iam:CreateUser", "sts:GetCallerIdentity"):
        answer = vulnerable.can(
            iv("user", "fp2-allow-and-deny-multiple-policies-user"), action, "*"
        )
        assert (answer.decision, answer.denial) == (Decision.DENY, Denial.EXPLICIT)


def test_false_negatives_are_allowed(vulnerable: Evaluator) -> None:
    fn1 = iv("user", "fn1-privesc3-partial-user")
    assert refs(vulnerable.can(fn1, "iam:PassRole", "*")) == [
        f"{iv('policy', 'fn1-passrole-star')} v1 #0"
    ]
    assert refs(vulnerable.can(fn1, "ec2:RunInstances", "*")) == [
        f"{iv('policy', 'fn1-privesc3-partial')} v1 #0"
    ]
    fn2 = vulnerable.can(
        iv("user", "fn2-exploitableResourceConstraint-user"),
        "iam:CreatePolicyVersion",
        iv("policy", "fn2-x"),
    )
    assert fn2.decision is Decision.ALLOW
    fn3 = vulnerable.can(
        iv("user", "fn3-exploitableConditionConstraint-user"), "iam:CreatePolicyVersion", "*"
    )
    assert fn3.decision is Decision.CONDITIONAL
    fn4 = iv("user", "fn4-exploitableNotAction-user")
    assert vulnerable.can(fn4, "iam:PutUserPolicy", "*").decision is Decision.ALLOW
    assert vulnerable.can(fn4, "iam:AttachUserPolicy", "*").denial is Denial.IMPLICIT


def test_the_permissive_trust_lets_in_whoever_may_assume_roles(vulnerable: Evaluator) -> None:
    role = iv("role", "privesc-permissive-role-trust")
    relations = trust_relations(vulnerable, [role])
    assert {r.via_account for r in relations} == {True}
    principals = {r.principal for r in relations}
    assert iv("user", "privesc14-UpdatingAssumeRolePolicy-user") in principals
    assert iv("user", "privesc1-CreateNewPolicyVersion-user") not in principals
    assert iv("user", "fp2-allow-and-deny-multiple-policies-user") not in principals


def test_iam_privesc_by_attachment() -> None:
    evaluator = goat("iam_privesc_by_attachment")
    kerrigan = f"{GOAT}user/kerrigan"
    policy = f"{GOAT}policy/cg-kerrigan-policy v1"
    for action, index in (
        ("iam:AddRoleToInstanceProfile", 0),
        ("iam:PassRole", 0),
        ("ec2:RunInstances", 1),
    ):
        assert refs(evaluator.can(kerrigan, action, "*")) == [f"{policy} #{index}"]
    mighty = evaluator.can(f"{GOAT}role/cg-ec2-mighty-role-cgidexample01", "iam:CreateUser", "*")
    assert refs(mighty) == [f"{GOAT}policy/cg-ec2-mighty-policy v1 #0"]
    meek = evaluator.can(f"{GOAT}role/cg-ec2-meek-role-cgidexample01", "s3:ListAllMyBuckets", "*")
    assert meek.denial is Denial.EXPLICIT


def test_iam_privesc_by_rollback_only_the_default_version_counts() -> None:
    evaluator = goat("iam_privesc_by_rollback")
    raynor = f"{GOAT}user/raynor-cgidexample01"
    policy = f"{GOAT}policy/cg-raynor-policy-cgidexample01"
    answer = evaluator.can(raynor, "iam:SetDefaultPolicyVersion", policy)
    assert refs(answer) == [f'{policy} v1 #0 (Sid "IAMPrivilegeEscalationByRollback")']
    assert evaluator.can(raynor, "iam:CreateUser", "*").denial is Denial.IMPLICIT  # v3: `*`
    assert evaluator.can(raynor, "s3:GetObject", "arn:aws:s3:::b/k").denial is Denial.IMPLICIT  # v5


def test_lambda_privesc() -> None:
    evaluator = goat("lambda_privesc")
    chris = f"{GOAT}user/chris-cgidexample01"
    manager = f"{GOAT}role/cg-lambdaManager-role-cgidexample01"
    debug = f"{GOAT}role/cg-debug-role-cgidexample01"
    assumed = evaluator.can(chris, "sts:AssumeRole", manager)
    assert refs(assumed) == [
        f'{GOAT}policy/cg-chris-policy-cgidexample01 v1 #0 (Sid "chris")',
        f"trust policy of {manager} #0",
    ]
    for action, resource in (
        ("iam:PassRole", debug),
        ("lambda:CreateFunction", "*"),
        ("lambda:InvokeFunction", "*"),
    ):
        answer = evaluator.can(manager, action, resource)
        assert refs(answer) == [
            f'{GOAT}policy/cg-lambdaManager-policy-cgidexample01 v1 #0 (Sid "lambdaManager")'
        ]
    [lambda_trust] = trust_relations(evaluator, [debug])
    assert (lambda_trust.kind, lambda_trust.principal) == (
        TrustKind.SERVICE,
        "lambda.amazonaws.com",
    )
    admin = evaluator.can(debug, "iam:AttachUserPolicy", "*")
    assert refs(admin) == ["arn:aws:iam::aws:policy/AdministratorAccess v1 #0"]


def test_cloud_breach_s3_the_instance_role_reads_every_bucket() -> None:
    evaluator = goat("cloud_breach_s3")
    waf = f"{GOAT}role/cg-banking-WAF-Role-cgidexample01"
    answer = evaluator.can(
        waf,
        "s3:GetObject",
        "arn:aws:s3:::cg-cardholder-data-bucket-cgidexample01/cardholder_data.csv",
    )
    assert refs(answer) == ["arn:aws:iam::aws:policy/AmazonS3FullAccess v2 #0"]
    [ec2] = trust_relations(evaluator, [waf])
    assert (ec2.kind, ec2.principal) == (TrustKind.SERVICE, "ec2.amazonaws.com")


def test_a_public_secret_is_readable_through_its_resource_policy_alone() -> None:
    evaluator = goat("secrets_in_the_cloud", "resource-policies.json")
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:cg-secret-cgidexample01-AbCdEf"
    low = f"{GOAT}user/low-priv-user-cgidexample01"
    answer = evaluator.can(low, "secretsmanager:GetSecretValue", secret)
    assert answer.decision is Decision.ALLOW
    assert f"resource policy of {secret} #0" in refs(answer)


def test_the_managed_policy_set_joins_the_account(tmp_path: Path) -> None:
    files = [corpus_path(*VULNERABLE), corpus_path(*MANAGED)]
    queries = tmp_path / "q.json"
    queries.write_text(
        json.dumps(
            [
                {
                    "principal": iv("user", "privesc7-AttachUserPolicy-user"),
                    "action": "iam:AttachUserPolicy",
                    "resource": "*",
                },
                {
                    "principal": iv("user", "fp3-deny-iam-user"),
                    "action": "iam:AttachUserPolicy",
                    "resource": "*",
                },
            ]
        )
    )
    args = ["can", "--queries", str(queries), "--format", "json"]
    for path in files:
        args.extend(["--aws-file", str(path)])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    decisions = json.loads(result.stdout)["decisions"]
    assert [(d["decision"], d["denial"]) for d in decisions] == [
        ("allow", None),
        ("deny", "explicit-deny"),
    ]
