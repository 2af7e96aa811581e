"""One store fixture for every store test, on SQLite and on PostgreSQL.

`store` is a migrated `SqlStore` on a fresh database: a file in `tmp_path`, or a new database
in a throwaway PostgreSQL cluster started once per session. Where PostgreSQL cannot run the
PostgreSQL leg skips and says why, except under CI (`CI=true`), where it fails: CI must test both.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from drift.store.sql import SqlStore

from .pg import PgCluster, Unavailable

CHILD = Path(__file__).with_name("child.py")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    with _sigterm_as_interrupt():
        try:
            cluster = PgCluster.start()
        except Unavailable as why:
            if os.environ.get("CI") == "true":
                pytest.fail(f"PostgreSQL is required under CI: {why}", pytrace=False)
            pytest.skip(f"PostgreSQL leg skipped: {why}")
        try:
            yield cluster
        finally:
            cluster.stop()


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """A CI timeout sends SIGTERM, which would end pytest without teardown and orphan the
    server; as a KeyboardInterrupt, pytest stops the session and still stops the server."""

    def _interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh, empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'drift.db'}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database()


@pytest.fixture
def open_store(store_url: str) -> Iterator[Callable[[], SqlStore]]:
    """Opens more stores on the test's database (other replicas); all closed at the end."""
    opened: list[SqlStore] = []

    def _open() -> SqlStore:
        opened.append(SqlStore(store_url))
        return opened[-1]

    yield _open
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Callable[[], SqlStore]) -> SqlStore:
    """A migrated store on a fresh database."""
    fresh = open_store()
    fresh.migrate()
    return fresh


@pytest.fixture
def spawn() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Starts `child.py` with arguments; any child still running at the end is killed."""
    children: list[subprocess.Popen[str]] = []

    def _spawn(*args: str) -> subprocess.Popen[str]:
        command = [sys.executable, str(CHILD), *args]
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        children.append(child)
        return child

    yield _spawn
    for child in children:
        if child.poll() is None:
            child.kill()
        child.communicate()
