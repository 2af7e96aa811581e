"""The store on SQL: SQLite by default, PostgreSQL in production, one code path for both.

Every public method is one transaction. Writes on SQLite begin with `BEGIN IMMEDIATE`, so
concurrent writers (two `drift run --once` on one file) queue on the busy timeout instead of
failing half-way; on PostgreSQL they are ordinary READ COMMITTED transactions, and the findings
upsert (`INSERT … ON CONFLICT DO UPDATE`) is safe under concurrency by construction.

Database errors surface as `StoreError` naming the database (password masked) and the
operation. Datetimes go in timezone-aware and come back timezone-aware in UTC on both backends.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection

from drift.store import migrate, rows, tables
from drift.store.engine import (
    BUSY_TIMEOUT_SECONDS,
    SQLITE_BEGIN,
    make_engine,
    masked,
    parse_url,
    sqlite_path,
)
from drift.store.errors import StoreError
from drift.store.locks import AdvisoryLock, FileLock, LocalLock, TargetLock, lock_file
from drift.store.records import (
    NEW_COUNT_PREFIX,
    OPEN_STATUSES,
    AcceptedRisk,
    BaselineRecord,
    FindingState,
    FindingStatus,
    RunRecord,
    Store,
    parse_new_count_key,
)

log = logging.getLogger(__name__)

DEFAULT_URL = "sqlite:///drift.db"
# Columns an upsert must not overwrite: the identity, and when the finding was first seen.
_KEPT_ON_UPDATE = frozenset({"target", "fingerprint", "first_seen"})


class SqlStore(Store):
    """The `Store` protocol on a SQLAlchemy URL (`sqlite:///path/drift.db`,
    `postgresql+psycopg://user:pass@host/db`; `postgresql://` means psycopg 3 too).

    Creating a store connects to nothing; call `migrate()` before first use, and `close()`
    (or use it as a context manager) to release its connections. It subclasses `Store` so that
    mypy checks every method against the protocol.
    """

    def __init__(self, url: str | URL, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self._url = parse_url(url)
        self._engine = make_engine(self._url, busy_timeout=busy_timeout)
        self._guard = threading.Lock()
        self._held: set[TargetLock] = set()  # target locks taken and not yet released
        self._local_targets: set[str] = set()  # an in-memory database's locked targets

    @property
    def url(self) -> str:
        """The database URL with its password masked: safe to log and show."""
        return masked(self._url)

    @property
    def backend(self) -> str:
        """`sqlite` or `postgresql`."""
        return self._url.get_backend_name()

    def __repr__(self) -> str:
        return f"SqlStore({self.url!r})"

    def close(self) -> None:
        """Release the target locks still held and close every pooled connection; the store
        reconnects if used again."""
        with self._guard:
            held, self._held = list(self._held), set()
        for lock in held:
            lock.release()
        self._engine.dispose()

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- schema --------------------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the schema up to the newest revision; a no-op when it is already there."""
        log.info("migrating the store at %s", self.url)
        with self._transaction("migrate the schema", write=True) as connection:
            migrate.upgrade(connection)

    def schema_is_current(self) -> bool:
        """Whether the database is at the newest revision this code knows (for readiness)."""
        with self._transaction("read the schema revision") as connection:
            return migrate.current_revision(connection) == migrate.head_revision()

    # -- baselines -----------------------------------------------------------------------

    def record_baseline(self, record: BaselineRecord) -> None:
        """Keep a baseline version. The same content (name and sha256) again keeps the first
        row's version, content and recorded_at, and takes the new approval (approved_by,
        approved_at, note) only when the new record is approved: seeing an approved file again
        unapproved never withdraws its approval."""
        table = tables.baselines
        key = (table.c.name == record.name) & (table.c.sha256 == record.sha256)
        with self._transaction(f"record baseline {record.name!r}", write=True) as connection:
            insert = self._insert(table).on_conflict_do_nothing(index_elements=["name", "sha256"])
            connection.execute(insert, rows.baseline_row(record))
            if record.approved:
                approval = {
                    "approved_by": record.approved_by,
                    "approved_at": record.approved_at,
                    "note": record.note,
                }
                connection.execute(sa.update(table).where(key).values(approval))

    def baselines(self, name: str) -> list[BaselineRecord]:
        table = tables.baselines
        query = (
            sa.select(table).where(table.c.name == name).order_by(table.c.recorded_at, table.c.id)
        )
        return [rows.baseline_record(row) for row in self._rows(query, f"read baseline {name!r}")]

    def latest_approved(self, name: str) -> BaselineRecord | None:
        """The version of `name` approved last (a re-approved older version wins over a newer
        one approved before it: that is how a rollback is approved)."""
        table = tables.baselines
        approved_at = sa.func.coalesce(table.c.approved_at, table.c.recorded_at)
        query = (
            sa.select(table)
            .where(table.c.name == name, table.c.approved_by.is_not(None))
            .order_by(approved_at.desc(), table.c.id.desc())
            .limit(1)
        )
        found = self._rows(query, f"read baseline {name!r}")
        return rows.baseline_record(found[0]) if found else None

    # -- runs and findings ---------------------------------------------------------------

    def commit_run(self, run: RunRecord, states: Sequence[FindingState]) -> None:
        """Write the run and upsert every state in one transaction. An upsert replaces a
        finding's content, status, last_seen, resolved_at and run_id and keeps first_seen."""
        _check_states(run, states)
        doing = f"commit run {run.id} of {run.target!r}"
        with self._transaction(doing, write=True) as connection:
            connection.execute(sa.insert(tables.runs), rows.run_row(run))
            if states:
                # In fingerprint order, so two writers lock rows in the same order: no deadlock.
                ordered = sorted(states, key=lambda state: state.fingerprint)
                connection.execute(self._upsert_findings(), [rows.finding_row(s) for s in ordered])

    def open_findings(self, target: str) -> dict[str, FindingState]:
        found = self.findings(target=target, statuses=OPEN_STATUSES)
        return {state.fingerprint: state for state in found}

    def findings(
        self, *, target: str | None = None, statuses: frozenset[FindingStatus] | None = None
    ) -> list[FindingState]:
        """Findings ordered by target, then first seen, then fingerprint."""
        table = tables.findings
        query = sa.select(table).order_by(table.c.target, table.c.first_seen, table.c.fingerprint)
        if target is not None:
            query = query.where(table.c.target == target)
        if statuses is not None:
            query = query.where(table.c.status.in_(sorted(s.value for s in statuses)))
        return [rows.finding_state(row) for row in self._rows(query, "read findings")]

    def runs(
        self,
        *,
        target: str | None = None,
        limit: int | None = 20,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[RunRecord]:
        """Most recent first (by start, then finish, then id, so equal times order stably);
        only runs started at or after `since` and before `until` when given; `limit` None
        reads them all (the weekly report counts a period's runs)."""
        if limit is not None and limit < 0:
            raise ValueError(f"limit must not be negative, got {limit}")
        table = tables.runs
        query = sa.select(table).order_by(
            table.c.started_at.desc(), table.c.finished_at.desc(), table.c.id.desc()
        )
        if target is not None:
            query = query.where(table.c.target == target)
        if since is not None:
            query = query.where(table.c.started_at >= since)
        if until is not None:
            query = query.where(table.c.started_at < until)
        if limit is not None:
            query = query.limit(limit)
        return [rows.run_record(row) for row in self._rows(query, "read runs")]

    def latest_runs(self) -> list[RunRecord]:
        """Per target, the latest run of each outcome, most recent first: one query that
        groups the runs by (target, outcome) and reads back only the newest row of each (a
        tie on `started_at` is broken by finish time, then id, as in `runs`)."""
        table = tables.runs
        newest = (
            sa.select(table.c.target, table.c.outcome, sa.func.max(table.c.started_at).label("at"))
            .group_by(table.c.target, table.c.outcome)
            .subquery()
        )
        query = (
            sa.select(table)
            .join(
                newest,
                (table.c.target == newest.c.target)
                & (table.c.outcome == newest.c.outcome)
                & (table.c.started_at == newest.c.at),
            )
            .order_by(table.c.started_at.desc(), table.c.finished_at.desc(), table.c.id.desc())
        )
        found = [rows.run_record(row) for row in self._rows(query, "read the latest runs")]
        first = {(run.target, run.outcome): run for run in reversed(found)}
        return [run for run in found if first[(run.target, run.outcome)] is run]

    def new_finding_totals(self) -> dict[tuple[str, str], int]:
        """Sums every run's `new:<kind>:<severity>` counts inside the database (the JSON
        `counts` column expanded by `json_each` on SQLite, `json_each_text` on PostgreSQL), so
        the history never crosses the wire. Only runs whose `new` count is positive are
        expanded: a run counts its new findings per kind only beside that total."""
        runs = tables.runs
        each = sa.func.json_each if self.backend == "sqlite" else sa.func.json_each_text
        pairs = each(runs.c.counts).table_valued("key", "value")
        total = sa.func.sum(sa.cast(pairs.c.value, sa.BigInteger)).label("total")
        query = (
            sa.select(pairs.c.key.label("key"), total)
            .select_from(runs)
            .join(pairs, sa.true())
            .where(
                runs.c.counts["new"].as_integer() > 0,
                pairs.c.key.startswith(NEW_COUNT_PREFIX, autoescape=True),
            )
            .group_by(pairs.c.key)
        )
        totals: dict[tuple[str, str], int] = {}
        for row in self._rows(query, "sum the new findings of every run"):
            parsed = parse_new_count_key(row["key"])
            if parsed is not None:
                totals[parsed] = totals.get(parsed, 0) + int(row["total"])
        return totals

    # -- accepted risks ------------------------------------------------------------------

    def accept(self, risk: AcceptedRisk) -> None:
        """Add an acceptance; earlier ones stay as history. Accepting again with an `until`
        in the past withdraws an acceptance."""
        if not risk.reason.strip() or not risk.owner.strip():
            raise ValueError(f"accepting {risk.fingerprint} needs a reason and an owner")
        with self._transaction(f"accept {risk.fingerprint}", write=True) as connection:
            connection.execute(sa.insert(tables.accepted_risks), rows.risk_row(risk))

    def accepted(self, at: datetime) -> dict[str, AcceptedRisk]:
        """Per fingerprint, the newest acceptance made by `at`, if it is still in force at `at`
        (`until > at`). The newest wins even when it is shorter than an older one."""
        table = tables.accepted_risks
        newest_first = (table.c.accepted_at.desc(), table.c.id.desc())
        rank = sa.func.row_number().over(partition_by=table.c.fingerprint, order_by=newest_first)
        ranked = sa.select(table, rank.label("rank")).where(table.c.accepted_at <= at).subquery()
        query = sa.select(ranked).where(ranked.c.rank == 1, ranked.c.until > at)
        found = [rows.accepted_risk(row) for row in self._rows(query, "read accepted risks")]
        return {risk.fingerprint: risk for risk in found}

    # -- locking -------------------------------------------------------------------------

    def target_lock(self, target: str) -> AbstractContextManager[bool]:
        """See `drift.store.locks`: a PostgreSQL advisory lock, or a file lock next to the
        SQLite database; yields False at once when another holder has it. Released on exit,
        or by `close()` if that comes first."""
        return self._holding(self._lock(target))

    def _lock(self, target: str) -> TargetLock:
        if self.backend == "postgresql":
            return AdvisoryLock(self._engine, target, where=self.url)
        path = sqlite_path(self._url)
        if path is None:
            return LocalLock(self._local_targets, self._guard, target)
        return FileLock(lock_file(path, target))

    @contextmanager
    def _holding(self, lock: TargetLock) -> Iterator[bool]:
        acquired = lock.acquire()
        if acquired:
            with self._guard:
                self._held.add(lock)
        try:
            yield acquired
        finally:
            with self._guard:
                self._held.discard(lock)
            lock.release()

    # -- plumbing ------------------------------------------------------------------------

    @contextmanager
    def _transaction(self, doing: str, *, write: bool = False) -> Iterator[Connection]:
        """One transaction; SQLAlchemy's errors become a `StoreError` saying what failed."""
        try:
            with self._engine.connect() as connection:
                if write:
                    connection.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
                with connection.begin():
                    yield connection
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"{self.url}: {doing}: {_reason(exc)}") from exc

    def _rows(self, query: sa.Select[Any], doing: str) -> list[sa.RowMapping]:
        with self._transaction(doing) as connection:
            return list(connection.execute(query).mappings())

    def _insert(self, table: sa.Table) -> sqlite.Insert | postgresql.Insert:
        if self.backend == "sqlite":
            return sqlite.insert(table)
        return postgresql.insert(table)

    def _upsert_findings(self) -> sa.Executable:
        insert = self._insert(tables.findings)
        kept = {
            column.name: insert.excluded[column.name]
            for column in tables.findings.columns
            if column.name not in _KEPT_ON_UPDATE
        }
        return insert.on_conflict_do_update(index_elements=["target", "fingerprint"], set_=kept)


def _check_states(run: RunRecord, states: Sequence[FindingState]) -> None:
    """A run decides the findings of its own target, each once."""
    foreign = sorted({s.target for s in states if s.target != run.target})
    if foreign:
        raise ValueError(f"run {run.id} of {run.target!r} carries findings of {foreign}")
    counted = Counter(s.fingerprint for s in states)
    doubled = sorted(f for f, n in counted.items() if n > 1)
    if doubled:
        raise ValueError(f"run {run.id} carries fingerprints more than once: {doubled}")


def _reason(exc: sa.exc.SQLAlchemyError) -> str:
    """The database's own message, first line only (no SQL text, no parameters)."""
    cause = exc.orig if isinstance(exc, sa.exc.StatementError) else exc
    text = str(cause).strip().splitlines()
    return text[0] if text else type(cause).__name__
