"""The escalation techniques of one IAM principal P, each a `Found` (a target, the actions,
what they achieve, and the `Outcome` of asking the evaluator about them).

Every permission (target: P's account's administrator node, unbounded):

- `iam:CreatePolicyVersion` on a customer managed policy attached to P or to a group of P's:
  a new default version (setting it as default needs no other permission). A policy already
  holding five versions needs `iam:DeletePolicyVersion` too.
- `iam:AttachUserPolicy` / `iam:PutUserPolicy` on P itself (a user), `iam:AttachGroupPolicy` /
  `iam:PutGroupPolicy` on its groups, `iam:AttachRolePolicy` / `iam:PutRolePolicy` on P itself
  (a role). Attaching is asked with `iam:PolicyARN` set to AdministratorAccess, or to a customer
  policy of P's account granting every action, whichever the policies allow.
- The same writes on a user or role T that P can become (its trust policy, or a technique
  below): P makes T all-powerful, then becomes it. Writing onto a principal P cannot become
  gives P nothing, and is not counted.
- Whoever gains the permissions keeps its permissions boundary: with one that does not allow
  every action, the step is certain only if P can also delete that boundary.
- Changes that rewrite P's own permissions, then whatever the new permissions allow (the
  techniques above and below, asked again over the changed input, one change deep):
  `iam:SetDefaultPolicyVersion` on a policy of P's (each other version in turn), and
  `iam:AddUserToGroup` on any group of P's account (P a user).

Another principal T of P's account (target: T):

- `iam:UpdateAssumeRolePolicy` on role T: its trust policy rewritten to admit P, which then
  assumes it (P's boundary and SCPs still judge `sts:AssumeRole`).
- `iam:CreateAccessKey` on user T: certain only with `iam:DeleteAccessKey` too, since T may
  already hold two keys, the most IAM allows (the input does not say).
  `iam:CreateLoginProfile` / `iam:UpdateLoginProfile`: never certain: whether T has a console
  password (create needs none, update needs one) and an MFA device is not in the input.
- `iam:PassRole` on role T to a service T's trust policy admits, with the actions that make
  the service run code as T (`drift.aws.escalation_table.LAUNCHES`). EC2 runs a role only
  through an instance profile: T must have one in the input, or P must be able to create one
  and add T, or empty one the input lists and add T; only able to add T to some profile, it
  is not certain (a profile holding no role is not in the input).

Service-linked roles are never targets: IAM refuses to change their trust or policies. What
needs a resource the input does not describe (a Lambda function's code, an instance's SSM
agent) is left out. Deny wins: a step a Deny forbids leaves no escalation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from drift.aws.arns import account_of
from drift.aws.documents import AwsInput, Group, Role
from drift.aws.escalation_probe import (
    DENIED,
    GRANTED,
    Outcome,
    Prober,
    best,
    both,
    doubted,
    partition_of,
)
from drift.aws.escalation_table import (
    ADMINISTRATOR,
    INSTANCE_PROFILE,
    LAUNCHES,
    MAX_POLICY_VERSIONS,
    Launch,
    Route,
    Step,
    service_key,
)
from drift.aws.iam import Decision, Evaluator
from drift.aws.policy import Effect, PolicyDocument
from drift.aws.trust import TrustKind, TrustRelation
from drift.aws.whatif import admitting, rewritten_trust, with_default_version, with_member

_T = TypeVar("_T")
_WRITES = ("iam:AttachUserPolicy", "iam:PutUserPolicy", "iam:AttachRolePolicy", "iam:PutRolePolicy")
_MFA = "whether the user has an MFA device, which console sign-in would ask for, is not known"


def admin_id(account: str) -> str:
    """The node standing for every permission in `account`."""
    return f"aws-admin:{account}"


@dataclass(frozen=True, kw_only=True)
class Found:
    source: str
    target: str
    actions: tuple[str, ...]
    what: str
    outcome: Outcome
    unbounded: bool = False

    @property
    def via(self) -> str:
        text = f"{' + '.join(dict.fromkeys(self.actions))}: {self.what}"
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
    if relation.decision is Decision.ALLOW:
        return Outcome(decision=Decision.ALLOW, statements=(relation.statement, *relation.evidence))
    return Outcome(
        decision=Decision.CONDITIONAL,
        statements=(relation.statement, *relation.evidence),
        doubts=tuple(f"when {c}" for c in relation.conditions)
        or ("the trust policy may not admit it",),
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


class Techniques:
    """The techniques of the principals of one input (`hypothetical`: an input as a change
    would leave it, where no further change is followed)."""

    def __init__(self, evaluator: Evaluator, facts: Known, *, hypothetical: bool = False) -> None:
        self.data = evaluator.data
        self.evaluator = evaluator
        self.facts = facts
        self.hypothetical = hypothetical
        self.probe = Prober(evaluator)
        self._accounts: dict[str, tuple[list[str], list[str]]] = {}
        self._profile: tuple[Outcome, tuple[str, ...]] | None = None  # of the principal

    def of(self, principal: str) -> list[Found]:
        """Every escalation of `principal`; only those to the administrator node when one of
        them is certain (the administrator node's edges stand for the rest)."""
        self.probe.forget()
        self._profile = None
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
        for found in self._targets(principal):
            targets.append(found)
            yield found.target, found.outcome

    def direct(self, principal: str) -> Iterator[Found]:
        yield from self._every_permission(principal)
        yield from self._targets(principal)

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
        elif not self.data.roles[principal].service_linked:
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
        choices.extend(self.facts.admin_policies.get(self._account(principal), ()))
        return first_best(
            (self.probe.ask(principal, action, resource, (("iam:PolicyARN", p),)), p)
            for p in choices
        )

    def _boundary(self, principal: str, gaining: str) -> tuple[Outcome, tuple[str, ...]]:
        """What it takes for `gaining` to hold every permission it is granted, given its
        permissions boundary, and the actions that lift it."""
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

    # -- other principals ----------------------------------------------------------------------

    def _targets(self, principal: str) -> Iterator[Found]:
        yield from self._trust_rewrites(principal)
        yield from self._credentials(principal)
        yield from self._launches(principal)

    def _account(self, principal: str) -> str:
        return self.evaluator.principal(principal).account

    def _principals(self, account: str) -> tuple[list[str], list[str]]:
        """The users and the roles (but service-linked ones) of an account."""
        found = self._accounts.get(account)
        if found is None:
            users = sorted(u for u in self.data.users if account_of(u) == account)
            roles = sorted(
                arn
                for arn, role in self.data.roles.items()
                if account_of(arn) == account and not role.service_linked
            )
            found = self._accounts[account] = (users, roles)
        return found

    def _trust_rewrites(self, principal: str) -> Iterator[Found]:
        if not self.probe.may(principal, "iam:UpdateAssumeRolePolicy"):
            return
        account = self._account(principal)
        rewritten: Prober | None = None
        mine = rewritten_trust(principal)
        # Roles the same statements cover share answer objects: combine each pair once.
        combined: dict[tuple[int, int], Outcome] = {}
        for role in self._principals(account)[1]:
            if role == principal:
                continue
            outcome = self.probe.ask(principal, "iam:UpdateAssumeRolePolicy", role)
            if not outcome.possible:
                continue
            rewritten = rewritten or Prober(
                Evaluator(admitting(self.data, principal)), uniform_trust=True
            )
            assumed = rewritten.anywhere(principal, "sts:AssumeRole", role)
            key = (id(outcome), id(assumed))
            both_ = combined.get(key)
            if both_ is None:
                kept = tuple(s for s in assumed.statements if s != mine)
                both_ = combined[key] = both(outcome, replace(assumed, statements=kept))
            if not both_.possible:
                continue
            yield Found(
                source=principal,
                target=role,
                actions=("iam:UpdateAssumeRolePolicy", "sts:AssumeRole"),
                what=f"the trust policy of {role} rewritten to admit it",
                outcome=both_,
            )

    def _credentials(self, principal: str) -> Iterator[Found]:
        keys = self.probe.may(principal, "iam:CreateAccessKey")
        logins = self.probe.may(principal, "iam:CreateLoginProfile") or self.probe.may(
            principal, "iam:UpdateLoginProfile"
        )
        if not (keys or logins):
            return
        for user in self._principals(self._account(principal))[0]:
            if user == principal:
                continue
            if keys:
                yield from self._access_key(principal, user)
            if logins:
                yield from self._password(principal, user)

    def _access_key(self, principal: str, user: str) -> Iterator[Found]:
        created = self.probe.ask(principal, "iam:CreateAccessKey", user)
        if not created.possible:
            return
        deleted = self.probe.ask(principal, "iam:DeleteAccessKey", user)
        actions: tuple[str, ...] = ("iam:CreateAccessKey",)
        if deleted.certain:
            outcome = both(created, deleted)
            actions += ("iam:DeleteAccessKey",)
        else:
            outcome = doubted(
                created, "the user may already hold two access keys, the most IAM allows"
            )
        yield Found(
            source=principal,
            target=user,
            actions=actions,
            what=f"a new access key of {user}",
            outcome=outcome,
        )

    def _password(self, principal: str, user: str) -> Iterator[Found]:
        created = self.probe.ask(principal, "iam:CreateLoginProfile", user)
        updated = self.probe.ask(principal, "iam:UpdateLoginProfile", user)
        actions: tuple[str, ...]
        if created.possible and updated.possible:
            outcome = both(created, updated)
            actions = ("iam:CreateLoginProfile", "iam:UpdateLoginProfile")
        elif created.possible:
            outcome = doubted(created, "the user may already have a console password")
            actions = ("iam:CreateLoginProfile",)
        elif updated.possible:
            outcome = doubted(updated, "the user may have no console password to change")
            actions = ("iam:UpdateLoginProfile",)
        else:
            return
        yield Found(
            source=principal,
            target=user,
            actions=actions,
            what=f"a console password of {user}",
            outcome=doubted(outcome, _MFA),
        )

    def _launches(self, principal: str) -> Iterator[Found]:
        if not self.probe.may(principal, "iam:PassRole"):
            return
        account = self._account(principal)
        for launch in LAUNCHES:
            roles = self.facts.services.get((account, service_key(launch.principal)), {})
            if not roles:
                continue
            # Whether a route can be taken at all does not depend on the role passed.
            routes = [
                r
                for r in launch.routes
                if self._may_take(principal, r.steps)
                and self.probe.steps(principal, r.steps).possible
            ]
            if not routes:
                continue
            without_profile = not launch.needs_instance_profile or (
                self._new_profile(principal)[0].possible
            )
            for role, (trusted, as_named) in sorted(roles.items()):
                found = self.data.roles[role]
                if role == principal or found.service_linked:
                    continue
                if not (without_profile or found.instance_profiles):
                    continue
                launched = self._launch(principal, launch, routes, role, as_named)
                if launched is not None:
                    yield replace(launched, outcome=self.probe.both(launched.outcome, trusted))

    def _may_take(self, principal: str, steps: Iterable[Step]) -> bool:
        return all(self.probe.may(principal, s.action) for s in steps)

    def _launch(
        self, principal: str, launch: Launch, routes: list[Route], role: str, service: str
    ) -> Found | None:
        profile: tuple[Outcome, tuple[str, ...]] = (GRANTED, ())
        if launch.needs_instance_profile and not self.data.roles[role].instance_profiles:
            profile = self._new_profile(principal)
            if not profile[0].possible:
                return None
        chosen, route = first_best((self._route(principal, r, role, service), r) for r in routes)
        if route is None:
            return None
        return Found(
            source=principal,
            target=role,
            actions=("iam:PassRole", *(s.action for s in route.steps), *profile[1]),
            what=route.what.format(role=role),
            outcome=self.probe.both(chosen, profile[0]),
        )

    def _route(self, principal: str, route: Route, role: str, service: str) -> Outcome:
        outcome = self.probe.steps(principal, route.steps, role=role, passed_to=service)
        if route.doubt:
            outcome = doubted(outcome, route.doubt)
        if route.doubt_when_limited:
            who = self.evaluator.principal(principal)
            if who.boundary_arn is not None or (
                not who.scp_exempt and self.data.scps.get(who.account)
            ):
                outcome = doubted(outcome, route.doubt_when_limited)
        return outcome

    def _new_profile(self, principal: str) -> tuple[Outcome, tuple[str, ...]]:
        """What it takes to have an instance profile hold a role that is in none, and the
        actions (the same for every role: asked once per principal)."""
        if self._profile is None:
            outcome, actions = first_best(self._profile_options(principal))
            self._profile = (outcome, actions or ())
        return self._profile

    def _profile_options(self, principal: str) -> Iterator[tuple[Outcome, tuple[str, ...]]]:
        add = Step(action="iam:AddRoleToInstanceProfile", resource=INSTANCE_PROFILE)
        create = Step(action="iam:CreateInstanceProfile", resource=INSTANCE_PROFILE)
        yield self.probe.steps(principal, (create, add)), (create.action, add.action)
        for profile in self.facts.profiles.get(self._account(principal), ()):
            emptied = both(
                self.probe.ask(principal, "iam:RemoveRoleFromInstanceProfile", profile),
                self.probe.ask(principal, add.action, profile),
            )
            yield emptied, ("iam:RemoveRoleFromInstanceProfile", add.action)
        added = self.probe.steps(principal, (add,))
        doubt = "it needs an instance profile holding no role, which the input would not list"
        yield doubted(added, doubt), (add.action,)

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
            target=admin_id(self._account(principal)),
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
        if role is None or role.service_linked:
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
        account = self._account(principal)
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
        account = self._account(principal)
        return [g for n in user.groups if (g := self.data.groups.get((account, n))) is not None]


def _granting(policy: str | None, holder: str) -> str:
    """`AdministratorAccess attached to itself`, `an inline policy granting every action
    written into its group G`."""
    if policy is not None:
        return f"{policy.rsplit('/', 1)[-1]} attached to {holder}"
    return f"an inline policy granting every action written into {holder}"


def first_best(options: Iterable[tuple[Outcome, _T]]) -> tuple[Outcome, _T | None]:
    """The first certain option (the rest are not asked), else the first possible one."""
    found: tuple[Outcome, _T | None] = (DENIED, None)
    for outcome, value in options:
        if outcome.certain:
            return outcome, value
        if outcome.possible and not found[0].possible:
            found = (outcome, value)
    return found
