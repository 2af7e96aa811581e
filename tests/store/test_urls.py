"""URLs: passwords never shown, defaults filled in, unsupported databases refused at once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from drift.store.errors import StoreError
from drift.store.sql import SqlStore

SECRET_URL = "postgresql://drift:s3cret@127.0.0.1:1/drift"


def test_the_password_is_masked_in_url_and_repr() -> None:
    with SqlStore(SECRET_URL) as store:
        assert "s3cret" not in store.url and "s3cret" not in repr(store)
        assert store.url == "postgresql+psycopg://drift:***@127.0.0.1:1/drift"


def test_a_connection_error_names_the_database_without_the_password() -> None:
    with SqlStore(SECRET_URL) as store, pytest.raises(StoreError) as raised:
        store.migrate()
    message = str(raised.value)
    assert message.startswith("postgresql+psycopg://drift:***@127.0.0.1:1/drift: migrate")
    assert "s3cret" not in message


def test_an_unsupported_database_is_refused() -> None:
    with pytest.raises(StoreError, match="unsupported database 'mysql'"):
        SqlStore("mysql://u:p@localhost/db")


def test_a_relative_sqlite_path_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(str(tmp_path))
    with SqlStore("sqlite:///drift.db") as store:
        assert store.url == f"sqlite:///{tmp_path}/drift.db"


def test_an_in_memory_sqlite_store_works_and_locks_within_the_process() -> None:
    with SqlStore("sqlite://") as store:
        store.migrate()
        assert store.schema_is_current()
        with store.target_lock("prod") as first, store.target_lock("prod") as second:
            assert (first, second) == (True, False)
        with store.target_lock("prod") as again:
            assert again


def test_closing_an_in_memory_store_releases_its_locks() -> None:
    with SqlStore("sqlite://") as store, store.target_lock("prod") as held:
        assert held
        store.close()
        with store.target_lock("prod") as again:
            assert again


def test_a_sqlite_file_runs_in_wal_mode(tmp_path: Path) -> None:
    """Readers never block the writer: the monitor's reports read while a run commits."""
    with SqlStore(f"sqlite:///{tmp_path / 'drift.db'}") as store:
        store.migrate()
    with sqlite3.connect(tmp_path / "drift.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    connection.close()
