"""A monitor killed with SIGKILL in the middle of committing a run leaves the store as it was."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from drift.store.records import FindingStatus
from drift.store.sql import SqlStore

from .helpers import finding, run, wait_for

BIG_RUN = 2000  # findings the killed run had written, uncommitted, when it died


def test_a_run_killed_mid_commit_leaves_the_previous_state(
    store: SqlStore,
    store_url: str,
    spawn: Callable[..., subprocess.Popen[str]],
    tmp_path: Path,
) -> None:
    before = [finding(f"f{n}", FindingStatus.NEW, run_id="r1") for n in range(10)]
    store.commit_run(run("r1"), before)

    marker = tmp_path / "inside"
    child = spawn("commit-slowly", store_url, str(marker), str(BIG_RUN))
    assert wait_for(marker, child) == "inside the transaction"
    os.kill(child.pid, signal.SIGKILL)
    child.communicate()
    assert child.returncode == -signal.SIGKILL

    assert [r.id for r in store.runs()] == ["r1"]
    assert store.findings() == before
    _assert_intact(store_url)
    store.commit_run(run("r2"), [finding("f0", FindingStatus.RESOLVED, run_id="r2")])
    assert [r.id for r in store.runs()] == ["r2", "r1"]


def _assert_intact(url: str) -> None:
    """SQLite's own check of the file (PostgreSQL's WAL recovery is not ours to test)."""
    if not url.startswith("sqlite"):
        return
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    finally:
        engine.dispose()
