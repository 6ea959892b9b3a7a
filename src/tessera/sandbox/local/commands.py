"""The commands API of a local sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

from tessera.errors import InvalidPath
from tessera.sandbox.base import CommandResult, OutputCallback
from tessera.sandbox.local.isolation import sandbox_env, spawn_in_sandbox
from tessera.sandbox.local.paths import resolve_inside
from tessera.sandbox.process import ManagedProcess
from tessera.sandbox.sessions import session_members


class LocalCommands:
    """Runs ``bash -c CMD`` in the sandbox's folder and keeps track of every process."""

    def __init__(self, folder: Path, envs: Mapping[str, str] | None = None) -> None:
        self._folder = folder.resolve()
        self._envs = dict(envs or {})
        self._processes: set[ManagedProcess] = set()

    async def run(
        self,
        cmd: str,
        *,
        background: bool = False,
        cwd: str | None = None,
        envs: Mapping[str, str] | None = None,
        on_stdout: OutputCallback | None = None,
        on_stderr: OutputCallback | None = None,
        timeout: float | None = 60.0,  # noqa: ASYNC109 (E2B's signature)
    ) -> CommandResult | ManagedProcess:
        workdir = await asyncio.to_thread(self._workdir, cwd) if cwd else self._folder
        await self._forget_ended()
        env = sandbox_env(self._folder, self._envs, envs)
        process = await spawn_in_sandbox(self._folder, cmd, cwd=workdir, env=env)
        handle = ManagedProcess(
            process, cmd=cmd, on_stdout=on_stdout, on_stderr=on_stderr, timeout=timeout
        )
        self._processes.add(handle)
        if background:
            return handle
        try:
            return await handle.wait()
        except asyncio.CancelledError:
            await handle.kill()
            raise

    def _workdir(self, cwd: str) -> Path:
        workdir = resolve_inside(self._folder, cwd)
        if not workdir.is_dir():
            raise InvalidPath(f"{cwd!r} is not a folder in the sandbox; run commands in one.")
        return workdir

    async def _forget_ended(self) -> None:
        """Drops finished processes whose session has no process left."""
        finished = [p for p in self._processes if p.finished]
        if finished:
            ended = await asyncio.to_thread(
                lambda: [p for p in finished if not session_members(p.pid)]
            )
            self._processes.difference_update(ended)

    def running(self) -> list[ManagedProcess]:
        """Processes started here that have not ended (or whose output is still open)."""
        return [p for p in self._processes if not p.finished]

    async def kill_all(self) -> None:
        """Ends every process started here, with everything they started."""
        processes, self._processes = list(self._processes), set()
        await asyncio.gather(*(p.kill() for p in processes))
