"""The initial schema: baselines, runs, findings, accepted risks.

Written out in full rather than imported from `drift.store.tables`: this revision is history
and must create the same tables forever. Instants are `timestamptz` on PostgreSQL and UTC
text on SQLite (the store's `UTCDateTime` converts).

Revision ID: 0001
Revises:
Create Date: 2025-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _instant(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.Text, nullable=nullable)


def _create_baselines() -> None:
    op.create_table(
        "baselines",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _text("name"),
        _text("version"),
        sa.Column("sha256", sa.String(64), nullable=False),
        _text("content"),
        _instant("recorded_at"),
        _text("approved_by", nullable=True),
        _instant("approved_at", nullable=True),
        _text("note"),
        sa.UniqueConstraint("name", "sha256", name="uq_baselines_name_sha256"),
    )


def _create_runs() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Text, primary_key=True),
        _text("target"),
        _instant("started_at"),
        _instant("finished_at"),
        sa.Column("outcome", sa.String(16), nullable=False),
        _text("source"),
        _text("baseline_name"),
        _text("baseline_version"),
        _text("baseline_sha256"),
        sa.Column("scopes", sa.JSON, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.CheckConstraint("outcome IN ('ok', 'incomplete', 'failed')", name="ck_runs_outcome"),
    )
    op.create_index("ix_runs_target_started_at", "runs", ["target", "started_at"])


def _create_findings() -> None:
    op.create_table(
        "findings",
        sa.Column("target", sa.Text, primary_key=True),
        sa.Column("fingerprint", sa.Text, primary_key=True),
        _text("kind"),
        _text("severity"),
        sa.Column("subjects", sa.JSON, nullable=False),
        _text("title"),
        _text("detail"),
        _text("clause"),
        _text("baseline_version"),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("location", sa.JSON, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        _instant("first_seen"),
        _instant("last_seen"),
        _instant("resolved_at", nullable=True),
        _text("run_id"),
        sa.CheckConstraint(
            "status IN ('new', 'open', 'unverifiable', 'resolved')", name="ck_findings_status"
        ),
    )
    op.create_index("ix_findings_target_status", "findings", ["target", "status"])


def _create_accepted_risks() -> None:
    op.create_table(
        "accepted_risks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _text("fingerprint"),
        _text("target", nullable=True),
        _text("reason"),
        _text("owner"),
        _instant("until"),
        _instant("accepted_at"),
    )
    op.create_index(
        "ix_accepted_risks_fingerprint_accepted_at",
        "accepted_risks",
        ["fingerprint", "accepted_at"],
    )


def upgrade() -> None:
    _create_baselines()
    _create_runs()
    _create_findings()
    _create_accepted_risks()


def downgrade() -> None:
    for table in ("accepted_risks", "findings", "runs", "baselines"):
        op.drop_table(table)
