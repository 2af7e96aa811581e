"""AWS privilege escalation on real IAM documents: BishopFox iam-vulnerable's account (as
cloudsplaining publishes it: one principal per technique, false positives and false
negatives) and the CloudGoat scenarios, each judged against what it is built to show."""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_corpus import corpus_path

from drift.aws.documents import AwsInput, read_aws_files
from drift.aws.escalation import escalations
from drift.aws.graph import add_aws
from drift.aws.iam import Evaluator
from drift.aws.trust import trust_relations
from drift.blast import PathKind, shortest_path
from drift.model import AssumesEdge, EdgeType, SystemGraph

pytestmark = pytest.mark.corpus

VULNERABLE = "200611803367"
GOAT = "123456789012"


def found(data: AwsInput) -> dict[tuple[str, str], AssumesEdge]:
    """The escalation edges (not the trust policies'), by (source, target)."""
    evaluator = Evaluator(data)
    return {(e.source, e.target): e for e in escalations(evaluator, trust_relations(evaluator))}


def name(arn: str) -> str:
    return "ADMIN" if arn.startswith("aws-admin:") else arn.rsplit("/", 1)[-1]


def by_source(edges: dict[tuple[str, str], AssumesEdge]) -> dict[str, dict[str, bool]]:
    """{source name: {target name: certain}}."""
    table: dict[str, dict[str, bool]] = {}
    for (source, target), edge in edges.items():
        table.setdefault(name(source), {})[name(target)] = edge.certain
    return table


# -- iam-vulnerable ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vulnerable() -> AwsInput:
    path = corpus_path("aws", "cloudsplaining", "iam-vulnerable-account-authorization-details.json")
    return read_aws_files([path])


@pytest.fixture(scope="module")
def vulnerable_edges(vulnerable: AwsInput) -> dict[str, dict[str, bool]]:
    return by_source(found(vulnerable))


HIGH = "privesc-high-priv-service-role"  # allows `*`; trusts ten services; has a profile
ADMIN = {"ADMIN": True}

# The principal of each technique (its `-user` and its `-role` hold the same policy) and the
# escalation it must show. A technique on one's own user (attach, put, group) is none for
# the role, and one on one's own role none for the user.
PRIVESC: dict[str, dict[str, bool]] = {
    "privesc1-CreateNewPolicyVersion-user": ADMIN,
    "privesc1-CreateNewPolicyVersion-role": ADMIN,
    "privesc3-CreateEC2WithExistingInstanceProfile-user": {HIGH: True},
    "privesc3-CreateEC2WithExistingInstanceProfile-role": {HIGH: True},
    "privesc7-AttachUserPolicy-user": ADMIN,
    "privesc8-AttachGroupPolicy-user": ADMIN,
    "privesc9-AttachRolePolicy-role": ADMIN,
    "privesc10-PutUserPolicy-user": ADMIN,
    "privesc11-PutGroupPolicy-user": ADMIN,
    "privesc12-PutRolePolicy-role": ADMIN,
    "privesc13-AddUserToGroup-user": ADMIN,  # joins privesc-sre-group (iam:*)
    "privesc15-PassExistingRoleToNewLambdaThenInvoke-user": {HIGH: True},
    "privesc15-PassExistingRoleToNewLambdaThenInvoke-role": {HIGH: True},
    # The new function needs records from a stream the input does not show.
    "privesc16-PassRoleToNewLambdaThenTriggerWithNewDynamo-user": {HIGH: False},
    "privesc16-PassRoleToNewLambdaThenTriggerWithNewDynamo-role": {HIGH: False},
    "privesc18-PassExistingRoleToNewGlueDevEndpoint-user": {HIGH: True},
    "privesc18-PassExistingRoleToNewGlueDevEndpoint-role": {HIGH: True},
    # Both roles that trust CloudFormation.
    "privesc20-PassExistingRoleToCloudFormation-user": {
        HIGH: True,
        "AWS-QuickSetup-StackSet-Local-AdministrationRole": True,
    },
    "privesc20-PassExistingRoleToCloudFormation-role": {
        HIGH: True,
        "AWS-QuickSetup-StackSet-Local-AdministrationRole": True,
    },
    # Data Pipeline takes no new customers.
    "privesc21-PassExistingRoleToNewDataPipeline-user": {HIGH: False},
    "privesc21-PassExistingRoleToNewDataPipeline-role": {HIGH: False},
    "privesc-codeBuildCreateProjectPassRole-user": {HIGH: True},
    "privesc-codeBuildCreateProjectPassRole-role": {HIGH: True},
    "privesc-sageMakerCreateNotebookPassRole-user": {HIGH: True},
    "privesc-sageMakerCreateNotebookPassRole-role": {HIGH: True},
    "privesc-sageMakerCreateProcessingJobPassRole-user": {HIGH: True},
    "privesc-sageMakerCreateProcessingJobPassRole-role": {HIGH: True},
    "privesc-sageMakerCreateTrainingJobPassRole-user": {HIGH: True},
    "privesc-sageMakerCreateTrainingJobPassRole-role": {HIGH: True},
    "privesc-sre-user": ADMIN,  # its group's policy allows iam:*
    "privesc-sre-role": ADMIN,
    "privesc-AssumeRole-ending-role": ADMIN,  # the end of a trust chain, allowed `*`
    HIGH: ADMIN,
}

