"""Target locks: at most one monitor runs a target at a time, and a dead holder never blocks.

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a connection held open
for the whole context. The key is a signed 64-bit number derived from the target by SHA-256
(stable across versions, unlike the undocumented 32-bit `hashtext`). PostgreSQL drops the lock
when the session ends, so a holder killed with SIGKILL frees it as soon as its socket closes.
The connection runs in autocommit, so holding the lock never keeps a transaction open.
Caveat: if the connection itself is lost mid-run the lock is lost with it; the store's writes
are per-run transactions, so the worst case is two runs of one target interleaving.

SQLite: an exclusive `flock` on a file next to the database, `<db>.lock-<hash of target>`. The
kernel drops it when the holder's descriptor closes — also on SIGKILL — so there is no lease to
expire and no heartbeat to keep. `flock` locks belong to an open file, not to a process, so two
stores in one process exclude each other too. It covers processes on one host, which is what a
SQLite file is shared by (SQLite itself is not safe on network file systems). The files are
left in place: deleting a lock file while another process opens it would let two holders in.
An in-memory database lives in one process, so its locks are a set of held targets (so are
those of a `?uri=true` SQLite URL, whose file is not located: use a plain path to share one).

Each lock is an object with `acquire()` and an idempotent `release()`, so the store can release
the locks still held when it is closed, and the context that took them can still exit cleanly.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import socket
import threading
import uuid
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from drift.store.errors import StoreError

log = logging.getLogger(__name__)


class TargetLock(Protocol):
    def acquire(self) -> bool:
        """Take the lock without waiting; whether we got it."""

    def release(self) -> None:
        """Give the lock up if held; safe to call again."""


def advisory_key(target: str) -> int:
    """The PostgreSQL advisory lock key of `target`: a stable signed 64-bit number."""
    digest = hashlib.sha256(f"design-drift target {target}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AdvisoryLock:
    """PostgreSQL's advisory lock of a target, on a connection of its own while held.
    `where` names the database (password masked) in errors."""

    def __init__(self, engine: Engine, target: str, *, where: str) -> None:
        self._engine, self._target, self._where = engine, target, where
        self._key = advisory_key(target)
        self._connection: Connection | None = None
        self._guard = threading.Lock()

    def acquire(self) -> bool:
        connection = self._connect()
        try:
            acquired = bool(connection.scalar(sa.select(sa.func.pg_try_advisory_lock(self._key))))
        except sa.exc.DBAPIError as exc:
            connection.close()
            raise StoreError(f"{self._doing}: {str(exc.orig).strip()}") from exc
        if acquired:
            self._connection = connection
        else:
            connection.close()
        return acquired

    @property
    def _doing(self) -> str:
        return f"{self._where}: lock target {self._target!r}"

    def _connect(self) -> Connection:
        try:
            connection = self._engine.connect()
        except sa.exc.DBAPIError as exc:
            raise StoreError(f"{self._doing}: {str(exc.orig).strip()}") from exc
        connection.execution_options(isolation_level="AUTOCOMMIT")  # never idle in transaction
        return connection

    def release(self) -> None:
        with self._guard:
            connection, self._connection = self._connection, None
        if connection is not None:
            _advisory_unlock(connection, self._key, self._target)
            connection.close()


def _advisory_unlock(connection: Connection, key: int, target: str) -> None:
    try:
        released = connection.scalar(sa.select(sa.func.pg_advisory_unlock(key)))
    except sa.exc.DBAPIError:
        # The session is gone, and the lock with it; never pool a connection in doubt.
        connection.invalidate()
        log.warning("target lock of %r: connection lost before release", target)
        return
    if not released:
        log.warning("target lock of %r was no longer held at release", target)


def lock_file(database: Path, target: str) -> Path:
    """The lock file of `target` next to the SQLite `database`."""
    digest = hashlib.sha256(target.encode()).hexdigest()[:16]
    return database.with_name(f"{database.name}.lock-{digest}")


class FileLock:
    """An exclusive `flock` on a lock file, held while its descriptor is open."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None
        self._guard = threading.Lock()

    def acquire(self) -> bool:
        fd = _open_lock_file(self._path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        _write_owner(fd)
        self._fd = fd
        return True

    def release(self) -> None:
        with self._guard:
            fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the only descriptor of this open file drops the flock


def _open_lock_file(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise StoreError(f"{path}: cannot open the target lock file: {exc.strerror}") from exc


def _write_owner(fd: int) -> None:
    """Say who holds the lock, for a person looking at a stuck target (not read by code)."""
    owner = f"{socket.gethostname()} pid {os.getpid()} {uuid.uuid4()}\n"
    os.ftruncate(fd, 0)
    os.pwrite(fd, owner.encode(), 0)


class LocalLock:
    """A target lock within one process, for a database no other process can open: the
    targets held are a set shared by the store's locks."""

    def __init__(self, held: set[str], guard: threading.Lock, target: str) -> None:
        self._held, self._guard, self._target = held, guard, target
        self._acquired = False

    def acquire(self) -> bool:
        with self._guard:
            self._acquired = self._target not in self._held
            self._held.add(self._target)
        return self._acquired

    def release(self) -> None:
        with self._guard:
            if self._acquired:
                self._held.discard(self._target)
            self._acquired = False
