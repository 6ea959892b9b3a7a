"""The files API of a ``FakeE2BSdk`` sandbox: its file system is a folder on this machine.

Paths are absolute paths of the sandbox (relative ones start at ``/home/user``), as in E2B;
they map into the sandbox's folder, and a path that leads out of it (through a link) is
refused. Errors are E2B's: ``FileNotFoundException``, ``InvalidArgumentException``.
"""

from __future__ import annotations

import asyncio
import os
import posixpath
import shutil
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TypeVar, overload

from e2b import EntryInfo, FileNotFoundException, FileType, InvalidArgumentException, WriteInfo
from e2b.sandbox.filesystem.filesystem import WriteEntry

HOME = "/home/user"

_T = TypeVar("_T")
_Entries = list[EntryInfo]


class FakeFiles:
    """``AsyncSandbox.files`` over ``root``, the sandbox's whole file system."""

    def __init__(self, root: Path, check: Callable[[], None]) -> None:
        self._root = root
        self._check = check
        """Raises when the sandbox cannot serve requests (killed or paused)."""

    async def write(self, path: str, data: str | bytes) -> WriteInfo:
        [info] = await self.write_files([WriteEntry(path=path, data=data)])
        return info

    async def write_files(self, files: list[WriteEntry]) -> list[WriteInfo]:
        entries = [(entry["path"], _content(entry["data"])) for entry in files]
        return await self._run(lambda: [self._write(path, data) for path, data in entries])

    @overload
    async def read(self, path: str, format: Literal["text"] = "text") -> str: ...

    @overload
    async def read(self, path: str, format: Literal["bytes"]) -> bytearray: ...

    async def read(self, path: str, format: Literal["text", "bytes"] = "text") -> str | bytearray:
        data = await self._run(self._read, path)
        return data.decode("utf-8", errors="replace") if format == "text" else bytearray(data)

    async def list(self, path: str, depth: int | None = 1) -> list[EntryInfo]:
        if depth is not None and depth < 1:
            raise InvalidArgumentException("depth should be at least 1")
        return await self._run(self._list, path, depth or 1)

    async def exists(self, path: str) -> bool:
        return await self._run(lambda: os.path.lexists(self._host(path, follow=False)))

    async def remove(self, path: str) -> None:
        await self._run(self._remove, path)

    async def rename(self, old_path: str, new_path: str) -> EntryInfo:
        return await self._run(self._rename, old_path, new_path)

    def host_path(self, path: str) -> Path:
        """Where ``path`` (a path of the sandbox) is on this machine."""
        return self._host(path)

    # --- blocking parts ------------------------------------------------------------------
    async def _run(self, call: Callable[..., _T], *args: object) -> _T:
        self._check()
        return await asyncio.to_thread(call, *args)

    def _host(self, path: str, *, follow: bool = True) -> Path:
        absolute = posixpath.normpath(posixpath.join(HOME, path))
        candidate = self._root.joinpath(*Path(absolute).parts[1:])
        real = candidate.resolve() if follow else candidate.parent.resolve() / candidate.name
        root = self._root.resolve()
        if real != root and not real.is_relative_to(root):
            raise InvalidArgumentException(f"{path}: leads outside the sandbox's file system")
        return real

    def _sandbox_path(self, real: Path) -> str:
        return "/" + real.relative_to(self._root.resolve()).as_posix()

    def _write(self, path: str, data: str | bytes) -> WriteInfo:
        target = self._host(path)
        if target.is_dir():
            raise InvalidArgumentException(f"{path}: is a directory")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode() if isinstance(data, str) else data)
        return WriteInfo(name=target.name, type=FileType.FILE, path=self._sandbox_path(target))

    def _read(self, path: str) -> bytes:
        target = self._host(path)
        if target.is_dir():
            raise InvalidArgumentException(f"{path}: is a directory")
        try:
            return target.read_bytes()
        except FileNotFoundError:
            raise FileNotFoundException(f"{path}: no such file") from None

    def _list(self, path: str, depth: int) -> _Entries:
        start = self._host(path)
        if not start.exists():
            raise FileNotFoundException(f"{path}: no such directory")
        if not start.is_dir():
            raise InvalidArgumentException(f"{path}: not a directory")
        entries: _Entries = []
        pending: deque[tuple[Path, int]] = deque([(start, 1)])
        while pending:
            folder, level = pending.popleft()
            for item in sorted(folder.iterdir()):
                entries.append(self._info(item))
                if item.is_dir() and not item.is_symlink() and level < depth:
                    pending.append((item, level + 1))
        return entries

    def _remove(self, path: str) -> None:
        target = self._host(path, follow=False)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif os.path.lexists(target):
            target.unlink()
        # like E2B, removing a missing path is no error

    def _rename(self, old_path: str, new_path: str) -> EntryInfo:
        source = self._host(old_path, follow=False)
        target = self._host(new_path, follow=False)
        if not os.path.lexists(source):
            raise FileNotFoundException(f"{old_path}: no such file or directory")
        target.parent.mkdir(parents=True, exist_ok=True)
        source.rename(target)
        return self._info(target)

    def _info(self, real: Path) -> EntryInfo:
        stat = real.lstat()
        if real.is_symlink():
            kind = FileType.SYMLINK
        elif real.is_dir():
            kind = FileType.DIR
        else:
            kind = FileType.FILE
        return EntryInfo(
            name=real.name,
            type=kind,
            path=self._sandbox_path(real.parent.resolve() / real.name),
            size=stat.st_size,
            mode=stat.st_mode,
            permissions="",
            owner="user",
            group="user",
            modified_time=datetime.fromtimestamp(stat.st_mtime, UTC),
            symlink_target=os.readlink(real) if kind is FileType.SYMLINK else None,
        )


def _content(data: object) -> str | bytes:
    if isinstance(data, str | bytes):
        return data
    read = getattr(data, "read", None)
    if read is None:
        raise InvalidArgumentException("data must be str, bytes or a file-like object")
    content = read()
    assert isinstance(content, str | bytes)
    return content