# Techniques whose principal shows no escalation here, and why.
NONE = {
    # Its policy holds one version only: there is no other version to make the default.
    "privesc2-SetExistingDefaultPolicyVersion-user",
    "privesc2-SetExistingDefaultPolicyVersion-role",
    # Existing functions, dev endpoints, stacks, notebooks and instances are not in the input.
    "privesc17-EditExistingLambdaFunctionWithRole-user",
    "privesc19-UpdateExistingGlueDevEndpoint-user",
    "privesc-CloudFormationUpdateStack-user",
    "privesc-sageMakerCreatePresignedNotebookURL-user",
    "privesc-ec2InstanceConnect-user",
    "privesc-ssmSendCommand-user",
    "privesc-ssmStartSession-user",
    # A role cannot write a user's or group's policy onto itself, nor a user a role's.
    "privesc7-AttachUserPolicy-role",
    "privesc8-AttachGroupPolicy-role",
    "privesc9-AttachRolePolicy-user",
    "privesc10-PutUserPolicy-role",
    "privesc11-PutGroupPolicy-role",
    "privesc12-PutRolePolicy-user",
    "privesc13-AddUserToGroup-role",
    # Only trust: the chain's start has no permissions of its own.
    "privesc-AssumeRole-start-user",
    "privesc-AssumeRole-starting-role",
    "privesc-AssumeRole-intermediate-role",
    "privesc-permissive-role-trust",
}


def test_each_privesc_principal_shows_its_technique(
    vulnerable_edges: dict[str, dict[str, bool]],
) -> None:
    for principal, expected in PRIVESC.items():
        assert vulnerable_edges.get(principal) == expected, principal
    for principal in NONE:
        assert principal not in vulnerable_edges, principal


def test_the_evidence_names_the_statement_of_the_technique(vulnerable: AwsInput) -> None:
    edges = found(vulnerable)
    admin = f"aws-admin:{VULNERABLE}"
    for principal, target in [
        ("user/privesc1-CreateNewPolicyVersion-user", admin),
        ("user/privesc7-AttachUserPolicy-user", admin),
        ("role/privesc12-PutRolePolicy-role", admin),
        ("user/privesc15-PassExistingRoleToNewLambdaThenInvoke-user", f"role/{HIGH}"),
        ("user/privesc18-PassExistingRoleToNewGlueDevEndpoint-user", f"role/{HIGH}"),
    ]:
        source = f"arn:aws:iam::{VULNERABLE}:{principal}"
        policy = principal.split("/")[1].removesuffix("-user").removesuffix("-role")
        key = (source, target if target == admin else f"arn:aws:iam::{VULNERABLE}:{target}")
        texts = [e.text for e in edges[key].evidence]
        assert f"arn:aws:iam::{VULNERABLE}:policy/{policy} v1 #0" in texts, principal


def test_credentials_and_trust_rewrites_reach_every_principal_of_the_account(
    vulnerable: AwsInput, vulnerable_edges: dict[str, dict[str, bool]]
) -> None:
    users = {name(u) for u in vulnerable.users if f":{VULNERABLE}:" in u}
    roles = {
        name(arn)
        for arn, role in vulnerable.roles.items()
        if f":{VULNERABLE}:" in arn and not role.protected  # only AWS may rewrite those
    }
    for technique in (
        "privesc4-CreateAccessKey",
        "privesc5-CreateLoginProfile",
        "privesc6-UpdateLoginProfile",
    ):
        for principal in (f"{technique}-user", f"{technique}-role"):
            # Not certain: a user may hold two keys already, or a password, or an MFA device.
            expected = dict.fromkeys(users - {principal}, False)
            assert vulnerable_edges[principal] == expected, principal
    for principal in (
        "privesc14-UpdatingAssumeRolePolicy-user",
        "privesc14-UpdatingAssumeRolePolicy-role",
    ):
        assert vulnerable_edges[principal] == dict.fromkeys(roles - {principal}, True), principal


