"""The IAM users and roles a question can be about, each with the statements in force.

A user's identity-based statements are its inline policies, the default versions of its
attached managed policies, and the same of each of its groups; a role's, its inline and
attached policies. Non-default versions of a managed policy are never in force. A reference
the input does not resolve (a policy or group in no file) is kept as a reason: what it
would grant or deny is unknown, so answers it could change are undecided.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from drift.aws.arns import account_of
from drift.aws.documents import AwsInput, InlinePolicy, ManagedPolicy
from drift.aws.policy import Statement
from drift.aws.variables import KeyValue, Missing


class PrincipalKind(enum.StrEnum):
    USER = "user"
    ROLE = "role"


class StatementIndex:
    """Statements by the service of the actions they can cover, so a request only meets the
    statements of its own service (and those covering any service)."""

    def __init__(self, statements: Iterable[Statement]) -> None:
        self.statements = tuple(statements)
        self._anywhere: list[Statement] = []
        self._by_service: dict[str, list[Statement]] = {}
        for statement in self.statements:
            services = statement.services
            if services is None:
                self._anywhere.append(statement)
            else:
                for service in services:
                    self._by_service.setdefault(service, []).append(statement)

    def for_action(self, action: str) -> list[Statement]:
        """`action` in lower case."""
        service = action.split(":", 1)[0]
        found = self._by_service.get(service)
        return self._anywhere if not found else found + self._anywhere


@dataclass(frozen=True, kw_only=True)
class Principal:
    kind: PrincipalKind
    arn: str
    account: str
    name: str
    unique_id: str | None
    identity: StatementIndex
    missing: tuple[str, ...] = ()  # references the input does not resolve, one line each
    boundary_arn: str | None = None
    boundary: StatementIndex | None = None  # None with boundary_arn set: not in the input
    scp_exempt: bool = False  # service-linked roles
    context: Mapping[str, KeyValue] = field(default_factory=dict)  # keys in lower case

    def __str__(self) -> str:
        return self.arn

    def key(self, name: str) -> KeyValue:
        """What a request by this principal carries for a global key (lower-case name),
        before the question's own context."""
        found = self.context.get(name)
        if found is not None:
            return found
        if name.startswith("aws:principaltag/"):
            return Missing.ABSENT if self.kind is PrincipalKind.USER else Missing.UNKNOWN
        if name in _ABSENT_FOR[self.kind]:
            return Missing.ABSENT
        return Missing.UNKNOWN


# Keys a request by such a principal never carries (all others are unknown unless known).
_ABSENT_FOR = {
    PrincipalKind.USER: frozenset(
        {"aws:principalservicename", "aws:federatedprovider", "aws:sourceidentity"}
    ),
    PrincipalKind.ROLE: frozenset({"aws:username", "aws:principalservicename"}),
}


def find_principal(data: AwsInput, arn: str) -> Principal | None:
    user = data.users.get(arn)
    if user is not None:
        statements, missing = _policies(data, user.inline, user.attached, arn)
        for name in user.groups:
            group = data.groups.get((account_of(arn) or "", name))
            if group is None:
                missing.append(f"group {name} of {arn} is not in the input")
                continue
            more, gaps = _policies(data, group.inline, group.attached, group.arn)
            statements.extend(more)
            missing.extend(gaps)
        context: dict[str, KeyValue] = {
            "aws:username": (user.name,),
            "aws:principaltype": ("User",),
        }
        if user.user_id:
            context["aws:userid"] = (user.user_id,)
        context.update({f"aws:principaltag/{k.lower()}": (v,) for k, v in user.tags.items()})
        return _principal(
            data,
            PrincipalKind.USER,
            arn,
            user.name,
            user.user_id,
            statements,
            missing,
            user.boundary,
            context,
            scp_exempt=False,
        )
    role = data.roles.get(arn)
    if role is None:
        return None
    statements, missing = _policies(data, role.inline, role.attached, arn)
    context = {"aws:principaltype": ("AssumedRole",)}
    return _principal(
        data,
        PrincipalKind.ROLE,
        arn,
        role.name,
        role.role_id,
        statements,
        missing,
        role.boundary,
        context,
        scp_exempt=role.service_linked,
    )


def _principal(
    data: AwsInput,
    kind: PrincipalKind,
    arn: str,
    name: str,
    unique_id: str | None,
    statements: list[Statement],
    missing: list[str],
    boundary_arn: str | None,
    context: dict[str, KeyValue],
    *,
    scp_exempt: bool,
) -> Principal:
    account = account_of(arn) or ""
    context.update(
        {
            "aws:principalarn": (arn,),
            "aws:principalaccount": (account,),
            "aws:principalisawsservice": ("false",),
        }
    )
    boundary = None
    if boundary_arn is not None:
        policy = data.policies.get(boundary_arn)
        if policy is not None:  # else undecided: the evaluator says so
            boundary = StatementIndex(policy.document.statements)
    return Principal(
        kind=kind,
        arn=arn,
        account=account,
        name=name,
        unique_id=unique_id,
        identity=StatementIndex(statements),
        missing=tuple(missing),
        boundary_arn=boundary_arn,
        boundary=boundary,
        scp_exempt=scp_exempt,
        context=context,
    )


def _policies(
    data: AwsInput, inline: tuple[InlinePolicy, ...], attached: tuple[str, ...], owner: str
) -> tuple[list[Statement], list[str]]:
    statements = [s for policy in inline for s in policy.document.statements]
    missing = []
    for arn in attached:
        policy: ManagedPolicy | None = data.policies.get(arn)
        if policy is None:
            missing.append(f"policy {arn} attached to {owner} is not in the input")
        else:
            statements.extend(policy.document.statements)
    return statements, missing
