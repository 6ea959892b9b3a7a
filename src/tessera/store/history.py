"""Queries on version history that never decode file content unless asked to.

A version's snapshot is a set of ``(path, sha)`` rows in ``version_files``; two snapshots
differ exactly where their shas differ, so what a version changed, and what a restore
has to write, is found by comparing shas in SQL. Content is read from the blobs only for
the files a caller shows (a diff's changed files, one snapshot file).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import and_, delete, exists, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from tessera.errors import FileNotFound, InvalidInput
from tessera.store import blobs, versions
from tessera.store.models import Blob, File, Version, VersionFile
from tessera.store.records import VersionRecord
from tessera.store.sql import chunked, dialect_insert

Change = Literal["added", "modified", "deleted"]


@dataclass(frozen=True, slots=True)
class PathChange:
    """One path a version changed compared with the version before it."""

    path: str
    change: Change

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "change": self.change}


async def changes_by_version(
    session: AsyncSession, project_id: str, version_ids: Collection[int] | None = None
) -> dict[int, list[PathChange]]:
    """What each version changed against the project's previous version (a first version
    adds every file), sorted by path; ``version_ids`` limits the answer to those versions.

    One query: each version is paired with its predecessor by a window function, then
    their ``version_files`` rows are joined by path and compared by sha.
    """
    ordered = select(
        Version.id.label("id"),
        func.lag(Version.id).over(order_by=Version.number).label("prev_id"),
    ).where(Version.project_id == project_id)
    pairs = ordered.cte("pairs")
    if version_ids is not None:
        wanted = select(pairs).where(pairs.c.id.in_(list(version_ids))).cte("wanted")
    else:
        wanted = pairs
    now = aliased(VersionFile)
    before = aliased(VersionFile)
    added_or_modified = (
        select(wanted.c.id, now.path, before.path.is_(None).label("is_new"), literal(False))
        .join(now, now.version_id == wanted.c.id)
        .outerjoin(before, and_(before.version_id == wanted.c.prev_id, before.path == now.path))
        .where((before.path.is_(None)) | (before.sha != now.sha))
    )
    gone = aliased(VersionFile)
    kept = aliased(VersionFile)
    deleted = (
        select(wanted.c.id, gone.path, literal(False), literal(True))
        .join(gone, gone.version_id == wanted.c.prev_id)
        .outerjoin(kept, and_(kept.version_id == wanted.c.id, kept.path == gone.path))
        .where(kept.path.is_(None))
    )
    rows = await session.execute(union_all(added_or_modified, deleted))
    found: dict[int, list[PathChange]] = {}
    for version_id, path, is_new, is_deleted in rows:
        change: Change = "deleted" if is_deleted else "added" if is_new else "modified"
        found.setdefault(version_id, []).append(PathChange(path, change))
    for changes in found.values():
        changes.sort(key=lambda c: c.path)
    return found


async def snapshot_shas(session: AsyncSession, project_id: str, version_id: int) -> dict[str, str]:
    """A version's files as path -> sha (no content read)."""
    await versions.require(session, project_id, version_id)
    rows = await session.execute(
        select(VersionFile.path, VersionFile.sha).where(VersionFile.version_id == version_id)
    )
    return {path: sha for path, sha in rows}


async def working_shas(session: AsyncSession, project_id: str) -> dict[str, str]:
    """The working copy's files as path -> sha (no content read)."""
    rows = await session.execute(select(File.path, File.sha).where(File.project_id == project_id))
    return {path: sha for path, sha in rows}


async def read_blobs(session: AsyncSession, shas: Collection[str]) -> dict[str, str]:
    """The content of each of ``shas``: sha -> text."""
    found: dict[str, str] = {}
    for chunk in chunked(sorted(set(shas))):
        rows = await session.execute(select(Blob.sha, Blob.content).where(Blob.sha.in_(chunk)))
        found.update((sha, blobs.decode(data)) for sha, data in rows)
    return found


async def read_version_file(
    session: AsyncSession, project_id: str, version_id: int, path: str
) -> str:
    await versions.require(session, project_id, version_id)
    data = await session.scalar(
        select(Blob.content)
        .join(VersionFile, VersionFile.sha == Blob.sha)
        .where(VersionFile.version_id == version_id, VersionFile.path == path)
    )
    if data is None:
        raise FileNotFound(
            f"Version {version_id} has no file {path!r}; it was added later or deleted before."
        )
    return blobs.decode(data)


