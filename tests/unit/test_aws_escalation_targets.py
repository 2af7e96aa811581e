"""AWS privilege escalation to one other principal: rewriting a role's trust, a user's
credentials, and passing a role to a service that runs code as it; with the regions and names
of new resources chosen as the principal would."""

from __future__ import annotations

import pytest
from aws_builders import arn, details, doc, role, stmt, user

from drift.aws.escalation_probe import _arn_regex
from drift.aws.patterns import arn_matches
from tests.unit.aws_escalation_helpers import (
    P,
    T,
    V,
    assumes,
    evidence,
    from_,
    model,
    of_user,
    scps,
    service_role,
    with_profile,
)

LAMBDA = ("iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction")


def test_update_assume_role_policy_becomes_the_role() -> None:
    linked = role("AWSServiceRoleForX", path="/aws-service-role/x.amazonaws.com/")
    graph = of_user(stmt(action="iam:UpdateAssumeRolePolicy"), roles=[role("t"), linked])
    assert set(from_(graph, P)) == {T}  # never a service-linked role: IAM refuses
    edge = assumes(graph, P, T)
    assert edge is not None and edge.certain and not edge.unbounded
    assert edge.via == (
        "iam:UpdateAssumeRolePolicy + sts:AssumeRole: "
        f"the trust policy of {T} rewritten to admit it"
    )
    assert evidence(edge) == [f"{P} inline p #0"]  # not the trust policy it would write


def test_the_rewritten_trust_still_passes_the_principals_own_deny_and_boundary() -> None:
    denied = of_user(stmt(action="iam:UpdateAssumeRolePolicy"), stmt("Deny", "sts:AssumeRole"))
    assert assumes(denied, P, T) is None
    bound = arn("policy", "bound")
    boundary = {
        "PolicyName": "bound",
        "Arn": bound,
        "DefaultVersionId": "v1",
        "PolicyVersionList": [
            {"VersionId": "v1", "IsDefaultVersion": True, "Document": doc(stmt(action="iam:*"))}
        ],
    }
    bounded = model(
        details(
            users=[user("p", inline={"p": doc(stmt())}, boundary=bound)],
            roles=[role("t")],
            policies=[boundary],
        )
    )
    # Within the boundary it may rewrite the trust, but not assume the role.
    assert assumes(bounded, P, T) is None


def test_an_access_key_is_certain_only_when_one_can_also_be_deleted() -> None:
    edge = assumes(of_user(stmt(action="iam:CreateAccessKey", resource=V)), P, V)
    assert edge is not None and not edge.certain
    assert "may already hold two access keys" in edge.via
    both = assumes(of_user(stmt(action=["iam:CreateAccessKey", "iam:DeleteAccessKey"])), P, V)
    assert both is not None and both.certain
    assert both.via.startswith("iam:CreateAccessKey + iam:DeleteAccessKey: a new access key of")
    assert assumes(of_user(stmt(action="iam:CreateAccessKey", resource=P)), P, V) is None


def test_a_console_password_is_never_certain() -> None:
    for actions in (
        ["iam:CreateLoginProfile"],
        ["iam:UpdateLoginProfile"],
        ["iam:CreateLoginProfile", "iam:UpdateLoginProfile"],
    ):
        edge = assumes(of_user(stmt(action=actions)), P, V)
        assert edge is not None and not edge.certain, actions
        assert "MFA device" in edge.via


def test_passing_a_role_to_lambda_with_a_way_to_invoke_it() -> None:
    graph = of_user(stmt(action=list(LAMBDA)), roles=[service_role("t", "lambda.amazonaws.com")])
    edge = assumes(graph, P, T)
    assert edge is not None and edge.certain
    assert edge.via == (
        "iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction: "
        f"a new Lambda function running as {T}, invoked"
    )
    assert evidence(edge) == [f"{P} inline p #0", f"trust policy of {T} #0"]
    created_only = of_user(
        stmt(action=["iam:PassRole", "lambda:CreateFunction"]),
        roles=[service_role("t", "lambda.amazonaws.com")],
    )
    edge = assumes(created_only, P, T)
    assert edge is not None and not edge.certain
    assert "nothing is seen that would invoke it" in edge.via


