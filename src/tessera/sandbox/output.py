"""Output of child processes: decoded line by line as it arrives, kept in bounded buffers."""

from __future__ import annotations

import asyncio
import codecs
import inspect
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Literal

from tessera.sandbox.base import OutputCallback

log = logging.getLogger(__name__)

Stream = Literal["stdout", "stderr"]

MAX_LINES = 500
"""Lines kept per stream (and interleaved) for a process's output."""

_MAX_LINE_CHARS = 64 * 1024
"""A longer run of output without a newline is delivered as a line of its own."""


class OutputBuffer:
    """The last ``max_lines`` lines of stdout, of stderr, and of both interleaved."""

    def __init__(self, max_lines: int = MAX_LINES) -> None:
        self._streams: dict[Stream, deque[str]] = {
            "stdout": deque(maxlen=max_lines),
            "stderr": deque(maxlen=max_lines),
        }
        self._both: deque[str] = deque(maxlen=max_lines)

    def add(self, stream: Stream, line: str) -> None:
        self._streams[stream].append(line)
        self._both.append(line)

    def text(self, stream: Stream) -> str:
        lines = self._streams[stream]
        return "".join(f"{line}\n" for line in lines)

    def tail(self, lines: int = 40) -> str:
        if lines <= 0:
            return ""
        return "\n".join(list(self._both)[-lines:])


async def call_back(callback: OutputCallback, line: str) -> None:
    """Calls a sync or async output callback; a failing callback never stops the output."""
    try:
        result = callback(line)
        if inspect.isawaitable(result):
            await result
    except Exception:
        log.exception("output callback failed")


async def pump_lines(
    reader: asyncio.StreamReader, on_line: Callable[[str], Awaitable[None]]
) -> None:
    """Reads ``reader`` to its end, calling ``on_line`` for every decoded line (no newline)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    while chunk := await reader.read(65536):
        pending += decoder.decode(chunk)
        *lines, pending = pending.split("\n")
        for line in lines:
            await on_line(line.removesuffix("\r"))
        while len(pending) > _MAX_LINE_CHARS:
            await on_line(pending[:_MAX_LINE_CHARS])
            pending = pending[_MAX_LINE_CHARS:]
    pending += decoder.decode(b"", final=True)
    if pending:
        await on_line(pending.removesuffix("\r"))
