"""Helpers of the sandbox tests: process checks through /proc, polling, file digests."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path


def process_alive(pid: int) -> bool:
    """True while ``pid`` is a live (non-zombie) process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] not in "ZX"


def processes_in(folder: Path) -> list[int]:
    """Live processes whose working directory is inside ``folder``."""
    found: list[int] = []
    prefix = str(folder.resolve())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if (cwd == prefix or cwd.startswith(prefix + "/")) and process_alive(int(entry.name)):
            found.append(int(entry.name))
    return found


async def poll(check: Callable[[], Awaitable[bool]], *, within: float = 10.0) -> None:
    """Waits until ``check()`` is true, failing after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (symlinks by their target), by relative path."""
    digests: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        if path.is_symlink():
            digests[key] = "-> " + os.readlink(path)
        elif path.is_file():
            digests[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests
