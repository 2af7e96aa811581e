"""The AWS facts privilege escalation rests on, as data: which services run code as a role
passed to them (`LAUNCHES`), what each way of doing so needs, and the ARNs of the resources
it creates, as IAM authorizes them (the Service Authorization Reference).

A `Launch` is one service principal a role's trust policy can admit (`lambda.amazonaws.com`);
its `Route`s are the sets of actions that run code as the passed role, each needing
`iam:PassRole` on the role as well (with `iam:PassedToService` set to the principal). A
route with a `doubt` is never certain: what it needs besides permissions is not in the
input (an existing stack, a cluster, a stream with records).

A `New` is a resource the caller creates or picks, named `{name}` where the caller chooses
the name (a new function, an existing AMI or subnet), `{id}` where AWS assigns it (an
instance id): see `drift.aws.escalation_probe` for how names and regions are chosen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

ADMINISTRATOR = "AdministratorAccess"  # the AWS managed policy granting every action
MAX_POLICY_VERSIONS = 5  # IAM keeps at most five versions of a managed policy

# Regions every account can use without opting in (those launched before March 2019), by
# partition; and where the partition's IAM endpoint is, which IAM requests name as
# `aws:RequestedRegion`.
DEFAULT_REGIONS: Mapping[str, tuple[str, ...]] = {
    "aws": (
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ca-central-1",
        "eu-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-north-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-south-1",
        "sa-east-1",
    ),
    "aws-cn": ("cn-north-1", "cn-northwest-1"),
    "aws-us-gov": ("us-gov-west-1", "us-gov-east-1"),
}
IAM_REGION: Mapping[str, str] = {
    "aws": "us-east-1",
    "aws-cn": "cn-north-1",
    "aws-us-gov": "us-gov-west-1",
}


@dataclass(frozen=True, kw_only=True)
class New:
    """A resource a technique creates or picks: `arn:P:{service}:R:A:{path}`, R empty unless
    `regional`, A empty unless `in_account` (public AMIs name no account)."""

    service: str
    path: str  # `function:{name}`; `{name}` the caller chooses, `{id}` AWS assigns
    regional: bool = True
    in_account: bool = True
    neutral: str = "drift-new"  # a name no policy is expected to single out
    id: str = "0drift"

    def arn(self, partition: str, region: str, account: str, name: str) -> str:
        region_part = region if self.regional else ""
        account_part = account if self.in_account else ""
        resource = self.path.replace("{name}", name).replace("{id}", self.id)
        return f"arn:{partition}:{self.service}:{region_part}:{account_part}:{resource}"


@dataclass(frozen=True, kw_only=True)
class Step:
    """One action on one resource (None: an action that takes no resource, asked on `*`),
    with request keys set to the ARN of another resource of the route."""

    action: str
    resource: New | None
    context: tuple[tuple[str, New], ...] = ()


@dataclass(frozen=True, kw_only=True)
class Route:
    steps: tuple[Step, ...]
    what: str  # how the role's power is obtained, `{role}` standing for the role
    doubt: str | None = None  # why it is never certain
    # Why it is not certain when the principal's own boundary or SCPs also judge a later
    # request that the route lets a resource policy grant.
    doubt_when_limited: str | None = None


@dataclass(frozen=True, kw_only=True)
class Launch:
    principal: str  # the service principal, as trust policies name it
    routes: tuple[Route, ...]
    needs_instance_profile: bool = False  # EC2 runs a role only through an instance profile


def _steps(*pairs: tuple[str, New | None]) -> tuple[Step, ...]:
    return tuple(Step(action=a, resource=r) for a, r in pairs)


INSTANCE_PROFILE = New(service="iam", path="instance-profile/{name}", regional=False)

_INSTANCE = New(service="ec2", path="instance/{id}", id="i-0drift")
_IMAGE = New(service="ec2", path="image/{name}", in_account=False, neutral="ami-0drift")
_SUBNET = New(service="ec2", path="subnet/{name}", neutral="subnet-0drift")
_GROUP = New(service="ec2", path="security-group/{name}", neutral="sg-0drift")
_INTERFACE = New(service="ec2", path="network-interface/{id}", id="eni-0drift")
_VOLUME = New(service="ec2", path="volume/{id}", id="vol-0drift")
_FUNCTION = New(service="lambda", path="function:{name}")
_DEV_ENDPOINT = New(service="glue", path="devEndpoint/{name}")
_JOB = New(service="glue", path="job/{name}")
_TRIGGER = New(service="glue", path="trigger/{name}")
_STACK = New(
    service="cloudformation", path="stack/{name}/{id}", id="00000000-0000-0000-0000-000000000000"
)
_NOTEBOOK = New(service="sagemaker", path="notebook-instance/{name}")
_TRAINING = New(service="sagemaker", path="training-job/{name}")
_PROCESSING = New(service="sagemaker", path="processing-job/{name}")
_PROJECT = New(service="codebuild", path="project/{name}")
_CLUSTER = New(service="ecs", path="cluster/{name}")
_TASK_DEFINITION = New(service="ecs", path="task-definition/{name}:{id}", id="1")
_SERVICE = New(service="ecs", path="service/{name}/{name}")
_INTERPRETER = New(service="bedrock-agentcore", path="code-interpreter/{name}")

# RunInstances is authorized against every resource the new instance uses.
_RUN_INSTANCES = _steps(
    *(("ec2:RunInstances", r) for r in (_INSTANCE, _IMAGE, _SUBNET, _GROUP, _INTERFACE, _VOLUME))
)
_PIPELINE = "AWS Data Pipeline takes no new customers: it works only in an account that uses it"
_CLUSTER_DOUBT = "it needs an ECS cluster, which the input does not list"

LAUNCHES: tuple[Launch, ...] = (
    Launch(
        principal="ec2.amazonaws.com",
        needs_instance_profile=True,
        routes=(
            Route(steps=_RUN_INSTANCES, what="a new EC2 instance with {role}'s instance profile"),
        ),
    ),
    Launch(
        principal="lambda.amazonaws.com",
        routes=(
            Route(
                steps=_steps(
                    ("lambda:CreateFunction", _FUNCTION), ("lambda:InvokeFunction", _FUNCTION)
                ),
                what="a new Lambda function running as {role}, invoked",
            ),
            Route(
                steps=_steps(
                    ("lambda:CreateFunction", _FUNCTION), ("lambda:AddPermission", _FUNCTION)
                ),
                what="a new Lambda function running as {role}, invoked once the function's "
                "policy admits the caller",
                doubt_when_limited="the invocation still passes the caller's permissions "
                "boundary or SCPs",
            ),
            Route(
                steps=(
                    Step(action="lambda:CreateFunction", resource=_FUNCTION),
                    Step(
                        action="lambda:CreateEventSourceMapping",
                        resource=None,
                        context=(("lambda:FunctionArn", _FUNCTION),),
                    ),
                ),
                what="a new Lambda function running as {role}, fed by an event source",
                doubt="it needs a stream or queue with records, which the input does not show",
            ),
            Route(
                steps=_steps(("lambda:CreateFunction", _FUNCTION)),
                what="a new Lambda function running as {role}",
                doubt="nothing is seen that would invoke it",
            ),
        ),
    ),
    Launch(
        principal="glue.amazonaws.com",
        routes=(
            Route(
                steps=_steps(("glue:CreateDevEndpoint", _DEV_ENDPOINT)),
                what="a new Glue development endpoint running as {role}",
            ),
            Route(
                steps=_steps(("glue:CreateJob", _JOB), ("glue:StartJobRun", _JOB)),
                what="a new Glue job running as {role}, started",
            ),
            Route(
                steps=_steps(("glue:CreateJob", _JOB), ("glue:CreateTrigger", _TRIGGER)),
                what="a new Glue job running as {role}, started by a new trigger",
            ),
            Route(
                steps=_steps(("glue:UpdateJob", _JOB), ("glue:StartJobRun", _JOB)),
                what="an existing Glue job changed to run as {role}, started",
                doubt="it needs an existing Glue job, which the input does not list",
            ),
        ),
    ),
    Launch(
        principal="cloudformation.amazonaws.com",
        routes=(
            Route(
                steps=_steps(("cloudformation:CreateStack", _STACK)),
                what="a new CloudFormation stack deployed as {role}",
            ),
            Route(
                steps=_steps(("cloudformation:UpdateStack", _STACK)),
                what="an existing CloudFormation stack updated as {role}",
                doubt="it needs an existing stack, which the input does not list",
            ),
        ),
    ),
    Launch(
        principal="datapipeline.amazonaws.com",
        routes=(
            Route(
                steps=_steps(
                    ("datapipeline:CreatePipeline", None),
                    ("datapipeline:PutPipelineDefinition", None),
                    ("datapipeline:ActivatePipeline", None),
                ),
                what="a new data pipeline running as {role}, activated",
                doubt=_PIPELINE,
            ),
        ),
    ),
    Launch(
        principal="sagemaker.amazonaws.com",
        routes=(
            Route(
                steps=_steps(
                    ("sagemaker:CreateNotebookInstance", _NOTEBOOK),
                    ("sagemaker:CreatePresignedNotebookInstanceUrl", _NOTEBOOK),
                ),
                what="a new SageMaker notebook instance running as {role}, opened",
            ),
            Route(
                steps=_steps(("sagemaker:CreateTrainingJob", _TRAINING)),
                what="a new SageMaker training job running as {role}",
            ),
            Route(
                steps=_steps(("sagemaker:CreateProcessingJob", _PROCESSING)),
                what="a new SageMaker processing job running as {role}",
            ),
        ),
    ),
    Launch(
        principal="codebuild.amazonaws.com",
        routes=(
            Route(
                steps=_steps(
                    ("codebuild:CreateProject", _PROJECT), ("codebuild:StartBuild", _PROJECT)
                ),
                what="a new CodeBuild project building as {role}, started",
            ),
            Route(
                steps=_steps(
                    ("codebuild:CreateProject", _PROJECT), ("codebuild:StartBuildBatch", _PROJECT)
                ),
                what="a new CodeBuild project building as {role}, started as a batch",
            ),
        ),
    ),
    Launch(
        principal="ecs-tasks.amazonaws.com",
        routes=(
            Route(
                steps=(
                    Step(action="ecs:RegisterTaskDefinition", resource=None),
                    Step(action="ecs:CreateCluster", resource=_CLUSTER),
                    Step(
                        action="ecs:RunTask",
                        resource=_TASK_DEFINITION,
                        context=(("ecs:cluster", _CLUSTER),),
                    ),
                ),
                what="a new ECS task running as {role}, on a new cluster",
            ),
            Route(
                steps=_steps(
                    ("ecs:RegisterTaskDefinition", None), ("ecs:RunTask", _TASK_DEFINITION)
                ),
                what="a new ECS task running as {role}",
                doubt=_CLUSTER_DOUBT,
            ),
            Route(
                steps=_steps(
                    ("ecs:RegisterTaskDefinition", None), ("ecs:StartTask", _TASK_DEFINITION)
                ),
                what="a new ECS task running as {role}, placed on a container instance",
                doubt=_CLUSTER_DOUBT,
            ),
            Route(
                steps=_steps(("ecs:RegisterTaskDefinition", None), ("ecs:CreateService", _SERVICE)),
                what="a new ECS service whose tasks run as {role}",
                doubt=_CLUSTER_DOUBT,
            ),
        ),
    ),
    Launch(
        principal="bedrock-agentcore.amazonaws.com",
        routes=(
            Route(
                steps=_steps(
                    ("bedrock-agentcore:CreateCodeInterpreter", _INTERPRETER),
                    ("bedrock-agentcore:StartCodeInterpreterSession", _INTERPRETER),
                    ("bedrock-agentcore:InvokeCodeInterpreter", _INTERPRETER),
                ),
                what="a new AgentCore code interpreter running code as {role}",
            ),
        ),
    ),
)


def service_key(principal: str) -> str:
    """`lambda` of `lambda.amazonaws.com` (and of the China partition's `...amazonaws.com.cn`)."""
    return principal.split(".amazonaws.com", 1)[0]


LAUNCH_BY_SERVICE: Mapping[str, Launch] = {service_key(x.principal): x for x in LAUNCHES}
