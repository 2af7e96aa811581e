"""What the escalation techniques share: a `Found` escalation, what they read from the input
once (`Known`: which roles trust which service, who may assume whom, the instance profiles
and the customer policies granting every action), and `Scope`, the input one principal's
techniques are asked over, with the prober and the small caches they share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from drift.aws.arns import account_of
from drift.aws.documents import AwsInput
from drift.aws.escalation_outcome import DENIED, Outcome, best
from drift.aws.escalation_probe import Prober
from drift.aws.escalation_table import service_key
from drift.aws.iam import Decision, Evaluator
from drift.aws.policy import Effect, PolicyDocument
from drift.aws.trust import TrustKind, TrustRelation


def admin_id(account: str) -> str:
    """The node standing for every permission in `account`."""
    return f"aws-admin:{account}"


@dataclass(frozen=True, kw_only=True)
class Found:
    """One escalation: what `source` can become (a principal, or `admin_id` when
    `unbounded`), the actions it takes, what they achieve, and the evaluator's outcome."""

    source: str
    target: str
    actions: tuple[str, ...]
    what: str
    outcome: Outcome
    unbounded: bool = False

    @property
    def via(self) -> str:
        """`iam:PassRole + lambda:CreateFunction: ... (not certain: when ...)`; what is
        prepared first leads the actions and follows what they achieve (`iam:TagUser +
        iam:CreateAccessKey: a new access key of U, user U tagged k=v first`)."""
        prepared = self.outcome.prepared
        actions = dict.fromkeys((*(p.action for p in prepared), *self.actions))
        text = f"{' + '.join(actions)}: {self.what}"
        text += "".join(f", {p}" for p in prepared)
        if self.outcome.doubts:
            text += f" (not certain: {'; '.join(self.outcome.doubts)})"
        return text


@dataclass(frozen=True, kw_only=True)
class Known:
    """What the techniques read from the input once, whatever the principal."""

    # (account, service) -> role ARN -> the trust policy admitting the service, and as whom
    services: Mapping[tuple[str, str], Mapping[str, tuple[Outcome, str]]]
    assumable: Mapping[str, Mapping[str, Outcome]]  # source -> role it may assume
    profiles: Mapping[str, tuple[str, ...]]  # account -> instance profiles the input lists
    admin_policies: Mapping[str, tuple[str, ...]]  # account -> customer policies granting all


def known(data: AwsInput, relations: Iterable[TrustRelation]) -> Known:
    services: dict[tuple[str, str], dict[str, tuple[Outcome, str]]] = {}
    assumable: dict[str, dict[str, Outcome]] = {}
    for relation in relations:
        trusted = _trusted(relation)
        if relation.kind is TrustKind.SERVICE:
            key = (account_of(relation.role) or "", service_key(relation.principal))
            per_role = services.setdefault(key, {})
            kept = per_role.get(relation.role)
            if kept is None or not kept[0].certain:
                per_role[relation.role] = (trusted, relation.principal)
        elif relation.kind is TrustKind.PRINCIPAL:
            per_source = assumable.setdefault(relation.principal, {})
            per_source[relation.role] = best([per_source.get(relation.role, DENIED), trusted])
    profiles: dict[str, list[str]] = {}
    for role in data.roles.values():
        for profile in role.instance_profiles:
            profiles.setdefault(account_of(profile) or "", []).append(profile)
    admin: dict[str, list[str]] = {}
    for arn, policy in sorted(data.policies.items()):
        account = account_of(arn)
        if account is not None and grants_everything(policy.document):
            admin.setdefault(account, []).append(arn)
    return Known(
        services=services,
        assumable=assumable,
        profiles={a: tuple(sorted(set(p))) for a, p in profiles.items()},
        admin_policies={a: tuple(p) for a, p in admin.items()},
    )


def _trusted(relation: TrustRelation) -> Outcome:
    statements = (relation.statement, *relation.evidence)
    if relation.decision is Decision.ALLOW:
        return Outcome(decision=Decision.ALLOW, statements=statements)
    doubts = tuple(f"when {c}" for c in relation.conditions)
    return Outcome(
        decision=Decision.CONDITIONAL,
        statements=statements,
        doubts=doubts or ("the trust policy may not admit it",),
    )


def grants_everything(document: PolicyDocument) -> bool:
    """Every action on every resource, unconditionally, and no Deny."""
    allows = any(
        s.effect is Effect.ALLOW
        and not s.not_action
        and any(a in ("*", "*:*") for a in s.actions.written)
        and s.any_resource
        and not s.conditions
        for s in document.statements
    )
    return allows and all(s.effect is Effect.ALLOW for s in document.statements)


class Scope:
    """One input as the techniques see it: the evaluator, its prober, what is known, and
    what is remembered while one principal is asked about (`begin`)."""

    def __init__(self, evaluator: Evaluator, facts: Known) -> None:
        self.data = evaluator.data
        self.evaluator = evaluator
        self.facts = facts
        self.probe = Prober(evaluator)
        self._accounts: dict[str, tuple[list[str], list[str]]] = {}
        self.profile: tuple[Outcome, tuple[str, ...]] | None = None  # of the principal

    def begin(self) -> None:
        """Forget what was remembered of the previous principal."""
        self.probe.forget()
        self.profile = None

    def account(self, principal: str) -> str:
        return self.evaluator.principal(principal).account

    def principals(self, account: str) -> tuple[list[str], list[str]]:
        """The users, and the roles but those only AWS may change, of an account."""
        found = self._accounts.get(account)
        if found is None:
            users = sorted(u for u in self.data.users if account_of(u) == account)
            roles = sorted(
                arn
                for arn, role in self.data.roles.items()
                if account_of(arn) == account and not role.protected
            )
            found = self._accounts[account] = (users, roles)
        return found
