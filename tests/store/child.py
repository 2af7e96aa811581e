"""A second process for the store tests, started by the `spawn` fixture.

child.py hold-lock URL TARGET MARKER RELEASE
    takes the target lock, writes True/False to MARKER, holds it until RELEASE exists
child.py commit-slowly URL MARKER COUNT
    commits a run of COUNT findings, and once the findings are written but not committed
    writes MARKER and sleeps inside the open transaction, waiting to be killed
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from helpers import T0, finding, run  # this script's directory is first on sys.path
from sqlalchemy import event
from sqlalchemy.engine import Engine

from drift.store.records import FindingStatus
from drift.store.sql import SqlStore


def hold_lock(url: str, target: str, marker: Path, release: Path) -> None:
    with SqlStore(url) as store, store.target_lock(target) as held:
        marker.write_text(f"{held}\n")
        while held and not release.exists():
            time.sleep(0.02)


def commit_slowly(url: str, marker: Path, count: int) -> None:
    @event.listens_for(Engine, "after_cursor_execute")
    def _pause_inside_the_transaction(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO FINDINGS"):
            marker.write_text("inside the transaction\n")
            time.sleep(600)

    states = [finding(f"f{n}", FindingStatus.OPEN, run_id="killed") for n in range(count)]
    with SqlStore(url) as store:
        store.commit_run(run("killed", at=T0.replace(year=2030)), states)


if __name__ == "__main__":
    command, url, *rest = sys.argv[1:]
    if command == "hold-lock":
        hold_lock(url, rest[0], Path(rest[1]), Path(rest[2]))
    elif command == "commit-slowly":
        commit_slowly(url, Path(rest[0]), int(rest[1]))
    else:
        sys.exit(f"unknown command {command!r}")
