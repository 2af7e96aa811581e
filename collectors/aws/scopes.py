"""Reading AWS one scope at a time, and writing down what happened to each.

A scope is one IAM action in one account and region: `aws:<account>/<region>/<action>`,
with `global` for the account-wide services (IAM, S3). Naming the IAM action tells an
operator which permission a forbidden scope lacks. A read either gives its value (ok), or
records forbidden / failed / not installed and gives nothing, so a caller can only leave
the section out: what could not be read is never an empty list.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from drift.collect import ScopeOutcome, ScopeStatus

from .failures import FAILURES, classify

log = logging.getLogger(__name__)

T = TypeVar("T")
K = TypeVar("K")
GLOBAL = "global"
_NAMED = 5  # resources named in a detail before "and N more"


def scope_name(account: str, region: str, action: str) -> str:
    return f"aws:{account}/{region}/{action}"


@dataclass(frozen=True)
class Read(Generic[T]):
    """A value read, and what to say about it (counts, pages)."""

    value: T
    detail: str = ""


@dataclass
class ScopeLog:
    """Every scope's outcome, in the order read, and warnings for a person."""

    outcomes: list[ScopeOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def record(self, scope: str, status: ScopeStatus, detail: str) -> None:
        self.outcomes.append(ScopeOutcome(scope=scope, status=status, detail=detail))
        if status is ScopeStatus.OK:
            log.debug("%s: %s", scope, detail, extra={"scope": scope})
        else:
            log.warning("%s: %s: %s", scope, status, detail, extra={"scope": scope})


@dataclass(frozen=True)
class Reader:
    """Reads the scopes of one account in one region (or `global`)."""

    log: ScopeLog
    account: str
    region: str

    def scope(self, action: str) -> str:
        return scope_name(self.account, self.region, action)

    def read(self, action: str, fetch: Callable[[], Read[T]], *, empty: T) -> T | None:
        """`fetch`'s value (ok); `empty` where the service is not installed here; None when
        the scope is forbidden or failed."""
        try:
            result = fetch()
        except FAILURES as error:
            status, detail = classify(error)
            self.log.record(self.scope(action), status, detail)
            return empty if status is ScopeStatus.NOT_INSTALLED else None
        self.log.record(self.scope(action), ScopeStatus.OK, result.detail)
        return result.value

    def read_each(
        self, action: str, items: Iterable[K], fetch: Callable[[K], T], name: Callable[[K], str]
    ) -> list[tuple[K, T]] | None:
        """`fetch` of every item, as one scope: each item with its value, in order, when
        every item was read (ok). Else None, and the scope takes the status of the failures
        (failed if they differ) and names the items not read: a section built from a
        partial read would say that what was not read does not exist."""
        done: list[tuple[K, T]] = []
        missed: list[tuple[str, ScopeStatus, str]] = []
        for item in items:
            try:
                done.append((item, fetch(item)))
            except FAILURES as error:
                missed.append((name(item), *classify(error)))
        if not missed:
            self.log.record(self.scope(action), ScopeStatus.OK, f"{len(done)} read")
            return done
        statuses = {status for _, status, _ in missed}
        status = statuses.pop() if len(statuses) == 1 else ScopeStatus.FAILED
        if status is ScopeStatus.NOT_INSTALLED:
            status = ScopeStatus.FAILED  # some items were read: the service is there
        names = ", ".join(n for n, _, _ in missed[:_NAMED])
        more = f" and {len(missed) - _NAMED} more" if len(missed) > _NAMED else ""
        total = len(done) + len(missed)
        detail = f"{len(missed)} of {total} not read ({names}{more}): {missed[0][2]}"
        self.log.record(self.scope(action), status, detail)
        return None

    def skip(self, action: str, needs: str) -> None:
        """A scope not read because the read it needs was forbidden or failed."""
        detail = f"not read: it needs {needs}, which could not be read"
        self.log.record(self.scope(action), ScopeStatus.FAILED, detail)
