"""The records the store keeps, and the protocol every store implements."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class FindingStatus(enum.StrEnum):
    NEW = "new"  # first seen in the latest run
    OPEN = "open"  # seen again (persisting)
    UNVERIFIABLE = "unverifiable"  # open, but the data behind it could not be collected
    RESOLVED = "resolved"  # no longer seen, and the data behind it was collected


OPEN_STATUSES = frozenset({FindingStatus.NEW, FindingStatus.OPEN, FindingStatus.UNVERIFIABLE})

# A run's count of the findings it made new, per kind and severity: `new:<kind>:<severity>`
# (kinds and severities hold no colon).
NEW_COUNT_PREFIX = "new:"


def new_count_key(kind: str, severity: str) -> str:
    return f"{NEW_COUNT_PREFIX}{kind}:{severity}"


def parse_new_count_key(key: str) -> tuple[str, str] | None:
    """(kind, severity) of a `new:<kind>:<severity>` key; None for any other key."""
    if not key.startswith(NEW_COUNT_PREFIX):
        return None
    kind, colon, severity = key[len(NEW_COUNT_PREFIX) :].rpartition(":")
    return (kind, severity) if colon and kind and severity else None


class RunOutcome(enum.StrEnum):
    OK = "ok"  # every scope collected
    INCOMPLETE = "incomplete"  # some scope forbidden or failed: nothing it covers resolves
    FAILED = "failed"  # nothing usable collected; findings untouched


@dataclass(frozen=True, kw_only=True)
class BaselineRecord:
    """One version of a baseline document as approved (or merely seen, when not approved)."""

    name: str
    version: str
    sha256: str
    content: str
    recorded_at: datetime
    approved_by: str | None = None
    approved_at: datetime | None = None
    note: str = ""

    @property
    def approved(self) -> bool:
        return self.approved_by is not None


@dataclass(frozen=True, kw_only=True)
class RunRecord:
    id: str  # a UUID
    target: str
    started_at: datetime
    finished_at: datetime
    outcome: RunOutcome
    source: str = ""
    baseline_name: str = ""
    baseline_version: str = ""
    baseline_sha256: str = ""
    scopes: Sequence[Mapping[str, str]] = ()  # [{"scope", "status", "detail"}]
    # Findings per status ("new", "open", ...), "findings", "unknowns", and the new findings
    # per kind and severity as "new:<kind>:<severity>" (what drift_findings_new_total sums).
    counts: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class FindingState:
    """A finding as the store keeps it: identity (target + fingerprint), its latest content,
    and where it is in its lifecycle."""

    target: str
    fingerprint: str
    kind: str
    severity: str
    subjects: tuple[str, ...]
    title: str
    status: FindingStatus
    first_seen: datetime
    last_seen: datetime
    detail: str = ""
    clause: str = ""
    baseline_version: str = ""
    evidence: Sequence[Mapping[str, Any]] = ()  # [{"text", "source"?}]
    location: Mapping[str, Any] | None = None
    zone: str = ""
    path: Sequence[Mapping[str, Any]] = ()  # [{"source", "relation", "target", "evidence"}]
    resolved_at: datetime | None = None
    run_id: str = ""  # the run that last changed it


@dataclass(frozen=True, kw_only=True)
class AcceptedRisk:
    """A finding someone accepted, for a reason, with an owner, until a date; expiry re-opens
    it (and notifies again)."""

    fingerprint: str
    reason: str
    owner: str
    until: datetime
    accepted_at: datetime
    target: str | None = None  # None: on every target with this fingerprint


class Store(Protocol):
    def close(self) -> None:
        """Release connections (and locks still held)."""

    def migrate(self) -> None:
        """Bring the schema up to date (idempotent)."""

    def record_baseline(self, record: BaselineRecord) -> None:
        """Keep a baseline version; recording the same content (sha256) again only updates
        its approval."""

    def baselines(self, name: str) -> list[BaselineRecord]:
        """Every recorded version of `name`, oldest first."""

    def latest_approved(self, name: str) -> BaselineRecord | None: ...

    def open_findings(self, target: str) -> dict[str, FindingState]:
        """Findings of `target` that are new, open or unverifiable, by fingerprint."""

    def commit_run(self, run: RunRecord, states: Sequence[FindingState]) -> None:
        """Write one run and every finding state it decided, in one transaction: killed
        half-way, the store keeps the previous state intact."""

    def findings(
        self, *, target: str | None = None, statuses: frozenset[FindingStatus] | None = None
    ) -> list[FindingState]: ...

    def accept(self, risk: AcceptedRisk) -> None: ...

    def accepted(self, at: datetime) -> dict[str, AcceptedRisk]:
        """Acceptances still in force at `at`, by fingerprint."""

    def runs(
        self,
        *,
        target: str | None = None,
        limit: int | None = 20,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[RunRecord]:
        """Most recent first; those started in [since, until) when given; limit None: all."""

    def latest_runs(self) -> list[RunRecord]:
        """For every target, its latest run of each outcome (at most three per target), in one
        read: what the metrics need of the runs, however many there are."""

    def new_finding_totals(self) -> dict[tuple[str, str], int]:
        """Findings counted new by every run ever stored, by (kind, severity): each run's
        `counts` keys `new:<kind>:<severity>` summed. Only grows (runs are never deleted)."""

    def target_lock(self, target: str) -> AbstractContextManager[bool]:
        """Held while one monitor runs `target`; yields False when another holds it (two
        replicas on one PostgreSQL never run the same target at once)."""