def test_false_positives_yield_nothing_certain(
    vulnerable_edges: dict[str, dict[str, bool]],
) -> None:
    for principal in (
        "fp1-allow-and-deny",  # iam:* allowed and denied
        "fp2-allow-and-deny-multiple-policies",  # `*` allowed, deny-all attached too
        "fp3-deny-iam",  # a Deny alone
        "fp4-nonExploitableResourceConstraint",  # CreatePolicyVersion on AWS policies only
    ):
        for kind in ("user", "role"):
            assert f"{principal}-{kind}" not in vulnerable_edges
    # fp5: CreatePolicyVersion while aws:TokenIssueTime < 2020-01-01, which no token can still
    # meet; but the evaluator knows no clock, so the condition stays open: not certain.
    for kind in ("user", "role"):
        assert vulnerable_edges[f"fp5-nonExploitableConditionConstraint-{kind}"] == {"ADMIN": False}


def test_false_negatives_are_found(vulnerable_edges: dict[str, dict[str, bool]]) -> None:
    for kind in ("user", "role"):
        # fn1: iam:PassRole on `*` in one policy, ec2:RunInstances in another.
        assert vulnerable_edges[f"fn1-privesc3-partial-{kind}"] == {HIGH: True}
        # fn2: CreatePolicyVersion limited to `policy/fn2-*`, its own policy among them.
        assert vulnerable_edges[f"fn2-exploitableResourceConstraint-{kind}"] == ADMIN
        # fn3: CreatePolicyVersion while aws:TokenIssueTime > 2020-01-01: true of any
        # token now, but a condition on a key the input does not set: not certain.
        assert vulnerable_edges[f"fn3-exploitableConditionConstraint-{kind}"] == {"ADMIN": False}
        # fn4: NotAction iam:Update*, iam:Create*, iam:Attach* still allows iam:Put*Policy.
        assert vulnerable_edges[f"fn4-exploitableNotAction-{kind}"] == ADMIN


def test_the_escalations_merge_into_the_graph(vulnerable: AwsInput) -> None:
    graph = SystemGraph(cluster="c")
    add_aws(graph, vulnerable)
    user = f"arn:aws:iam::{VULNERABLE}:user/privesc14-UpdatingAssumeRolePolicy-user"
    trusting = f"arn:aws:iam::{VULNERABLE}:role/privesc-permissive-role-trust"
    edge = graph.edge(user, trusting, EdgeType.ASSUMES)
    assert isinstance(edge, AssumesEdge) and edge.certain
    assert edge.via.startswith(f"sts:AssumeRole per the trust policy of {trusting}; ")
    assert "iam:UpdateAssumeRolePolicy" in edge.via
    starter = f"arn:aws:iam::{VULNERABLE}:user/privesc7-AttachUserPolicy-user"
    path = shortest_path(graph, starter, trusting, kind=PathKind.CONTROL)
    assert path is not None and [s.target for s in path] == [f"aws-admin:{VULNERABLE}", trusting]


# -- CloudGoat --------------------------------------------------------------------------------


def cloudgoat(scenario: str) -> AwsInput:
    root = corpus_path("aws", "cloudgoat", scenario)
    files: list[Path] = [root / "iam-authorization-details.json"]
    if (root / "resource-policies.json").exists():
        files.append(root / "resource-policies.json")
    return read_aws_files(files)


# What each scenario's principals can become through their permissions ({source: {target:
# certain}}, names without account; trust policies aside), read from its Terraform.
CLOUDGOAT: dict[str, dict[str, dict[str, bool]]] = {
    # Passing the AgentCore roles to a new code interpreter runs code as them.
    "agentcore_identity_confusion": {
        "sandy_cgidexample01": {
            "agentcore_agent_runtime_role_cgidexample01": True,
            "agentcore_code_interpreter_execution_role_cgidexample01": True,
        }
    },
    # iam:CreateAccessKey on every user, the admin among them; not certain (two keys?).
    "beanstalk_secrets": {
        "cgidexample01_admin_user": ADMIN,
        "cgidexample01_secondary_user": {
            "cgidexample01_admin_user": False,
            "cgidexample01_low_priv_user": False,
        },
    },
    # The web developer roles run ECS tasks as the roles they may pass (ecs-tasks trust);
    # the Lambda role's Attach/PutRolePolicy writes on roles it cannot become: nothing.
    "ecs_privesc_evade_protection": {
        "cg-web-developer-cgidexample01": {
            "cg-s3-critical-cgidexample01": True,
            "cg-web-developer-sub-cgidexample01": True,
        },
        "cg-web-developer-sub-cgidexample01": {
            "cg-s3-critical-cgidexample01": True,
            "cg-web-developer-cgidexample01": True,
        },
    },
    # Glue jobs created and started as either role trusting Glue.
    "glue_privesc": {
        "cg-glue-admin-cgidexample01": {"glue_ETL_role": True, "ssm_parameter_role": True}
    },
    # RunInstances with either role: meek has a profile; mighty gets meek's profile.
    "iam_privesc_by_attachment": {
        "cg-ec2-mighty-role-cgidexample01": ADMIN,
        "kerrigan": {
            "cg-ec2-meek-role-cgidexample01": True,
            "cg-ec2-mighty-role-cgidexample01": True,
        },
    },
    "iam_privesc_by_ec2": {"cg_ec2_role_cgidexample01": ADMIN},
    # Create/DeleteAccessKey on users tagged developer=true; the manager may TagUser on any
    # user, so it tags either user first: certain.
    "iam_privesc_by_key_rotation": {
        "manager_cgidexample01": {"admin_cgidexample01": True, "developer_cgidexample01": True}
    },
    "iam_privesc_by_rollback": {"raynor-cgidexample01": ADMIN},
    "lambda_privesc": {
        "cg-debug-role-cgidexample01": ADMIN,
        "cg-lambdaManager-role-cgidexample01": {"cg-debug-role-cgidexample01": True},
    },
    # A stack deployed as the CloudFormation role, which creates a function as the Lambda
    # role (nothing seen to invoke it).
    "s3_version_rollback_via_cfn": {
        "web_manager-cgidexample01": {"CloudFormationRole-cgidexample01": True},
        "CloudFormationRole-cgidexample01": {"LambdaPutObjectRole-cgidexample01": False},
    },
}


