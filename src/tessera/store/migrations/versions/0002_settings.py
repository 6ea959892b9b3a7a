"""Settings: JSON values under a key, global or per project.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("project_id", sa.String(12), nullable=True),
        sa.PrimaryKeyConstraint("scope", "key", name="pk_settings"),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_settings_project_id_projects",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_settings_project_id", "settings", ["project_id"])


def downgrade() -> None:
    op.drop_table("settings")
