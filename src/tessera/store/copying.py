"""Queries that copy one project's working copy and settings into another (duplicating).

Rows are copied inside the database (``INSERT ... SELECT``): file contents are blobs shared
by sha, so a copy reads and hashes no content, whatever the project's size.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import String, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.store.models import File, Setting


async def copy_files(session: AsyncSession, source_id: str, target_id: str) -> int:
    """Give ``target_id`` the working copy of ``source_id``; returns the number of files."""
    await session.execute(
        insert(File).from_select(
            ["project_id", "path", "sha"],
            select(literal(target_id, String), File.path, File.sha).where(
                File.project_id == source_id
            ),
        )
    )
    count = await session.scalar(
        select(func.count()).select_from(File).where(File.project_id == target_id)
    )
    return count or 0


async def copy_settings(
    session: AsyncSession, source_id: str, target_id: str, keys: Collection[str]
) -> None:
    """Copy the settings named by ``keys`` of project ``source_id`` to ``target_id``."""
    if not keys:
        return
    await session.execute(
        insert(Setting).from_select(
            ["scope", "key", "value", "project_id"],
            select(
                literal(target_id, String),
                Setting.key,
                Setting.value,
                literal(target_id, String),
            ).where(Setting.scope == source_id, Setting.key.in_(sorted(keys))),
        )
    )
