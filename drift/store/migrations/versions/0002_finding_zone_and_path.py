"""Findings keep their design zone (metrics group by it) and their attack path (blast radius).

Existing rows get an empty zone and an empty path: they were judged before either existed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("zone", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("path", sa.JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("path")
        batch.drop_column("zone")
