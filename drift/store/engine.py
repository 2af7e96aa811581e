"""Engines for the two supported databases, configured for a monitor that runs for months.

- Every engine pings a pooled connection before use (`pool_pre_ping`): a PostgreSQL restart or
  a dropped idle connection costs one reconnect, not a failed run.
- SQLite runs in WAL mode (readers never block the writer) with a busy timeout (a second writer
  waits instead of failing at once). pysqlite's own transaction handling is switched off and
  BEGIN is emitted here, so a write transaction can start with `BEGIN IMMEDIATE`: it takes the
  write lock up front, and concurrent writers queue on the busy timeout instead of one of them
  failing with "database is locked" when it upgrades a read lock half-way through.
- A URL is only ever shown with its password masked.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

from drift.store.errors import StoreError

BUSY_TIMEOUT_SECONDS = 30.0
# Execution option read by the SQLite "begin" hook: "IMMEDIATE" for transactions that write.
SQLITE_BEGIN = "drift_sqlite_begin"
SUPPORTED = ("sqlite", "postgresql")


def masked(url: URL) -> str:
    """The URL as text with any password replaced by ***, safe for logs and messages."""
    return url.render_as_string(hide_password=True)


def parse_url(url: str | URL) -> URL:
    """A URL for a supported backend, with defaults filled in.

    `postgresql://` and `postgres://` mean psycopg 3 (SQLAlchemy's default driver, psycopg2,
    is not a dependency); a relative SQLite path is made absolute now, so the database and its
    lock files stay put if the working directory changes later.
    """
    parsed = make_url(url) if isinstance(url, str) else url
    backend = parsed.get_backend_name()
    if backend == "postgres":
        parsed, backend = parsed.set(drivername="postgresql"), "postgresql"
    if backend not in SUPPORTED:
        raise StoreError(
            f"{masked(parsed)}: unsupported database {backend!r}: use sqlite or postgresql"
        )
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and sqlite_path(parsed) is not None:
        parsed = parsed.set(database=str(Path(str(parsed.database)).resolve()))
    return parsed


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL; None for an in-memory or `uri=true` database."""
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if url.query.get("uri") in ("true", "1"):
        return None
    return Path(database)


def make_engine(url: URL, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> Engine:
    """An engine for `url` (as returned by `parse_url`), configured as the module says."""
    if url.get_backend_name() == "postgresql":
        return sa.create_engine(url, pool_pre_ping=True)
    return _sqlite_engine(url, busy_timeout)


def _sqlite_engine(url: URL, busy_timeout: float) -> Engine:
    options: dict[str, Any] = {
        "pool_pre_ping": True,
        "connect_args": {"check_same_thread": False, "timeout": busy_timeout},
    }
    in_memory = sqlite_path(url) is None and url.query.get("uri") not in ("true", "1")
    if in_memory:
        # One shared connection: each new connection to :memory: would be a new, empty database.
        options["poolclass"] = StaticPool
    engine = sa.create_engine(url, **options)
    _install_sqlite_hooks(engine, busy_timeout, wal=not in_memory)
    return engine


def _install_sqlite_hooks(engine: Engine, busy_timeout: float, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the "begin" hook below emits BEGIN
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            cursor.execute("PRAGMA foreign_keys=ON")
            if wal:
                _enable_wal(cursor, busy_timeout)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _enable_wal(cursor: sqlite3.Cursor, busy_timeout: float) -> None:
    """Switch the file to WAL once; it stays so. SQLite answers "database is locked" at once,
    without waiting on the busy timeout, when connections race to switch a new file, so the
    switch is retried here for as long as the busy timeout would have waited."""
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
