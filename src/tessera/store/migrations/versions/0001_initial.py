"""Projects, content-addressed blobs, working copy, versions and chat messages.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _timestamp(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("id", sa.String(12), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("template", sa.String(64), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_projects"),
    )
    op.create_index("ix_projects_updated_at", "projects", ["updated_at"])

    op.create_table(
        "blobs",
        sa.Column("sha", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha", name="pk_blobs"),
    )

    op.create_table(
        "files",
        sa.Column("project_id", sa.String(12), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "path", name="pk_files"),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_files_project_id_projects",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["sha"], ["blobs.sha"], name="fk_files_sha_blobs"),
    )
    op.create_index("ix_files_sha", "files", ["sha"])

    op.create_table(
        "versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(12), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        _timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_versions"),
        sa.UniqueConstraint("project_id", "number", name="uq_versions_project_id_number"),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_versions_project_id_projects",
            ondelete="CASCADE",
        ),
    )

    op.create_table(
        "version_files",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("version_id", "path", name="pk_version_files"),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["versions.id"],
            name="fk_version_files_version_id_versions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["sha"], ["blobs.sha"], name="fk_version_files_sha_blobs"),
    )
    op.create_index("ix_version_files_sha", "version_files", ["sha"])

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", sa.String(12), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        _timestamp("created_at"),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_messages_project_id_projects",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["versions.id"],
            name="fk_messages_version_id_versions",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_messages_project_id_id", "messages", ["project_id", "id"])
    op.create_index("ix_messages_version_id", "messages", ["version_id"])


def downgrade() -> None:
    op.drop_table("messages")
    op.drop_table("version_files")
    op.drop_table("versions")
    op.drop_table("files")
    op.drop_table("blobs")
    op.drop_table("projects")
