"""The files API of an E2B sandbox: ``AsyncSandbox.files`` under the project folder."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from e2b.sandbox.filesystem.filesystem import WriteEntry as SdkWriteEntry

from tessera.errors import FileNotFound, InvalidPath
from tessera.sandbox.base import EntryInfo, WriteEntry
from tessera.sandbox.e2b.errors import translated
from tessera.sandbox.e2b.paths import is_project_dir, project_path, sandbox_path
from tessera.sandbox.e2b.sdk import SdkEntryInfo, SdkSandbox

Use = Callable[[], Awaitable[SdkSandbox]]
"""Returns the SDK's sandbox, ready for a request (resumed if it was paused)."""


class E2BFiles:
    """Files of one E2B sandbox; paths are relative to its project folder."""

    def __init__(self, use: Use) -> None:
        self._use = use

    async def write(self, path: str, data: str | bytes) -> EntryInfo:
        target = _file_path(path)
        sandbox = await self._use()
        with translated(subject="file", name=path):
            await sandbox.files.write(target, data)
        return _written(target, data)

    async def write_files(self, files: list[WriteEntry]) -> list[EntryInfo]:
        targets = [(_file_path(entry.path), entry.data) for entry in files]
        if not targets:
            return []
        sandbox = await self._use()
        with translated(subject="file"):
            await sandbox.files.write_files(
                [SdkWriteEntry(path=target, data=data) for target, data in targets]
            )
        return [_written(target, data) for target, data in targets]

    async def read(self, path: str) -> str:
        target = _file_path(path, action="read")
        sandbox = await self._use()
        with translated(subject="file", name=path):
            return await sandbox.files.read(target, format="text")

    async def read_bytes(self, path: str) -> bytes:
        target = _file_path(path, action="read")
        sandbox = await self._use()
        with translated(subject="file", name=path):
            return bytes(await sandbox.files.read(target, format="bytes"))

    async def list(self, path: str = ".", depth: int = 1) -> list[EntryInfo]:
        folder = sandbox_path(path)
        sandbox = await self._use()
        with translated(subject="file", name=path):
            entries = await sandbox.files.list(folder, depth=max(depth, 1))
        return sorted((_entry(e) for e in entries), key=lambda e: e.path)

    async def exists(self, path: str) -> bool:
        target = sandbox_path(path)
        sandbox = await self._use()
        with translated(subject="file", name=path):
            return await sandbox.files.exists(target)

    async def remove(self, path: str) -> None:
        target = _file_path(path, action="remove")
        sandbox = await self._use()
        with translated(subject="file", name=path):
            exists = await sandbox.files.exists(target)
            if exists:
                await sandbox.files.remove(target)
        if not exists:  # E2B removes a missing path without complaint; Tessera says so
            raise FileNotFound(f"{path!r} does not exist in the sandbox.")

    async def rename(self, old_path: str, new_path: str) -> EntryInfo:
        source = _file_path(old_path, action="rename")
        target = _file_path(new_path, action="rename")
        sandbox = await self._use()
        with translated(subject="file", name=old_path):
            return _entry(await sandbox.files.rename(source, target))


_ACTIONS = {"write": "written", "read": "read", "remove": "removed", "rename": "renamed"}


def _file_path(path: str, *, action: str = "write") -> str:
    """The sandbox path of ``path``, which must name something inside the project folder."""
    target = sandbox_path(path)
    if is_project_dir(target):
        raise InvalidPath(
            f"The project folder itself cannot be {_ACTIONS[action]}; name a file in it."
        )
    return target


def _written(target: str, data: str | bytes) -> EntryInfo:
    size = len(data.encode() if isinstance(data, str) else data)
    relative = project_path(target)
    return EntryInfo(name=relative.rsplit("/", 1)[-1], path=relative, type="file", size=size)


def _entry(entry: SdkEntryInfo) -> EntryInfo:
    kind = getattr(entry.type, "value", entry.type)
    is_dir = kind == "dir"
    return EntryInfo(
        name=entry.name,
        path=project_path(entry.path),
        type="dir" if is_dir else "file",
        size=0 if is_dir else entry.size,
    )
