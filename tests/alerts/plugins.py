"""The plugins this checkout declares in pyproject.toml. Entry points come from the installed
metadata, which an editable install made from an older checkout may lack, so tests (and the
doc-image script) look plugins up among the declared ones."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import EntryPoint
from pathlib import Path
from unittest import mock

import drift.plugins
from drift.plugins import NOTIFIERS_GROUP

ROOT = Path(__file__).resolve().parents[2]


def declared_entry_points() -> list[EntryPoint]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [
        EntryPoint(name=name, value=value, group=group)
        for group, table in project["entry-points"].items()
        for name, value in table.items()
    ]


@contextmanager
def declared_plugins() -> Iterator[list[EntryPoint]]:
    """Plugin lookups see exactly the entry points pyproject.toml declares."""
    declared = declared_entry_points()

    def entry_points(*, group: str) -> list[EntryPoint]:
        return [ep for ep in declared if ep.group == group]

    with mock.patch.object(drift.plugins, "entry_points", entry_points):
        yield declared


def declared_notifiers() -> list[EntryPoint]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["entry-points"][NOTIFIERS_GROUP]
    return [EntryPoint(name=n, value=v, group=NOTIFIERS_GROUP) for n, v in declared.items()]
