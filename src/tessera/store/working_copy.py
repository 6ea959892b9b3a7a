"""Queries on a project's working copy (the ``files`` table and the blobs it points to)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import FileNotFound
from tessera.store import blobs
from tessera.store.models import Blob, File
from tessera.store.records import FileRecord
from tessera.store.sql import chunked, dialect_insert


def not_found(path: str) -> FileNotFound:
    return FileNotFound(f"The project has no file {path!r}; it may have been deleted or renamed.")


async def list_files(session: AsyncSession, project_id: str) -> list[FileRecord]:
    rows = await session.execute(
        select(File.path, Blob.size, File.sha)
        .join(Blob, Blob.sha == File.sha)
        .where(File.project_id == project_id)
        .order_by(File.path)
    )
    return [FileRecord(path=path, size=size, sha=sha) for path, size, sha in rows]


async def read(session: AsyncSession, project_id: str, path: str) -> str:
    data = await session.scalar(
        select(Blob.content)
        .join(File, File.sha == Blob.sha)
        .where(File.project_id == project_id, File.path == path)
    )
    if data is None:
        raise not_found(path)
    return blobs.decode(data)


async def read_all(session: AsyncSession, project_id: str) -> dict[str, str]:
    rows = await session.execute(
        select(File.path, Blob.content)
        .join(Blob, Blob.sha == File.sha)
        .where(File.project_id == project_id)
        .order_by(File.path)
    )
    return {path: blobs.decode(data) for path, data in rows}


async def exists(session: AsyncSession, project_id: str, path: str) -> bool:
    found = await session.scalar(
        select(File.path).where(File.project_id == project_id, File.path == path)
    )
    return found is not None


async def apply(
    session: AsyncSession, project_id: str, changes: Mapping[str, str | None]
) -> dict[str, FileRecord]:
    """Write (content) or delete (None) paths of the working copy; deleting an absent path
    does nothing. Returns the records of the written files."""
    encoded = {
        path: blobs.encode(path, content)
        for path, content in changes.items()
        if content is not None
    }
    deleted = [path for path, content in changes.items() if content is None]

    previous: set[str] = set()
    for chunk in chunked(changes):
        previous.update(
            await session.scalars(
                select(File.sha).where(File.project_id == project_id, File.path.in_(chunk))
            )
        )

    await blobs.put(session, encoded.values())
    for batch in chunked(encoded.items()):
        insert = dialect_insert(session, File)
        await session.execute(
            insert.on_conflict_do_update(
                index_elements=[File.project_id, File.path], set_={"sha": insert.excluded.sha}
            ),
            [{"project_id": project_id, "path": path, "sha": c.sha} for path, c in batch],
        )
    for paths in chunked(deleted):
        await session.execute(
            delete(File)
            .where(File.project_id == project_id, File.path.in_(paths))
            .execution_options(synchronize_session=False)
        )

    await blobs.drop_unreferenced(session, previous - {c.sha for c in encoded.values()})
    return {path: FileRecord(path=path, size=c.size, sha=c.sha) for path, c in encoded.items()}
