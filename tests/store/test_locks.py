"""Target locks: one holder per target across stores and processes, freed when it dies."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

from drift.store.sql import SqlStore

from .helpers import eventually, wait_for

Spawn = Callable[..., subprocess.Popen[str]]


def free(store: SqlStore, target: str = "prod") -> bool:
    """Whether `target` could be locked right now (released again at once)."""
    with store.target_lock(target) as acquired:
        return acquired


def test_a_second_store_is_refused_while_the_first_holds(
    open_store: Callable[[], SqlStore], store: SqlStore
) -> None:
    other = open_store()
    with store.target_lock("prod") as held:
        assert held
        assert not free(other)
        assert not free(store)  # one store does not re-enter its own lock either
        assert free(other, "staging")  # targets are independent
    assert free(other)


def test_another_process_is_refused_while_we_hold(
    store: SqlStore, store_url: str, spawn: Spawn, tmp_path: Path
) -> None:
    with store.target_lock("prod") as held:
        assert held
        child = spawn(
            "hold-lock", store_url, "prod", str(tmp_path / "got"), str(tmp_path / "release")
        )
        assert wait_for(tmp_path / "got", child) == "False"
        assert child.wait(timeout=30) == 0


def test_a_holding_process_excludes_us_until_it_releases(
    store: SqlStore, store_url: str, spawn: Spawn, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    child = spawn("hold-lock", store_url, "prod", str(tmp_path / "got"), str(release))
    assert wait_for(tmp_path / "got", child) == "True"
    assert not free(store)
    release.touch()
    assert child.wait(timeout=30) == 0
    assert free(store)


def test_a_holder_killed_with_sigkill_frees_the_lock(
    store: SqlStore, store_url: str, spawn: Spawn, tmp_path: Path
) -> None:
    child = spawn("hold-lock", store_url, "prod", str(tmp_path / "got"), str(tmp_path / "release"))
    assert wait_for(tmp_path / "got", child) == "True"
    assert not free(store)
    os.kill(child.pid, signal.SIGKILL)
    child.communicate()
    assert eventually(lambda: free(store), timeout=10)


def test_closing_the_store_releases_the_locks_it_still_holds(
    open_store: Callable[[], SqlStore], store: SqlStore
) -> None:
    other = open_store()
    with store.target_lock("prod") as held:
        assert held and not free(other)
        store.close()
        assert free(other)
    assert free(store)  # the context still exits cleanly, and the store reconnects
