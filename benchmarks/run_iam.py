"""Times IAM evaluation (`drift.aws`) on a synthetic account: 2,000 roles, 5,000 customer
managed policies and the AWS managed policy set (1,594 policies, from ../shared/corpus).

Two modes. By default, for every role a `drift can` answer for each of 50 sensitive actions
on `*` (100,000 answers), with its deciding statements. With `--graph`, the whole of
`drift.aws.graph.add_aws` into an empty graph: principals, trust, buckets and the privilege
escalation edges. Each run is a child process that reads and validates the documents (JSON
parse + policy parsing: "load"), then does the work ("answer" or "graph"). The parent
reports min and median over `--repeat` runs and the child's peak RSS (wait4(2)).

    python benchmarks/run_iam.py --repeat 3
    python benchmarks/run_iam.py --graph --repeat 3
    python benchmarks/run_iam.py --roles 200 --policies 500 --repeat 1 --profile

The generator is seeded: the same sizes and `--seed` give the same account. Roles attach
three customer policies and one or two AWS managed policies; a third have an inline policy,
a tenth a permissions boundary. Customer policies hold one to six statements: actions drawn
from those the managed set names (a fifth as `service:Prefix*` or `service:*`), resources
`*` or ARN patterns, a tenth Deny, some NotAction, some with conditions the question does not
decide (so conditional answers are part of the cost).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
MANAGED = (
    REPO.parent / "shared" / "corpus" / "aws" / "aws-managed-policies" / "aws-managed-policies.json"
)
ACCOUNT = "123456789012"
MIB = 1024 * 1024
RSS_UNIT = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux

SENSITIVE = (
    "iam:PassRole",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:PutRolePolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:AddUserToGroup",
    "iam:UpdateAssumeRolePolicy",
    "iam:CreateUser",
    "iam:CreateRole",
    "iam:DeleteRolePermissionsBoundary",
    "sts:AssumeRole",
    "ec2:RunInstances",
    "ec2:AssociateIamInstanceProfile",
    "ec2:ModifyInstanceAttribute",
    "ec2:CreateSnapshot",
    "ec2:AuthorizeSecurityGroupIngress",
    "lambda:CreateFunction",
    "lambda:UpdateFunctionCode",
    "lambda:InvokeFunction",
    "lambda:AddPermission",
    "glue:CreateDevEndpoint",
    "glue:UpdateDevEndpoint",
    "cloudformation:CreateStack",
    "cloudformation:UpdateStack",
    "datapipeline:CreatePipeline",
    "codebuild:CreateProject",
    "sagemaker:CreateNotebookInstance",
    "sagemaker:CreatePresignedNotebookInstanceUrl",
    "ssm:SendCommand",
    "ssm:StartSession",
    "ssm:GetParameter",
    "secretsmanager:GetSecretValue",
    "kms:Decrypt",
    "kms:CreateGrant",
    "s3:GetObject",
    "s3:PutObject",
    "s3:PutBucketPolicy",
    "s3:DeleteBucket",
    "dynamodb:Scan",
    "rds:ModifyDBInstance",
    "ecs:RunTask",
    "eks:CreateCluster",
    "organizations:LeaveOrganization",
)
FALLBACK_ACTIONS = (*SENSITIVE, "s3:ListBucket", "ec2:DescribeInstances", "iam:GetRole")
CONDITIONS = (
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}},
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"StringEquals": {"aws:PrincipalTag/team": "data"}},
)
assert len(SENSITIVE) == 50


def managed_actions(managed: dict[str, Any]) -> list[str]:
    found: set[str] = set()
    for policy in managed["Policies"]:
        for version in policy["PolicyVersionList"]:
            statements = version["Document"]["Statement"]
            for statement in statements if isinstance(statements, list) else [statements]:
                actions = statement.get("Action", [])
                for action in [actions] if isinstance(actions, str) else actions:
                    if "*" not in action and "?" not in action and ":" in action:
                        found.add(action)
    return sorted(found)


def statement(rng: random.Random, actions: list[str]) -> dict[str, Any]:
    picked = []
    for action in rng.sample(actions, rng.randint(1, 8)):
        service, name = action.split(":", 1)
        roll = rng.random()
        if roll < 0.05:
            picked.append(f"{service}:*")
        elif roll < 0.2:
            picked.append(f"{service}:{name[: rng.randint(1, 4)]}*")
        else:
            picked.append(action)
    found: dict[str, Any] = {"Effect": "Deny" if rng.random() < 0.1 else "Allow"}
    found["NotAction" if rng.random() < 0.03 else "Action"] = picked
    if rng.random() < 0.6:
        found["Resource"] = "*"
    else:
        service = picked[0].split(":")[0]
        found["Resource"] = [f"arn:aws:{service}:*:{ACCOUNT}:{rng.choice('abcdef')}*"]
    if rng.random() < 0.1:
        found["Condition"] = rng.choice(CONDITIONS)
    return found


def document(rng: random.Random, actions: list[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [statement(rng, actions) for _ in range(rng.randint(1, 6))],
    }


def synthesize(
    roles: int, policies: int, seed: int, managed: dict[str, Any] | None
) -> dict[str, Any]:
    rng = random.Random(seed)
    actions = managed_actions(managed) if managed else list(FALLBACK_ACTIONS)
    customer = [
        {
            "PolicyName": f"p{i}",
            "Arn": f"arn:aws:iam::{ACCOUNT}:policy/p{i}",
            "DefaultVersionId": "v1",
            "PolicyVersionList": [
                {"VersionId": "v1", "IsDefaultVersion": True, "Document": document(rng, actions)}
            ],
        }
        for i in range(policies)
    ]
    aws = [p["Arn"] for p in managed["Policies"]] if managed else []
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": "ec2.amazonaws.com"},
            }
        ],
    }
    details = []
    for i in range(roles):
        attached = [customer[j]["Arn"] for j in rng.sample(range(policies), 3)]
        attached += rng.sample(aws, rng.randint(1, 2)) if aws else []
        role: dict[str, Any] = {
            "RoleName": f"role{i}",
            "RoleId": f"AROA{i:017d}",
            "Path": "/",
            "Arn": f"arn:aws:iam::{ACCOUNT}:role/role{i}",
            "AssumeRolePolicyDocument": trust,
            "AttachedManagedPolicies": [
                {"PolicyArn": a, "PolicyName": a.rsplit("/", 1)[-1]} for a in attached
            ],
            "RolePolicyList": [],
        }
        if rng.random() < 1 / 3:
            role["RolePolicyList"].append(
                {"PolicyName": "inline", "PolicyDocument": document(rng, actions)}
            )
        if rng.random() < 0.1:
            boundary = customer[rng.randrange(policies)]["Arn"]
            role["PermissionsBoundary"] = {
                "PermissionsBoundaryType": "Policy",
                "PermissionsBoundaryArn": boundary,
            }
        details.append(role)
    return {
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": details,
        "Policies": customer,
    }


def child(files: list[str], profile: bool, graph: bool) -> None:
    from drift.aws.documents import read_aws_files
    from drift.aws.iam import Evaluator
    from drift.gcpause import paused_gc

    def build() -> dict[str, Any]:
        from drift.aws.graph import add_aws
        from drift.model import AssumesEdge, EdgeType, SystemGraph

        started = time.perf_counter()
        data = read_aws_files(files)
        loaded = time.perf_counter()
        model = SystemGraph(cluster="bench")
        add_aws(model, data)
        done = time.perf_counter()
        assumes = [e for e in model.edges(EdgeType.ASSUMES) if isinstance(e, AssumesEdge)]
        return {
            "load": loaded - started,
            "graph": done - loaded,
            "nodes": sum(1 for _ in model.nodes()),
            "edges": dict(Counter(str(e.type) for e in model.edges())),
            "escalations": sum(1 for e in assumes if "per the trust policy" not in e.via),
            "certain": sum(1 for e in assumes if e.certain),
            "to_admin": sum(1 for e in assumes if e.target.startswith("aws-admin:")),
            "roles": len(data.roles),
            "policies": len(data.policies),
        }

    def work() -> dict[str, Any]:
        started = time.perf_counter()
        data = read_aws_files(files)
        loaded = time.perf_counter()
        evaluator = Evaluator(data)
        decisions: Counter[str] = Counter()
        statements = 0
        for arn in data.roles:
            for action in SENSITIVE:
                answer = evaluator.can(arn, action, "*")
                decisions[str(answer.decision)] += 1
                statements += len(answer.statements)
        done = time.perf_counter()
        return {
            "load": loaded - started,
            "answer": done - loaded,
            "decisions": dict(decisions),
            "statements": statements,
            "roles": len(data.roles),
            "policies": len(data.policies),
        }

    task = build if graph else work
    with paused_gc():
        if profile:
            profiler = cProfile.Profile()
            result = profiler.runcall(task)
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
        else:
            result = task()
    print(json.dumps(result))


def run_once(files: list[str], graph: bool) -> tuple[dict[str, Any], float]:
    mode = ["--graph"] if graph else []
    process = subprocess.Popen(
        [sys.executable, __file__, *mode, "--child", *files], stdout=subprocess.PIPE, cwd=REPO
    )
    _, status, usage = os.wait4(process.pid, 0)
    assert process.stdout is not None
    output = process.stdout.read()
    if status != 0:
        raise SystemExit(f"child failed with status {status}")
    return json.loads(output), usage.ru_maxrss * RSS_UNIT / MIB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--roles", type=int, default=2000)
    parser.add_argument("--policies", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--managed", type=Path, default=MANAGED, help="the AWS managed policy set")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--graph", action="store_true", help="time add_aws, not the answers")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.profile, args.graph)
        return
    managed = json.loads(args.managed.read_text()) if args.managed.exists() else None
    if managed is None:
        print(f"note: {args.managed} not found: no AWS managed policies", file=sys.stderr)
    with tempfile.TemporaryDirectory() as work:
        account = Path(work) / "gaad.json"
        account.write_text(json.dumps(synthesize(args.roles, args.policies, args.seed, managed)))
        files = [str(account)] + ([str(args.managed)] if managed else [])
        runs = [run_once(files, args.graph) for _ in range(args.repeat)]
        if args.profile:
            mode = ["--graph"] if args.graph else []
            subprocess.run(
                [sys.executable, __file__, "--profile", *mode, "--child", *files],
                check=True,
                stdout=subprocess.DEVNULL,
                cwd=REPO,
            )
    report(runs)


def report(runs: list[tuple[dict[str, Any], float]]) -> None:
    first = runs[0][0]
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    if "graph" in first:
        report_graph(runs)
        return
    print(
        f"{first['roles']} roles, {first['policies']} managed policies; "
        f"{sum(first['decisions'].values())} answers {first['decisions']}, "
        f"{first['statements']} deciding statements named"
    )
    for key in ("load", "answer"):
        values = [r[key] for r, _ in runs]
        print(f"{key:>7} s: min {min(values):.2f}  median {statistics.median(values):.2f}")
    total = [r["load"] + r["answer"] for r, _ in runs]
    rss = [m for _, m in runs]
    print(f"  total s: min {min(total):.2f}  median {statistics.median(total):.2f}")
    print(f"  RSS MiB: min {min(rss):.0f}  median {statistics.median(rss):.0f}")


def report_graph(runs: list[tuple[dict[str, Any], float]]) -> None:
    first = runs[0][0]
    print(
        f"{first['roles']} roles, {first['policies']} managed policies; {first['nodes']} nodes, "
        f"edges {first['edges']}; {first['escalations']} escalation edges "
        f"({first['to_admin']} to an administrator node), {first['certain']} assumes certain"
    )
    for key in ("load", "graph"):
        values = [r[key] for r, _ in runs]
        print(f"{key:>7} s: min {min(values):.2f}  median {statistics.median(values):.2f}")
    total = [r["load"] + r["graph"] for r, _ in runs]
    rss = [m for _, m in runs]
    print(f"  total s: min {min(total):.2f}  median {statistics.median(total):.2f}")
    print(f"  RSS MiB: min {min(rss):.0f}  median {statistics.median(rss):.0f}")


if __name__ == "__main__":
    main()
