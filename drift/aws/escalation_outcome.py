"""The answer to "can a principal take these steps?": `Outcome`, in three values (allow:
certain; conditional: possible, with the doubts that keep it from certain; deny), with the
statements behind it and the changes made before the steps (`Prepared`: a user or role
tagged), and how outcomes combine (`both`, `best`, `doubted`, `first_best`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TypeVar

from drift.aws.iam import Answer, Decision
from drift.aws.policy import StatementRef

_T = TypeVar("_T")


@dataclass(frozen=True, kw_only=True)
class Prepared:
    """A change the principal makes before the steps so that they are allowed: `action`
    (`iam:TagUser`, `iam:TagRole`) on `resource`, setting `tags` (key, value)."""

    action: str
    resource: str
    tags: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        kind = "user" if ":user/" in self.resource else "role"
        name = self.resource.rsplit("/", 1)[-1]
        return f"{kind} {name} tagged {', '.join(f'{k}={v}' for k, v in self.tags)} first"


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """Whether some steps can be taken: `allow` (certain), `conditional` (possible: `doubts`
    say why not certain) or `deny`, with the statements behind it and what is `prepared`
    before the steps."""

    decision: Decision
    statements: tuple[StatementRef, ...] = ()
    doubts: tuple[str, ...] = ()
    prepared: tuple[Prepared, ...] = ()

    @property
    def possible(self) -> bool:
        return self.decision is not Decision.DENY

    @property
    def certain(self) -> bool:
        return self.decision is Decision.ALLOW


DENIED = Outcome(decision=Decision.DENY)
GRANTED = Outcome(decision=Decision.ALLOW)  # nothing to ask


def of_answer(answer: Answer) -> Outcome:
    if answer.decision is Decision.DENY:
        return DENIED
    doubts = [f"when {note.test}" for note in answer.conditions]
    doubts.extend(answer.reasons if answer.decision is Decision.CONDITIONAL else ())
    return Outcome(
        decision=answer.decision,
        statements=answer.statements,
        doubts=tuple(dict.fromkeys(doubts)),
    )


def both(*outcomes: Outcome) -> Outcome:
    """Every one of them: denied if one is, certain only if all are."""
    if any(o.decision is Decision.DENY for o in outcomes):
        return DENIED
    certain = all(o.certain for o in outcomes)
    return Outcome(
        decision=Decision.ALLOW if certain else Decision.CONDITIONAL,
        statements=tuple(dict.fromkeys(s for o in outcomes for s in o.statements)),
        doubts=tuple(dict.fromkeys(d for o in outcomes for d in o.doubts)),
        # Steps needing different values of one tag are still possible: each retags first.
        prepared=tuple(dict.fromkeys(p for o in outcomes for p in o.prepared)),
    )


def best(outcomes: Iterable[Outcome]) -> Outcome:
    """The first certain one, else the first possible one, else denied."""
    found = DENIED
    for outcome in outcomes:
        if outcome.certain:
            return outcome
        if outcome.possible and not found.possible:
            found = outcome
    return found


def doubted(outcome: Outcome, why: str) -> Outcome:
    if not outcome.possible:
        return outcome
    return replace(
        outcome,
        decision=Decision.CONDITIONAL,
        doubts=tuple(dict.fromkeys((*outcome.doubts, why))),
    )


def first_best(options: Iterable[tuple[Outcome, _T]]) -> tuple[Outcome, _T | None]:
    """The first certain option (the rest are not asked), else the first possible one."""
    found: tuple[Outcome, _T | None] = (DENIED, None)
    for outcome, value in options:
        if outcome.certain:
            return outcome, value
        if outcome.possible and not found[0].possible:
            found = (outcome, value)
    return found
