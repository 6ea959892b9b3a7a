"""What a sandbox's project folder holds, for a manager taking over an existing sandbox."""

from __future__ import annotations

import hashlib

from tessera.errors import FileNotFound, InvalidPath
from tessera.protocol.paths import FORBIDDEN_SEGMENTS
from tessera.sandbox.base import Sandbox

_SKIPPED_DIRS = FORBIDDEN_SEGMENTS | {"__pycache__"}


async def file_hashes(sandbox: Sandbox) -> dict[str, str]:
    """sha256 of every file a project could have written, by path relative to the project
    folder.

    Left out: folders a project never writes (``node_modules``, ``.git``), hidden folders
    (dependency folders such as ``.venv``, tool caches) and ``__pycache__``.
    """
    hashes: dict[str, str] = {}
    pending = ["."]
    while pending:
        folder = pending.pop()
        for entry in await sandbox.files.list(folder, depth=1):
            if entry.type == "dir":
                if not entry.name.startswith(".") and entry.name.lower() not in _SKIPPED_DIRS:
                    pending.append(entry.path)
                continue
            try:
                data = await sandbox.files.read_bytes(entry.path)
            except (FileNotFound, InvalidPath):  # gone meanwhile, or a link to a folder
                continue
            hashes[entry.path] = hashlib.sha256(data).hexdigest()
    return hashes
