"""The commands API of a ``FakeE2BSdk`` sandbox: real processes on this machine.

As in E2B: ``run`` starts ``bash -c CMD`` and returns a handle (or, in the foreground, waits
for it); output reaches the callbacks as decoded chunks; ``wait`` raises
``CommandExitException`` on a non-zero exit and ``TimeoutException`` when the time limit
passed (the command is then killed, and no exit code is reported); ``kill`` sends SIGKILL
(to the command's whole session). Each command runs in a session of its own with a
cleared environment that marks the sandbox (``E2B_SANDBOX_ID``), so killing the sandbox
finds every process it started.
"""

from __future__ import annotations

import asyncio
import codecs
import inspect
import signal
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from e2b import (
    CommandExitException,
    CommandResult,
    InvalidArgumentException,
    SandboxNotRunningException,
    TimeoutException,
)

from tessera.sandbox.process import spawn
from tessera.sandbox.sessions import signal_session

OutputHandler = Callable[[str], Awaitable[None] | None]

DRAIN_SECONDS = 1.0
"""After a command exits, how long output its leftover children hold open is read."""

KILL_WAIT_SECONDS = 5.0
_POLL_SECONDS = 0.02
_LANG = "C.UTF-8"

MARKER = "E2B_SANDBOX_ID"
"""Environment variable every process of a fake sandbox starts with (its id)."""


async def kill_session(sid: int) -> bool:
    """SIGKILL to every process of session ``sid`` until none is left (as the sandbox's
    process manager kills a command's process group); False when none was running."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + KILL_WAIT_SECONDS
    found = False
    while await asyncio.to_thread(signal_session, sid, signal.SIGKILL):
        found = True
        if loop.time() > deadline:
            break
        await asyncio.sleep(_POLL_SECONDS)
    return found


class FakeCommandHandle:
    """``e2b.AsyncCommandHandle`` for a process of this machine."""

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        *,
        on_stdout: OutputHandler | None,
        on_stderr: OutputHandler | None,
        timeout: float | None,
        kill: Callable[[int], Awaitable[bool]],
    ) -> None:
        self._process = process
        self._kill = kill
        self._chunks: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self._handlers = {"stdout": on_stdout, "stderr": on_stderr}
        self._result: CommandResult | None = None
        self._error: Exception | None = None
        self._task = asyncio.create_task(self._follow(timeout))

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def exit_code(self) -> int | None:
        return None if self._result is None else self._result.exit_code

    @property
    def stdout(self) -> str:
        return "".join(self._chunks["stdout"])

    @property
    def stderr(self) -> str:
        return "".join(self._chunks["stderr"])

    async def wait(self) -> CommandResult:
        await asyncio.shield(self._task)
        if self._error is not None:
            raise self._error
        assert self._result is not None
        if self._result.exit_code != 0:
            raise CommandExitException(
                stdout=self.stdout,
                stderr=self.stderr,
                exit_code=self._result.exit_code,
                error=self._result.error,
            )
        return self._result

    async def kill(self) -> bool:
        return await self._kill(self.pid)

    async def exited(self) -> None:
        """Waits until the process has exited (its output may still be read)."""
        await self._process.wait()

    def sandbox_gone(self) -> None:
        """The sandbox was killed: the connection ends without an end event."""
        if self._result is None and self._error is None:
            self._error = SandboxNotRunningException(
                "The sandbox was killed or reached its timeout."
            )

    async def _follow(self, limit: float | None) -> None:
        process = self._process
        assert process.stdout is not None and process.stderr is not None
        pumps = [
            asyncio.create_task(self._pump(process.stdout, "stdout")),
            asyncio.create_task(self._pump(process.stderr, "stderr")),
        ]
        try:
            await asyncio.wait_for(asyncio.shield(process.wait()), limit or None)
        except TimeoutError:
            await kill_session(process.pid)
            await process.wait()
            self._error = TimeoutException(
                f"deadline_exceeded: the command did not end within {limit:g} s"
            )
        _done, pending = await asyncio.wait(pumps, timeout=DRAIN_SECONDS)
        for pump in pending:
            pump.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)
        if self._error is None:
            code = process.returncode
            assert code is not None
            self._result = CommandResult(
                stdout=self.stdout,
                stderr=self.stderr,
                exit_code=code if code >= 0 else -1,
                error=f"signal: {signal.Signals(-code).name}" if code < 0 else None,
            )

    async def _pump(self, reader: asyncio.StreamReader, stream: str) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while True:
            data = await reader.read(65536)
            text = decoder.decode(data, final=not data)
            if text:
                self._chunks[stream].append(text)
                handler = self._handlers[stream]
                if handler is not None:
                    result = handler(text)
                    if inspect.isawaitable(result):
                        await result
            if not data:
                return


class FakeSandboxPart:
    """What a fake sandbox's ``commands`` and ``pty`` share: where the sandbox's files are,
    its home, environment, PATH, and the check that it is still running."""

    def __init__(
        self,
        *,
        sandbox_id: str,
        host_path: Callable[[str], Path],
        home: Path,
        envs: Mapping[str, str],
        check: Callable[[], None],
        path: str,
    ) -> None:
        self._sandbox_id = sandbox_id
        self._host_path = host_path
        self._home = home
        self._envs = dict(envs)
        self._check = check
        self._path = path


class FakeCommands(FakeSandboxPart):
    """``AsyncSandbox.commands`` of one fake sandbox."""

    def __init__(self, **part: Any) -> None:
        super().__init__(**part)
        self.handles: dict[int, FakeCommandHandle] = {}

    async def run(
        self,
        cmd: str,
        background: bool | None = None,
        envs: dict[str, str] | None = None,
        user: Any = None,
        cwd: str | None = None,
        on_stdout: OutputHandler | None = None,
        on_stderr: OutputHandler | None = None,
        stdin: bool | None = None,
        timeout: float | None = 60,  # noqa: ASYNC109 (E2B's signature)
    ) -> Any:
        self._check()
        workdir = self._host_path(cwd or "/home/user/app")
        if not await asyncio.to_thread(workdir.is_dir):
            raise InvalidArgumentException(f"cwd {cwd!r} is not a directory")
        env = {
            "PATH": self._path,
            "HOME": str(self._home),
            "LANG": _LANG,
            "E2B_SANDBOX": "true",
            **self._envs,
            **(envs or {}),
            MARKER: self._sandbox_id,
        }
        process = await spawn(["bash", "-c", cmd], cwd=workdir, env=env)
        handle = FakeCommandHandle(
            process, on_stdout=on_stdout, on_stderr=on_stderr, timeout=timeout, kill=self.kill
        )
        self.handles[process.pid] = handle
        return handle if background else await handle.wait()

    async def kill(self, pid: int) -> bool:
        """SIGKILL to the command (and its session); False when it is not running."""
        self._check()
        handle = self.handles.get(pid)
        if handle is None or handle.exit_code is not None:
            return False
        killed = await kill_session(pid)
        await handle.exited()
        return killed

    def sandbox_gone(self) -> None:
        for handle in self.handles.values():
            handle.sandbox_gone()
