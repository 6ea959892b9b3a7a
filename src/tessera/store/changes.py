"""Working-copy changes a person makes by hand, with the checks that must hold at the
moment they are written: the file was not changed elsewhere since it was opened, a new
path does not collide with a file or a folder, a project keeps at least one file.

Each function runs inside the caller's write transaction, so a check and the change it
guards are one atomic step. Renames move ``(path, sha)`` rows: no content is decoded.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import EditConflict, FileNotFound, InvalidInput, PathExists
from tessera.store import blobs
from tessera.store.history import working_shas
from tessera.store.models import File
from tessera.store.records import FileRecord
from tessera.store.sql import chunked


def edit_conflict(path: str, current_sha: str) -> EditConflict:
    return EditConflict(
        f"{path} was changed elsewhere (in another tab or by the AI) since you opened it; "
        "reload it or save again to overwrite.",
        current_sha=current_sha,
    )


async def current_sha(session: AsyncSession, project_id: str, path: str) -> str:
    """The stored file's sha, or "" when the project has no such file."""
    sha = await session.scalar(
        select(File.sha).where(File.project_id == project_id, File.path == path)
    )
    return sha or ""


async def save(
    session: AsyncSession, project_id: str, path: str, content: str, base_sha: str | None
) -> tuple[FileRecord, bool]:
    """Check a save of ``content`` to ``path`` and tell whether it changes anything: with
    ``base_sha`` the stored sha must be it ("" = no such file yet), and a new path must not
    clash with a file or folder. The caller writes the file when it changes."""
    stored = await current_sha(session, project_id, path)
    if base_sha is not None and stored != base_sha:
        raise edit_conflict(path, stored)
    encoded = blobs.encode(path, content)
    if not stored:
        await check_creatable(session, project_id, [path])
    return FileRecord(path=path, size=encoded.size, sha=encoded.sha), encoded.sha != stored


def _folders(paths: Iterable[str]) -> set[str]:
    """Every folder that holds one of ``paths`` ("a/b/c.txt" -> {"a", "a/b"})."""
    folders: set[str] = set()
    for path in paths:
        parts = path.split("/")[:-1]
        folders.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return folders


def check_free(new_paths: Collection[str], existing: Collection[str]) -> None:
    """Raise ``PathExists`` when a path to be created is already a file or a folder of
    ``existing``, or would have to live inside an existing file, or when two of
    ``new_paths`` are a file and a folder of the same name."""
    taken = set(existing)
    folders = _folders(taken)
    for path in sorted(new_paths):
        if path in taken:
            raise PathExists(
                f"{path} already exists; choose another name, or delete or rename it first."
            )
        if path in folders:
            raise PathExists(f"{path} is already a folder; choose another name for the file.")
        for folder in sorted(_folders([path])):
            if folder in taken:
                raise PathExists(
                    f"{folder} is a file, so it cannot hold {path}; choose another folder."
                )
    together = set(new_paths)
    clash = sorted(together & _folders(together))
    if clash:
        raise PathExists(f"{clash[0]} cannot be both a file and a folder; rename one of them.")


async def check_creatable(
    session: AsyncSession, project_id: str, paths: Collection[str], *, replacing: bool = True
) -> None:
    """``paths`` may be written: each is either an existing file (when ``replacing``) or
    a free name that clashes with no file or folder."""
    existing = set(await working_shas(session, project_id))
    new = [path for path in paths if not (replacing and path in existing)]
    check_free(new, existing)


async def move(session: AsyncSession, project_id: str, moves: Mapping[str, str]) -> None:
    """Rename files (source -> target). Every source must exist; no target may be taken
    by a file that stays, nor clash with a folder."""
    current = await working_shas(session, project_id)
    missing = sorted(source for source in moves if source not in current)
    if missing:
        raise FileNotFound(
            f"The project has no file {missing[0]!r}; it may have been deleted or renamed."
        )
    staying = set(current) - set(moves)
    check_free(list(moves.values()), staying)
    for sources in chunked(moves):
        await session.execute(
            delete(File)
            .where(File.project_id == project_id, File.path.in_(sources))
            .execution_options(synchronize_session=False)
        )
    for batch in chunked(moves.items()):
        await session.execute(
            insert(File),
            [
                {"project_id": project_id, "path": target, "sha": current[source]}
                for source, target in batch
            ],
        )


async def count_files(session: AsyncSession, project_id: str) -> int:
    count = await session.scalar(
        select(func.count()).select_from(File).where(File.project_id == project_id)
    )
    return count or 0


async def check_deletable(session: AsyncSession, project_id: str, paths: Collection[str]) -> None:
    """Every one of ``paths`` exists and at least one file would be left."""
    current = await working_shas(session, project_id)
    missing = sorted(path for path in paths if path not in current)
    if missing:
        raise FileNotFound(
            f"The project has no file {missing[0]!r}; it may have been deleted or renamed."
        )
    if len(current) - len(set(paths)) < 1:
        raise InvalidInput(
            "A project needs at least one file; create another file before deleting "
            "this one, or delete the whole project instead."
        )
