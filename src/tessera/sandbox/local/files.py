"""The files API of a local sandbox: its folder on the host, every path checked."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections import deque
from collections.abc import Callable, Mapping
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


SharedFolders = Callable[[], Mapping[str, Path]]


class LocalFiles:
    """Files of one sandbox; paths are relative to its folder (``root``).

    ``owner`` (uid, gid) is given the files and folders written here, so that the sandbox's
    processes (an unprivileged user) can change them. ``shared`` names the folders the
    sandbox sees read-only from the dependency cache (project path → cached folder): they
    are read from there, and refuse writes.
    """

    def __init__(
        self,
        root: Path,
        *,
        owner: tuple[int, int] | None = None,
        shared: SharedFolders | None = None,
    ) -> None:
        self._root = root.resolve()
        self._owner = owner
        self._shared = shared

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
        return await _in_thread(lambda: self._locate(path)[1].exists())

    async def remove(self, path: str) -> None:
        await _in_thread(self._remove, path)

    async def rename(self, old_path: str, new_path: str) -> EntryInfo:
        return await _in_thread(self._rename, old_path, new_path)

    # --- blocking parts, each run in a worker thread ------------------------------------
    def _write(self, path: str, data: str | bytes) -> EntryInfo:
        target = self._writable(path)
        if target == self._root or target.is_dir():
            raise InvalidPath(f"{path!r} is a folder; name a file to write.")
        self._make_folders(target.parent)
        content = data.encode() if isinstance(data, str) else data
        if target.exists() and target.stat().st_nlink > 1:
            # Shared with another folder (a hard-linked dependency cache): write a new file
            # instead of changing the shared one.
            target.unlink()
        # Written in place otherwise, as editors do, so file watchers see a change.
        with target.open("wb") as handle:
            handle.write(content)
        self._give(target)
        return self._info(target)

    def _read(self, path: str) -> bytes:
        target = self._locate(path)[1]
        if target.is_dir():
            raise InvalidPath(f"{path!r} is a folder; name a file to read.")
        try:
            return target.read_bytes()
        except FileNotFoundError:
            raise FileNotFound(f"{path!r} does not exist in the sandbox.") from None

    def _list(self, path: str, depth: int) -> _Entries:
        base, start, prefix = self._locate(path)
        if not start.is_dir():
            raise FileNotFound(f"{path!r} is not a folder in the sandbox.")
        entries: _Entries = []
        pending: deque[tuple[Path, int]] = deque([(start, 1)])
        while pending:
            folder, level = pending.popleft()
            with os.scandir(folder) as scan:
                for item in sorted(scan, key=lambda e: e.name):
                    info = self._info(Path(item.path), base, prefix)
                    entries.append(info)
                    if info.type == "dir" and level < max(depth, 1):
                        pending.append((Path(item.path), level + 1))
        return sorted(entries, key=lambda e: e.path)

    def _remove(self, path: str) -> None:
        target = self._writable(path, follow_last=False)
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
        source = self._writable(old_path, follow_last=False)
        target = self._writable(new_path, follow_last=False)
        if self._root in (source, target):
            raise InvalidPath("The project folder itself cannot be renamed; name a file in it.")
        if not source.exists() and not source.is_symlink():
            raise FileNotFound(f"{old_path!r} does not exist in the sandbox.")
        self._make_folders(target.parent)
        source.rename(target)
        return self._info(target)

    def _info(self, real: Path, base: Path | None = None, prefix: str = "") -> EntryInfo:
        stat = real.lstat()
        is_dir = real.is_dir() and not real.is_symlink()
        relative = relative_to_root(base or self._root, real)
        if prefix:
            relative = prefix if relative == "." else f"{prefix}/{relative}"
        return EntryInfo(
            name=real.name,
            path=relative,
            type="dir" if is_dir else "file",
            size=0 if is_dir else stat.st_size,
        )

    # --- shared dependency folders and ownership ----------------------------------------
    def _locate(self, path: str) -> tuple[Path, Path, str]:
        """Where ``path`` is read from: (folder it is relative to, real path, the project
        path of that folder, "" for the project folder itself)."""
        real = resolve_inside(self._root, path)
        for target, cached in self._shared_folders().items():
            place = self._root / target
            if real == place or real.is_relative_to(place):
                base = cached.resolve()
                inner = relative_to_root(place, real)
                return base, resolve_inside(base, inner), target
        return self._root, real, ""

    def _writable(self, path: str, *, follow_last: bool = True) -> Path:
        real = resolve_inside(self._root, path, follow_last=follow_last)
        for target in self._shared_folders():
            place = self._root / target
            if real == place or real.is_relative_to(place):
                raise InvalidPath(
                    f"{path!r} is in {target}/, which this sandbox shares read-only with "
                    "the template's cache; declare packages in the manifest instead."
                )
        return real

    def _shared_folders(self) -> Mapping[str, Path]:
        return {} if self._shared is None else self._shared()

    def _make_folders(self, folder: Path) -> None:
        missing: list[Path] = []
        current = folder
        while not current.exists() and current != self._root:
            missing.append(current)
            current = current.parent
        folder.mkdir(parents=True, exist_ok=True)
        for created in reversed(missing):
            self._give(created)

    def _give(self, path: Path) -> None:
        if self._owner is not None:
            os.lchown(path, *self._owner)
