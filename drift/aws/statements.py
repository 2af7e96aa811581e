"""Whether one statement applies to one request, in three values, and the tallies of the
statements of one policy layer (identity, boundary, an SCP level, a resource policy)."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from drift.aws.arns import root_account, session_role
from drift.aws.conditions import ConditionTest, Truth, all_of, any_of, evaluate
from drift.aws.patterns import arn_matches
from drift.aws.policy import Effect, Principals, Statement, StatementRef
from drift.aws.principals import Principal, PrincipalKind
from drift.aws.variables import KeyValue, Missing, has_variables, substitute

# The keys naming a tag of the requested resource: `aws:ResourceTag/<key>` for any resource,
# `iam:ResourceTag/<key>` for IAM's (the same tags for a user or role).
RESOURCE_TAG_PREFIXES = ("aws:resourcetag/", "iam:resourcetag/")


@dataclass(frozen=True, kw_only=True)
class Request:
    """One request: `action` as asked, `resource` (an ARN or `*`), and the context keys the
    question sets (lower-case names), over the resource's tags (`resource_tags`, lower-case
    keys, when the resource is a user or role of the input: every one is known) and what the
    principal's own requests carry."""

    principal: Principal
    action: str
    resource: str
    context: Mapping[str, KeyValue] = field(default_factory=dict)
    resource_tags: Mapping[str, str] | None = None

    @property
    def action_key(self) -> str:
        return self.action.lower()

    def lookup(self, key: str) -> KeyValue:
        name = key.lower()
        found = self.context.get(name)
        if found is not None:
            return found
        if self.resource_tags is not None and name.startswith(RESOURCE_TAG_PREFIXES):
            tag = self.resource_tags.get(name.partition("/")[2])
            return Missing.ABSENT if tag is None else (tag,)
        return self.principal.key(name)


@dataclass(frozen=True, kw_only=True)
class OpenStatement:
    """A statement that applies or not depending on what the question does not say: the
    conditions it leaves undecided, and other reasons (a policy variable in its Resource)."""

    ref: StatementRef
    tests: tuple[ConditionTest, ...] = ()
    notes: tuple[str, ...] = ()


Applies = tuple[Truth, tuple[ConditionTest, ...], tuple[str, ...]]


def applies(statement: Statement, request: Request) -> Applies:
    """Whether `statement` covers the request's action and resource and its conditions hold
    (principals aside), with the conditions and other reasons that leave it undecided."""
    if not statement.covers_action(request.action_key):
        return False, (), ()
    resource = _resource(statement, request)
    if resource is False:
        return False, (), ()
    results = [
        (t, evaluate(t, request.lookup, variables=statement.variables))
        for t in statement.conditions
    ]
    if any(r is False for _, r in results):
        return False, (), ()
    undecided = tuple(t for t, r in results if r is None)
    notes = () if resource else ("its Resource uses a policy variable the question leaves open",)
    return all_of([resource, None if undecided else True]), undecided, notes


def _resource(statement: Statement, request: Request) -> Truth:
    if statement.any_resource:
        return True
    assert statement.resources is not None
    found: list[Truth] = []
    for pattern in statement.resources:
        if not (statement.variables and has_variables(pattern)):
            found.append(arn_matches(pattern, request.resource))
            continue
        substituted = substitute(pattern, request.lookup)
        if substituted is None:
            return False  # a variable without a value: the statement is invalid
        text, uncertain = substituted
        matched = arn_matches(text, request.resource, escaped=True)
        found.append(None if matched and uncertain else matched)
    covered = any_of(found)
    if statement.not_resource:
        return None if covered is None else not covered
    return covered


class Via(enum.Enum):
    """How a resource policy's statement names the principal: directly (its user ARN, any
    caller `*`, a session), by its role ARN, or by its account (a delegation)."""

    FREE = "free"
    ROLE = "role"
    ACCOUNT = "account"


def names_principal(statement: Statement, principal: Principal) -> tuple[Truth, Via]:
    """Whether a resource or trust policy statement's Principal/NotPrincipal covers
    `principal` (a session of it, for a role), and how."""
    listed = statement.principals
    if listed is None:
        return False, Via.FREE
    if statement.not_principal:
        if statement.effect is Effect.DENY and principal.boundary_arn is not None:
            return True, Via.FREE  # AWS: such a Deny applies to any principal with a boundary
        excluded = _excluded(listed, principal)
        return (None if excluded is None else not excluded), Via.FREE
    if listed.anyone:
        return True, Via.FREE
    best: tuple[Truth, Via] = (False, Via.FREE)
    for entry in listed.aws:
        found = _entry(entry, principal)
        if found is not None and _better(found, best):
            best = found
    return best


def _entry(entry: str, principal: Principal) -> tuple[Truth, Via] | None:
    if entry in (principal.arn, principal.unique_id):
        return True, Via.FREE if principal.kind is PrincipalKind.USER else Via.ROLE
    if root_account(entry) == principal.account:
        return True, Via.ACCOUNT
    session = session_role(entry)
    if (
        session
        and principal.kind is PrincipalKind.ROLE
        and session[:2]
        == (
            principal.account,
            principal.name,
        )
    ):
        return None, Via.FREE  # one session of the role: which one is not in the question
    return None


def _better(found: tuple[Truth, Via], best: tuple[Truth, Via]) -> bool:
    rank = {True: 2, None: 1, False: 0}
    order = {Via.FREE: 2, Via.ROLE: 1, Via.ACCOUNT: 0}
    return (rank[found[0]], order[found[1]]) > (rank[best[0]], order[best[1]])


def _excluded(listed: Principals, principal: Principal) -> Truth:
    """NotPrincipal spares a caller only when it lists the caller's whole chain: a user and
    its account; a role session, its role and its account."""
    names = set(listed.aws)
    account = any(root_account(n) == principal.account for n in names)
    itself = principal.arn in names or principal.unique_id in names
    if principal.kind is PrincipalKind.USER:
        return account and itself
    sessions = any(
        (s := session_role(n)) is not None and s[:2] == (principal.account, principal.name)
        for n in names
    )
    return None if account and itself and sessions else False


@dataclass
class Tally:
    """What the statements of one layer say about a request."""

    allow: list[StatementRef] = field(default_factory=list)
    allow_open: list[OpenStatement] = field(default_factory=list)
    deny: list[StatementRef] = field(default_factory=list)
    deny_open: list[OpenStatement] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # unresolved references: may do either

    def add(
        self,
        statement: Statement,
        truth: Truth,
        tests: tuple[ConditionTest, ...] = (),
        notes: tuple[str, ...] = (),
    ) -> None:
        if truth is False:
            return
        allow = statement.effect is Effect.ALLOW
        if truth:
            (self.allow if allow else self.deny).append(statement.ref)
        else:
            found = OpenStatement(ref=statement.ref, tests=tests, notes=notes)
            (self.allow_open if allow else self.deny_open).append(found)

    @property
    def allows(self) -> Truth:
        if self.allow:
            return True
        return None if self.allow_open or self.unknown else False

    @property
    def denies(self) -> Truth:
        if self.deny:
            return True
        return None if self.deny_open or self.unknown else False


def tally(statements: Iterable[Statement], request: Request) -> Tally:
    found = Tally()
    for statement in statements:
        found.add(statement, *applies(statement, request))
    return found
