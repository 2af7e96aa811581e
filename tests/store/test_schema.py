"""The schema: migrations are idempotent, match the tables the code queries, and keep time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from drift.store import migrate, tables
from drift.store.errors import StoreError
from drift.store.records import FindingStatus
from drift.store.sql import SqlStore

from .helpers import finding, run

BERLIN = timezone(timedelta(hours=2))


def test_migrate_twice_is_a_no_op(store: SqlStore) -> None:
    store.commit_run(run("r1"), [finding("f1")])
    store.migrate()
    assert store.schema_is_current()
    assert [r.id for r in store.runs()] == ["r1"]
    assert list(store.open_findings("prod")) == ["f1"]


def test_a_fresh_database_is_not_current_until_migrated(
    open_store: Callable[[], SqlStore],
) -> None:
    fresh = open_store()
    assert not fresh.schema_is_current()
    fresh.migrate()
    assert fresh.schema_is_current()


def test_the_migrated_schema_matches_the_tables_the_code_queries(
    store: SqlStore, store_url: str
) -> None:
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"version_table": migrate.VERSION_TABLE, "compare_type": True}
            )
            assert compare_metadata(context, tables.metadata) == []
    finally:
        engine.dispose()


def test_datetimes_come_back_aware_in_utc_whatever_zone_went_in(store: SqlStore) -> None:
    seen = datetime(2025, 6, 1, 14, 30, 15, 123456, tzinfo=BERLIN)
    store.commit_run(run("r1", at=seen), [finding("f1", seen=seen, resolved_at=seen)])
    [state] = store.findings()
    [stored_run] = store.runs()
    for value in (state.first_seen, state.last_seen, state.resolved_at, stored_run.started_at):
        assert value == seen
        assert value is not None and value.tzinfo is UTC
    assert state.first_seen.hour == 12  # 14:30 in Berlin (+02:00) is 12:30 UTC


def test_instants_are_stored_as_utc(store: SqlStore, store_url: str) -> None:
    seen = datetime(2025, 6, 1, 14, 30, tzinfo=BERLIN)
    store.commit_run(run("r1"), [finding("f1", seen=seen)])
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                query = "SELECT to_char(first_seen AT TIME ZONE 'UTC', 'HH24:MI') FROM findings"
            else:
                query = "SELECT substr(first_seen, 12, 5) FROM findings"
            assert connection.exec_driver_sql(query).scalar() == "12:30"
    finally:
        engine.dispose()


def test_a_naive_datetime_is_refused_and_nothing_is_written(store: SqlStore) -> None:
    naive = datetime(2025, 6, 1, 12, 0)
    with pytest.raises(StoreError, match="naive datetime"):
        store.commit_run(run("r1"), [finding("f1", seen=naive)])
    assert store.runs() == []
    assert store.findings() == []


def test_json_fields_round_trip(store: SqlStore) -> None:
    scopes = ({"scope": "k8s/networkpolicies", "status": "forbidden", "detail": "403"},)
    evidence = ({"text": "NetworkPolicy shop/allow-all", "source": "np.yaml:3"},)
    location = {"path": "manifests/np.yaml", "line": 3}
    state = finding("f1", FindingStatus.UNVERIFIABLE, evidence=evidence, location=location)
    stored = run("r1", scopes=scopes, counts={"new": 0, "unverifiable": 1})
    store.commit_run(stored, [state])
    assert store.findings() == [state]
    assert store.runs() == [stored]


def test_replicas_migrating_at_once_both_succeed(open_store: Callable[[], SqlStore]) -> None:
    """Two replicas starting together on a fresh database: one migrates, the other waits and
    finds the schema current (PostgreSQL: advisory lock; SQLite: BEGIN IMMEDIATE)."""
    replicas = [open_store() for _ in range(4)]
    errors: list[BaseException] = []

    def start(replica: SqlStore) -> None:
        try:
            replica.migrate()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(replica,)) for replica in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(replica.schema_is_current() for replica in replicas)
