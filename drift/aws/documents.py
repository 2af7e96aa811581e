"""Reading what `aws iam get-account-authorization-details` returns, with the resource
policies and service control policies beside it, into one validated `AwsInput`.

Files are told apart by their top-level fields:

- authorization details: `UserDetailList`, `GroupDetailList`, `RoleDetailList`, `Policies`
  (the AWS managed policy set is a file with `Policies` only);
- resource policies (`drift.aws.resources`): `S3BucketPolicies`, `LambdaFunctionPolicies`,
  `SecretsManagerResourcePolicies`, `SNSTopicPolicies`, `ResourcePolicies`;
- `ServiceControlPolicies`.

Network documents (EC2, RDS and ELBv2 `Describe*` answers, public-access blocks, function
URLs) and collector snapshots are split by `drift.aws.netdocs`: their IAM parts are read here,
the rest travels in `AwsInput.network` to the network and public-access semantics.

A managed policy defined twice keeps the copy of a file that also lists principals (what the
account holds) over one from a policy set; otherwise the first file given wins. Every problem
of every file is reported at once (`AwsInputError`), one line each naming the file and path.
Missing references (an attached policy or group not in any file) are not problems here: the
evaluator answers what they touch as undecided and says why.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from drift.aws.arns import account_of
from drift.aws.eks import EksInput, read_snapshot_eks
from drift.aws.jsonread import JsonPath, JsonReader
from drift.aws.kinds import aws_managed_path
from drift.aws.netdocs import NetworkDocument, Split, is_snapshot
from drift.aws.policy import PolicyDocument, PolicyKind, read_policy
from drift.aws.resources import (
    RESOURCE_SECTIONS,
    ResourcePolicy,
    ScpLevel,
    read_resources,
    read_scps,
)
from drift.errors import InputError
from drift.validation import did_you_mean

DETAIL_SECTIONS = ("UserDetailList", "GroupDetailList", "RoleDetailList")
_PAGING = ("IsTruncated", "Marker", "ResponseMetadata")
_TOP_LEVEL = (
    *DETAIL_SECTIONS,
    "Policies",
    *_PAGING,
    *RESOURCE_SECTIONS,
    "ServiceControlPolicies",
    "AccountId",
)


class AwsInputError(InputError):
    """AWS documents that cannot be read or are not valid IAM."""


@dataclass(frozen=True, kw_only=True)
class InlinePolicy:
    name: str
    document: PolicyDocument


@dataclass(frozen=True, kw_only=True)
class ManagedPolicy:
    arn: str
    name: str
    default_version: str
    versions: Mapping[str, PolicyDocument]  # every version read, the default among them

    @property
    def document(self) -> PolicyDocument:
        return self.versions[self.default_version]


@dataclass(frozen=True, kw_only=True)
class Group:
    arn: str
    name: str
    inline: tuple[InlinePolicy, ...] = ()
    attached: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class User:
    arn: str
    name: str
    user_id: str | None
    inline: tuple[InlinePolicy, ...] = ()
    attached: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()  # names, in the user's account
    boundary: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Role:
    arn: str
    name: str
    role_id: str | None
    path: str = "/"
    inline: tuple[InlinePolicy, ...] = ()
    attached: tuple[str, ...] = ()
    boundary: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    trust: PolicyDocument | None = None
    instance_profiles: tuple[str, ...] = ()

    @property
    def service_linked(self) -> bool:
        """Service-linked roles (path /aws-service-role/): SCPs do not apply to them."""
        return self.path.startswith("/aws-service-role/")

    @property
    def protected(self) -> bool:
        """Roles only AWS may change: service-linked ones, and those IAM Identity Center
        keeps (path /aws-reserved/); IAM refuses to write their policies or trust."""
        return aws_managed_path(self.path)


@dataclass(frozen=True, kw_only=True)
class AwsInput:
    """Everything read, keyed by ARN (groups by account and name, as users name them)."""

    users: Mapping[str, User]
    roles: Mapping[str, Role]
    groups: Mapping[tuple[str, str], Group]
    policies: Mapping[str, ManagedPolicy]
    resource_policies: Mapping[str, ResourcePolicy]
    scps: Mapping[str, tuple[ScpLevel, ...]]  # by account
    resource_policies_given: bool = False
    notes: tuple[str, ...] = ()
    network: tuple[NetworkDocument, ...] = ()  # what drift.aws.graph_network reads
    eks: EksInput = field(default_factory=EksInput)  # from a snapshot (drift.aws.snapshot)

    @functools.cached_property
    def accounts(self) -> frozenset[str]:
        """The accounts whose principals were read."""
        arns = [*self.users, *self.roles]
        return frozenset(a for a in map(account_of, arns) if a is not None)


def read_aws_files(paths: Sequence[str | Path]) -> AwsInput:
    """Read and validate files (see the module's docstring); raises AwsInputError."""
    documents: list[tuple[str, Any]] = []
    problems = []
    for path in paths:
        try:
            documents.append((str(path), json.loads(Path(path).read_bytes())))
        except ValueError as exc:
            problems.append(f"{path}: not JSON: {exc}")
    if problems:
        raise AwsInputError(problems)
    return read_aws_documents(documents)


def read_aws_documents(documents: Sequence[tuple[str, Any]]) -> AwsInput:
    """The same from parsed JSON values, each with the name problems should give it."""
    split = Split()
    readers = [JsonReader(name=name) for name, _ in documents]
    for reader, (_, raw) in zip(readers, documents, strict=True):
        split.add(reader, raw, _TOP_LEVEL)
    builder = _Builder()
    for reader, part in split.iam:  # each part's problems go to its file's reader
        builder.read(reader, part)
    eks = [
        read_snapshot_eks(reader, raw)
        for reader, (_, raw) in zip(readers, documents, strict=True)
        if is_snapshot(raw)
    ]
    problems = [problem for reader in readers for problem in reader.problems]
    if problems:
        raise AwsInputError(problems)
    data = builder.finish()
    return replace(
        data,
        notes=(*split.notes, *data.notes),
        network=split.documents(),
        eks=EksInput(
            clusters=frozenset(c for e in eks for c in e.clusters),
            associations=tuple(a for e in eks for a in e.associations),
        ),
    )


@dataclass
class _Builder:
    users: dict[str, User] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    groups: dict[tuple[str, str], Group] = field(default_factory=dict)
    policies: dict[str, tuple[int, ManagedPolicy]] = field(default_factory=dict)
    resources: dict[str, ResourcePolicy] = field(default_factory=dict)
    scps: dict[str, tuple[ScpLevel, ...]] = field(default_factory=dict)
    resources_given: bool = False
    notes: list[str] = field(default_factory=list)

    def read(self, reader: JsonReader, raw: Any) -> None:
        top = reader.mapping((), raw)
        if top is None:
            return
        for key in top:
            if key not in _TOP_LEVEL:
                reader.problem((key,), "unknown section" + did_you_mean(key, _TOP_LEVEL))
        if top.get("IsTruncated") is True:
            reader.problem(("IsTruncated",), "this is one page of several: merge every page")
        self._details(reader, top)
        rank = 0 if any(k in top for k in DETAIL_SECTIONS) else 1
        for index, item in enumerate(reader.items(("Policies",), top.get("Policies"))):
            self._policy(reader, ("Policies", index), item, rank)
        if any(k in top for k in RESOURCE_SECTIONS):
            self.resources_given = True
            for policy in read_resources(reader, top):
                self._unique(reader, self.resources, policy.resource, policy, "resource policy")
        if "ServiceControlPolicies" in top:
            for account, levels in read_scps(reader, top["ServiceControlPolicies"]).items():
                self.scps[account] = self.scps.get(account, ()) + levels

    def _details(self, reader: JsonReader, top: Mapping[str, Any]) -> None:
        for index, item in enumerate(reader.items(("UserDetailList",), top.get("UserDetailList"))):
            user = _user(reader, ("UserDetailList", index), item)
            if user is not None:
                self._unique(reader, self.users, user.arn, user, "user")
        groups = reader.items(("GroupDetailList",), top.get("GroupDetailList"))
        for index, item in enumerate(groups):
            group = _group(reader, ("GroupDetailList", index), item)
            if group is not None:
                key = (account_of(group.arn) or "", group.name)
                self._unique(reader, self.groups, key, group, "group")
        for index, item in enumerate(reader.items(("RoleDetailList",), top.get("RoleDetailList"))):
            role = _role(reader, ("RoleDetailList", index), item)
            if role is not None:
                self._unique(reader, self.roles, role.arn, role, "role")

    def _unique(
        self, reader: JsonReader, into: dict[Any, Any], key: Any, value: Any, what: str
    ) -> None:
        if key in into and into[key] != value:
            self.notes.append(f"{reader.name}: {what} {key} read twice: the first kept")
            return
        into.setdefault(key, value)

    def _policy(self, reader: JsonReader, path: JsonPath, raw: Any, rank: int) -> None:
        policy = _managed(reader, path, raw)
        if policy is None:
            return
        kept = self.policies.get(policy.arn)
        if kept is None or rank < kept[0]:
            self.policies[policy.arn] = (rank, policy)
        elif rank == kept[0] and kept[1] != policy:
            self.notes.append(f"{reader.name}: policy {policy.arn} read twice: the first kept")

    def finish(self) -> AwsInput:
        return AwsInput(
            users=self.users,
            roles=self.roles,
            groups=self.groups,
            policies={arn: policy for arn, (_, policy) in self.policies.items()},
            resource_policies=self.resources,
            scps=self.scps,
            resource_policies_given=self.resources_given,
            notes=tuple(self.notes),
        )


def _user(reader: JsonReader, path: JsonPath, raw: Any) -> User | None:
    item = reader.mapping(path, raw)
    if item is None:
        return None
    before = reader.count
    arn = reader.text((*path, "Arn"), item.get("Arn"))
    name = reader.text((*path, "UserName"), item.get("UserName"))
    groups = tuple(
        g
        for i, g in enumerate(reader.items((*path, "GroupList"), item.get("GroupList")))
        if reader.text((*path, "GroupList", i), g) is not None
    )
    owner = arn or "?"
    inline = _inline(reader, path, item, "UserPolicyList", owner)
    attached = _attached(reader, path, item)
    boundary = _boundary(reader, path, item)
    if reader.count > before or arn is None or name is None:
        return None
    return User(
        arn=arn,
        name=name,
        user_id=item.get("UserId") if isinstance(item.get("UserId"), str) else None,
        inline=inline,
        attached=attached,
        groups=groups,
        boundary=boundary,
        tags=_tags(reader, path, item),
    )


def _group(reader: JsonReader, path: JsonPath, raw: Any) -> Group | None:
    item = reader.mapping(path, raw)
    if item is None:
        return None
    before = reader.count
    arn = reader.text((*path, "Arn"), item.get("Arn"))
    name = reader.text((*path, "GroupName"), item.get("GroupName"))
    inline = _inline(reader, path, item, "GroupPolicyList", arn or "?")
    attached = _attached(reader, path, item)
    if reader.count > before or arn is None or name is None:
        return None
    return Group(arn=arn, name=name, inline=inline, attached=attached)


def _role(reader: JsonReader, path: JsonPath, raw: Any) -> Role | None:
    item = reader.mapping(path, raw)
    if item is None:
        return None
    before = reader.count
    arn = reader.text((*path, "Arn"), item.get("Arn"))
    name = reader.text((*path, "RoleName"), item.get("RoleName"))
    trust = None
    if item.get("AssumeRolePolicyDocument") is not None:
        trust = read_policy(
            reader,
            (*path, "AssumeRolePolicyDocument"),
            item["AssumeRolePolicyDocument"],
            kind=PolicyKind.TRUST,
            policy=f"trust policy of {arn}",
        )
    inline = _inline(reader, path, item, "RolePolicyList", arn or "?")
    attached = _attached(reader, path, item)
    boundary = _boundary(reader, path, item)
    profiles = reader.items((*path, "InstanceProfileList"), item.get("InstanceProfileList"))
    if reader.count > before or arn is None or name is None:
        return None
    return Role(
        arn=arn,
        name=name,
        role_id=item.get("RoleId") if isinstance(item.get("RoleId"), str) else None,
        path=str(item.get("Path") or "/"),
        inline=inline,
        attached=attached,
        boundary=boundary,
        tags=_tags(reader, path, item),
        trust=trust,
        instance_profiles=tuple(
            p["Arn"] for p in profiles if isinstance(p, Mapping) and isinstance(p.get("Arn"), str)
        ),
    )


def _inline(
    reader: JsonReader, path: JsonPath, item: Mapping[str, Any], key: str, owner: str
) -> tuple[InlinePolicy, ...]:
    found = []
    for index, raw in enumerate(reader.items((*path, key), item.get(key))):
        where = (*path, key, index)
        entry = reader.mapping(where, raw)
        if entry is None:
            continue
        # AWS always names an inline policy; a document rebuilt from Terraform may not.
        name = reader.text((*where, "PolicyName"), entry.get("PolicyName"), required=False)
        name = name or f"{key}[{index}]"
        document = read_policy(
            reader,
            (*where, "PolicyDocument"),
            entry.get("PolicyDocument"),
            kind=PolicyKind.IDENTITY,
            policy=f"{owner} inline {name}",
        )
        if name is not None and document is not None:
            found.append(InlinePolicy(name=name, document=document))
    return tuple(found)


def _attached(reader: JsonReader, path: JsonPath, item: Mapping[str, Any]) -> tuple[str, ...]:
    key = "AttachedManagedPolicies"
    found = []
    for index, raw in enumerate(reader.items((*path, key), item.get(key))):
        entry = reader.mapping((*path, key, index), raw)
        if entry is not None:
            arn = reader.text((*path, key, index, "PolicyArn"), entry.get("PolicyArn"))
            if arn is not None:
                found.append(arn)
    return tuple(dict.fromkeys(found))


def _boundary(reader: JsonReader, path: JsonPath, item: Mapping[str, Any]) -> str | None:
    raw = item.get("PermissionsBoundary")
    if raw is None:
        return None
    entry = reader.mapping((*path, "PermissionsBoundary"), raw)
    if entry is None:
        return None
    where = (*path, "PermissionsBoundary", "PermissionsBoundaryArn")
    return reader.text(where, entry.get("PermissionsBoundaryArn"))


def _tags(reader: JsonReader, path: JsonPath, item: Mapping[str, Any]) -> dict[str, str]:
    tags = {}
    for raw in reader.items((*path, "Tags"), item.get("Tags")):
        if isinstance(raw, Mapping) and isinstance(raw.get("Key"), str):
            value = raw.get("Value")
            tags[raw["Key"]] = value if isinstance(value, str) else ""
    return tags


def _managed(reader: JsonReader, path: JsonPath, raw: Any) -> ManagedPolicy | None:
    item = reader.mapping(path, raw)
    if item is None:
        return None
    before = reader.count
    arn = reader.text((*path, "Arn"), item.get("Arn"))
    name = item.get("PolicyName") if isinstance(item.get("PolicyName"), str) else None
    versions: dict[str, PolicyDocument] = {}
    defaults = []
    listed = reader.items((*path, "PolicyVersionList"), item.get("PolicyVersionList"))
    for index, entry in enumerate(listed):
        where = (*path, "PolicyVersionList", index)
        version = reader.mapping(where, entry)
        if version is None:
            continue
        version_id = reader.text((*where, "VersionId"), version.get("VersionId"))
        document = read_policy(
            reader,
            (*where, "Document"),
            version.get("Document"),
            kind=PolicyKind.IDENTITY,
            policy=arn or "?",
            version=version_id,
        )
        if version_id is not None and document is not None:
            versions[version_id] = document
            if version.get("IsDefaultVersion") is True:
                defaults.append(version_id)
    default = _default_version(reader, path, item, defaults, versions)
    if reader.count > before or arn is None or default is None:
        return None
    return ManagedPolicy(
        arn=arn, name=name or arn.rsplit("/", 1)[-1], default_version=default, versions=versions
    )


def _default_version(
    reader: JsonReader,
    path: JsonPath,
    item: Mapping[str, Any],
    defaults: list[str],
    versions: Mapping[str, PolicyDocument],
) -> str | None:
    """The version IsDefaultVersion marks, else the one DefaultVersionId names."""
    if len(defaults) > 1:
        reader.problem((*path, "PolicyVersionList"), f"several default versions: {defaults}")
        return None
    if defaults:
        return defaults[0]
    named = item.get("DefaultVersionId")
    if isinstance(named, str) and named in versions:
        return named
    if versions or reader.count == 0:
        reader.problem((*path, "PolicyVersionList"), "no default version is listed")
    return None
