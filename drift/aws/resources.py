"""Resource-based policies and service control policies, read beside the authorization details.

Resource policies, one list per kind (the shape of the CloudGoat corpus' resource-policies.json):

- `S3BucketPolicies`: `{"Bucket", "Policy", "Account"?}`; the policy covers the bucket and its
  objects (`arn:aws:s3:::bucket/key`).
- `LambdaFunctionPolicies`: `{"FunctionName" (name or ARN), "FunctionArn"?, "Policy"}`; covers the
  function and its versions and aliases. A bare name takes its ARN from the policy's Resource.
- `SecretsManagerResourcePolicies`: `{"ARN", "ResourcePolicy"}`; `SNSTopicPolicies`:
  `{"TopicArn", "Policy"}`; `ResourcePolicies` (any other kind): `{"Arn", "Policy"}`.

An S3 ARN names no account: the bucket's is `Account`, else the file's top-level `AccountId`,
else the account of the principals read when there is only one (see `drift.aws.iam`).

`ServiceControlPolicies`: `[{"AccountId", "Levels": [{"Target", "Policies": [{"Name", "Arn"?,
"Content"}]}]}]`, one level per node from the organization root down to the account: every
level must allow an action (any policy attached there), as Organizations evaluates them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from drift.aws.arns import account_of, parse_arn
from drift.aws.jsonread import JsonPath, JsonReader
from drift.aws.policy import PolicyDocument, PolicyKind, read_policy

# section → (what it holds, the field naming the resource, the field holding the policy)
_SECTIONS: Mapping[str, tuple[str, str, str]] = {
    "S3BucketPolicies": ("S3 bucket", "Bucket", "Policy"),
    "LambdaFunctionPolicies": ("Lambda function", "FunctionName", "Policy"),
    "SecretsManagerResourcePolicies": ("secret", "ARN", "ResourcePolicy"),
    "SNSTopicPolicies": ("SNS topic", "TopicArn", "Policy"),
    "ResourcePolicies": ("resource", "Arn", "Policy"),
}
RESOURCE_SECTIONS = tuple(_SECTIONS)


@dataclass(frozen=True, kw_only=True)
class ResourcePolicy:
    resource: str  # the ARN the policy is attached to (bucket, unqualified function...)
    kind: str
    account: str | None
    document: PolicyDocument


@dataclass(frozen=True, kw_only=True)
class ScpPolicy:
    name: str
    document: PolicyDocument


@dataclass(frozen=True, kw_only=True)
class ScpLevel:
    target: str
    policies: tuple[ScpPolicy, ...]


def policy_key(resource: str) -> str:
    """The ARN whose policy governs `resource`: an object's bucket, a qualified function's
    function, else the resource itself."""
    arn = parse_arn(resource)
    if arn is None:
        return resource
    if arn.service == "s3" and not arn.region and not arn.account:
        return f"arn:{arn.partition}:s3:::{arn.resource.split('/', 1)[0]}"
    if arn.service == "lambda" and arn.resource.startswith("function:"):
        name = arn.resource.split(":")[1]
        return f"arn:{arn.partition}:lambda:{arn.region}:{arn.account}:function:{name}"
    return resource


def read_resources(reader: JsonReader, top: Mapping[str, Any]) -> Iterator[ResourcePolicy]:
    default_account = top.get("AccountId") if isinstance(top.get("AccountId"), str) else None
    for section, (kind, name_field, policy_field) in _SECTIONS.items():
        for index, raw in enumerate(reader.items((section,), top.get(section))):
            path = (section, index)
            entry = reader.mapping(path, raw)
            if entry is None:
                continue
            name = reader.text((*path, name_field), entry.get(name_field))
            if name is None or entry.get(policy_field) is None:
                continue  # a bucket with no policy (an ACL only) grants nothing here
            arn = _resource_arn(reader, path, section, name, entry)
            if arn is None:
                continue
            document = read_policy(
                reader,
                (*path, policy_field),
                entry[policy_field],
                kind=PolicyKind.RESOURCE,
                policy=f"resource policy of {arn}",
            )
            if document is not None:
                account = entry.get("Account") or account_of(arn) or default_account
                yield ResourcePolicy(
                    resource=arn,
                    kind=kind,
                    account=account if isinstance(account, str) else None,
                    document=document,
                )


def _resource_arn(
    reader: JsonReader, path: JsonPath, section: str, name: str, entry: Mapping[str, Any]
) -> str | None:
    if section == "S3BucketPolicies":
        return policy_key(name) if name.startswith("arn:") else f"arn:aws:s3:::{name}"
    if section != "LambdaFunctionPolicies" or name.startswith("arn:"):
        if parse_arn(name) is None:
            reader.problem((*path, _SECTIONS[section][1]), f"{name!r} is not an ARN")
            return None
        return policy_key(name)
    arn = entry.get("FunctionArn")
    if isinstance(arn, str):
        return policy_key(arn)
    for resource in _written_resources(entry.get("Policy")):
        key = policy_key(resource)
        if key.endswith(f":function:{name}"):
            return key
    reader.problem((*path, "FunctionName"), f"{name!r}: give FunctionArn, the policy names none")
    return None


def _written_resources(raw: Any) -> Iterator[str]:
    statements = raw.get("Statement") if isinstance(raw, Mapping) else None
    for statement in statements if isinstance(statements, list) else [statements]:
        resource = statement.get("Resource") if isinstance(statement, Mapping) else None
        yield from [resource] if isinstance(resource, str) else resource or []


def read_scps(reader: JsonReader, raw: Any) -> dict[str, tuple[ScpLevel, ...]]:
    found: dict[str, tuple[ScpLevel, ...]] = {}
    for index, item in enumerate(reader.items(("ServiceControlPolicies",), raw)):
        path: JsonPath = ("ServiceControlPolicies", index)
        entry = reader.mapping(path, item)
        if entry is None:
            continue
        account = reader.text((*path, "AccountId"), entry.get("AccountId"))
        levels = []
        for number, level in enumerate(reader.items((*path, "Levels"), entry.get("Levels"))):
            read = _level(reader, (*path, "Levels", number), level)
            if read is not None:
                levels.append(read)
        if account is not None:
            found[account] = found.get(account, ()) + tuple(levels)
    return found


def _level(reader: JsonReader, path: JsonPath, raw: Any) -> ScpLevel | None:
    entry = reader.mapping(path, raw)
    if entry is None:
        return None
    target = reader.text((*path, "Target"), entry.get("Target"))
    policies = []
    for index, item in enumerate(reader.items((*path, "Policies"), entry.get("Policies"))):
        where = (*path, "Policies", index)
        policy = reader.mapping(where, item)
        if policy is None:
            continue
        name = reader.text((*where, "Name"), policy.get("Name"))
        label = policy.get("Arn") if isinstance(policy.get("Arn"), str) else name
        document = read_policy(
            reader,
            (*where, "Content"),
            policy.get("Content"),
            kind=PolicyKind.SCP,
            policy=f"SCP {label}",
        )
        if name is not None and document is not None:
            policies.append(ScpPolicy(name=name, document=document))
    return None if target is None else ScpLevel(target=target, policies=tuple(policies))
