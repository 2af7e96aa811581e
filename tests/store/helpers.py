"""Builders and waits shared by the store tests and their child processes (no pytest here:
`child.py` imports this module too)."""

from __future__ import annotations

import dataclasses
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from drift.store.records import FindingState, FindingStatus, RunOutcome, RunRecord

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def run(run_id: str, *, target: str = "prod", at: datetime = T0, **changes: Any) -> RunRecord:
    """A run of `target` that started at `at` and took a minute."""
    base = RunRecord(
        id=run_id,
        target=target,
        started_at=at,
        finished_at=at + timedelta(minutes=1),
        outcome=RunOutcome.OK,
    )
    return dataclasses.replace(base, **changes)


def finding(
    fingerprint: str,
    status: FindingStatus = FindingStatus.NEW,
    *,
    target: str = "prod",
    seen: datetime = T0,
    **changes: Any,
) -> FindingState:
    """A finding of `target`, first and last seen at `seen`."""
    base = FindingState(
        target=target,
        fingerprint=fingerprint,
        kind="implicit-trust.flow",
        severity="high",
        subjects=("service:a", "service:b"),
        title=f"finding {fingerprint}",
        status=status,
        first_seen=seen,
        last_seen=seen,
    )
    return dataclasses.replace(base, **changes)


class ChildFailed(AssertionError):
    pass


def wait_for(path: Path, child: subprocess.Popen[str], timeout: float = 30.0) -> str:
    """The line `child` writes to `path`, once complete; fails if the child exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().endswith("\n"):
            return path.read_text().strip()
        if child.poll() is not None:
            out, err = child.communicate()
            raise ChildFailed(
                f"child exited {child.returncode} before writing {path.name}:\n{err}{out}"
            )
        time.sleep(0.02)
    raise ChildFailed(f"child wrote nothing to {path.name} within {timeout}s")


def eventually(check: Any, timeout: float = 10.0) -> bool:
    """Whether `check()` becomes true within `timeout` seconds (polled)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return bool(check())
