"""IAM policy evaluation: may this user or role make this request? `allow`, `deny` (explicit
or implicit, said which) or `conditional`, with the statements that decide it.

As AWS documents it ("Policy evaluation logic"), for a request by principal P:

- An applicable Deny anywhere (identity-based policies, permissions boundary, SCPs, the
  resource policy) denies (`explicit-deny`). A Deny that may apply makes an allow conditional.
- SCPs (when given, for P's account; never for service-linked roles): every level from the
  root to the account must allow.
- Same account: an identity-based allow within the permissions boundary, or a resource policy
  allow. A resource policy statement naming an IAM user, a role session or `*` grants past
  the identity policies and boundary; one naming a role ARN still needs the boundary; one
  naming the account (`:root`, an account id) delegates to identity policies and adds nothing.
- Another account: identity policy AND boundary AND a resource policy naming P, P's account
  or `*` must all allow.
- A role's trust policy (any `sts:` action on a role of the input) must always allow; a
  statement naming P itself needs P's boundary, one naming P's account also needs P's own
  identity-based allow; across accounts both are needed.
- Conditions whose keys the question does not set make a statement `conditional`, never
  true; so do policy variables without a known value, sessions the question does not name,
  and policies or groups the input references but does not hold.

On a user or role of the input, `aws:ResourceTag/<key>` and `iam:ResourceTag/<key>` are its
tags, a key it lacks absent (the input lists every tag); the question's context still wins.

A role is asked about as its sessions: `aws:username` is absent, `aws:userid` and principal
tags (sessions may carry their own) are undecided. The request context holds what the
principal's requests always carry (`aws:PrincipalArn`, `aws:PrincipalAccount`, a user's name,
id and tags...) plus what the question sets; every other key is undecided.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from drift.aws.arns import account_of, parse_arn
from drift.aws.conditions import ConditionTest, Truth, all_of, any_of
from drift.aws.documents import AwsInput
from drift.aws.policy import PolicyDocument, StatementRef
from drift.aws.principals import Principal, PrincipalKind, find_principal
from drift.aws.resources import policy_key
from drift.aws.statements import Request, Tally, Via, applies, names_principal, tally
from drift.aws.variables import KeyValue
from drift.errors import InputError
from drift.validation import did_you_mean


class Decision(enum.StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    CONDITIONAL = "conditional"


class Denial(enum.StrEnum):
    EXPLICIT = "explicit-deny"  # a Deny statement applies
    IMPLICIT = "implicit-deny"  # nothing (or not every required layer) allows it


@dataclass(frozen=True, kw_only=True)
class ConditionNote:
    """A condition the question leaves undecided, and the statement it belongs to."""

    statement: StatementRef
    test: ConditionTest

    def __str__(self) -> str:
        return f"{self.statement}: {self.test}"


@dataclass(frozen=True, kw_only=True)
class Answer:
    principal: str
    action: str
    resource: str
    decision: Decision
    denial: Denial | None = None
    statements: tuple[StatementRef, ...] = ()  # what decides it (none for an implicit deny)
    conditions: tuple[ConditionNote, ...] = ()
    reasons: tuple[str, ...] = ()


class UnknownPrincipalError(InputError):
    """A question about a principal that is not in the input."""


@dataclass(frozen=True, kw_only=True)
class _Layers:
    identity: Tally
    boundary: Tally | None
    scps: tuple[tuple[str, Tally], ...]
    resource: Mapping[Via, Tally]
    resource_deny: Tally
    resource_label: str | None  # "resource policy of X" / "trust policy of R"; None: none


class Evaluator:
    """Answers questions over one `AwsInput`; principals are resolved once and cached."""

    def __init__(self, data: AwsInput) -> None:
        self.data = data
        self._principals: dict[str, Principal] = {}
        self._tags: dict[str, Mapping[str, str] | None] = {}

    def principal(self, arn: str) -> Principal:
        found = self._principals.get(arn)
        if found is None:
            found = find_principal(self.data, arn)
            if found is None:
                known = [*self.data.users, *self.data.roles]
                raise UnknownPrincipalError(
                    [
                        f"principal {arn!r} is not a user or role in the input"
                        + did_you_mean(arn, known)
                    ]
                )
            self._principals[arn] = found
        return found

    def can(
        self,
        principal: str,
        action: str,
        resource: str,
        context: Mapping[str, KeyValue] | None = None,
        *,
        resource_account: str | None = None,
    ) -> Answer:
        """May `principal` (a user or role ARN in the input) do `action` on `resource` (an
        ARN, or `*` for actions that take none)? `context`: keys the question sets.
        `resource_account`: the resource's account where its ARN names none (an AMI) and the
        asker knows it."""
        who = self.principal(principal)
        request = Request(
            principal=who,
            action=action,
            resource=resource,
            context={k.lower(): v for k, v in (context or {}).items()},
            resource_tags=self.resource_tags(resource),
        )
        layers = self._layers(request)
        same = self._accounts(request, layers)
        if same is None and resource_account is not None:
            same = resource_account == who.account
        return _decide(request, layers, same)

    def resource_tags(self, resource: str) -> Mapping[str, str] | None:
        """The tags of a user or role of the input (keys in lower case, as condition keys
        ignore case), which its requests' `aws:ResourceTag/...` keys hold; None for any
        other resource, whose tags are not known."""
        try:
            return self._tags[resource]
        except KeyError:
            found = self.data.users.get(resource) or self.data.roles.get(resource)
            tags = None if found is None else {k.lower(): v for k, v in found.tags.items()}
            self._tags[resource] = tags
            return tags

    def _layers(self, request: Request) -> _Layers:
        who = request.principal
        identity = tally(who.identity.for_action(request.action_key), request)
        identity.unknown.extend(who.missing)
        boundary = None
        if who.boundary_arn is not None:
            boundary = Tally()
            if who.boundary is None:
                boundary.unknown.append(
                    f"permissions boundary {who.boundary_arn} is not in the input"
                )
            else:
                boundary = tally(who.boundary.for_action(request.action_key), request)
        label, document = self._resource_policy(request)
        by_via = {via: Tally() for via in Via}
        deny = Tally()
        if document is not None:
            _resource_tallies(document, request, by_via, deny)
        elif label is not None:  # a role whose trust policy is missing
            deny.unknown.append(f"the {label} is not in the input")
            by_via[Via.FREE].unknown.append(f"the {label} is not in the input")
        return _Layers(
            identity=identity,
            boundary=boundary,
            scps=self._scps(request),
            resource=by_via,
            resource_deny=deny,
            resource_label=label,
        )

    def _resource_policy(self, request: Request) -> tuple[str | None, PolicyDocument | None]:
        if _is_trust_question(request.action_key):
            role = self.data.roles.get(request.resource)
            if role is not None:
                return f"trust policy of {role.arn}", role.trust
        found = self.data.resource_policies.get(policy_key(request.resource))
        if found is None:
            return None, None
        return f"resource policy of {found.resource}", found.document

    def _scps(self, request: Request) -> tuple[tuple[str, Tally], ...]:
        who = request.principal
        if who.scp_exempt:
            return ()
        return tuple(
            (
                level.target,
                tally((s for p in level.policies for s in p.document.statements), request),
            )
            for level in self.data.scps.get(who.account, ())
        )

    def _accounts(self, request: Request, layers: _Layers) -> Truth:
        """Whether the resource is in the principal's account (None: not known)."""
        if layers.resource_label and layers.resource_label.startswith("trust policy of "):
            return account_of(request.resource) == request.principal.account
        found = self.data.resource_policies.get(policy_key(request.resource))
        account = (found.account if found else None) or account_of(request.resource)
        if account is None and len(self.data.accounts) == 1:
            account = next(iter(self.data.accounts))
        if account is None:
            return None if request.resource != "*" else True
        return account == request.principal.account