async def version_number(session: AsyncSession, project_id: str, version_id: int) -> int:
    await versions.require(session, project_id, version_id)
    number = await session.scalar(select(Version.number).where(Version.id == version_id))
    assert number is not None
    return number


async def replace_working_copy(
    session: AsyncSession, project_id: str, target: Mapping[str, str]
) -> None:
    """Make the working copy exactly ``target`` (path -> sha of stored blobs): rows are
    rewritten only where the sha differs, and content nobody refers to any more is dropped."""
    if not target:
        raise InvalidInput("That version has no files; pick a version that has some.")
    current = await working_shas(session, project_id)
    removed = [path for path in current if path not in target]
    changed = [(path, sha) for path, sha in target.items() if current.get(path) != sha]
    for paths in chunked(removed):
        await session.execute(
            delete(File)
            .where(File.project_id == project_id, File.path.in_(paths))
            .execution_options(synchronize_session=False)
        )
    for batch in chunked(changed):
        insert = dialect_insert(session, File)
        await session.execute(
            insert.on_conflict_do_update(
                index_elements=[File.project_id, File.path], set_={"sha": insert.excluded.sha}
            ),
            [{"project_id": project_id, "path": path, "sha": sha} for path, sha in batch],
        )
    replaced = {current[path] for path in removed} | {
        current[path] for path, _ in changed if path in current
    }
    await blobs.drop_unreferenced(session, replaced - set(target.values()))


async def get_version(session: AsyncSession, project_id: str, version_id: int) -> VersionRecord:
    version = await session.scalar(
        select(Version).where(Version.id == version_id, Version.project_id == project_id)
    )
    if version is None:
        raise versions.not_found(version_id)
    count = await session.scalar(
        select(func.count()).select_from(VersionFile).where(VersionFile.version_id == version_id)
    )
    return version.to_record(file_count=count or 0)


@dataclass(frozen=True, slots=True)
class FileDiff:
    """One file that differs between two snapshots; ``before``/``after`` is None where the
    file does not exist on that side."""

    path: str
    change: Change
    before: str | None
    after: str | None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "path": self.path,
            "change": self.change,
            "before": self.before,
            "after": self.after,
        }


async def _shas(session: AsyncSession, project_id: str, version_id: int | None) -> dict[str, str]:
    if version_id is None:
        return await working_shas(session, project_id)
    return await snapshot_shas(session, project_id, version_id)


async def diff(
    session: AsyncSession, project_id: str, before: int | None, after: int | None
) -> list[FileDiff]:
    """The files whose sha differs between ``before`` and ``after`` (version ids; None is
    the working copy), sorted by path, with the content of each side."""
    old = await _shas(session, project_id, before)
    new = await _shas(session, project_id, after)
    paths = sorted(path for path in old.keys() | new.keys() if old.get(path) != new.get(path))
    contents = await read_blobs(
        session, [sha for path in paths for sha in (old.get(path), new.get(path)) if sha]
    )
    found: list[FileDiff] = []
    for path in paths:
        old_sha, new_sha = old.get(path), new.get(path)
        change: Change = (
            "added" if old_sha is None else "deleted" if new_sha is None else "modified"
        )
        found.append(
            FileDiff(
                path=path,
                change=change,
                before=contents[old_sha] if old_sha else None,
                after=contents[new_sha] if new_sha else None,
            )
        )
    return found


async def versions_like_working_copy(session: AsyncSession, project_id: str) -> set[int]:
    """The ids of the project's versions whose files are exactly the working copy's: as
    many files, and none whose (path, sha) the working copy lacks. One query, no content."""
    working_count = (
        select(func.count()).select_from(File).where(File.project_id == project_id)
    ).scalar_subquery()
    version_count = (
        select(func.count())
        .select_from(VersionFile)
        .where(VersionFile.version_id == Version.id)
        .scalar_subquery()
    )
    differing = (
        select(VersionFile.path)
        .where(
            VersionFile.version_id == Version.id,
            ~exists().where(
                File.project_id == project_id,
                File.path == VersionFile.path,
                File.sha == VersionFile.sha,
            ),
        )
        .exists()
    )
    rows = await session.scalars(
        select(Version.id).where(
            Version.project_id == project_id, version_count == working_count, ~differing
        )
    )
    return set(rows)