def scenarios() -> list[str]:
    root = corpus_path("aws", "cloudgoat")
    return sorted(p.name for p in root.iterdir() if (p / "iam-authorization-details.json").exists())


def test_every_scenario_shows_exactly_its_escalations() -> None:
    for scenario in scenarios():
        data = cloudgoat(scenario)
        assert by_source(found(data)) == CLOUDGOAT.get(scenario, {}), scenario
        graph = SystemGraph(cluster="c")
        add_aws(graph, data)  # and the whole model builds


def test_rollback_makes_version_three_the_default() -> None:
    edges = found(cloudgoat("iam_privesc_by_rollback"))
    edge = edges[(f"arn:aws:iam::{GOAT}:user/raynor-cgidexample01", f"aws-admin:{GOAT}")]
    assert edge.certain and edge.unbounded
    assert edge.via.startswith("iam:SetDefaultPolicyVersion + ")
    assert "version v3 of its policy" in edge.via
    assert "version v2" not in edge.via and "version v4" not in edge.via
    texts = [e.text for e in edge.evidence]
    assert f"arn:aws:iam::{GOAT}:policy/cg-raynor-policy-cgidexample01 v3 #0" in texts


def test_attachment_swaps_the_instance_profile_to_the_mighty_role() -> None:
    edges = found(cloudgoat("iam_privesc_by_attachment"))
    edge = edges[
        (
            f"arn:aws:iam::{GOAT}:user/kerrigan",
            f"arn:aws:iam::{GOAT}:role/cg-ec2-mighty-role-cgidexample01",
        )
    ]
    assert edge.certain
    assert edge.via.startswith(
        "iam:PassRole + ec2:RunInstances + iam:RemoveRoleFromInstanceProfile + "
        "iam:AddRoleToInstanceProfile: "
    )


def test_lambda_privesc_is_two_steps_to_every_permission() -> None:
    graph = SystemGraph(cluster="c")
    add_aws(graph, cloudgoat("lambda_privesc"))
    chris = f"arn:aws:iam::{GOAT}:user/chris-cgidexample01"
    debug = f"arn:aws:iam::{GOAT}:role/cg-debug-role-cgidexample01"
    path = shortest_path(graph, chris, debug, kind=PathKind.CONTROL)
    assert path is not None and all(s.certain for s in path)
    assert [name(s.target) for s in path] == ["cg-lambdaManager-role-cgidexample01", name(debug)]
    assert "per the trust policy" in path[0].edge.via
    step = path[1].edge
    assert isinstance(step, AssumesEdge)
    assert step.via.startswith("iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction")
    assert shortest_path(graph, chris, f"aws-admin:{GOAT}", kind=PathKind.CONTROL) is not None


def test_key_rotation_tags_the_admin_user_first_then_rotates_its_keys() -> None:
    edges = found(cloudgoat("iam_privesc_by_key_rotation"))
    edge = edges[
        (
            f"arn:aws:iam::{GOAT}:user/manager_cgidexample01",
            f"arn:aws:iam::{GOAT}:user/admin_cgidexample01",
        )
    ]
    assert edge.certain
    assert edge.via == (
        "iam:TagUser + iam:CreateAccessKey + iam:DeleteAccessKey: a new access key of "
        f"arn:aws:iam::{GOAT}:user/admin_cgidexample01, user admin_cgidexample01 tagged "
        "developer=true first"
    )
    manager = f"arn:aws:iam::{GOAT}:user/manager_cgidexample01"
    assert {e.text for e in edge.evidence} == {
        f'{manager} inline TagResources #0 (Sid "TagResources")',
        f'{manager} inline SelfManageAccess #0 (Sid "SelfManageAccess")',
    }
