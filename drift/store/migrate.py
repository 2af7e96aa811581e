"""Alembic, driven from code: the store migrates itself, no alembic.ini at run time.

The scripts are found as the package resource `drift.store:migrations`, so an installed wheel
migrates the same way as a checkout.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

SCRIPT_LOCATION = "drift.store:migrations"
# A project-specific name, so the store can share a database with other Alembic-managed schemas.
VERSION_TABLE = "drift_alembic_version"
# Serialises migrate() across replicas sharing one PostgreSQL database (an arbitrary constant).
MIGRATION_LOCK_KEY = 0x64726966745F6D67  # "drift_mg"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for the store's scripts, running on `connection` if given."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def upgrade(connection: Connection) -> None:
    """Bring the schema to the newest revision inside the caller's transaction.

    On PostgreSQL, a transaction-level advisory lock makes concurrent callers wait for each
    other, so the second one finds the schema up to date instead of racing to create it. (On
    SQLite the caller's `BEGIN IMMEDIATE` does the same.)
    """
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
    command.upgrade(alembic_config(connection), "head")


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; None before the first migration."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


@functools.cache
def head_revision() -> str | None:
    """The newest revision this code knows (read once: the scripts do not change at run time)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
