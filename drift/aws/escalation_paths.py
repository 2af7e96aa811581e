"""The escalation techniques of one IAM principal P, each a `Found`: how P gains every
permission in its account (the administrator node, `unbounded`) here, how it becomes one
other principal in `drift.aws.escalation_targets`.

Every permission:

- `iam:CreatePolicyVersion` on a customer managed policy attached to P or to a group of P's:
  a new default version (setting it as default needs no other permission). A policy already
  holding five versions needs `iam:DeletePolicyVersion` too.
- `iam:AttachUserPolicy` / `iam:PutUserPolicy` on P itself (a user), `iam:AttachGroupPolicy` /
  `iam:PutGroupPolicy` on its groups, `iam:AttachRolePolicy` / `iam:PutRolePolicy` on P itself
  (a role). Attaching is asked with `iam:PolicyARN` set to AdministratorAccess, or to a customer
  policy of P's account granting every action, whichever the policies allow.
- The same writes on a user or role T that P can become (its trust policy, or a technique of
  `drift.aws.escalation_targets`): P makes T all-powerful, then becomes it. Writing onto a
  principal P cannot become gives P nothing and is not counted. One such way is kept: the
  first certain one, else the first possible one.
- Whoever gains the permissions keeps its permissions boundary: with one that does not allow
  every action, the step is certain only if P can also delete that boundary. It keeps its
  Deny statements too (a Deny wins over anything attached): with one on what every permission
  is used for here (becoming other principals, reading data stores), not certain.
- Changes that rewrite P's own permissions, then whatever the new permissions allow (the
  techniques above and P's edges to others, asked again over the changed input, one change
  deep; per target, the first certain way): `iam:SetDefaultPolicyVersion` on a policy of P's
  (each other version in turn), and `iam:AddUserToGroup` on any group of P's account (P a
  user). A change is not followed into new trust relations.

Deny wins: a step a Deny forbids leaves no escalation. What needs a resource the input does
not describe (a Lambda function's code, an instance's SSM agent) is left out.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import replace

from drift.aws.arns import account_of
from drift.aws.documents import AwsInput, Group, Role
from drift.aws.escalation_base import Found, Known, Scope, admin_id, grants_everything
from drift.aws.escalation_outcome import (
    GRANTED,
    Outcome,
    both,
    doubted,
    first_best,
)
from drift.aws.escalation_probe import partition_of
from drift.aws.escalation_table import ADMINISTRATOR, MAX_POLICY_VERSIONS
from drift.aws.escalation_targets import Targets
from drift.aws.iam import Evaluator
from drift.aws.policy import Effect, StatementRef
from drift.aws.whatif import with_default_version, with_member

_WRITES = ("iam:AttachUserPolicy", "iam:PutUserPolicy", "iam:AttachRolePolicy", "iam:PutRolePolicy")


# What the administrator node's edges stand for (drift.aws.escalation): becoming any principal
# and reading any data store. A Deny of the gainer's own on one of these outlives the gain.
_WHAT_EVERY_PERMISSION_DOES = tuple(
    a.lower()
    for a in (
        "iam:UpdateAssumeRolePolicy",
        "sts:AssumeRole",
        "iam:CreateAccessKey",
        "iam:DeleteAccessKey",
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "secretsmanager:GetSecretValue",
        "ssm:GetParameter",
        "kms:Decrypt",
        "dynamodb:GetItem",
    )
)


class Techniques:
    """The techniques of the principals of one input (`hypothetical`: an input as a change
    would leave it, where no further change is followed)."""

    def __init__(self, evaluator: Evaluator, facts: Known, *, hypothetical: bool = False) -> None:
        self.scope = Scope(evaluator, facts)
        self.data = evaluator.data
        self.evaluator = evaluator
        self.facts = facts
        self.probe = self.scope.probe
        self.targets = Targets(self.scope)
        self.hypothetical = hypothetical

    def of(self, principal: str) -> list[Found]:
        """Every escalation of `principal`; only those to the administrator node when one of
        them is certain (the administrator node's edges stand for the rest)."""
        self.scope.begin()
        found = list(self._every_permission(principal))
        if any(f.outcome.certain for f in found):
            return found
        targets: list[Found] = []
        write = self._best_write(principal, self._reachable(principal, targets))
        if write is not None and write.outcome.certain:
            return [*found, write]
        found.extend(targets)
        if write is not None:
            found.append(write)
        if not self.hypothetical:
            found.extend(self._after_changes(principal))
        if any(f.unbounded and f.outcome.certain for f in found):
            return [f for f in found if f.unbounded]
        return found

    def _reachable(self, principal: str, targets: list[Found]) -> Iterator[tuple[str, Outcome]]:
        """The principals `principal` can become: by trust policy, then by the techniques
        (each appended to `targets` as it is found)."""
        yield from sorted(self.facts.assumable.get(principal, {}).items())
        for found in self.targets.of(principal):
            targets.append(found)
            yield found.target, found.outcome

    def direct(self, principal: str) -> Iterator[Found]:
        yield from self._every_permission(principal)
        yield from self.targets.of(principal)

    # -- every permission ------------------------------------------------------------------

    def _every_permission(self, principal: str) -> Iterator[Found]:
        who = self.evaluator.principal(principal)
        admin = admin_id(who.account)
        limit, lifted = self._boundary(principal, principal)
        for action, resource, holder in self._writes_on_self(principal):
            outcome, attached = self._grant(principal, action, resource)
            if outcome.possible:
                yield Found(
                    source=principal,
                    target=admin,
                    actions=(action, *lifted),
                    what=_granting(attached, holder),
                    outcome=both(outcome, limit),
                    unbounded=True,
                )
        for policy, holder in self._own_policies(principal):
            outcome, actions = self._new_version(principal, policy)
            if outcome.possible:
                yield Found(
                    source=principal,
                    target=admin,
                    actions=(*actions, *lifted),
                    what=f"a new default version of {holder} policy {policy}, granting "
                    "every action",
                    outcome=both(outcome, limit),
                    unbounded=True,
                )

    def _own_policies(self, principal: str) -> Iterator[tuple[str, str]]:
        """Customer managed policies attached to the principal or its groups, each with whose
        it is (`its`, `its group G's`)."""
        holder = self.data.users.get(principal) or self.data.roles.get(principal)
        listed = [(p, "its") for p in holder.attached] if holder else []
        for group in self._groups_of(principal):
            listed.extend((p, f"its group {group.name}'s") for p in group.attached)
        seen: set[str] = set()
        for policy, whose in listed:
            if account_of(policy) is not None and policy not in seen:
                seen.add(policy)
                yield policy, whose

    def _new_version(self, principal: str, policy: str) -> tuple[Outcome, tuple[str, ...]]:
        """A new default version of `policy`, and the actions it takes: deleting one first
        when the policy holds as many as IAM keeps (or the input does not say how many)."""
        created = self.probe.ask(principal, "iam:CreatePolicyVersion", policy)
        found = self.data.policies.get(policy)
        if not created.possible or (
            found is not None and len(found.versions) < MAX_POLICY_VERSIONS
        ):
            return created, ("iam:CreatePolicyVersion",)
        removal = self.probe.ask(principal, "iam:DeletePolicyVersion", policy)
        if found is None:
            removal = doubted(removal, f"policy {policy} is not in the input")
        return both(created, removal), ("iam:DeletePolicyVersion", "iam:CreatePolicyVersion")

    def _writes_on_self(self, principal: str) -> Iterator[tuple[str, str, str]]:
        if principal in self.data.users:
            yield "iam:AttachUserPolicy", principal, "itself"
            yield "iam:PutUserPolicy", principal, "itself"
            for group in self._groups_of(principal):
                yield "iam:AttachGroupPolicy", group.arn, f"its group {group.name}"
                yield "iam:PutGroupPolicy", group.arn, f"its group {group.name}"
        elif not self.data.roles[principal].protected:
            yield "iam:AttachRolePolicy", principal, "itself"
            yield "iam:PutRolePolicy", principal, "itself"

    def _grant(self, principal: str, action: str, resource: str) -> tuple[Outcome, str | None]:
        """Whether `action` (an attach or put) can grant every permission through `resource`,
        and the policy it attaches: AdministratorAccess, or a customer policy of the account
        granting every action (`iam:PolicyARN` may single one out)."""
        if not action.startswith("iam:Attach"):
            return self.probe.ask(principal, action, resource), None
        partition = partition_of(principal)
        choices = [f"arn:{partition}:iam::aws:policy/{ADMINISTRATOR}"]
        choices.extend(self.facts.admin_policies.get(self.scope.account(principal), ()))
        return first_best(
            (self.probe.ask(principal, action, resource, (("iam:PolicyARN", p),)), p)
            for p in choices
        )

    def _boundary(self, principal: str, gaining: str) -> tuple[Outcome, tuple[str, ...]]:
        """What it takes for `gaining` to hold every permission it is granted, given its
        permissions boundary, and the actions that lift it; and its own Deny statements on
        what every permission is used for, which stay in force whatever is attached (not
        certain then)."""
        limit, lifted = self._boundary_alone(principal, gaining)
        deny = self._lasting_deny(gaining)
        if deny is not None:
            whose = "its" if principal == gaining else f"{gaining}'s"
            limit = doubted(limit, f"{whose} Deny statement {deny} still applies")
        return limit, lifted

    @functools.cache  # noqa: B019 (one Techniques per model, dropped with it)
    def _lasting_deny(self, gaining: str) -> StatementRef | None:
        """A Deny of the principal's own on what every permission is used for, if any."""
        for statement in self.evaluator.principal(gaining).identity.statements:
            if statement.effect is Effect.DENY and any(
                statement.covers_action(a) for a in _WHAT_EVERY_PERMISSION_DOES
            ):
                return statement.ref
        return None

    def _boundary_alone(self, principal: str, gaining: str) -> tuple[Outcome, tuple[str, ...]]:
        who = self.evaluator.principal(gaining)
        if who.boundary_arn is None:
            return GRANTED, ()
        policy = self.data.policies.get(who.boundary_arn)
        if policy is not None and grants_everything(policy.document):
            return GRANTED, ()
        action = (
            "iam:DeleteUserPermissionsBoundary"
            if gaining in self.data.users
            else "iam:DeleteRolePermissionsBoundary"
        )
        lifted = self.probe.ask(principal, action, gaining)
        if lifted.possible:
            return lifted, (action,)
        whose = "its" if principal == gaining else f"{gaining}'s"
        return doubted(
            GRANTED, f"{whose} permissions boundary {who.boundary_arn} still limits it"
        ), ()

    # -- writes on principals it can become --------------------------------------------------

    def _best_write(self, principal: str, reachable: Iterable[tuple[str, Outcome]]) -> Found | None:
        """Every permission through a principal it can become and whose policies it can
        write: the first certain way (the rest are not asked), else the first possible one.
        `reachable` is read to the end otherwise."""
        writes = {a for a in _WRITES if self.probe.may(principal, a)}
        chosen: Found | None = None
        for target, reached in reachable:
            if not writes or target == principal or not reached.possible:
                continue
            found = self._write_on(principal, target, reached, writes)
            if found is not None and (chosen is None or found.outcome.certain):
                chosen = found
                if found.outcome.certain:
                    return found
        return chosen

    def _write_on(
        self, principal: str, target: str, reached: Outcome, writes: set[str]
    ) -> Found | None:
        """Every permission through `target`: the first certain write, else a possible one."""
        granted, chosen = first_best(
            self._write(principal, action, target, holder)
            for action, holder in self._writes_on(target)
            if action in writes
        )
        if chosen is None:
            return None
        action, holder, policy = chosen
        limit, lifted = self._boundary(principal, target)
        return Found(
            source=principal,
            target=admin_id(self.scope.account(principal)),
            actions=(action, *lifted),
            what=_granting(policy, f"{holder} {target}, which it can become"),
            outcome=self.probe.both(reached, granted, limit),
            unbounded=True,
        )

    def _write(
        self, principal: str, action: str, target: str, holder: str
    ) -> tuple[Outcome, tuple[str, str, str | None]]:
        granted, policy = self._grant(principal, action, target)
        return granted, (action, holder, policy)

    def _writes_on(self, target: str) -> list[tuple[str, str]]:
        if target in self.data.users:
            return [("iam:AttachUserPolicy", "user"), ("iam:PutUserPolicy", "user")]
        role: Role | None = self.data.roles.get(target)
        if role is None or role.protected:
            return []
        return [("iam:AttachRolePolicy", "role"), ("iam:PutRolePolicy", "role")]

    # -- changes to its own permissions, then what they allow ----------------------------------

    def _after_changes(self, principal: str) -> Iterator[Found]:
        for policy, holder in self._own_policies(principal):
            found = self.data.policies.get(policy)
            if found is None or len(found.versions) < 2:
                continue
            changed = self.probe.ask(principal, "iam:SetDefaultPolicyVersion", policy)
            if not changed.possible:
                continue
            for version in sorted(found.versions):
                if version != found.default_version:
                    data = with_default_version(self.data, policy, version)
                    step = f"version {version} of {holder} policy {policy} made the default"
                    yield from self._then(
                        principal, data, "iam:SetDefaultPolicyVersion", step, changed
                    )
        if principal not in self.data.users:
            return
        mine = {g.name for g in self._groups_of(principal)}
        account = self.scope.account(principal)
        for (owner, name), group in sorted(self.data.groups.items()):
            if owner != account or name in mine:
                continue
            joined = self.probe.ask(principal, "iam:AddUserToGroup", group.arn)
            if joined.possible:
                data = with_member(self.data, principal, name)
                step = f"itself added to group {name}"
                yield from self._then(principal, data, "iam:AddUserToGroup", step, joined)

    def _then(
        self, principal: str, data: AwsInput, action: str, step: str, outcome: Outcome
    ) -> Iterator[Found]:
        """What `principal` can do once the change is made: per target, the first certain
        technique, else the first possible one."""
        changed = Techniques(Evaluator(data), self.facts, hypothetical=True)
        chosen: dict[str, Found] = {}
        for found in changed.direct(principal):
            kept = chosen.get(found.target)
            if kept is None or (found.outcome.certain and not kept.outcome.certain):
                chosen[found.target] = found
        for found in chosen.values():
            yield replace(
                found,
                actions=(action, *found.actions),
                what=f"{step}, then {found.what}",
                outcome=both(outcome, found.outcome),
            )

    def _groups_of(self, principal: str) -> list[Group]:
        user = self.data.users.get(principal)
        if user is None:
            return []
        account = self.scope.account(principal)
        return [g for n in user.groups if (g := self.data.groups.get((account, n))) is not None]


def _granting(policy: str | None, holder: str) -> str:
    """`AdministratorAccess attached to itself`, `an inline policy granting every action
    written into its group G`."""
    if policy is not None:
        return f"{policy.rsplit('/', 1)[-1]} attached to {holder}"
    return f"an inline policy granting every action written into {holder}"
