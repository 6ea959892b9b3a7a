"""The files API of a local sandbox: its folder on the host, every path checked."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from tessera.errors import FileNotFound, InvalidPath, SandboxError
from tessera.sandbox.base import EntryInfo, WriteEntry
from tessera.sandbox.local.paths import relative_to_root, resolve_inside

_Entries = list[EntryInfo]
_T = TypeVar("_T")


async def _in_thread(call: Callable[..., _T], *args: object) -> _T:
    """Runs a blocking file operation in a worker thread, turning OS errors into errors
    a user can act on."""
    try:
        return await asyncio.to_thread(call, *args)
    except (NotADirectoryError, IsADirectoryError, FileExistsError) as exc:
        raise InvalidPath(
            f"{_name(exc)} cannot be used that way: {exc.strerror}; check the path."
        ) from None
    except FileNotFoundError as exc:
        raise FileNotFound(f"{_name(exc)} does not exist in the sandbox.") from None
    except OSError as exc:
        raise SandboxError(f"The sandbox's files could not be changed: {exc.strerror}.") from None


def _name(exc: OSError) -> str:
    return repr(Path(exc.filename).name) if exc.filename else "A path"


class LocalFiles:
    """Files of one sandbox; paths are relative to its folder (``root``)."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()

    async def write(self, path: str, data: str | bytes) -> EntryInfo:
        return await _in_thread(self._write, path, data)

    async def write_files(self, files: list[WriteEntry]) -> list[EntryInfo]:
        return await _in_thread(lambda: [self._write(f.path, f.data) for f in files])

    async def read(self, path: str) -> str:
        data = await self.read_bytes(path)
        return data.decode("utf-8", errors="replace")

    async def read_bytes(self, path: str) -> bytes:
        return await _in_thread(self._read, path)

    async def list(self, path: str = ".", depth: int = 1) -> list[EntryInfo]:
        return await _in_thread(self._list, path, depth)

    async def exists(self, path: str) -> bool:
        return await _in_thread(lambda: resolve_inside(self._root, path).exists())

    async def remove(self, path: str) -> None:
        await _in_thread(self._remove, path)

    async def rename(self, old_path: str, new_path: str) -> EntryInfo:
        return await _in_thread(self._rename, old_path, new_path)

    # --- blocking parts, each run in a worker thread ------------------------------------
    def _write(self, path: str, data: str | bytes) -> EntryInfo:
        target = resolve_inside(self._root, path)
        if target == self._root or target.is_dir():
            raise InvalidPath(f"{path!r} is a folder; name a file to write.")
        target.parent.mkdir(parents=True, exist_ok=True)
        content = data.encode() if isinstance(data, str) else data
        if target.exists() and target.stat().st_nlink > 1:
            # Shared with another folder (a hard-linked dependency cache): write a new file
            # instead of changing the shared one.
            target.unlink()
        # Written in place otherwise, as editors do, so file watchers see a change.
        with target.open("wb") as handle:
            handle.write(content)
        return self._info(target)

    def _read(self, path: str) -> bytes:
        target = resolve_inside(self._root, path)
        if target.is_dir():
            raise InvalidPath(f"{path!r} is a folder; name a file to read.")
        try:
            return target.read_bytes()
        except FileNotFoundError:
            raise FileNotFound(f"{path!r} does not exist in the sandbox.") from None

    def _list(self, path: str, depth: int) -> _Entries:
        start = resolve_inside(self._root, path)
        if not start.is_dir():
            raise FileNotFound(f"{path!r} is not a folder in the sandbox.")
        entries: _Entries = []
        pending: deque[tuple[Path, int]] = deque([(start, 1)])
        while pending:
            folder, level = pending.popleft()
            with os.scandir(folder) as scan:
                for item in sorted(scan, key=lambda e: e.name):
                    info = self._info(Path(item.path))
                    entries.append(info)
                    if info.type == "dir" and level < max(depth, 1):
                        pending.append((Path(item.path), level + 1))
        return sorted(entries, key=lambda e: e.path)

    def _remove(self, path: str) -> None:
        target = resolve_inside(self._root, path, follow_last=False)
        if target == self._root:
            raise InvalidPath("The project folder itself cannot be removed; name a file in it.")
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            try:
                target.unlink()
            except FileNotFoundError:
                raise FileNotFound(f"{path!r} does not exist in the sandbox.") from None

    def _rename(self, old_path: str, new_path: str) -> EntryInfo:
        source = resolve_inside(self._root, old_path, follow_last=False)
        target = resolve_inside(self._root, new_path, follow_last=False)
        if self._root in (source, target):
            raise InvalidPath("The project folder itself cannot be renamed; name a file in it.")
        if not source.exists() and not source.is_symlink():
            raise FileNotFound(f"{old_path!r} does not exist in the sandbox.")
        target.parent.mkdir(parents=True, exist_ok=True)
        source.rename(target)
        return self._info(target)

    def _info(self, real: Path) -> EntryInfo:
        stat = real.lstat()
        is_dir = real.is_dir() and not real.is_symlink()
        return EntryInfo(
            name=real.name,
            path=relative_to_root(self._root, real),
            type="dir" if is_dir else "file",
            size=0 if is_dir else stat.st_size,
        )
