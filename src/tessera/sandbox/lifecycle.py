"""The life of the project sandboxes on one server: taking over, pausing, resuming, limits.

- On start, the sandboxes an earlier run of Tessera left (found through the project id in
  their metadata) are taken over, paused: a project's next deploy or preview reuses its
  folder instead of creating a new sandbox.
- A sandbox idle for ``idle_timeout`` seconds (no deploy, preview request or edit) is
  paused by a sweeper task: its processes stop, its files stay.
- A preview request for a paused sandbox (``resolve``, which the preview proxy asks) resumes
  it — the project's files from the store, the dev server started and awaited — before the
  request is served; an edit resumes it through the deploy it makes.
- At most ``max_running`` sandboxes run: before one more starts, the least recently used
  running ones are paused.
- A sandbox whose folder is gone is rebuilt from the store (``files_of``) as a new sandbox.
- On shutdown every sandbox is paused, so that the next run finds it again.

``files_of(project_id)`` gives a project's files (the store's working copy), so that this
package never imports the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from tessera.errors import ProjectNotFound, SandboxNotFound, TesseraError
from tessera.sandbox.base import Sandbox
from tessera.sandbox.deployment import Deployment
from tessera.sandbox.manager import PROJECT_KEY, SandboxManager
from tessera.sandbox.summary import SandboxSummary

log = logging.getLogger(__name__)

FilesOf = Callable[[str], Awaitable[dict[str, str]]]


class SandboxLifecycle:
    def __init__(
        self,
        manager: SandboxManager,
        *,
        files_of: FilesOf,
        idle_timeout: float = 900.0,
        max_running: int = 8,
        sweep_interval: float = 30.0,
    ) -> None:
        self.manager = manager
        self.files_of = files_of
        self.idle_timeout = idle_timeout
        self.max_running = max_running
        self.sweep_interval = sweep_interval
        self._admission = asyncio.Lock()
        self._admitted: set[str] = set()
        self._resuming: dict[str, asyncio.Lock] = {}
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Takes over the sandboxes left by an earlier run, then enforces the limit on
        every start and pauses idle sandboxes until ``aclose``."""
        await self.reconnect()
        self.manager.on_starting = self._make_room
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_forever(), name="sandbox-sweeper")

    async def aclose(self) -> None:
        """Stops the sweeper and pauses every sandbox (their folders stay for the next run)."""
        if self._sweeper is not None:
            sweeper, self._sweeper = self._sweeper, None
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
        self.manager.on_starting = None
        await asyncio.gather(*(self._pause_quietly(pid) for pid in self.manager.running()))

    async def reconnect(self) -> list[str]:
        """Takes over, paused, one sandbox per project among those the provider lists;
        further sandboxes of a project are killed. Returns the projects taken over."""
        try:
            found = await self.manager.provider.list()
        except TesseraError as exc:
            log.warning("could not list the existing sandboxes: %s", exc.message)
            return []
        by_project: dict[str, list[Sandbox]] = {}
        for sandbox in found:
            project_id = sandbox.metadata.get(PROJECT_KEY)
            if project_id:
                by_project.setdefault(project_id, []).append(sandbox)
        adopted: list[str] = []
        for project_id, sandboxes in by_project.items():
            keep, *extra = sandboxes
            try:
                for sandbox in extra:
                    await sandbox.kill()
                if await self.manager.adopt(project_id, keep):
                    adopted.append(project_id)
            except TesseraError as exc:
                log.warning("could not take over sandbox %s: %s", keep.sandbox_id, exc.message)
        return adopted

    async def resolve(self, sandbox_id: str, port: int) -> str | None:
        """Where the preview proxy sends a request for ``port`` of ``sandbox_id``, or None.

        Records activity. A paused sandbox is resumed first, and a request that comes
        while the sandbox is starting waits for it: the answer comes once the dev server
        answers. Only the port its preview is served on does that (any port while it is
        unknown, after a restart).
        """
        project_id = self.manager.project_of(sandbox_id)
        if project_id is None:
            return None
        self.manager.touch(project_id)
        upstream = await self.manager.upstream(sandbox_id, port)
        if upstream is not None or not self._starting(project_id):
            return upstream
        if self.manager.preview_port(project_id) not in (None, port):
            return None
        try:
            async with self._resume_lock(project_id):
                if self.manager.project_of(sandbox_id) != project_id:
                    return None  # killed or rebuilt (a new sandbox) meanwhile
                if await self.manager.upstream(sandbox_id, port) is None:
                    await self.manager.deploy(project_id, await self.files_of(project_id))
        except ProjectNotFound:
            log.info("sandbox %s belongs to a deleted project; removing it", sandbox_id)
            await self.manager.stop(project_id)
            return None
        except TesseraError as exc:
            log.warning("resuming sandbox %s failed: %s", sandbox_id, exc.message)
            return None
        return await self.manager.upstream(sandbox_id, port)

    async def resume(self, project_id: str) -> Deployment | None:
        """Deploys the project's files from the store into its paused sandbox and waits for
        the dev server (a sandbox whose folder is gone is rebuilt). None when it was not
        paused (anymore)."""
        async with self._resume_lock(project_id):
            if not self.manager.is_paused(project_id):
                return None
            files = await self.files_of(project_id)
            return await self.manager.deploy(project_id, files)

    async def pause(self, project_id: str) -> bool:
        """Pauses the project's sandbox now; False when it has none or it is paused."""
        return await self.manager.pause(project_id)

    async def kill(self, sandbox_id: str) -> None:
        """Kills a sandbox (processes and files); the project's next preview creates a new
        one. Raises ``SandboxNotFound`` for a sandbox no project here has."""
        project_id = self.manager.project_of(sandbox_id)
        if project_id is None:
            raise SandboxNotFound(
                f"There is no sandbox {sandbox_id!r} on this server; list them with "
                "GET /api/sandboxes."
            )
        await self.manager.stop(project_id)

    async def sandboxes(self) -> list[SandboxSummary]:
        """Every project's sandbox on this server, with its status."""
        return await self.manager.summaries()

    async def sweep(self) -> list[str]:
        """Pauses every sandbox idle for ``idle_timeout`` seconds; returns their projects.
        A sandbox being deployed to is left alone (it is active)."""
        deadline = time.time() - self.idle_timeout
        paused: list[str] = []
        for project_id, last_active in self.manager.running().items():
            if last_active > deadline or self.manager.busy(project_id):
                continue
            try:
                if await self.manager.pause(project_id, idle_for=self.idle_timeout):
                    paused.append(project_id)
            except TesseraError as exc:
                log.warning("pausing the idle sandbox of %s failed: %s", project_id, exc.message)
        return paused

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_interval)
            try:
                await self.sweep()
            except Exception:  # the sweeper must outlive a bug in one round
                log.exception("the idle sandbox sweep failed")

    async def _make_room(self, project_id: str) -> None:
        """Pauses the least recently used running sandboxes so that ``project_id``'s can
        start within ``max_running``. Sandboxes being deployed to are not paused, and count
        (so do the starts admitted here whose sandbox is not registered yet)."""
        async with self._admission:
            self._admitted = {pid for pid in self._admitted if self.manager.busy(pid)}
            running = self.manager.running()
            others = {pid: at for pid, at in running.items() if pid != project_id}
            pending = {pid for pid in self._admitted if pid != project_id and pid not in running}
            excess = len(others) + len(pending) + 1 - self.max_running
            for victim in sorted(others, key=others.__getitem__):
                if excess <= 0:
                    break
                if not self.manager.busy(victim) and await self._pause_quietly(victim):
                    log.info("paused the sandbox of %s to make room for %s", victim, project_id)
                    excess -= 1
            self._admitted.add(project_id)

    def _resume_lock(self, project_id: str) -> asyncio.Lock:
        return self._resuming.setdefault(project_id, asyncio.Lock())

    def _starting(self, project_id: str) -> bool:
        """Paused, or on its way up (deployed to, or resumed by another request)."""
        resuming = self._resuming.get(project_id)
        return (
            self.manager.is_paused(project_id)
            or self.manager.busy(project_id)
            or (resuming is not None and resuming.locked())
        )

    async def _pause_quietly(self, project_id: str) -> bool:
        try:
            return await self.manager.pause(project_id)
        except TesseraError as exc:
            log.warning("pausing the sandbox of %s failed: %s", project_id, exc.message)
            return False
