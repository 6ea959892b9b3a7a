"""Child processes: the one function that starts them, and a handle that follows one.

``spawn`` is the only place a process is started (sandbox commands, template installs,
copies); it starts each in a session of its own so that the whole tree can be ended.
``ManagedProcess`` reads its output line by line into callbacks and a bounded buffer,
enforces an optional time limit, and implements the ``CommandHandle`` protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

from tessera.errors import CommandFailed, CommandTimeout
from tessera.sandbox.base import CommandResult, OutputCallback
from tessera.sandbox.output import MAX_LINES, OutputBuffer, Stream, call_back, pump_lines
from tessera.sandbox.sessions import terminate_session

log = logging.getLogger(__name__)

KILL_GRACE_SECONDS = 2.0
"""How long a process may take to exit after SIGTERM before it gets SIGKILL."""

_DRAIN_SECONDS = 1.0
"""After a kill, how long to wait for output still in the pipes."""


async def spawn(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], pass_fds: Sequence[int] = ()
) -> asyncio.subprocess.Process:
    """Starts ``argv`` in a new session with exactly ``env``, stdin closed, output piped;
    ``pass_fds`` stay open in the child (with the same numbers)."""
    return await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
        pass_fds=tuple(pass_fds),
    )


ExitExplainer = Callable[[int], Awaitable[str | None]]
"""Given a process's exit code, why it was stopped (a sentence for the user), or None."""


class ManagedProcess:
    """A running process and its output. Create it right after ``spawn``.

    ``timeout`` (seconds, None or 0 for none) ends the whole session when it passes;
    ``wait`` then raises ``CommandTimeout``. ``stop_reason`` says why the process was
    stopped when a limit stopped it (``stop``, or ``explain_exit`` once it exited on its
    own); the reason is then also the last line of its output.
    """

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        *,
        cmd: str,
        on_stdout: OutputCallback | None = None,
        on_stderr: OutputCallback | None = None,
        timeout: float | None = None,
        max_lines: int = MAX_LINES,
        kill_grace: float = KILL_GRACE_SECONDS,
        explain_exit: ExitExplainer | None = None,
    ) -> None:
        self.pid = process.pid
        self.cmd = cmd
        self.timeout = timeout
        self.timed_out = False
        self.stop_reason: str | None = None
        self._explain_exit = explain_exit
        self._process = process
        self._kill_grace = kill_grace
        self._output = OutputBuffer(max_lines)
        self._callbacks: dict[Stream, OutputCallback | None] = {
            "stdout": on_stdout,
            "stderr": on_stderr,
        }
        assert process.stdout is not None and process.stderr is not None
        self._pumps = [
            asyncio.create_task(pump_lines(process.stdout, self._receiver("stdout"))),
            asyncio.create_task(pump_lines(process.stderr, self._receiver("stderr"))),
        ]
        self._done = asyncio.create_task(self._wait_done())
        self._watchdog: asyncio.Task[None] | None = None
        if timeout:
            self._watchdog = asyncio.create_task(self._expire(timeout))

    @property
    def exit_code(self) -> int | None:
        """``None`` while running; a negative number is the signal that ended it."""
        return self._process.returncode

    @property
    def finished(self) -> bool:
        """The process has exited and its output has been read to the end."""
        return self._done.done()

    def output_tail(self, lines: int = 40) -> str:
        return self._output.tail(lines)

    def result(self) -> CommandResult:
        code = self._process.returncode
        return CommandResult(
            stdout=self._output.text("stdout"),
            stderr=self._output.text("stderr"),
            exit_code=-1 if code is None else code,
        )

    async def wait(self) -> CommandResult:
        """Waits for the end; raises ``CommandTimeout`` or ``CommandFailed`` (non-zero exit)."""
        await asyncio.shield(self._done)
        result = self.result()
        if self.stop_reason is not None:
            raise CommandFailed(
                f"`{_short(self.cmd)}` was stopped. {self.stop_reason}",
                exit_code=result.exit_code,
                stdout=result.stdout,
                stderr=result.stderr,
            )
        if self.timed_out:
            if self._watchdog is not None:
                await asyncio.wait({self._watchdog})  # until the whole session has ended
            raise CommandTimeout(
                f"`{_short(self.cmd)}` did not finish within {self.timeout:g} s and was stopped. "
                "Run it in the background or give it a longer timeout."
            )
        if result.exit_code != 0:
            raise CommandFailed(
                f"`{_short(self.cmd)}` exited with code {result.exit_code}: "
                f"{_last_line(self.output_tail(5)) or 'no output'}",
                exit_code=result.exit_code,
                stdout=result.stdout,
                stderr=result.stderr,
            )
        return result

    async def kill(self) -> bool:
        """Ends the whole session (SIGTERM, SIGKILL after the grace period).

        Returns False if the process had already exited (leftover children are ended too).
        """
        was_running = self._process.returncode is None
        await terminate_session(self.pid, grace=self._kill_grace)
        await self._settle()
        return was_running

    async def stop(self, reason: str) -> None:
        """Records why the process is being stopped (shown in its output), then kills it."""
        await self.give_stop_reason(reason)
        await self.kill()

    async def give_stop_reason(self, reason: str) -> None:
        """Records why the process is being stopped (the first reason given stays), and
        adds it to its output; whoever stops it kills it."""
        if self.stop_reason is not None:
            return
        self.stop_reason = reason
        await self._receiver("stderr")(f"[tessera] {reason}")

    async def _settle(self) -> None:
        """After a kill: reap the process, and stop reading output a stray holder keeps open."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._done), _DRAIN_SECONDS)
        if not self._done.done():
            for pump in self._pumps:
                pump.cancel()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._done), _DRAIN_SECONDS)
        if self._watchdog is not None and self._watchdog is not asyncio.current_task():
            self._watchdog.cancel()

    def _receiver(self, stream: Stream) -> _LineReceiver:
        return _LineReceiver(self._output, stream, self._callbacks[stream])

    async def _wait_done(self) -> None:
        code = await self._process.wait()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        if code != 0 and self._explain_exit is not None and self.stop_reason is None:
            try:
                reason = await self._explain_exit(code)
            except Exception:
                log.exception("could not tell why `%s` stopped", _short(self.cmd))
                reason = None
            if reason is not None:
                await self.give_stop_reason(reason)
        if self._watchdog is not None and not self.timed_out:
            self._watchdog.cancel()  # a watchdog that has started ending the session goes on

    async def _expire(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        if not self._done.done():
            self.timed_out = True
            await terminate_session(self.pid, grace=self._kill_grace)
            await self._settle()


class _LineReceiver:
    def __init__(
        self, output: OutputBuffer, stream: Stream, callback: OutputCallback | None
    ) -> None:
        self._output = output
        self._stream = stream
        self._callback = callback

    async def __call__(self, line: str) -> None:
        self._output.add(self._stream, line)
        if self._callback is not None:
            await call_back(self._callback, line)


def _short(cmd: str, limit: int = 80) -> str:
    return cmd if len(cmd) <= limit else cmd[: limit - 1] + "…"


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""
