"""Who may assume a role: the relations a role's trust policy (AssumeRolePolicyDocument)
sets up, for `assumes` edges.

Each Allow statement covering `sts:AssumeRole`, `sts:AssumeRoleWithWebIdentity` or
`sts:AssumeRoleWithSAML` yields one relation per principal it names:

- a user or role of the input: kept when `Evaluator.can` says it may (its own permissions
  boundary and SCPs apply; see `drift.aws.iam`);
- an account of the input (`arn:aws:iam::ACCOUNT:root` or the bare id): each principal of that
  account whose own identity-based policies allow `sts:AssumeRole` on the role (`via_account`);
- another account, or an ARN not in the input: kept as written, as is a session of a role;
- `*` (`anyone`): anybody, or, under conditions such as `aws:PrincipalOrgID` or
  `aws:SourceAccount`, whoever meets them: `conditional`, never public;
- service principals (`ec2.amazonaws.com`) and federated ones (an OIDC provider for IRSA,
  SAML, Cognito), with the statement's conditions kept as data (`:sub`, `:aud`) for whoever
  maps them to workloads.

A relation is `allow` when nothing is left open, `conditional` when conditions (or a Deny
that may apply) leave it to the request; one a Deny certainly forbids is left out.
`sts:TagSession` and `sts:SetSourceIdentity`, when the same statement allows them, are listed
in `actions`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from drift.aws.arns import root_account, session_role
from drift.aws.conditions import ConditionTest, Truth
from drift.aws.documents import Role
from drift.aws.iam import Decision, Evaluator
from drift.aws.policy import Effect, Principals, Statement, StatementRef

ASSUME_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML")
SESSION_ACTIONS = ("sts:TagSession", "sts:SetSourceIdentity")


class TrustKind(enum.StrEnum):
    PRINCIPAL = "principal"  # a user or role of the input
    ACCOUNT = "account"  # principals of an account not in the input
    EXTERNAL = "external"  # a user, role or session ARN not in the input
    ANYONE = "anyone"  # `*`
    SERVICE = "service"
    FEDERATED = "federated"


@dataclass(frozen=True, kw_only=True)
class TrustRelation:
    principal: str  # an ARN, `arn:aws:iam::ACCOUNT:root`, `*`, a service or provider name
    kind: TrustKind
    role: str
    actions: tuple[str, ...]
    decision: Decision  # allow or conditional
    conditions: tuple[ConditionTest, ...]
    statement: StatementRef
    via_account: bool = False
    evidence: tuple[StatementRef, ...] = ()  # for principals of the input: what allows it

    def condition_values(self, key_suffix: str) -> tuple[str, ...]:
        """The values conditions give keys ending in `key_suffix` (`:sub` of an OIDC
        provider: `system:serviceaccount:NS:NAME`)."""
        suffix = key_suffix.lower()
        return tuple(v for c in self.conditions if c.key.lower().endswith(suffix) for v in c.values)


def trust_relations(
    evaluator: Evaluator, roles: Iterable[str] | None = None
) -> tuple[TrustRelation, ...]:
    """Every relation of the given roles (ARNs; all roles read when None), role by role."""
    data = evaluator.data
    found: list[TrustRelation] = []
    for arn in data.roles if roles is None else roles:
        role = data.roles[arn]
        if role.trust is None:
            continue
        for statement in role.trust.statements:
            found.extend(_relations(evaluator, role, statement))
    return tuple(found)


def _relations(evaluator: Evaluator, role: Role, statement: Statement) -> Iterator[TrustRelation]:
    if statement.effect is not Effect.ALLOW or statement.principals is None:
        return
    actions = tuple(
        a for a in (*ASSUME_ACTIONS, *SESSION_ACTIONS) if statement.covers_action(a.lower())
    )
    if not any(a in ASSUME_ACTIONS for a in actions):
        return
    principals = statement.principals
    if statement.not_principal or principals.anyone:
        yield from _plain(role, statement, actions, "*", TrustKind.ANYONE)
        return
    for entry in principals.aws:
        yield from _aws(evaluator, role, statement, actions, entry)
    for service in principals.service:
        yield from _plain(role, statement, actions, service, TrustKind.SERVICE)
    for provider in principals.federated:
        yield from _plain(role, statement, actions, provider, TrustKind.FEDERATED)


def _aws(
    evaluator: Evaluator, role: Role, statement: Statement, actions: tuple[str, ...], entry: str
) -> Iterator[TrustRelation]:
    data = evaluator.data
    account = root_account(entry)
    if account is not None:
        if account not in data.accounts:
            root = f"arn:aws:iam::{account}:root"
            yield from _plain(role, statement, actions, root, TrustKind.ACCOUNT)
            return
        for arn in (*data.users, *data.roles):
            if evaluator.principal(arn).account == account:
                yield from _asked(evaluator, role, statement, actions, arn, via_account=True)
        return
    named = _in_input(evaluator, entry)
    if named is None:
        yield from _plain(role, statement, actions, entry, TrustKind.EXTERNAL)
    else:
        yield from _asked(evaluator, role, statement, actions, named, via_account=False)


def _in_input(evaluator: Evaluator, entry: str) -> str | None:
    """The user or role of the input `entry` names: its ARN, unique id or one of its
    sessions."""
    data = evaluator.data
    if entry in data.users or entry in data.roles:
        return entry
    session = session_role(entry)
    for arn, role in data.roles.items():
        if entry == role.role_id or (session and session[:2] == (arn.split(":")[4], role.name)):
            return arn
    return next((arn for arn, user in data.users.items() if entry == user.user_id), None)


def _asked(
    evaluator: Evaluator,
    role: Role,
    statement: Statement,
    actions: tuple[str, ...],
    principal: str,
    *,
    via_account: bool,
) -> Iterator[TrustRelation]:
    answer = evaluator.can(principal, "sts:AssumeRole", role.arn)
    if answer.decision is Decision.DENY or statement.ref not in answer.statements:
        return
    yield TrustRelation(
        principal=principal,
        kind=TrustKind.PRINCIPAL,
        role=role.arn,
        actions=actions,
        decision=answer.decision,
        conditions=tuple(n.test for n in answer.conditions),
        statement=statement.ref,
        via_account=via_account,
        evidence=answer.statements,
    )


def _plain(
    role: Role, statement: Statement, actions: tuple[str, ...], principal: str, kind: TrustKind
) -> Iterator[TrustRelation]:
    """A principal outside the input, as written: none when a Deny certainly forbids it."""
    denied = _denied(role, principal, kind, actions)
    if denied is True:
        return
    open_ = bool(statement.conditions) or denied is None or statement.not_principal
    yield TrustRelation(
        principal=principal,
        kind=kind,
        role=role.arn,
        actions=actions,
        decision=Decision.CONDITIONAL if open_ else Decision.ALLOW,
        conditions=statement.conditions,
        statement=statement.ref,
    )


def _denied(role: Role, principal: str, kind: TrustKind, actions: tuple[str, ...]) -> Truth:
    """Whether a Deny of the trust policy forbids this principal (None: it may)."""
    result: Truth = False
    for deny in role.trust.statements if role.trust else ():
        if deny.effect is not Effect.DENY or deny.principals is None:
            continue
        if not any(deny.covers_action(a.lower()) for a in actions):
            continue
        if deny.not_principal or not _lists(deny.principals, principal, kind):
            result = None if deny.not_principal else result
            continue
        if not deny.conditions:
            return True
        result = None
    return result


def _lists(principals: Principals, principal: str, kind: TrustKind) -> bool:
    if principals.anyone:
        return True
    listed = {
        TrustKind.SERVICE: principals.service,
        TrustKind.FEDERATED: principals.federated,
    }.get(kind, principals.aws)
    return principal in listed
