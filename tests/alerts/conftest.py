"""Fixtures of the report tests: a store with a known history, and the plugins this checkout
declares (the installed metadata may be an older checkout's: entry points come from the
editable install, so tests read them from pyproject.toml)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

import drift.plugins
from drift.store.sql import SqlStore

from .history import ROOT, prepare


def declared_entry_points() -> list[EntryPoint]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [
        EntryPoint(name=name, value=value, group=group)
        for group, table in project["entry-points"].items()
        for name, value in table.items()
    ]


@pytest.fixture
def declared_plugins(monkeypatch: pytest.MonkeyPatch) -> list[EntryPoint]:
    """Plugin lookups see the entry points pyproject.toml declares."""
    declared = declared_entry_points()

    def entry_points(*, group: str) -> list[EntryPoint]:
        return [ep for ep in declared if ep.group == group]

    monkeypatch.setattr(drift.plugins, "entry_points", entry_points)
    return declared


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
