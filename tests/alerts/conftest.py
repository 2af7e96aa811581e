"""Fixtures of the report tests: a store with a known history, and the plugins this checkout
declares (the installed metadata may be an older checkout's: entry points come from the
editable install, so tests read them from pyproject.toml)."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from drift.store.sql import SqlStore

from .history import prepare
from .plugins import declared_plugins


@pytest.fixture(name="declared_plugins")
def declared_plugins_fixture() -> Iterator[list[EntryPoint]]:
    """Plugin lookups see the entry points pyproject.toml declares."""
    with declared_plugins() as declared:
        yield declared


@pytest.fixture
def database(tmp_path: Path) -> str:
    """The URL of a SQLite store holding the history of `history.py`."""
    url = f"sqlite:///{tmp_path / 'history.db'}"
    with SqlStore(url) as store:
        store.migrate()
        prepare(store)
    return url


@pytest.fixture
def store(database: str) -> Iterator[SqlStore]:
    with SqlStore(database) as opened:
        yield opened
