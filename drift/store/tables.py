"""The store's tables as SQLAlchemy Core metadata: what queries are written against.

Migrations (`drift/store/migrations/versions/`) are the history that creates these tables and
never import this module, so editing a table here without a new revision is caught by the test
that compares the migrated schema with this metadata.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

metadata = sa.MetaData()


class UTCDateTime(TypeDecorator[datetime]):
    """An instant, stored as UTC and always returned timezone-aware in UTC.

    PostgreSQL keeps `timestamptz` and answers in the session's time zone; SQLite keeps text
    without an offset. Converting to UTC on the way in and attaching UTC on the way out makes
    both backends return the same value. A naive datetime is refused: its instant is unknown.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: give it a time zone")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _json(*, nullable: bool = False) -> sa.JSON:
    # none_as_null: a missing location is SQL NULL, not the JSON text 'null'.
    return sa.JSON(none_as_null=nullable)


baselines = sa.Table(
    "baselines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("version", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Column("approved_by", sa.Text, nullable=True),
    sa.Column("approved_at", UTCDateTime, nullable=True),
    sa.Column("note", sa.Text, nullable=False),
    sa.UniqueConstraint("name", "sha256", name="uq_baselines_name_sha256"),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("baseline_name", sa.Text, nullable=False),
    sa.Column("baseline_version", sa.Text, nullable=False),
    sa.Column("baseline_sha256", sa.Text, nullable=False),
    sa.Column("scopes", _json(), nullable=False),
    sa.Column("counts", _json(), nullable=False),
    sa.CheckConstraint("outcome IN ('ok', 'incomplete', 'failed')", name="ck_runs_outcome"),
    sa.Index("ix_runs_target_started_at", "target", "started_at"),
)

findings = sa.Table(
    "findings",
    metadata,
    sa.Column("target", sa.Text, primary_key=True),
    sa.Column("fingerprint", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("severity", sa.Text, nullable=False),
    sa.Column("subjects", _json(), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("clause", sa.Text, nullable=False),
    sa.Column("baseline_version", sa.Text, nullable=False),
    sa.Column("evidence", _json(), nullable=False),
    sa.Column("location", _json(nullable=True), nullable=True),
    sa.Column("zone", sa.Text, nullable=False, server_default=""),
    sa.Column("path", _json(), nullable=False, server_default="[]"),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("first_seen", UTCDateTime, nullable=False),
    sa.Column("last_seen", UTCDateTime, nullable=False),
    sa.Column("resolved_at", UTCDateTime, nullable=True),
    sa.Column("run_id", sa.Text, nullable=False),
    sa.CheckConstraint(
        "status IN ('new', 'open', 'unverifiable', 'resolved')", name="ck_findings_status"
    ),
    sa.Index("ix_findings_target_status", "target", "status"),
)

accepted_risks = sa.Table(
    "accepted_risks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("fingerprint", sa.Text, nullable=False),
    sa.Column("target", sa.Text, nullable=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("owner", sa.Text, nullable=False),
    sa.Column("until", UTCDateTime, nullable=False),
    sa.Column("accepted_at", UTCDateTime, nullable=False),
    sa.Index("ix_accepted_risks_fingerprint_accepted_at", "fingerprint", "accepted_at"),
)