def _is_trust_question(action: str) -> bool:
    return action.startswith("sts:") and action != "sts:getcalleridentity"


def _resource_tallies(
    document: PolicyDocument, request: Request, by_via: dict[Via, Tally], deny: Tally
) -> None:
    for statement in document.statements:
        named, via = names_principal(statement, request.principal)
        if named is False:
            continue
        truth, tests, notes = applies(statement, request)
        if named is None and truth is not False:
            truth = None
            notes = (*notes, "its Principal names a session of the role")
        if statement.effect.value == "Deny":
            deny.add(statement, truth, tests, notes)
        else:
            by_via[via].add(statement, truth, tests, notes)


def _allowed(request: Request, layers: _Layers, same: bool) -> Truth:
    """Whether the layers together allow the request, explicit denies aside."""
    user = request.principal.kind is PrincipalKind.USER
    scp = all_of(t.allows for _, t in layers.scps)
    identity = layers.identity.allows
    boundary = True if layers.boundary is None else layers.boundary.allows
    free, role, account = (layers.resource[v].allows for v in (Via.FREE, Via.ROLE, Via.ACCOUNT))
    trust = bool(layers.resource_label and layers.resource_label.startswith("trust policy of "))
    if not same:
        return all_of([scp, identity, boundary, any_of([free, role, account])])
    if trust:
        through = any_of([free, role, all_of([account, identity])])
        return all_of([scp, boundary, through])
    if user:
        return all_of([scp, any_of([free, all_of([boundary, identity])])])
    return all_of([scp, any_of([free, all_of([boundary, any_of([identity, role])])])])


