"""The commands API of a local sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

from tessera.errors import InvalidPath
from tessera.sandbox.base import CommandResult, OutputCallback
from tessera.sandbox.local.isolation import SandboxRuntime
from tessera.sandbox.local.paths import relative_to_root, resolve_inside
from tessera.sandbox.local.pty import SHELL, SHELL_ENV, PtyTerminal
from tessera.sandbox.process import ManagedProcess
from tessera.sandbox.sessions import session_members


class LocalCommands:
    """Runs ``bash -c CMD`` in the sandbox's project folder (through its runtime) and keeps
    track of every process."""

    def __init__(
        self, folder: Path, runtime: SandboxRuntime, envs: Mapping[str, str] | None = None
    ) -> None:
        self._folder = folder.resolve()
        self._runtime = runtime
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
        workdir = await asyncio.to_thread(self._workdir, cwd) if cwd else "."
        await self._forget_ended()
        handle = await self._runtime.run(
            cmd,
            workdir=workdir,
            env=self._runtime.env(self._envs, envs),
            on_stdout=on_stdout,
            on_stderr=on_stderr,
            timeout=timeout,
        )
        self._processes.add(handle)
        if background:
            return handle
        return await _finish(handle)

    async def install(
        self,
        cmd: str,
        *,
        on_output: OutputCallback | None = None,
        timeout: float | None = 300.0,  # noqa: ASYNC109 (E2B's signature)
    ) -> CommandResult:
        await self._forget_ended()
        handle = await self._runtime.install(
            cmd, env=self._runtime.env(self._envs), on_output=on_output, timeout=timeout
        )
        self._processes.add(handle)
        return await _finish(handle)

    async def open_terminal(
        self,
        *,
        cols: int,
        rows: int,
        cwd: str | None = None,
        envs: Mapping[str, str] | None = None,
    ) -> PtyTerminal:
        """An interactive shell with a pseudo-terminal, started as commands are (see
        ``pty``); the sandbox's processes end with it when it is stopped or killed."""
        workdir = await asyncio.to_thread(self._workdir, cwd) if cwd else "."
        return await self._runtime.open_terminal(
            SHELL,
            workdir=workdir,
            env=self._runtime.env(self._envs, SHELL_ENV, envs),
            cols=cols,
            rows=rows,
        )

    def _workdir(self, cwd: str) -> str:
        workdir = resolve_inside(self._folder, cwd)
        if not workdir.is_dir():
            raise InvalidPath(f"{cwd!r} is not a folder in the sandbox; run commands in one.")
        return relative_to_root(self._folder, workdir)

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

    async def kill_all(self, reason: str | None = None) -> None:
        """Ends every process of the sandbox; ``reason`` (why a limit stopped it) goes to
        the output of each command still running."""
        processes, self._processes = list(self._processes), set()
        if reason is not None:
            for process in processes:
                if process.exit_code is None:
                    await process.give_stop_reason(reason)
        await self._runtime.end_all(processes)


async def _finish(handle: ManagedProcess) -> CommandResult:
    try:
        return await handle.wait()
    except asyncio.CancelledError:
        await handle.kill()
        raise
