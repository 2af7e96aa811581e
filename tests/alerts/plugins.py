"""The `drift.notifiers` entry points as pyproject.toml declares them.

The tests load notifiers through these, the way an installed `design-drift` does, without
needing the checkout to be (re)installed after the entry points change.
"""

from __future__ import annotations

import tomllib
from importlib.metadata import EntryPoint
from pathlib import Path

from drift.plugins import NOTIFIERS_GROUP

ROOT = Path(__file__).resolve().parents[2]


def declared_notifiers() -> list[EntryPoint]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["entry-points"][NOTIFIERS_GROUP]
    return [EntryPoint(name=n, value=v, group=NOTIFIERS_GROUP) for n, v in declared.items()]
