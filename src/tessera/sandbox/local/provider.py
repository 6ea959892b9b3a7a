"""The ``local`` sandbox provider: one folder and plain processes per sandbox.

Layout under ``root_dir``: ``{sandbox_id}/`` is the project folder (and ``HOME`` of its
processes), ``{sandbox_id}.json`` its record, so ``connect`` works after a restart. A new
sandbox gets the template's starter files and the template's cached dependencies,
hard-linked (``cp -al``, milliseconds) or, when the cache is on another file system,
symlinked.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import shutil
import string
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tessera.errors import CommandFailed, SandboxNotFound
from tessera.sandbox.base import Sandbox, SandboxProvider
from tessera.sandbox.local.isolation import sandbox_env
from tessera.sandbox.local.sandbox import LocalSandbox, SandboxRecord
from tessera.sandbox.process import ManagedProcess, spawn
from tessera.sandbox.templates import TemplateCache

log = logging.getLogger(__name__)

_ID_ALPHABET = string.ascii_lowercase + string.digits
_ID_LENGTH = 12
_ID_PATTERN = re.compile(rf"[a-z0-9]{{{_ID_LENGTH}}}")

_REWRITTEN_IN_PLACE = (".package-lock.json",)
"""Files of a dependency folder that npm rewrites in place: each sandbox gets its own copy
so that an install inside a sandbox never changes the shared cache through a hard link."""


class LocalSandboxProvider:
    name = "local"

    def __init__(self, root_dir: Path, cache: TemplateCache, *, preview_domain: str) -> None:
        self.root_dir = root_dir
        self.cache = cache
        self.preview_domain = preview_domain
        self._sandboxes: dict[str, LocalSandbox] = {}

    async def create(
        self,
        template: str,
        *,
        envs: Mapping[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (E2B's signature)
        metadata: Mapping[str, str] | None = None,
    ) -> LocalSandbox:
        spec = self.cache.template(template)
        dependencies = self.cache.node_modules(spec.name)  # TemplateNotReady when cold
        root = await asyncio.to_thread(_make_root, self.root_dir)
        sandbox_id, folder = await asyncio.to_thread(_claim_folder, root)
        record = SandboxRecord(
            sandbox_id=sandbox_id,
            template=spec.name,
            created_at=datetime.now(UTC).isoformat(),
            metadata=dict(metadata or {}),
            envs=dict(envs or {}),
        )
        try:
            await asyncio.to_thread(shutil.copytree, spec.files_dir, folder, dirs_exist_ok=True)
            await _link_dependencies(dependencies, folder / spec.cached_dir)
            await asyncio.to_thread(_write_record, root / f"{sandbox_id}.json", record)
        except BaseException:
            await asyncio.to_thread(shutil.rmtree, folder, True)
            raise
        sandbox = self._adopt(record, root)
        if timeout:
            await sandbox.set_timeout(timeout)
        return sandbox

    async def connect(self, sandbox_id: str) -> LocalSandbox:
        if sandbox_id in self._sandboxes:
            return self._sandboxes[sandbox_id]
        if not _ID_PATTERN.fullmatch(sandbox_id):
            raise SandboxNotFound(f"There is no sandbox {sandbox_id!r}.")
        root = await asyncio.to_thread(self.root_dir.resolve)
        record = await asyncio.to_thread(_read_record, root, sandbox_id)
        if record is None:
            raise SandboxNotFound(
                f"There is no sandbox {sandbox_id!r} (it was killed or never existed); "
                "create a new one."
            )
        return self._adopt(record, root)

    async def list(self) -> list[Sandbox]:
        root = await asyncio.to_thread(self.root_dir.resolve)
        ids = await asyncio.to_thread(_record_ids, root)
        sandboxes: list[Sandbox] = []
        for sandbox_id in ids:
            with contextlib.suppress(SandboxNotFound):
                sandboxes.append(await self.connect(sandbox_id))
        return sandboxes

    async def aclose(self) -> None:
        """Ends every process started through this provider; folders stay for ``connect``."""
        sandboxes, self._sandboxes = list(self._sandboxes.values()), {}
        await asyncio.gather(*(s.stop_processes() for s in sandboxes))

    def _adopt(self, record: SandboxRecord, root: Path) -> LocalSandbox:
        sandbox = LocalSandbox(
            record,
            folder=root / record.sandbox_id,
            record_path=root / f"{record.sandbox_id}.json",
            preview_domain=self.preview_domain,
            on_killed=self._forget,
        )
        self._sandboxes[record.sandbox_id] = sandbox
        return sandbox

    def _forget(self, sandbox: LocalSandbox) -> None:
        if self._sandboxes.get(sandbox.sandbox_id) is sandbox:
            del self._sandboxes[sandbox.sandbox_id]


def _make_root(root_dir: Path) -> Path:
    root_dir.mkdir(parents=True, exist_ok=True)
    return root_dir.resolve()


def _claim_folder(root: Path) -> tuple[str, Path]:
    while True:
        sandbox_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))
        folder = root / sandbox_id
        with contextlib.suppress(FileExistsError):
            folder.mkdir()
            return sandbox_id, folder


def _write_record(path: Path, record: SandboxRecord) -> None:
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_text(json.dumps(record.to_json(), indent=2) + "\n")
    staging.replace(path)


def _read_record(root: Path, sandbox_id: str) -> SandboxRecord | None:
    try:
        data = json.loads((root / f"{sandbox_id}.json").read_text())
    except (OSError, ValueError):
        return None
    if not (root / sandbox_id).is_dir() or not isinstance(data, dict):
        return None
    return SandboxRecord(
        sandbox_id=sandbox_id,
        template=str(data.get("template", "")),
        created_at=str(data.get("created_at", "")),
        metadata={str(k): str(v) for k, v in dict(data.get("metadata") or {}).items()},
        envs={str(k): str(v) for k, v in dict(data.get("envs") or {}).items()},
    )


def _record_ids(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    return sorted(p.stem for p in root.glob("*.json") if _ID_PATTERN.fullmatch(p.stem))


async def _link_dependencies(source: Path, target: Path) -> None:
    """Hard-links the cached dependency folder into the sandbox; symlinks it when hard
    links are impossible (the cache is on another file system)."""
    if await _hard_link_tree(source, target):
        await asyncio.to_thread(_unshare, target)
    else:
        await asyncio.to_thread(shutil.rmtree, target, True)
        await asyncio.to_thread(target.symlink_to, source, True)


async def _hard_link_tree(source: Path, target: Path) -> bool:
    same_device = await asyncio.to_thread(
        lambda: source.stat().st_dev == target.parent.stat().st_dev
    )
    if not same_device:
        return False
    cmd = ["cp", "-al", str(source), str(target)]
    process = await spawn(cmd, cwd=target.parent, env=sandbox_env(target.parent))
    handle = ManagedProcess(process, cmd=" ".join(cmd), timeout=120)
    try:
        await handle.wait()
    except CommandFailed as exc:
        log.warning("hard-linking %s failed, symlinking it instead: %s", source, exc.message)
        return False
    return True


def _unshare(folder: Path) -> None:
    for name in _REWRITTEN_IN_PLACE:
        path = folder / name
        if path.is_file() and path.stat().st_nlink > 1:
            data = path.read_bytes()
            path.unlink()
            path.write_bytes(data)


if TYPE_CHECKING:

    def _implements_protocols(provider: LocalSandboxProvider, sandbox: LocalSandbox) -> None:
        _provider: SandboxProvider = provider
        _sandbox: Sandbox = sandbox
