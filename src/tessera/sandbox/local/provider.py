"""The ``local`` sandbox provider: one folder per sandbox on this machine.

Layout under ``root_dir``: ``{sandbox_id}/`` is the project folder, ``{sandbox_id}.json``
its record, so ``connect`` works after a restart; ``.etc/`` holds the generated ``/etc``
files of isolated sandboxes. A new sandbox gets the template's starter files and, for its
dependencies:

- isolated (``Isolation(mode="bubblewrap")``, what Tessera runs): an empty folder where the
  cache's dependency folders are bound read-only inside the sandbox (milliseconds, nothing
  copied); the project folder belongs to the sandbox's user;
- unisolated: the template's cached dependencies hard-linked (``cp -al``, milliseconds) or,
  when the cache is on another file system, symlinked.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import re
import secrets
import shutil
import string
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tessera.errors import CommandFailed, SandboxNotFound, TesseraError
from tessera.sandbox.base import Sandbox, SandboxProvider
from tessera.sandbox.local.isolated import Backend, IsolatedRuntime, prepare, shared_now
from tessera.sandbox.local.isolation import NETWORK_KEY, Isolation, SandboxRuntime, host_path
from tessera.sandbox.local.layout import writable_inside
from tessera.sandbox.local.plain import PlainRuntime
from tessera.sandbox.local.sandbox import LocalSandbox, RuntimeFactory, SandboxRecord
from tessera.sandbox.local.users import SandboxUser
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
    """Sandboxes on this machine. ``isolation`` says how their processes are isolated;
    without it they are plain processes (``Isolation(mode="none")``): Tessera itself passes
    ``Isolation.from_settings``, isolated by default."""

    name = "local"

    def __init__(
        self,
        root_dir: Path,
        cache: TemplateCache,
        *,
        preview_domain: str,
        isolation: Isolation | None = None,
    ) -> None:
        self.root_dir = root_dir
        self.cache = cache
        self.preview_domain = preview_domain
        self.isolation = isolation or Isolation(mode="none")
        self._warn_unisolated = isolation is not None and not self.isolated
        self._sandboxes: dict[str, LocalSandbox] = {}
        self._backend: Backend | None = None
        self._backend_lock = asyncio.Lock()

    @property
    def isolated(self) -> bool:
        return self.isolation.mode == "bubblewrap"

    async def backend(self) -> Backend | None:
        """What isolated sandboxes share (prepared on first use; None when unisolated).
        Raises ``SandboxError`` naming the fix when sandboxes cannot be isolated here."""
        if not self.isolated:
            if self._warn_unisolated:
                self._warn_unisolated = False
                log.warning(
                    "sandboxes run WITHOUT isolation (TESSERA_SANDBOX_ISOLATION=none): "
                    "generated code runs as Tessera's user, with this machine's files and "
                    "network; use it for trusted code only"
                )
            return None
        async with self._backend_lock:
            if self._backend is None:
                root = await asyncio.to_thread(_make_root, self.root_dir)
                self._backend = await prepare(self.isolation, root)
            return self._backend

    async def create(
        self,
        template: str,
        *,
        envs: Mapping[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (E2B's signature)
        metadata: Mapping[str, str] | None = None,
    ) -> LocalSandbox:
        spec = self.cache.template(template)
        dependencies = self.cache.dependency_dirs(spec.name)  # TemplateNotReady when cold
        backend = await self.backend()
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
            if backend is not None:
                await asyncio.to_thread(_prepare_isolated, folder, dependencies, backend.user)
            else:
                for target, cached in dependencies.items():
                    await _link_dependencies(cached, folder / target)
            await asyncio.to_thread(_write_record, root / f"{sandbox_id}.json", record)
        except BaseException:
            await asyncio.to_thread(shutil.rmtree, folder, True)
            raise
        sandbox = await self._adopt(record, root, backend)
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
        return await self._adopt(record, root, await self.backend())

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

    async def _adopt(
        self, record: SandboxRecord, root: Path, backend: Backend | None
    ) -> LocalSandbox:
        folder = root / record.sandbox_id
        runtime: RuntimeFactory
        if backend is None:
            runtime = functools.partial(_plain, folder)
        else:
            shared = await asyncio.to_thread(shared_now, folder, self._dependencies(record))
            runtime = functools.partial(
                _isolated,
                backend,
                shared=shared,
                network=record.metadata.get(NETWORK_KEY) == "allow",
            )
        sandbox = LocalSandbox(
            record,
            folder=folder,
            record_path=root / f"{record.sandbox_id}.json",
            preview_domain=self.preview_domain,
            runtime=runtime,
            on_killed=self._forget,
        )
        self._sandboxes[record.sandbox_id] = sandbox
        return sandbox

    def _dependencies(self, record: SandboxRecord) -> dict[str, Path]:
        try:
            return self.cache.dependency_dirs(record.template)
        except TesseraError:  # a template no longer known or warm: nothing to share
            return {}

    def _forget(self, sandbox: LocalSandbox) -> None:
        if self._sandboxes.get(sandbox.sandbox_id) is sandbox:
            del self._sandboxes[sandbox.sandbox_id]


def _plain(folder: Path, sandbox: LocalSandbox) -> SandboxRuntime:
    return PlainRuntime(folder)


def _isolated(
    backend: Backend, sandbox: LocalSandbox, *, shared: dict[str, Path], network: bool
) -> SandboxRuntime:
    return IsolatedRuntime(
        backend,
        sandbox_id=sandbox.sandbox_id,
        folder=sandbox.folder,
        shared=shared,
        network=network,
        on_breach=sandbox.stop_for_limit,
    )


def _prepare_isolated(folder: Path, dependencies: dict[str, Path], user: SandboxUser) -> None:
    """Mount points for the shared dependency folders (and their private subfolders, which
    must exist in the read-only cache), then the whole folder given to the sandbox's user."""
    for target, cached in dependencies.items():
        (folder / target).mkdir(parents=True, exist_ok=True)
        for name in writable_inside(target):
            (cached / name).mkdir(exist_ok=True)
    if user.dedicated:
        for current, dirs, files in os.walk(folder):
            os.lchown(current, user.uid, user.gid)
            for name in [*dirs, *files]:
                os.lchown(os.path.join(current, name), user.uid, user.gid)


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
    process = await spawn(cmd, cwd=target.parent, env={"PATH": host_path()})
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
