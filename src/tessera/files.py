"""Hand changes to a project's files: saves that notice when the file changed elsewhere,
renaming and deleting files or whole folders, uploads.

Each change is one version with a message saying what it did, so any of them can be
undone from the history; a running sandbox gets the new files at once. Renames, deletes
and uploads wait while the AI is changing the project (its turn would otherwise commit
over them); saves do not, since the edit-conflict check already catches a race.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import UploadFile

from tessera.errors import FileNotFound, InvalidInput, RunInProgress, SandboxError
from tessera.importing import DEFAULT_LIMITS, ImportLimits, Skipped, read_uploaded_files
from tessera.lockfiles import keep_lockfiles
from tessera.protocol.paths import validate_path
from tessera.sandbox.manager import SandboxManager
from tessera.store import FileRecord, Store, VersionRecord

log = logging.getLogger(__name__)

RunCheck = Callable[[str], bool]
"""``is_running(project_id)``: whether a run is changing the project right now."""


def _never_running(_: str) -> bool:
    return False


def run_in_progress() -> RunInProgress:
    return RunInProgress(
        "The AI is changing this project right now; wait for the run to finish, then try again."
    )


def content_sha(content: str) -> str:
    """The sha the store gives ``content`` (hex sha256 of its UTF-8 bytes)."""
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def folder_or_file(path: str) -> str:
    """A file or folder path, checked and normalised (a trailing "/" is allowed)."""
    return validate_path(path.strip().rstrip("/") or path)


async def sync_sandbox(store: Store, sandboxes: SandboxManager | None, project_id: str) -> None:
    """Writes the working copy into the project's sandbox when one is running. The change
    is already saved, so a sandbox that fails here is logged, not reported: the next
    deploy or preview rebuilds it from the store and shows its errors."""
    if sandboxes is None or await sandboxes.status(project_id) is None:
        return
    files = await store.read_files(project_id)
    try:
        deployment = await sandboxes.deploy(project_id, files, wait=False)
    except SandboxError as exc:
        log.warning("sandbox of project %s not synced: %s", project_id, exc.message)
        return
    await keep_lockfiles(store, project_id, deployment)


@dataclass(frozen=True, slots=True)
class UploadResult:
    files: list[FileRecord]
    skipped: list[Skipped] = field(default_factory=list)
    version: VersionRecord | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [{"path": f.path, "size": f.size} for f in self.files],
            "skipped": [s.to_dict() for s in self.skipped],
        }


class FileService:
    """What the file routes call. ``sandboxes`` may be None where no sandbox is kept in step
    (tests, tools); ``is_running`` is the run registry's check."""

    def __init__(
        self,
        *,
        store: Store,
        sandboxes: SandboxManager | None,
        is_running: RunCheck = _never_running,
        upload_limits: ImportLimits = DEFAULT_LIMITS,
    ) -> None:
        self.store = store
        self.sandboxes = sandboxes
        self.is_running = is_running
        self.upload_limits = upload_limits

    async def list_files(self, project_id: str) -> list[FileRecord]:
        return await self.store.list_files(project_id)

    async def read(self, project_id: str, path: str) -> str:
        return await self.store.read_file(project_id, validate_path(path))

    async def save(
        self, project_id: str, path: str, content: str, *, base_sha: str | None = None
    ) -> FileRecord:
        """Saves one file as a version ("Edited x" / "Created x"; none when the content is
        unchanged). With ``base_sha`` — the sha the editor loaded, "" for a new file — a file
        saved elsewhere since raises ``EditConflict`` and nothing is written."""
        path = validate_path(path)
        existing = await self.store.version_shas(project_id, None)
        verb = "Edited" if path in existing else "Created"
        record, version = await self.store.save_file_checked(
            project_id, path, content, base_sha=base_sha, message=f"{verb} {path}"
        )
        if version is not None:
            await sync_sandbox(self.store, self.sandboxes, project_id)
        return record

    async def rename(self, project_id: str, source: str, target: str) -> list[FileRecord]:
        """Renames a file, or a folder with everything under it, as one version
        ("Renamed a → b"); returns the working copy's files."""
        self._refuse_during_run(project_id)
        source, target = folder_or_file(source), folder_or_file(target)
        if source == target:
            raise InvalidInput(f"{source} already has that name; type a different one.")
        current = await self.store.version_shas(project_id, None)
        if source in current:
            moves = {source: target}
        else:
            inside = sorted(path for path in current if path.startswith(source + "/"))
            if not inside:
                raise FileNotFound(
                    f"The project has no file or folder {source!r}; it may have been "
                    "deleted or renamed."
                )
            if target.startswith(source + "/"):
                raise InvalidInput(f"A folder cannot be moved into itself ({source} → {target}).")
            moves = {path: validate_path(target + path[len(source) :]) for path in inside}
        await self.store.move_files(project_id, moves, message=f"Renamed {source} → {target}")
        await sync_sandbox(self.store, self.sandboxes, project_id)
        return await self.store.list_files(project_id)

    async def delete(self, project_id: str, path: str) -> None:
        """Deletes a file, or a folder with everything under it, as one version
        ("Deleted x"). A project keeps at least one file."""
        self._refuse_during_run(project_id)
        path = folder_or_file(path)
        current = await self.store.version_shas(project_id, None)
        doomed = [path] if path in current else [p for p in current if p.startswith(path + "/")]
        if not doomed:
            raise FileNotFound(
                f"The project has no file or folder {path!r}; it may have been deleted or renamed."
            )
        if len(doomed) == len(current):
            raise InvalidInput(
                f"A project needs at least one file; create another file before deleting {path}, "
                "or delete the whole project instead."
            )
        await self.store.delete_files(project_id, doomed, message=f"Deleted {path}")
        await sync_sandbox(self.store, self.sandboxes, project_id)

    async def upload(
        self, project_id: str, uploads: Sequence[UploadFile], *, folder: str | None = None
    ) -> UploadResult:
        """Adds uploaded files (each file name a path relative to ``folder``) as one version
        ("Uploaded n files"), read by the import's rules and limits: dependency and build
        folders, OS junk, files over the per-file limit and files that are not UTF-8 text
        are skipped and listed; too many files or bytes, or a name that leads out of the
        folder, refuse the whole upload and nothing changes."""
        self._refuse_during_run(project_id)
        await self.store.get_project(project_id)
        prefix = folder_or_file(folder) if folder and folder.strip().strip("/") else ""
        read = await read_uploaded_files(uploads, limits=self.upload_limits, strip_top_folder=False)
        contents = {
            validate_path(f"{prefix}/{path}" if prefix else path): text
            for path, text in read.files.items()
        }
        skipped = [
            Skipped(f"{prefix}/{s.path}" if prefix else s.path, s.reason) for s in read.skipped
        ]
        if not contents:
            return UploadResult(files=[], skipped=skipped)
        count = len(contents)
        version = await self.store.commit_files(
            project_id, contents, message=f"Uploaded {count} file{'' if count == 1 else 's'}"
        )
        await sync_sandbox(self.store, self.sandboxes, project_id)
        records = [
            FileRecord(path=path, size=len(text.encode("utf-8")), sha=content_sha(text))
            for path, text in sorted(contents.items())
        ]
        return UploadResult(files=records, skipped=skipped, version=version)

    def _refuse_during_run(self, project_id: str) -> None:
        if self.is_running(project_id):
            raise run_in_progress()


__all__ = [
    "FileService",
    "UploadResult",
    "content_sha",
    "sync_sandbox",
]
