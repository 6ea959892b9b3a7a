"""The ``Store``: Tessera's persistence API. Every method is one transaction."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import InvalidInput
from tessera.store import (
    changes,
    copying,
    history,
    messages,
    projects,
    settings,
    versions,
    working_copy,
)
from tessera.store.database import Database
from tessera.store.history import PathChange
from tessera.store.records import (
    MESSAGE_ROLES,
    VERSION_KINDS,
    FileRecord,
    MessageRecord,
    ProjectRecord,
    VersionRecord,
)


def _now() -> datetime:
    return datetime.now(UTC)


def _check_kind(kind: str) -> None:
    if kind not in VERSION_KINDS:
        raise InvalidInput(
            f"Unknown version kind {kind!r}; use one of: {', '.join(sorted(VERSION_KINDS))}."
        )


def _check_role(role: str) -> None:
    if role not in MESSAGE_ROLES:
        raise InvalidInput(
            f"Unknown message role {role!r}; use one of: {', '.join(sorted(MESSAGE_ROLES))}."
        )


class Store:
    """Projects, their working copy, versions and chat, in SQLite or PostgreSQL.

    Open with ``await Store.open(url)`` and ``await store.close()`` when done.
    """

    def __init__(self, database: Database) -> None:
        self._db = database
        self._commit_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect to ``url`` (creating a SQLite file and its folder if needed) and bring
        the schema up to date."""
        return cls(await Database.open(url))

    async def close(self) -> None:
        await self._db.close()

    # --- projects ------------------------------------------------------------------------
    async def create_project(self, *, name: str, template: str = "react") -> ProjectRecord:
        async def op(session: AsyncSession) -> ProjectRecord:
            project = await projects.create(session, name=name, template=template, now=_now())
            return project.to_record()

        return await self._db.write(op)

    async def list_projects(self) -> list[ProjectRecord]:
        """Most recently updated first."""

        async def op(session: AsyncSession) -> list[ProjectRecord]:
            return [project.to_record() for project in await projects.list_all(session)]

        return await self._db.read(op)

    async def get_project(self, project_id: str) -> ProjectRecord:
        async def op(session: AsyncSession) -> ProjectRecord:
            return (await projects.get(session, project_id)).to_record()

        return await self._db.read(op)

    async def update_project(
        self,
        project_id: str,
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        template: str | None = None,
    ) -> ProjectRecord:
        """Change the given fields (None leaves a field as it is)."""
        given = {"name": name, "title": title, "description": description, "template": template}
        values = {key: value for key, value in given.items() if value is not None}

        async def op(session: AsyncSession) -> ProjectRecord:
            await projects.touch(session, project_id, _now(), **values)
            return (await projects.get(session, project_id)).to_record()

        return await self._db.write(op)

    async def delete_project(self, project_id: str) -> None:
        """Delete the project with its files, versions, messages and settings."""

        async def op(session: AsyncSession) -> None:
            await projects.delete_one(session, project_id)

        await self._db.write(op)

    # --- project catalog: new projects that start with files, copies ---------------------
    async def create_project_with_files(
        self, *, name: str, template: str, files: Mapping[str, str], message: str
    ) -> ProjectRecord:
        """A new project whose working copy is ``files``, recorded as its version 1 (kind
        "edit"), in one transaction: a failure leaves no half-made project behind."""
        files = dict(files)

        async def op(session: AsyncSession) -> ProjectRecord:
            now = _now()
            project = await projects.create(session, name=name, template=template, now=now)
            await working_copy.apply(session, project.id, files)
            await versions.snapshot(session, project.id, message=message, kind="edit", now=now)
            return project.to_record()

        return await self._db.write(op)

    async def copy_project(
        self, source_id: str, *, name: str, message: str, setting_keys: Collection[str]
    ) -> ProjectRecord:
        """A new project with the source's files (one version, kind "edit", when it has
        any), template, title and description, and the source's settings named by
        ``setting_keys``; its chat and history are not copied. One transaction."""
        keys = frozenset(setting_keys)

        async def op(session: AsyncSession) -> ProjectRecord:
            source = await projects.get(session, source_id)
            now = _now()
            project = await projects.create(
                session,
                name=name,
                template=source.template,
                now=now,
                title=source.title,
                description=source.description,
            )
            if await copying.copy_files(session, source_id, project.id):
                await versions.snapshot(session, project.id, message=message, kind="edit", now=now)
            await copying.copy_settings(session, source_id, project.id, keys)
            return project.to_record()

        return await self._db.write(op)

    # --- working copy --------------------------------------------------------------------
    async def list_files(self, project_id: str) -> list[FileRecord]:
        """The working copy's files, sorted by path."""

        async def op(session: AsyncSession) -> list[FileRecord]:
            await projects.require(session, project_id)
            return await working_copy.list_files(session, project_id)

        return await self._db.read(op)

    async def read_file(self, project_id: str, path: str) -> str:
        async def op(session: AsyncSession) -> str:
            await projects.require(session, project_id)
            return await working_copy.read(session, project_id, path)

        return await self._db.read(op)

    async def read_files(self, project_id: str) -> dict[str, str]:
        """Every file of the working copy: path -> content."""

        async def op(session: AsyncSession) -> dict[str, str]:
            await projects.require(session, project_id)
            return await working_copy.read_all(session, project_id)

        return await self._db.read(op)

    async def write_file(self, project_id: str, path: str, content: str) -> FileRecord:
        """Create or replace one file of the working copy (no new version)."""

        async def op(session: AsyncSession) -> FileRecord:
            await projects.touch(session, project_id, _now())
            written = await working_copy.apply(session, project_id, {path: content})
            return written[path]

        return await self._db.write(op)

    async def delete_file(self, project_id: str, path: str) -> None:
        """Delete one file of the working copy (no new version)."""

        async def op(session: AsyncSession) -> None:
            await projects.touch(session, project_id, _now())
            if not await working_copy.exists(session, project_id, path):
                raise working_copy.not_found(path)
            await working_copy.apply(session, project_id, {path: None})

        await self._db.write(op)

    # --- versions ------------------------------------------------------------------------
    async def commit_version(
        self, project_id: str, *, changes: Mapping[str, str | None], message: str, kind: str
    ) -> VersionRecord:
        """Apply ``changes`` to the working copy (None deletes a path; deleting an absent
        path does nothing) and record the whole working copy as the next version, in one
        transaction. ``kind`` is "assistant", "edit" or "restore"."""
        _check_kind(kind)
        changes = dict(changes)

        async def op(session: AsyncSession) -> VersionRecord:
            now = _now()
            await projects.touch(session, project_id, now)
            await working_copy.apply(session, project_id, changes)
            return await versions.snapshot(session, project_id, message=message, kind=kind, now=now)

        async with self._commit_lock(project_id):
            return await self._db.write(op)

    async def list_versions(self, project_id: str) -> list[VersionRecord]:
        """Oldest first."""

        async def op(session: AsyncSession) -> list[VersionRecord]:
            await projects.require(session, project_id)
            return await versions.list_versions(session, project_id)

        return await self._db.read(op)

    async def read_version_files(self, project_id: str, version_id: int) -> dict[str, str]:
        """Every file of a version's snapshot: path -> content."""

        async def op(session: AsyncSession) -> dict[str, str]:
            await projects.require(session, project_id)
            return await versions.read_files(session, project_id, version_id)

        return await self._db.read(op)

    # --- files and history: hand changes with their checks, what versions changed -------
    async def save_file_checked(
        self, project_id: str, path: str, content: str, *, base_sha: str | None, message: str
    ) -> tuple[FileRecord, VersionRecord | None]:
        """Write one file as a new "edit" version, unless its content is unchanged (then no
        version). With ``base_sha`` ("" for a file that must not exist yet), raise
        ``EditConflict`` when the stored file's sha is another: someone saved it since."""

        async def op(session: AsyncSession) -> tuple[FileRecord, VersionRecord | None]:
            await projects.require(session, project_id)
            record, changed = await changes.save(session, project_id, path, content, base_sha)
            if not changed:
                return record, None
            now = _now()
            await projects.touch(session, project_id, now)
            await working_copy.apply(session, project_id, {path: content})
            version = await versions.snapshot(
                session, project_id, message=message, kind="edit", now=now
            )
            return record, version

        async with self._commit_lock(project_id):
            return await self._db.write(op)

    async def commit_files(
        self, project_id: str, files: Mapping[str, str], *, message: str
    ) -> VersionRecord:
        """Write ``files`` (new or replacing files; a new path may not clash with a file or
        folder) as one "edit" version."""
        files = dict(files)

        async def op(session: AsyncSession) -> VersionRecord:
            await projects.require(session, project_id)
            await changes.check_creatable(session, project_id, list(files))
            now = _now()
            await projects.touch(session, project_id, now)
            await working_copy.apply(session, project_id, files)
            return await versions.snapshot(
                session, project_id, message=message, kind="edit", now=now
            )

        async with self._commit_lock(project_id):
            return await self._db.write(op)

    async def move_files(
        self, project_id: str, moves: Mapping[str, str], *, message: str
    ) -> VersionRecord:
        """Rename files (source -> target) as one "edit" version; ``PathExists`` when a
        target is taken, ``FileNotFound`` when a source is gone."""
        moves = dict(moves)

        async def op(session: AsyncSession) -> VersionRecord:
            now = _now()
            await projects.touch(session, project_id, now)
            await changes.move(session, project_id, moves)
            return await versions.snapshot(
                session, project_id, message=message, kind="edit", now=now
            )

        async with self._commit_lock(project_id):
            return await self._db.write(op)

    async def delete_files(
        self, project_id: str, paths: Collection[str], *, message: str
    ) -> VersionRecord:
        """Delete files as one "edit" version; refused when no file would be left."""
        paths = sorted(set(paths))

        async def op(session: AsyncSession) -> VersionRecord:
            now = _now()
            await projects.touch(session, project_id, now)
            await changes.check_deletable(session, project_id, paths)
            await working_copy.apply(session, project_id, dict.fromkeys(paths))
            return await versions.snapshot(
                session, project_id, message=message, kind="edit", now=now
            )

        async with self._commit_lock(project_id):
            return await self._db.write(op)

    async def restore_version(
        self, project_id: str, version_id: int, *, message: str
    ) -> VersionRecord:
        """Make the working copy that version's snapshot and record it as a new "restore"
        version; the versions after the restored one stay as they are."""

        async def op(session: AsyncSession) -> VersionRecord:
            now = _now()
            await projects.touch(session, project_id, now)
            target = await history.snapshot_shas(session, project_id, version_id)
            await history.replace_working_copy(session, project_id, target)
            return await versions.snapshot(
                session, project_id, message=message, kind="restore", now=now
            )

        async with self._commit_lock(project_id):
            return await self._db.write(op)

    async def get_version(self, project_id: str, version_id: int) -> VersionRecord:
        async def op(session: AsyncSession) -> VersionRecord:
            await projects.require(session, project_id)
            return await history.get_version(session, project_id, version_id)

        return await self._db.read(op)

    async def version_changes(
        self, project_id: str, version_ids: Collection[int] | None = None
    ) -> dict[int, list[PathChange]]:
        """version id -> the paths it changed against the version before it (compared by
        sha, no content read); ``version_ids`` limits the answer."""

        async def op(session: AsyncSession) -> dict[int, list[PathChange]]:
            await projects.require(session, project_id)
            return await history.changes_by_version(session, project_id, version_ids)

        return await self._db.read(op)

    async def versions_like_working_copy(self, project_id: str) -> set[int]:
        """The ids of the versions whose files are exactly the working copy's."""

        async def op(session: AsyncSession) -> set[int]:
            await projects.require(session, project_id)
            return await history.versions_like_working_copy(session, project_id)

        return await self._db.read(op)

    async def version_shas(self, project_id: str, version_id: int | None) -> dict[str, str]:
        """path -> sha of a version's snapshot, or of the working copy for None."""

        async def op(session: AsyncSession) -> dict[str, str]:
            await projects.require(session, project_id)
            if version_id is None:
                return await history.working_shas(session, project_id)
            return await history.snapshot_shas(session, project_id, version_id)

        return await self._db.read(op)

    async def diff_versions(
        self, project_id: str, before: int | None, after: int | None
    ) -> list[history.FileDiff]:
        """The files that differ between two versions (None: the working copy), with both
        contents; only the changed files' blobs are read."""

        async def op(session: AsyncSession) -> list[history.FileDiff]:
            await projects.require(session, project_id)
            return await history.diff(session, project_id, before, after)

        return await self._db.read(op)

    async def read_version_file(self, project_id: str, version_id: int, path: str) -> str:
        async def op(session: AsyncSession) -> str:
            await projects.require(session, project_id)
            return await history.read_version_file(session, project_id, version_id, path)

        return await self._db.read(op)

    # --- chat ----------------------------------------------------------------------------
    async def add_message(
        self, project_id: str, *, role: str, content: str, version_id: int | None = None
    ) -> MessageRecord:
        """Append a chat message; ``version_id`` links the version an answer produced."""
        _check_role(role)

        async def op(session: AsyncSession) -> MessageRecord:
            now = _now()
            await projects.touch(session, project_id, now)
            if version_id is not None:
                await versions.require(session, project_id, version_id)
            return await messages.add(
                session,
                project_id,
                role=role,
                content=content,
                version_id=version_id,
                now=now,
            )

        return await self._db.write(op)

    async def list_messages(self, project_id: str) -> list[MessageRecord]:
        """Oldest first."""

        async def op(session: AsyncSession) -> list[MessageRecord]:
            await projects.require(session, project_id)
            return await messages.list_messages(session, project_id)

        return await self._db.read(op)

    # --- settings ------------------------------------------------------------------------
    async def get_settings(self, scope: str) -> dict[str, Any]:
        """Every setting of ``scope`` ("global" or a project id): key -> JSON value."""

        async def op(session: AsyncSession) -> dict[str, Any]:
            await settings.require_scope(session, scope)
            return await settings.read(session, scope)

        return await self._db.read(op)

    async def put_settings(self, scope: str, values: Mapping[str, Any | None]) -> None:
        """Set the given keys of ``scope`` in one transaction; a None value deletes its key.

        Keys not named are left as they are. A project's settings go with the project.
        """
        values = dict(values)
        settings.check_values(values)

        async def op(session: AsyncSession) -> None:
            await settings.require_scope(session, scope)
            await settings.write(session, scope, values)

        await self._db.write(op)

    def _commit_lock(self, project_id: str) -> asyncio.Lock:
        lock = self._commit_locks.get(project_id)
        if lock is None:
            lock = asyncio.Lock()
            self._commit_locks[project_id] = lock
        return lock
