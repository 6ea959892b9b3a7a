"""A project's history: its versions with what each changed, their files, diffs, restore
and undo.

History only grows. Restoring or undoing writes a *new* version whose files are the
chosen snapshot, so the versions after the restored one stay and can be restored in
turn: nothing a person or the AI made is ever lost by going back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tessera.errors import InvalidInput
from tessera.files import RunCheck, run_in_progress, sync_sandbox
from tessera.protocol.paths import validate_path
from tessera.sandbox.manager import SandboxManager
from tessera.store import Store, VersionRecord
from tessera.store.history import FileDiff, PathChange


def _never_running(_: str) -> bool:
    return False


@dataclass(frozen=True, slots=True)
class VersionView:
    """A version as the history lists it: the record plus the paths it changed compared
    with the version before it."""

    version: VersionRecord
    changed: list[PathChange]

    def to_dict(self) -> dict[str, Any]:
        return {**self.version.to_dict(), "changed": [c.to_dict() for c in self.changed]}


class HistoryService:
    """What the version routes call. ``is_running`` is the run registry's check: going
    back while the AI is still writing would be overwritten by its turn, so it waits."""

    def __init__(
        self,
        *,
        store: Store,
        sandboxes: SandboxManager | None,
        is_running: RunCheck = _never_running,
    ) -> None:
        self.store = store
        self.sandboxes = sandboxes
        self.is_running = is_running

    async def versions(self, project_id: str) -> list[VersionView]:
        """Every version, newest first, each with its changed paths (compared by sha in
        one query, no file content read)."""
        records = await self.store.list_versions(project_id)
        changes = await self.store.version_changes(project_id)
        return [VersionView(v, changes.get(v.id, [])) for v in reversed(records)]

    async def version(self, project_id: str, version_id: int) -> VersionView:
        record = await self.store.get_version(project_id, version_id)
        changes = await self.store.version_changes(project_id, [version_id])
        return VersionView(record, changes.get(version_id, []))

    async def snapshot(self, project_id: str, version_id: int) -> dict[str, str]:
        """A version's whole snapshot: path -> content."""
        return await self.store.read_version_files(project_id, version_id)

    async def snapshot_file(self, project_id: str, version_id: int, path: str) -> str:
        return await self.store.read_version_file(project_id, version_id, validate_path(path))

    async def diff(self, project_id: str, before: int | None, after: int | None) -> list[FileDiff]:
        """The changed files between two versions (None: the working copy as it is now),
        each with both contents; the browser's editor draws the line diff."""
        return await self.store.diff_versions(project_id, before, after)

    async def restore(self, project_id: str, version_id: int) -> VersionView:
        """The working copy becomes that version's files, recorded as a new "restore"
        version ("Restored version N"); the sandbox gets them."""
        self._refuse_during_run(project_id)
        target = await self.store.get_version(project_id, version_id)
        return await self._restore(project_id, target, f"Restored version {target.number}")

    async def undo(self, project_id: str) -> VersionView:
        """Goes back to the version before the AI's newest turn ("Undid: <its message>").

        "Newest" counts from where the files are: the newest version (not a restore) whose
        files are the working copy's, else the newest version. So after one undo the files
        are the turn's predecessor, and undoing again goes back one more turn.
        """
        self._refuse_during_run(project_id)
        records = await self.store.list_versions(project_id)
        alike = await self.store.versions_like_working_copy(project_id)
        at = max(
            (i for i, v in enumerate(records) if v.id in alike and v.kind != "restore"),
            default=len(records) - 1,
        )
        turns = [i for i in range(1, at + 1) if records[i].kind == "assistant"]
        if not turns:
            raise InvalidInput(
                "Nothing to undo: no change by the AI comes before the project's current "
                "files. Pick a version in the history to go back to it."
            )
        turn = turns[-1]
        return await self._restore(project_id, records[turn - 1], f"Undid: {records[turn].message}")

    async def _restore(self, project_id: str, target: VersionRecord, message: str) -> VersionView:
        record = await self.store.restore_version(project_id, target.id, message=message)
        await sync_sandbox(self.store, self.sandboxes, project_id)
        return await self.version(project_id, record.id)

    def _refuse_during_run(self, project_id: str) -> None:
        if self.is_running(project_id):
            raise run_in_progress()


__all__ = ["FileDiff", "HistoryService", "PathChange", "VersionView"]
