"""A throwaway PostgreSQL cluster for the store tests, as TESTING.md describes.

`initdb` refuses to run as root, so as root the cluster is created and run by the `postgres`
user (`runuser`) in a private temporary directory; as another user it runs as that user. The
server listens on a free loopback port with its socket in the same directory, with fsync off:
it exists for one test session and is deleted after it.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

# A zone far from UTC, so a test would see it if the store returned the session's time zone.
SERVER_TIME_ZONE = "America/New_York"


class Unavailable(Exception):
    """PostgreSQL cannot run here (binaries or the postgres user absent)."""


def find_bindir() -> Path:
    """The directory holding `initdb` and `pg_ctl`: `pg_config --bindir`, else the newest
    Debian-style `/usr/lib/postgresql/*/bin`."""
    candidates: list[Path] = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(Path(out.stdout.strip()))
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise Unavailable(
        "PostgreSQL server binaries not found (no initdb/pg_ctl under `pg_config --bindir` or "
        "/usr/lib/postgresql/*/bin): apt-get install -y postgresql"
    )


def _as_server_user() -> list[str]:
    """The command prefix that runs the server's tools as a user initdb accepts."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise Unavailable("running as root and there is no `postgres` user to run initdb") from None
    return ["runuser", "-u", "postgres", "--"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class PgCluster:
    bindir: Path
    root: Path
    port: int
    prefix: list[str]
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def start(cls) -> PgCluster:
        bindir, prefix = find_bindir(), _as_server_user()
        root = Path(tempfile.mkdtemp(prefix="drift-pg-"))
        if prefix:
            entry = pwd.getpwnam("postgres")
            os.chown(root, entry.pw_uid, entry.pw_gid)
        cluster = cls(bindir=bindir, root=root, port=_free_port(), prefix=prefix)
        try:
            cluster._initdb()
            cluster._pg_ctl("start", "-w", "-l", str(root / "server.log"), "-o", cluster._options())
        except BaseException:
            cluster.stop()
            raise
        return cluster

    def _options(self) -> str:
        return (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            f"-c full_page_writes=off -c TimeZone={SERVER_TIME_ZONE}"
        )

    def _initdb(self) -> None:
        args = ["-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync"]
        self._run(str(self.bindir / "initdb"), *args, "--no-instructions")

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _pg_ctl(self, *args: str) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), *args)

    def _run(self, *command: str) -> None:
        done = subprocess.run([*self.prefix, *command], capture_output=True, text=True)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr}{done.stdout}{tail}")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new, empty database for one test; its SQLAlchemy URL."""
        name = f"drift_test_{next(self._names)}"
        dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def stop(self) -> None:
        """Stop the server at once (its data is thrown away) and delete the cluster."""
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [
                    *self.prefix,
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                capture_output=True,
            )
        shutil.rmtree(self.root, ignore_errors=True)
