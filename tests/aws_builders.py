"""In-code builders of IAM documents (GetAccountAuthorizationDetails shape) for AWS tests."""

from __future__ import annotations

from typing import Any

from drift.aws.documents import AwsInput, read_aws_documents
from drift.aws.iam import Answer, Evaluator

ACCOUNT = "111122223333"
OTHER = "444455556666"


def arn(kind: str, name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:{kind}/{name}"


def stmt(
    effect: str = "Allow", action: Any = "*", resource: Any = "*", **more: Any
) -> dict[str, Any]:
    found: dict[str, Any] = {"Effect": effect}
    if action is not None:
        found["Action"] = action
    if resource is not None:
        found["Resource"] = resource
    found.update(more)
    return found


def doc(*statements: dict[str, Any], version: str = "2012-10-17") -> dict[str, Any]:
    return {"Version": version, "Statement": list(statements)}


def managed(
    name: str,
    *statements: dict[str, Any],
    account: str = ACCOUNT,
    versions: dict[str, dict[str, Any]] | None = None,
    default: str = "v1",
) -> dict[str, Any]:
    listed = versions or {"v1": doc(*statements)}
    return {
        "PolicyName": name,
        "Arn": arn("policy", name, account),
        "DefaultVersionId": default,
        "PolicyVersionList": [
            {"VersionId": v, "Document": d, "IsDefaultVersion": v == default}
            for v, d in listed.items()
        ],
    }


def user(
    name: str,
    *,
    account: str = ACCOUNT,
    attached: tuple[str, ...] = (),
    inline: dict[str, dict[str, Any]] | None = None,
    groups: tuple[str, ...] = (),
    boundary: str | None = None,
    tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "UserName": name,
        "UserId": f"AIDA{name.upper()}",
        "Arn": arn("user", name, account),
        "GroupList": list(groups),
        "AttachedManagedPolicies": [
            {"PolicyArn": a, "PolicyName": a.rsplit("/")[-1]} for a in attached
        ],
        "UserPolicyList": [
            {"PolicyName": n, "PolicyDocument": d} for n, d in (inline or {}).items()
        ],
        "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    }
    if boundary:
        found["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": boundary,
        }
    return found


def role(
    name: str,
    *,
    account: str = ACCOUNT,
    trust: dict[str, Any] | None = None,
    attached: tuple[str, ...] = (),
    inline: dict[str, dict[str, Any]] | None = None,
    boundary: str | None = None,
    path: str = "/",
    tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "RoleName": name,
        "RoleId": f"AROA{name.upper()}",
        "Path": path,
        "Arn": f"arn:aws:iam::{account}:role{path}{name}",
        "AssumeRolePolicyDocument": trust
        or doc(
            stmt(action="sts:AssumeRole", resource=None, Principal={"Service": "ec2.amazonaws.com"})
        ),
        "AttachedManagedPolicies": [
            {"PolicyArn": a, "PolicyName": a.rsplit("/")[-1]} for a in attached
        ],
        "RolePolicyList": [
            {"PolicyName": n, "PolicyDocument": d} for n, d in (inline or {}).items()
        ],
        "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    }
    if boundary:
        found["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "Policy",
            "PermissionsBoundaryArn": boundary,
        }
    return found


def group(
    name: str,
    *,
    account: str = ACCOUNT,
    attached: tuple[str, ...] = (),
    inline: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "GroupName": name,
        "Arn": arn("group", name, account),
        "AttachedManagedPolicies": [{"PolicyArn": a} for a in attached],
        "GroupPolicyList": [
            {"PolicyName": n, "PolicyDocument": d} for n, d in (inline or {}).items()
        ],
    }


def details(
    *,
    users: list[dict[str, Any]] | None = None,
    groups: list[dict[str, Any]] | None = None,
    roles: list[dict[str, Any]] | None = None,
    policies: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "UserDetailList": users or [],
        "GroupDetailList": groups or [],
        "RoleDetailList": roles or [],
        "Policies": policies or [],
    }


def read(*documents: dict[str, Any]) -> AwsInput:
    return read_aws_documents([(f"doc{i}.json", d) for i, d in enumerate(documents)])


def ask(
    documents: list[dict[str, Any]] | dict[str, Any],
    principal: str,
    action: str,
    resource: str = "*",
    context: dict[str, Any] | None = None,
) -> Answer:
    listed = documents if isinstance(documents, list) else [documents]
    return Evaluator(read(*listed)).can(principal, action, resource, context)


def refs(answer: Answer) -> list[str]:
    return [str(s) for s in answer.statements]
