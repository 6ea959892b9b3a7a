"""A terminal in an E2B sandbox: E2B's pseudo-terminal API (``AsyncSandbox.pty``).

E2B runs ``/bin/bash -i -l`` with a pseudo-terminal and streams its output to a callback;
keystrokes go in with ``send_stdin``, the size changes with ``resize`` and ``kill`` ends
it. Output waits in a bounded queue: the callback awaits room in it, so a slow reader slows
E2B's stream down instead of filling Tessera's memory. Typing counts as activity of the
sandbox (it pushes E2B's timeout back, as every use of ``files`` or ``commands`` does).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping

from e2b import PtySize

from tessera.errors import TesseraError
from tessera.sandbox.e2b.commands import SETTLE_SECONDS, Use
from tessera.sandbox.e2b.errors import translated
from tessera.sandbox.e2b.sdk import SdkCommandHandle

QUEUE_CHUNKS = 64
"""Chunks of output (E2B sends at most a few KiB each) waiting for ``read`` at most."""

_END = b""


class E2BTerminal:
    """A shell with a pseudo-terminal in an E2B sandbox (implements ``Terminal``); made by
    ``open``."""

    def __init__(self, use: Use) -> None:
        self._use = use
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(QUEUE_CHUNKS)
        self._handle: SdkCommandHandle | None = None
        self._follow: asyncio.Task[None] | None = None
        self._ended = False
        self._closing: asyncio.Future[None] | None = None

    @classmethod
    async def open(
        cls,
        use: Use,
        *,
        cols: int,
        rows: int,
        cwd: str,
        envs: Mapping[str, str] | None = None,
    ) -> E2BTerminal:
        terminal = cls(use)
        live = await use()
        with translated():
            terminal._handle = await live.pty.create(
                PtySize(rows=rows, cols=cols),
                on_data=terminal._received,
                cwd=cwd,
                envs=dict(envs) if envs else None,
                timeout=0,
            )
        terminal._follow = asyncio.create_task(terminal._follow_end())
        return terminal

    @property
    def pid(self) -> int:
        return self._started().pid

    @property
    def exit_code(self) -> int | None:
        return self._started().exit_code

    async def write(self, data: bytes) -> None:
        if self._ended or not data:
            return
        live = await self._use()
        try:
            with translated():
                await live.pty.send_stdin(self.pid, data)
        except TesseraError:
            if not self._ended:  # input for a shell that has just ended is dropped
                raise

    async def resize(self, cols: int, rows: int) -> None:
        if self._ended:
            return
        live = await self._use()
        with translated():
            await live.pty.resize(self.pid, PtySize(rows=rows, cols=cols))

    async def read(self) -> AsyncIterator[bytes]:
        """Output as it comes: everything waiting at once, in one chunk."""
        while True:
            chunk = await self._queue.get()
            chunks = [chunk]
            while chunk != _END and not self._queue.empty():
                chunk = self._queue.get_nowait()
                chunks.append(chunk)
            data = b"".join(chunks)
            if data:
                yield data
            if chunk == _END:
                return

    async def close(self) -> None:
        """Kills the shell (E2B sends SIGKILL) and ends ``read``; idempotent."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close())
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        if not self._ended:
            with contextlib.suppress(TesseraError):
                live = await self._use()
                with translated():
                    await live.pty.kill(self.pid)
        follow = self._follow
        if follow is not None:
            await asyncio.wait({follow}, timeout=SETTLE_SECONDS)
            follow.cancel()
        self._ended = True
        while not self._queue.empty():  # nobody reads it anymore: make room for the end
            self._queue.get_nowait()
        self._queue.put_nowait(_END)

    async def _received(self, data: bytes) -> None:
        if data and not self._ended:
            await self._queue.put(bytes(data))

    async def _follow_end(self) -> None:
        """E2B reports the shell's end (or the connection's): the output ends there."""
        with contextlib.suppress(Exception):
            await self._started().wait()
        self._ended = True
        await self._queue.put(_END)

    def _started(self) -> SdkCommandHandle:
        assert self._handle is not None, "open() starts the terminal"
        return self._handle


__all__ = ["E2BTerminal"]
