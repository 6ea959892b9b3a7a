"""How much disk a sandbox's files take: the ones its user owns in its project folder.

Files the sandbox's processes write belong to the sandbox's user, and so do the files
Tessera writes for it; the shared dependency cache (read-only, or hard-linked and owned by
root) is not counted. Each inode counts once, by the blocks it really takes. Blocking: run
it in a worker thread.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_ENTRIES = 500_000
"""A walk stops after this many entries (the total so far is returned)."""


def used_bytes(folder: Path, uid: int, *, max_entries: int = MAX_ENTRIES) -> int:
    """Bytes taken by the files and folders under ``folder`` that ``uid`` owns."""
    seen: set[tuple[int, int]] = set()
    total = 0
    entries = 0
    pending = [str(folder)]
    while pending and entries < max_entries:
        try:
            scan = os.scandir(pending.pop())
        except OSError:
            continue
        with scan:
            for entry in scan:
                entries += 1
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if stat.S_ISDIR(info.st_mode):
                    pending.append(entry.path)
                if info.st_uid != uid or (info.st_dev, info.st_ino) in seen:
                    continue
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * 512
    return total


def filesystem_used(folder: Path) -> int:
    """Bytes used on the file system holding ``folder`` (one cheap system call)."""
    info = os.statvfs(folder)
    return (info.f_blocks - info.f_bfree) * info.f_frsize
