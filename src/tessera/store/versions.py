"""Queries on versions: immutable snapshots of a project's whole working copy."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import VersionNotFound
from tessera.store import blobs
from tessera.store.models import Blob, File, Version, VersionFile
from tessera.store.records import VersionRecord


def not_found(version_id: int) -> VersionNotFound:
    return VersionNotFound(
        f"The project has no version {version_id}; pick one from its version history."
    )


async def snapshot(
    session: AsyncSession, project_id: str, *, message: str, kind: str, now: datetime
) -> VersionRecord:
    """Record the current working copy as the project's next version."""
    last = await session.scalar(
        select(func.coalesce(func.max(Version.number), 0)).where(Version.project_id == project_id)
    )
    version = Version(
        project_id=project_id,
        number=(last or 0) + 1,
        message=message,
        kind=kind,
        created_at=now,
    )
    session.add(version)
    await session.flush()
    await session.execute(
        insert(VersionFile).from_select(
            ["version_id", "path", "sha"],
            select(literal(version.id), File.path, File.sha).where(File.project_id == project_id),
        )
    )
    count = await session.scalar(
        select(func.count()).select_from(VersionFile).where(VersionFile.version_id == version.id)
    )
    return version.to_record(file_count=count or 0)


async def list_versions(session: AsyncSession, project_id: str) -> list[VersionRecord]:
    file_count = (
        select(func.count())
        .select_from(VersionFile)
        .where(VersionFile.version_id == Version.id)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Version, file_count).where(Version.project_id == project_id).order_by(Version.number)
    )
    return [version.to_record(file_count=count) for version, count in rows]


async def require(session: AsyncSession, project_id: str, version_id: int) -> None:
    """Raise VersionNotFound unless the version exists and belongs to the project."""
    found = await session.scalar(
        select(Version.id).where(Version.id == version_id, Version.project_id == project_id)
    )
    if found is None:
        raise not_found(version_id)


async def read_files(session: AsyncSession, project_id: str, version_id: int) -> dict[str, str]:
    await require(session, project_id, version_id)
    rows = await session.execute(
        select(VersionFile.path, Blob.content)
        .join(Blob, Blob.sha == VersionFile.sha)
        .where(VersionFile.version_id == version_id)
        .order_by(VersionFile.path)
    )
    return {path: blobs.decode(data) for path, data in rows}
