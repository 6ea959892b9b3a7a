"""The commands API of an E2B sandbox: ``AsyncSandbox.commands`` in the project folder.

Every command is started in the background (``commands.run(..., background=True)``) and a
foreground run waits on its handle, so that Tessera always knows the pid of a command it
must stop. ``timeout`` None or 0 is E2B's ``timeout=0``: no limit (dev servers).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping

from e2b import (
    CommandExitException,
    SandboxNotFoundException,
    SandboxNotRunningException,
    SandboxUnreachableException,
    TimeoutException,
)

from tessera.errors import (
    CommandFailed,
    CommandTimeout,
    SandboxError,
    SandboxNotFound,
    TesseraError,
)
from tessera.sandbox.base import CommandResult, OutputCallback
from tessera.sandbox.e2b.errors import translate, translated
from tessera.sandbox.e2b.output import LineOutput
from tessera.sandbox.e2b.paths import PROJECT_DIR, sandbox_path
from tessera.sandbox.e2b.sdk import SdkCommandHandle, SdkSandbox

SETTLE_SECONDS = 5.0
"""After a kill, how long to wait for E2B to report the command's end."""

Use = Callable[[], Awaitable[SdkSandbox]]


class E2BCommandHandle:
    """A command running in an E2B sandbox (implements ``CommandHandle``).

    Its output is followed from the start; ``output_tail`` reads the local ring buffer the
    output callbacks feed.
    """

    def __init__(
        self,
        handle: SdkCommandHandle,
        output: LineOutput,
        *,
        cmd: str,
        timeout: float | None,
    ) -> None:
        self.pid: int = handle.pid
        self.cmd = cmd
        self.timeout = timeout
        self._handle = handle
        self._output = output
        self._outcome: Exception | None = None
        self._forced_exit: int | None = None
        self._ended = asyncio.create_task(self._follow())

    @property
    def exit_code(self) -> int | None:
        """``None`` while running (or while E2B cannot say, as when the sandbox is paused)."""
        code = self._handle.exit_code
        return code if code is not None else self._forced_exit

    @property
    def finished(self) -> bool:
        return self._ended.done()

    def output_tail(self, lines: int = 40) -> str:
        return self._output.buffer.tail(lines)

    def result(self) -> CommandResult:
        code = self.exit_code
        return CommandResult(
            stdout=self._output.buffer.text("stdout"),
            stderr=self._output.buffer.text("stderr"),
            exit_code=-1 if code is None else code,
        )

    async def wait(self) -> CommandResult:
        """Waits for the end; raises ``CommandFailed`` (non-zero exit), ``CommandTimeout``
        (past its time limit) or the error that ended the connection to the sandbox."""
        await asyncio.shield(self._ended)
        outcome = self._outcome
        if outcome is None:
            return self.result()
        if isinstance(outcome, CommandExitException):
            result = self.result()
            raise CommandFailed(
                f"`{_short(self.cmd)}` exited with code {outcome.exit_code}: "
                f"{_last_line(self.output_tail(5)) or 'no output'}",
                exit_code=outcome.exit_code,
                stdout=result.stdout,
                stderr=result.stderr,
            )
        if self.timeout and _is_time_limit(outcome):
            raise CommandTimeout(
                f"`{_short(self.cmd)}` did not finish within {self.timeout:g} s and was stopped. "
                "Run it in the background or give it a longer timeout."
            )
        error = translate(outcome) or SandboxError(f"`{_short(self.cmd)}` failed: {outcome}")
        raise error from outcome

    async def kill(self) -> bool:
        """Kills the command (E2B sends SIGKILL); False if it had already ended."""
        if self._handle.exit_code is not None:
            return False
        try:
            with translated():
                killed = await self._handle.kill()
        except SandboxNotFound:
            return False  # the sandbox is gone, and the command with it
        await asyncio.wait({self._ended}, timeout=SETTLE_SECONDS)
        if killed and self.exit_code is None:
            self._forced_exit = -1
        return killed

    async def _follow(self) -> None:
        """Waits for E2B to report the end, then delivers the last partial line."""
        try:
            await self._handle.wait()
        except Exception as exc:
            self._outcome = exc
            if self.timeout and _is_time_limit(exc):
                # E2B ends the command at its deadline; make sure of it.
                with contextlib.suppress(Exception):
                    await self._handle.kill()
                self._forced_exit = -1
            elif isinstance(exc, SandboxNotFoundException | SandboxNotRunningException):
                self._forced_exit = -1  # the sandbox is gone
        finally:
            await self._output.flush()


class E2BCommands:
    """Runs ``bash -l -c CMD`` (E2B's way) in the project folder, or in ``cwd`` inside it."""

    def __init__(self, use: Use) -> None:
        self._use = use
        self._handles: set[E2BCommandHandle] = set()

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
    ) -> CommandResult | E2BCommandHandle:
        workdir = sandbox_path(cwd) if cwd else PROJECT_DIR
        output = LineOutput(on_stdout, on_stderr)
        sandbox = await self._use()
        with translated():
            started = await sandbox.commands.run(
                cmd,
                background=True,
                envs=dict(envs) if envs else None,
                cwd=workdir,
                on_stdout=output.stdout,
                on_stderr=output.stderr,
                timeout=timeout or 0,
            )
        handle = E2BCommandHandle(started, output, cmd=cmd, timeout=timeout)
        self._handles = {h for h in self._handles if not h.finished}
        self._handles.add(handle)
        if background:
            return handle
        try:
            return await handle.wait()
        except asyncio.CancelledError:
            with contextlib.suppress(TesseraError):
                await asyncio.shield(handle.kill())
            raise

    def running(self) -> list[E2BCommandHandle]:
        """Commands started here whose end E2B has not reported."""
        return [h for h in self._handles if not h.finished]

    async def kill_all(self) -> None:
        """Kills every command started here that is still running."""
        handles, self._handles = self.running(), set()
        results = await asyncio.gather(*(h.kill() for h in handles), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, TesseraError):
                raise result


def _is_time_limit(exc: BaseException) -> bool:
    """E2B ended the command at its time limit (not: the sandbox went away)."""
    return isinstance(exc, TimeoutException) and not isinstance(
        exc, SandboxNotRunningException | SandboxUnreachableException
    )


def _short(cmd: str, limit: int = 80) -> str:
    return cmd if len(cmd) <= limit else cmd[: limit - 1] + "…"


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""
