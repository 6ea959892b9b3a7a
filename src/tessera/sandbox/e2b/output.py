"""A command's output as E2B streams it (decoded chunks), turned into lines.

Tessera's output callbacks receive whole lines, like the local provider's; E2B's SDK hands
over chunks as they arrive. ``LineOutput`` splits them, keeps the last lines in an
``OutputBuffer`` (the ring buffer behind ``output_tail``) and calls the callbacks.
"""

from __future__ import annotations

from tessera.sandbox.base import OutputCallback
from tessera.sandbox.output import MAX_LINES, OutputBuffer, Stream, call_back

_MAX_LINE_CHARS = 64 * 1024
"""A longer run of output without a newline is delivered as a line of its own."""


class LineOutput:
    """Receives the chunks of one command's stdout and stderr."""

    def __init__(
        self,
        on_stdout: OutputCallback | None = None,
        on_stderr: OutputCallback | None = None,
        *,
        max_lines: int = MAX_LINES,
    ) -> None:
        self.buffer = OutputBuffer(max_lines)
        self._callbacks: dict[Stream, OutputCallback | None] = {
            "stdout": on_stdout,
            "stderr": on_stderr,
        }
        self._pending: dict[Stream, str] = {"stdout": "", "stderr": ""}

    async def stdout(self, chunk: str) -> None:
        await self._feed("stdout", chunk)

    async def stderr(self, chunk: str) -> None:
        await self._feed("stderr", chunk)

    async def flush(self) -> None:
        """Delivers what is left after the last newline (the output has ended)."""
        for stream, rest in self._pending.items():
            if rest:
                self._pending[stream] = ""
                await self._line(stream, rest)

    async def _feed(self, stream: Stream, chunk: str) -> None:
        pending = self._pending[stream] + chunk
        *lines, pending = pending.split("\n")
        while len(pending) > _MAX_LINE_CHARS:
            lines.append(pending[:_MAX_LINE_CHARS])
            pending = pending[_MAX_LINE_CHARS:]
        self._pending[stream] = pending
        for line in lines:
            await self._line(stream, line)

    async def _line(self, stream: Stream, line: str) -> None:
        line = line.removesuffix("\r")
        self.buffer.add(stream, line)
        callback = self._callbacks[stream]
        if callback is not None:
            await call_back(callback, line)
