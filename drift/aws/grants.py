"""Who may do which of a few actions on one resource: the `can` edges of buckets and other data
stores (`drift.aws.graph`, `drift.aws.data_access`).

Most principals of a large account are allowed nothing on a given resource; asking the full
evaluation for each of them dominates the model's cost. A principal is asked about an action
only when one of its Allow identity statements names the action and a Resource that may cover
the resource (a NotResource, or a pattern with a policy variable, may), or when the resource has
a resource policy (which may grant past the identity policies). This never leaves out an
`allow`: one needs an applicable Allow in the identity policies or the resource policy. And a
resource pattern is not asked about actions the principal already holds on every resource of
the kind, unless something of the principal's may deny (see `Grants.of`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping

from drift.aws.documents import AwsInput, Group, Role, User
from drift.aws.iam import Decision, Evaluator
from drift.aws.patterns import arn_matches
from drift.aws.policy import Effect, PolicyDocument
from drift.aws.resources import policy_key
from drift.aws.variables import has_variables
from drift.model import CanEdge, Evidence, SystemGraph

Grant = tuple[str, list[str], tuple[Evidence, ...]]


def add_grants(graph: SystemGraph, target: str, found: Iterable[Grant]) -> None:
    """A `can` edge to `target` for each grant."""
    for principal, allowed, evidence in found:
        graph.add_edge(
            CanEdge(source=principal, target=target, actions=frozenset(allowed), evidence=evidence)
        )


class Grants:
    """Answers over one evaluator; the Allow statements of every principal are indexed once
    per action, by Resource pattern."""

    def __init__(self, evaluator: Evaluator) -> None:
        self.evaluator = evaluator
        self._covering: dict[tuple[str, str], frozenset[str]] = {}
        self._indexes: dict[str, tuple[set[str], dict[str, set[str]]]] = {}

    def of(
        self,
        principals: Iterable[str],
        actions: Iterable[str],
        resource: str,
        *,
        implied: Mapping[str, frozenset[str]] | None = None,
    ) -> Iterator[Grant]:
        """(principal, the actions it is allowed, the statements allowing them) for each
        principal allowed at least one of `actions` on `resource`.

        `implied`: actions each principal is allowed on every resource of the kind; on a
        resource pattern without a resource policy they are left out, unless a Deny of the
        principal may cover the resource (an allow on every resource comes from statements
        whose Resource is all wildcard, which cover any pattern too): the edge to every
        resource already says them."""
        actions = tuple(actions)
        governed = policy_key(resource) in self.evaluator.data.resource_policies
        for principal in principals:
            allowed: list[str] = []
            statements: dict[str, None] = {}
            already = (implied or {}).get(principal, frozenset())
            for action in actions:
                if not governed and action in already and not self._may_deny(principal, action):
                    continue
                if not governed and not self._may_allow(principal, action, resource):
                    continue
                answer = self.evaluator.can(principal, action, resource)
                if answer.decision is Decision.ALLOW:
                    allowed.append(action)
                    statements.update({str(s): None for s in answer.statements})
            if allowed:
                yield principal, allowed, tuple(Evidence(text=e) for e in statements)

    @functools.cache  # noqa: B019 (one Grants per model, dropped with it)
    def _may_deny(self, principal: str, action: str) -> bool:
        """Whether anything may deny `action` to the principal where its allow on every
        resource does not reach: a Deny of its identity policies, or a permissions boundary or
        SCPs (not looked into)."""
        who = self.evaluator.principal(principal)
        if who.boundary_arn is not None or self.evaluator.data.scps.get(who.account):
            return True
        return any(
            s.effect is Effect.DENY and s.covers_action(action.lower())
            for s in who.identity.for_action(action.lower())
        )

    def _may_allow(self, principal: str, action: str, resource: str) -> bool:
        return principal in self._candidates(action, resource)

    def _candidates(self, action: str, resource: str) -> frozenset[str]:
        """The principals with an Allow statement for `action` that may cover `resource`,
        found through each distinct Resource pattern once rather than per principal."""
        key = (action, resource)
        found = self._covering.get(key)
        if found is None:
            anywhere, by_pattern = self._index(action)
            matched = [who for p, who in by_pattern.items() if arn_matches(p, resource)]
            found = self._covering[key] = frozenset(anywhere.union(*matched))
        return found

    def _index(self, action: str) -> tuple[set[str], dict[str, set[str]]]:
        """For `action`: the principals with an Allow that may cover any resource (`*`,
        NotResource, a policy variable), and those of each other Resource pattern."""
        found = self._indexes.get(action)
        if found is None:
            anywhere: set[str] = set()
            by_pattern: dict[str, set[str]] = {}
            key = action.lower()
            for principal in [*self.evaluator.data.users, *self.evaluator.data.roles]:
                who = self.evaluator.principal(principal)
                for statement in who.identity.for_action(key):
                    if statement.effect is not Effect.ALLOW or not statement.covers_action(key):
                        continue
                    patterns = statement.resources or ()
                    open_ended = statement.any_resource or statement.not_resource or not patterns
                    if open_ended or any(has_variables(p) for p in patterns):
                        anywhere.add(principal)
                    else:
                        for pattern in patterns:
                            by_pattern.setdefault(pattern, set()).add(principal)
            found = self._indexes[action] = (anywhere, by_pattern)
        return found


def identity_documents(data: AwsInput) -> Iterator[PolicyDocument]:
    """The identity policies that grant someone something: inline ones, and the managed
    policies attached to a user, role or group (an unattached policy grants nothing, so the
    resources it names are not drawn)."""
    holders: list[User | Role | Group] = [*data.users.values(), *data.roles.values()]
    holders += data.groups.values()
    attached: set[str] = set()
    for holder in holders:
        yield from (inline.document for inline in holder.inline)
        attached.update(holder.attached)
    for arn in sorted(attached):
        policy = data.policies.get(arn)
        if policy is not None:
            yield policy.document
