"""The pseudo-terminal API of a ``FakeE2BSdk`` sandbox: real shells on this machine.

As in E2B: ``create`` starts ``/bin/bash -i -l`` with a pseudo-terminal of the given size
(``TERM=xterm-256color`` unless ``envs`` says otherwise) and returns a handle whose pid the
other calls take; output reaches ``on_data`` as raw chunks, each awaited before the next;
``kill`` sends SIGKILL (to the shell's whole session); ``timeout`` (0: none) ends the
session. Every shell starts with the sandbox's marker variable, so killing or pausing the
sandbox finds it.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from e2b import (
    CommandExitException,
    CommandResult,
    InvalidArgumentException,
    NotFoundException,
    PtySize,
    SandboxNotRunningException,
    TimeoutException,
)

from tessera.sandbox.e2b.fake_commands import MARKER, FakeSandboxPart, kill_session
from tessera.sandbox.e2b.sdk import PtyDataHandler
from tessera.sandbox.local.pty import PtyTerminal, open_host_pty, spawn_terminal

_LANG = "C.UTF-8"
_SHELL = ("/bin/bash", "-i", "-l")


class FakePtyHandle:
    """``e2b.AsyncCommandHandle`` of a fake pseudo-terminal."""

    def __init__(
        self, terminal: PtyTerminal, *, on_data: PtyDataHandler, timeout: float | None
    ) -> None:
        self.terminal = terminal
        self._on_data = on_data
        self._result: CommandResult | None = None
        self._error: Exception | None = None
        self._task = asyncio.create_task(self._follow(timeout))

    @property
    def pid(self) -> int:
        return self.terminal.pid

    @property
    def exit_code(self) -> int | None:
        return None if self._result is None else self._result.exit_code

    async def wait(self) -> CommandResult:
        await asyncio.shield(self._task)
        if self._error is not None:
            raise self._error
        assert self._result is not None
        if self._result.exit_code != 0:
            raise CommandExitException(
                stdout="",
                stderr="",
                exit_code=self._result.exit_code,
                error=self._result.error,
            )
        return self._result

    async def kill(self) -> bool:
        killed = await kill_session(self.pid)
        await asyncio.wait({self._task})
        return killed

    def sandbox_gone(self) -> None:
        if self._result is None and self._error is None:
            self._error = SandboxNotRunningException(
                "The sandbox was killed or reached its timeout."
            )

    async def _follow(self, limit: float | None) -> None:
        try:
            await asyncio.wait_for(self._deliver(), limit or None)
        except TimeoutError:
            await kill_session(self.pid)
            self._error = TimeoutException(
                f"deadline_exceeded: the terminal did not end within {limit:g} s"
            )
        except Exception as exc:  # as E2B's handle keeps what a data handler raised
            self._error = exc
        finally:
            await self.terminal.close()  # frees the terminal; leftovers of the session end
        code = self.terminal.exit_code
        if self._error is None and code is not None:
            self._result = CommandResult(
                stdout="",
                stderr="",
                exit_code=code if code >= 0 else -1,
                error=f"signal: {signal.Signals(-code).name}" if code < 0 else None,
            )

    async def _deliver(self) -> None:
        async for chunk in self.terminal.read():
            await self._on_data(chunk)


class FakePty(FakeSandboxPart):
    """``AsyncSandbox.pty`` of one fake sandbox."""

    def __init__(self, **part: Any) -> None:
        super().__init__(**part)
        self.handles: dict[int, FakePtyHandle] = {}

    async def create(
        self,
        size: PtySize,
        on_data: PtyDataHandler,
        user: Any = None,
        cwd: str | None = None,
        envs: dict[str, str] | None = None,
        timeout: float | None = 60,  # noqa: ASYNC109 (E2B's signature)
        request_timeout: float | None = None,
    ) -> FakePtyHandle:
        self._check()
        workdir = self._host_path(cwd or "/home/user")
        if not await asyncio.to_thread(workdir.is_dir):
            raise InvalidArgumentException(f"cwd {cwd!r} is not a directory")
        env = {
            "PATH": self._path,
            "HOME": str(self._home),
            "TERM": "xterm-256color",
            "LANG": _LANG,
            "LC_ALL": _LANG,
            "E2B_SANDBOX": "true",
            **self._envs,
            **(envs or {}),
            MARKER: self._sandbox_id,
        }
        terminal = await spawn_terminal(
            _SHELL, pty=open_host_pty(), cwd=workdir, env=env, cols=size.cols, rows=size.rows
        )
        handle = FakePtyHandle(terminal, on_data=on_data, timeout=timeout)
        self.handles[terminal.pid] = handle
        return handle

    async def send_stdin(self, pid: int, data: bytes, request_timeout: float | None = None) -> None:
        await self._running(pid).terminal.write(data)

    async def resize(self, pid: int, size: PtySize, request_timeout: float | None = None) -> None:
        await self._running(pid).terminal.resize(size.cols, size.rows)

    async def kill(self, pid: int, request_timeout: float | None = None) -> bool:
        """SIGKILL to the shell (and its session); False when it is not running."""
        self._check()
        handle = self.handles.get(pid)
        if handle is None or handle.exit_code is not None:
            return False
        return await handle.kill()

    def sandbox_gone(self) -> None:
        for handle in self.handles.values():
            handle.sandbox_gone()

    def _running(self, pid: int) -> FakePtyHandle:
        self._check()
        handle = self.handles.get(pid)
        if handle is None or handle.exit_code is not None:
            raise NotFoundException(f"process with pid {pid} not found")
        return handle
