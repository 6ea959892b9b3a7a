"""Per-sandbox key/value storage behind the preview script's ``localStorage``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tessera.errors import InvalidInput

MAX_STORAGE_BYTES = 5 * 1024 * 1024  # what browsers allow an origin's localStorage


class PreviewStorage:
    """One JSON file per sandbox in ``root``; values are strings, as in ``localStorage``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._locks: dict[str, asyncio.Lock] = {}

    def _path(self, sandbox_id: str) -> Path:
        if not sandbox_id.isalnum():
            raise InvalidInput(f"Not a sandbox id: {sandbox_id!r}")
        return self.root / f"{sandbox_id}.json"

    async def load(self, sandbox_id: str) -> bytes:
        path = self._path(sandbox_id)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return b"{}"

    async def save(self, sandbox_id: str, body: bytes) -> None:
        if len(body) > MAX_STORAGE_BYTES:
            raise InvalidInput("The preview's storage is over its 5 MB limit.")
        try:
            data = json.loads(body)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"The preview's storage is not JSON: {exc}") from exc
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            raise InvalidInput("The preview's storage must map strings to strings.")
        path = self._path(sandbox_id)
        lock = self._locks.setdefault(sandbox_id, asyncio.Lock())
        async with lock:
            await asyncio.to_thread(_write_atomically, path, json.dumps(data).encode())


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