def test_only_roles_that_trust_the_service_and_a_pass_to_that_service() -> None:
    ec2_role = service_role("t", "ec2.amazonaws.com")
    assert assumes(of_user(stmt(action=list(LAMBDA)), roles=[ec2_role]), P, T) is None
    to_ec2 = {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}
    graph = of_user(
        stmt(action="iam:PassRole", Condition=to_ec2),
        stmt(action=["lambda:CreateFunction", "lambda:InvokeFunction"]),
        roles=[service_role("t", "lambda.amazonaws.com")],
    )
    assert assumes(graph, P, T) is None


def test_ec2_needs_an_instance_profile_holding_the_role() -> None:
    run = stmt(action=["iam:PassRole", "ec2:RunInstances"])
    assert assumes(of_user(run), P, T) is None  # T has no profile and none can be made
    edge = assumes(of_user(run, roles=[with_profile(role("t"))]), P, T)
    assert edge is not None and edge.certain
    assert (
        edge.via
        == f"iam:PassRole + ec2:RunInstances: a new EC2 instance with {T}'s instance profile"
    )
    made = assumes(
        of_user(run, stmt(action=["iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile"])),
        P,
        T,
    )
    assert made is not None and made.certain and "iam:CreateInstanceProfile" in made.via
    swapped = of_user(
        run,
        stmt(action=["iam:RemoveRoleFromInstanceProfile", "iam:AddRoleToInstanceProfile"]),
        roles=[role("t"), with_profile(role("u"))],
    )
    edge = assumes(swapped, P, T)
    assert edge is not None and edge.certain and "iam:RemoveRoleFromInstanceProfile" in edge.via
    only_add = of_user(run, stmt(action="iam:AddRoleToInstanceProfile"))
    edge = assumes(only_add, P, T)
    assert edge is not None and not edge.certain
    assert "an instance profile holding no role" in edge.via


def test_a_launch_needing_more_than_permissions_is_not_certain() -> None:
    pipeline = stmt(
        action=[
            "iam:PassRole",
            "datapipeline:CreatePipeline",
            "datapipeline:PutPipelineDefinition",
            "datapipeline:ActivatePipeline",
        ]
    )
    edge = assumes(of_user(pipeline, roles=[service_role("t", "datapipeline.amazonaws.com")]), P, T)
    assert edge is not None and not edge.certain and "no new customers" in edge.via
    ecs = ["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"]
    task = service_role("t", "ecs-tasks.amazonaws.com")
    edge = assumes(of_user(stmt(action=ecs), roles=[task]), P, T)
    assert edge is not None and not edge.certain and "ECS cluster" in edge.via
    edge = assumes(of_user(stmt(action=[*ecs, "ecs:CreateCluster"]), roles=[task]), P, T)
    assert edge is not None and edge.certain


def test_a_statement_limited_to_a_region_is_used_in_that_region() -> None:
    in_eu = stmt(
        action=["lambda:CreateFunction", "lambda:InvokeFunction"],
        resource="arn:aws:lambda:eu-west-1:*:function:*",
    )
    roles = [service_role("t", "lambda.amazonaws.com")]
    edge = assumes(of_user(stmt(action="iam:PassRole"), in_eu, roles=roles), P, T)
    assert edge is not None and edge.certain
    # An SCP allowing only eu-west-1 denies nothing there.
    outside = {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}
    graph = model(
        details(
            users=[user("p", inline={"p": doc(stmt(action="iam:PassRole"), in_eu)})], roles=roles
        ),
        scps(stmt(), stmt("Deny", "*", Condition=outside)),
    )
    edge = assumes(graph, P, T)
    assert edge is not None and edge.certain


def test_the_steps_of_one_route_must_share_a_region() -> None:
    split = of_user(
        stmt(action="iam:PassRole"),
        stmt(action="lambda:CreateFunction", resource="arn:aws:lambda:eu-west-1:*:function:*"),
        stmt(action="lambda:InvokeFunction", resource="arn:aws:lambda:us-east-2:*:function:*"),
        roles=[service_role("t", "lambda.amazonaws.com")],
    )
    edge = assumes(split, P, T)
    assert edge is not None and not edge.certain  # a function created alone, not invoked
    assert "nothing is seen that would invoke it" in edge.via


