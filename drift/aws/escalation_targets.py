"""Escalation to one other principal T of P's account (the edge P -> T).

- `iam:UpdateAssumeRolePolicy` on role T: its trust policy rewritten to admit P, which then
  assumes it (P's boundary and SCPs still judge `sts:AssumeRole`, in the region it picks).
- `iam:CreateAccessKey` on user T: certain only with `iam:DeleteAccessKey` too, since T may
  already hold two keys, the most IAM allows (the input does not say).
  `iam:CreateLoginProfile` / `iam:UpdateLoginProfile`: never certain: whether T has a console
  password (create needs none, update needs one) and an MFA device is not in the input.
- `iam:PassRole` on role T to a service T's trust policy admits, with the actions that make
  the service run code as T (`drift.aws.escalation_table.LAUNCHES`). EC2 runs a role only
  through an instance profile: T must have one in the input, or P must be able to create one
  and add T, or empty one the input lists and add T; only able to add T to some profile, it
  is not certain (a profile holding no role is not in the input, which lists profiles through
  their roles).

Service-linked roles are never targets: IAM refuses to change their trust or policies.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from drift.aws.escalation_base import Found, Scope
from drift.aws.escalation_outcome import GRANTED, Outcome, both, doubted, first_best
from drift.aws.escalation_probe import Prober
from drift.aws.escalation_table import (
    INSTANCE_PROFILE,
    LAUNCHES,
    Launch,
    Route,
    Step,
    service_key,
)
from drift.aws.iam import Evaluator
from drift.aws.whatif import admitting, rewritten_trust

_MFA = "whether the user has an MFA device, which console sign-in would ask for, is not known"


class Targets:
    """The techniques from a principal to others, over one `Scope`."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def of(self, principal: str) -> Iterator[Found]:
        yield from self._trust_rewrites(principal)
        yield from self._credentials(principal)
        yield from self._launches(principal)

    def _trust_rewrites(self, principal: str) -> Iterator[Found]:
        if not self.scope.probe.may(principal, "iam:UpdateAssumeRolePolicy"):
            return
        account = self.scope.account(principal)
        rewritten: Prober | None = None
        mine = rewritten_trust(principal)
        # Roles the same statements cover share answer objects: combine each pair once.
        combined: dict[tuple[int, int], Outcome] = {}
        for role in self.scope.principals(account)[1]:
            if role == principal:
                continue
            outcome = self.scope.probe.ask(principal, "iam:UpdateAssumeRolePolicy", role)
            if not outcome.possible:
                continue
            rewritten = rewritten or Prober(
                Evaluator(admitting(self.scope.data, principal)), uniform_trust=True
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
        keys = self.scope.probe.may(principal, "iam:CreateAccessKey")
        logins = self.scope.probe.may(principal, "iam:CreateLoginProfile") or self.scope.probe.may(
            principal, "iam:UpdateLoginProfile"
        )
        if not (keys or logins):
            return
        for user in self.scope.principals(self.scope.account(principal))[0]:
            if user == principal:
                continue
            if keys:
                yield from self._access_key(principal, user)
            if logins:
                yield from self._password(principal, user)

    def _access_key(self, principal: str, user: str) -> Iterator[Found]:
        created = self.scope.probe.ask(principal, "iam:CreateAccessKey", user)
        if not created.possible:
            return
        deleted = self.scope.probe.ask(principal, "iam:DeleteAccessKey", user)
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
        created = self.scope.probe.ask(principal, "iam:CreateLoginProfile", user)
        updated = self.scope.probe.ask(principal, "iam:UpdateLoginProfile", user)
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
        if not self.scope.probe.may(principal, "iam:PassRole"):
            return
        account = self.scope.account(principal)
        for launch in LAUNCHES:
            roles = self.scope.facts.services.get((account, service_key(launch.principal)), {})
            if not roles:
                continue
            # Whether a route can be taken at all does not depend on the role passed.
            routes = [
                r
                for r in launch.routes
                if self._may_take(principal, r.steps)
                and self.scope.probe.steps(principal, r.steps).possible
            ]
            if not routes:
                continue
            without_profile = not launch.needs_instance_profile or (
                self._new_profile(principal)[0].possible
            )
            for role, (trusted, as_named) in sorted(roles.items()):
                found = self.scope.data.roles[role]
                if role == principal or found.protected:
                    continue
                if not (without_profile or found.instance_profiles):
                    continue
                launched = self._launch(principal, launch, routes, role, as_named)
                if launched is not None:
                    yield replace(
                        launched, outcome=self.scope.probe.both(launched.outcome, trusted)
                    )

    def _may_take(self, principal: str, steps: Iterable[Step]) -> bool:
        return all(self.scope.probe.may(principal, s.action) for s in steps)

    def _launch(
        self, principal: str, launch: Launch, routes: list[Route], role: str, service: str
    ) -> Found | None:
        profile: tuple[Outcome, tuple[str, ...]] = (GRANTED, ())
        if launch.needs_instance_profile and not self.scope.data.roles[role].instance_profiles:
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
            outcome=self.scope.probe.both(chosen, profile[0]),
        )

    def _route(self, principal: str, route: Route, role: str, service: str) -> Outcome:
        outcome = self.scope.probe.steps(principal, route.steps, role=role, passed_to=service)
        if route.doubt:
            outcome = doubted(outcome, route.doubt)
        if route.doubt_when_limited:
            who = self.scope.evaluator.principal(principal)
            if who.boundary_arn is not None or (
                not who.scp_exempt and self.scope.data.scps.get(who.account)
            ):
                outcome = doubted(outcome, route.doubt_when_limited)
        return outcome

    def _new_profile(self, principal: str) -> tuple[Outcome, tuple[str, ...]]:
        """What it takes to have an instance profile hold a role that is in none, and the
        actions (the same for every role: asked once per principal)."""
        if self.scope.profile is None:
            outcome, actions = first_best(self._profile_options(principal))
            self.scope.profile = (outcome, actions or ())
        return self.scope.profile

    def _profile_options(self, principal: str) -> Iterator[tuple[Outcome, tuple[str, ...]]]:
        add = Step(action="iam:AddRoleToInstanceProfile", resource=INSTANCE_PROFILE)
        create = Step(action="iam:CreateInstanceProfile", resource=INSTANCE_PROFILE)
        yield self.scope.probe.steps(principal, (create, add)), (create.action, add.action)
        for profile in self.scope.facts.profiles.get(self.scope.account(principal), ()):
            emptied = both(
                self.scope.probe.ask(principal, "iam:RemoveRoleFromInstanceProfile", profile),
                self.scope.probe.ask(principal, add.action, profile),
            )
            yield emptied, ("iam:RemoveRoleFromInstanceProfile", add.action)
        added = self.scope.probe.steps(principal, (add,))
        doubt = "it needs an instance profile holding no role, which the input would not list"
        yield doubted(added, doubt), (add.action,)