def _every(layers: _Layers) -> list[Tally]:
    found = [layers.identity, layers.resource_deny, *layers.resource.values()]
    found.extend(t for _, t in layers.scps)
    if layers.boundary is not None:
        found.append(layers.boundary)
    return found


def _decide(request: Request, layers: _Layers, same: Truth) -> Answer:
    tallies = _every(layers)
    denied = any_of(t.denies for t in tallies)
    if same is None:
        here, there = _allowed(request, layers, True), _allowed(request, layers, False)
        allowed = here if here == there else None
    else:
        allowed = _allowed(request, layers, same)
    if denied is True:
        refs = tuple(dict.fromkeys(r for t in tallies for r in t.deny))
        return _answer(request, Decision.DENY, denial=Denial.EXPLICIT, statements=refs)
    if allowed is False:
        reasons = tuple(_implicit_reasons(request, layers, same))
        return _answer(request, Decision.DENY, denial=Denial.IMPLICIT, reasons=reasons)
    if allowed is True and denied is False:
        refs = tuple(dict.fromkeys(r for t in tallies for r in t.allow))
        return _answer(request, Decision.ALLOW, statements=refs)
    return _conditional(request, same, tallies)


def _answer(
    request: Request,
    decision: Decision,
    *,
    denial: Denial | None = None,
    statements: tuple[StatementRef, ...] = (),
    reasons: tuple[str, ...] = (),
) -> Answer:
    return Answer(
        principal=request.principal.arn,
        action=request.action,
        resource=request.resource,
        decision=decision,
        denial=denial,
        statements=statements,
        reasons=reasons,
    )


def _conditional(request: Request, same: Truth, tallies: list[Tally]) -> Answer:
    opened = [o for t in tallies for o in (*t.allow_open, *t.deny_open)]
    refs = [r for t in tallies for r in t.allow] + [o.ref for o in opened]
    notes = [ConditionNote(statement=o.ref, test=test) for o in opened for test in o.tests]
    reasons = [f"{o.ref}: {note}" for o in opened for note in o.notes]
    reasons.extend(u for t in tallies for u in t.unknown)
    if same is None:
        reasons.append(
            f"the account of {request.resource} is not known, and the answer depends on it"
        )
    return Answer(
        principal=request.principal.arn,
        action=request.action,
        resource=request.resource,
        decision=Decision.CONDITIONAL,
        statements=tuple(dict.fromkeys(refs)),
        conditions=tuple(dict.fromkeys(notes)),
        reasons=tuple(dict.fromkeys(reasons)),
    )


def _implicit_reasons(request: Request, layers: _Layers, same: Truth) -> list[str]:
    who = request.principal
    reasons = []
    for target, level in layers.scps:
        if level.allows is False:
            reasons.append(f"no SCP attached at {target} allows it")
    if layers.boundary is not None and layers.boundary.allows is False:
        reasons.append(f"the permissions boundary {who.boundary_arn} does not allow it")
    if layers.identity.allows is False:
        reasons.append(f"no identity-based policy of {who.arn} allows it")
    label = layers.resource_label
    if label and not any(t.allows is not False for t in layers.resource.values()):
        reasons.append(f"the {label} does not allow it to {who.arn}")
    if same is False:
        reasons.append(
            f"{request.resource} is in another account than {who.arn}: an "
            "identity-based policy and a resource policy must both allow it"
        )
    arn = parse_arn(request.resource)
    if label is None and arn is not None and arn.service in _RESOURCE_POLICY_SERVICES:
        reasons.append(f"no resource policy of {policy_key(request.resource)} is in the input")
    return reasons


# Services whose resources can carry a resource-based policy (the common ones): for their
# resources, an implicit deny says that no such policy was read.
_RESOURCE_POLICY_SERVICES = frozenset(
    {
        "s3",
        "s3-object-lambda",
        "lambda",
        "sns",
        "sqs",
        "secretsmanager",
        "kms",
        "ecr",
        "glacier",
        "logs",
        "events",
        "backup",
        "es",
        "execute-api",
        "codeartifact",
        "elasticfilesystem",
        "glue",
        "iot",
        "dynamodb",
        "kinesis",
    }
)


@dataclass(frozen=True, kw_only=True)
class Question:
    principal: str
    action: str
    resource: str
    context: Mapping[str, KeyValue] = field(default_factory=dict)


def can(
    data: AwsInput,
    principal: str,
    action: str,
    resource: str,
    context: Mapping[str, KeyValue] | None = None,
) -> Answer:
    """One question over `data` (an `Evaluator` answers many faster)."""
    return Evaluator(data).can(principal, action, resource, context)