def test_a_region_that_needs_opting_in_is_not_certain() -> None:
    cape_town = stmt(action=list(LAMBDA[1:]), resource="arn:aws:lambda:af-south-1:*:function:*")
    edge = assumes(
        of_user(
            stmt(action="iam:PassRole"),
            cape_town,
            roles=[service_role("t", "lambda.amazonaws.com")],
        ),
        P,
        T,
    )
    assert edge is not None and not edge.certain
    assert "only in region af-south-1" in edge.via


def test_new_resources_get_a_name_the_statements_allow() -> None:
    named = stmt(action=list(LAMBDA[1:]), resource="arn:aws:lambda:*:*:function:dev-*")
    roles = [service_role("t", "lambda.amazonaws.com")]
    edge = assumes(of_user(stmt(action="iam:PassRole"), named, roles=roles), P, T)
    assert edge is not None and edge.certain
    denied = stmt("Deny", list(LAMBDA[1:]), resource="arn:aws:lambda:*:*:function:drift-*")
    edge = assumes(of_user(stmt(action="iam:PassRole"), named, denied, roles=roles), P, T)
    assert edge is not None and edge.certain  # `dev-x` is not denied


def test_the_resource_matching_shortcut_agrees_with_arn_matching() -> None:
    patterns = [
        "*",
        "arn:aws:iam::*:role/*",
        "arn:aws:iam::111122223333:role/a?c",
        "arn:aws:lambda:*:*:function:dev-*",
        "arn:aws:s3:::bucket/*:x",
        "arn:*:iam::*",
        "arn:aws:iam",
        "arn:aws:ec2:*::image/*",
    ]
    arns = [
        arn("role", "abc"),
        arn("role", "a/b:c"),
        "arn:aws:lambda:eu-west-1:111122223333:function:dev-x",
        "arn:aws:lambda:eu-west-1:111122223333:function:dev:x",
        "arn:aws:s3:::bucket/key:x",
        "arn:aws:iam",
        "arn:aws:iam::111122223333",
        "arn:aws:ec2:us-east-1::image/ami-1",
    ]
    for pattern in patterns:
        for value in arns:
            expected = arn_matches(pattern, value)
            assert (_arn_regex(pattern).fullmatch(value) is not None) == expected, (pattern, value)


@pytest.mark.parametrize(
    ("service", "actions", "what"),
    [
        ("glue", ["glue:CreateDevEndpoint"], "a new Glue development endpoint"),
        ("glue", ["glue:CreateJob", "glue:StartJobRun"], "a new Glue job"),
        ("glue", ["glue:CreateJob", "glue:CreateTrigger"], "started by a new trigger"),
        ("cloudformation", ["cloudformation:CreateStack"], "a new CloudFormation stack"),
        ("sagemaker", ["sagemaker:CreateTrainingJob"], "a new SageMaker training job"),
        ("sagemaker", ["sagemaker:CreateProcessingJob"], "a new SageMaker processing job"),
        (
            "sagemaker",
            ["sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"],
            "a new SageMaker notebook instance",
        ),
        ("codebuild", ["codebuild:CreateProject", "codebuild:StartBuild"], "a new CodeBuild"),
        (
            "bedrock-agentcore",
            [
                "bedrock-agentcore:CreateCodeInterpreter",
                "bedrock-agentcore:StartCodeInterpreterSession",
                "bedrock-agentcore:InvokeCodeInterpreter",
            ],
            "a new AgentCore code interpreter",
        ),
    ],
)
def test_each_service_that_runs_code_as_a_passed_role(
    service: str, actions: list[str], what: str
) -> None:
    roles = [service_role("t", f"{service}.amazonaws.com")]
    edge = assumes(of_user(stmt(action=["iam:PassRole", *actions]), roles=roles), P, T)
    assert edge is not None and edge.certain, service
    assert edge.via.startswith(" + ".join(["iam:PassRole", *actions]) + ": ")
    assert what in edge.via
    # One action short, nothing (but Lambda, whose function alone is kept, not certain).
    assert assumes(of_user(stmt(action=["iam:PassRole", *actions[1:]]), roles=roles), P, T) is None
