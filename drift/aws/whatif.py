"""The input as it would be after one change a principal can make to IAM (pure): another
version of a managed policy made the default, a user added to a group, every role's trust
policy rewritten to admit one principal. Each returns a new `AwsInput` sharing everything
else with the old one, for an `Evaluator` to answer what the change would allow.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import TypeVar

from drift.aws.documents import AwsInput, Role
from drift.aws.policy import ActionSet, Effect, PolicyDocument, Principals, Statement, StatementRef


def with_default_version(data: AwsInput, policy: str, version: str) -> AwsInput:
    changed = dataclasses.replace(data.policies[policy], default_version=version)
    return dataclasses.replace(data, policies=_Overlay(data.policies, policy, changed))


def with_member(data: AwsInput, user: str, group: str) -> AwsInput:
    """`user` also in `group` (a name in the user's account)."""
    found = data.users[user]
    changed = dataclasses.replace(found, groups=(*found.groups, group))
    return dataclasses.replace(data, users=_Overlay(data.users, user, changed))


def admitting(data: AwsInput, principal: str) -> AwsInput:
    """Every role trusting `principal` alone, as `iam:UpdateAssumeRolePolicy` can make it."""
    return dataclasses.replace(data, roles=_Admitting(data.roles, principal))


def rewritten_trust(principal: str) -> StatementRef:
    """Where the statement of a trust policy rewritten to admit `principal` is said to be
    written (the same for every role, so that answers about roles compare)."""
    return StatementRef(policy=f"a trust policy as {principal} would write it")


_V = TypeVar("_V")


class _Overlay(Mapping[str, _V]):
    """`base` with the value of one key replaced (no copy of the rest)."""

    def __init__(self, base: Mapping[str, _V], key: str, value: _V) -> None:
        self._base = base
        self._key = key
        self._value = value

    def __getitem__(self, key: str) -> _V:
        return self._value if key == self._key else self._base[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._base)

    def __len__(self) -> int:
        return len(self._base)


class _Admitting(Mapping[str, Role]):
    """The roles, each read with a trust policy that allows `principal` sts:AssumeRole."""

    def __init__(self, roles: Mapping[str, Role], principal: str) -> None:
        self._roles = roles
        self._principal = principal
        self._made: dict[str, Role] = {}

    def __getitem__(self, arn: str) -> Role:
        made = self._made.get(arn)
        if made is None:
            role = self._roles[arn]
            statement = Statement(
                ref=rewritten_trust(self._principal),
                effect=Effect.ALLOW,
                actions=ActionSet.of(("sts:AssumeRole",)),
                principals=Principals(aws=(self._principal,)),
            )
            trust = PolicyDocument(version="2012-10-17", statements=(statement,))
            made = self._made[arn] = dataclasses.replace(role, trust=trust)
        return made

    def __iter__(self) -> Iterator[str]:
        return iter(self._roles)

    def __len__(self) -> int:
        return len(self._roles)
