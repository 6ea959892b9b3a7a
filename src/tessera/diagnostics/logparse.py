"""Errors out of a sandbox's output, fed one line at a time.

A sandbox's output interleaves its processes: a full-stack app's lines arrive as
``api | …`` and ``web | …`` (one report of the API can be cut by a line of Vite's), so
each process gets its own reader. Lines starting with ``[tessera]`` are Tessera's own
notes and never an error. Everything else is ordinary output unless it opens a report
that a parser knows (Vite, Python tracebacks, npm and pip failures, Node errors); Vite's
ready banner, its ``hmr update`` notes, request logs and warnings open none.
"""

from __future__ import annotations

import re

from tessera.diagnostics.blocks import Block, ErrorLineBlock, Verdict
from tessera.diagnostics.installs import NPM_ERROR, PIP_ERROR, NpmBlock, PipBlock
from tessera.diagnostics.model import AppError
from tessera.diagnostics.python import TRACEBACK, TracebackBlock
from tessera.diagnostics.text import clean_line
from tessera.diagnostics.vite import (
    CONFIG_FAILED,
    FAILED_WITH,
    PLUGIN_ERROR,
    STARTUP_FAILED,
    VITE_ERROR,
    VITE_PROXY_ERROR,
    ProxyErrorBlock,
    ViteErrorBlock,
    ViteStartupBlock,
)

TESSERA_NOTE = "[tessera]"

_PROCESS_PREFIX = re.compile(r"^(?P<name>[a-z][a-z0-9_-]{0,31}) \| ?(?P<line>.*)$", re.DOTALL)
_ERROR_LINE = re.compile(r"^(?:[A-Z]\w*)?(?:Error|Exception)(?: \[[\w-]+\])?: \S")
_PREFACES = ("Error: While importing",)
"""Error lines that only announce the traceback that follows (Flask's command line)."""


def open_block(line: str, *, unmistakable: bool = False) -> Block | None:
    """The report ``line`` opens, if it opens one. With ``unmistakable``, only a line that
    cannot be part of another report counts (not a bare ``Error: …``, which is how Node
    prints the cause inside Vite's reports)."""
    if line.startswith(TRACEBACK):
        return TracebackBlock(line)
    if (match := VITE_ERROR.search(line)) is not None:
        return ViteErrorBlock(line, match["rest"])
    if (match := VITE_PROXY_ERROR.search(line)) is not None:
        return ProxyErrorBlock(line, match["path"].strip())
    if (match := PLUGIN_ERROR.match(line)) is not None:
        return ViteErrorBlock(line, match["rest"])
    if (match := CONFIG_FAILED.match(line)) is not None:
        return ViteStartupBlock(line, config=match["path"])
    if line == STARTUP_FAILED:
        return ViteStartupBlock(line)
    if NPM_ERROR.match(line):
        return NpmBlock(line)
    if PIP_ERROR.match(line):
        return PipBlock(line)
    if unmistakable:
        return None
    if FAILED_WITH.match(line):
        return ViteErrorBlock(line, line)
    if _ERROR_LINE.match(line) and not line.startswith(_PREFACES):
        return ErrorLineBlock(line)
    return None


_YIELDING = (ViteErrorBlock, ViteStartupBlock, ErrorLineBlock)
"""Reports with no visible end: a line unmistakably opening another report ends them."""


class _Stream:
    """The reader of one process's lines."""

    def __init__(self) -> None:
        self.block: Block | None = None

    def feed(self, line: str) -> list[AppError]:
        found: list[AppError] = []
        block = self.block
        if block is not None:
            opens_another = (
                isinstance(block, _YIELDING)
                and not block.claims(line)
                and open_block(line, unmistakable=True) is not None
            )
            verdict = Verdict.NOT_MINE if opens_another else block.accept(line)
            if verdict is Verdict.MORE:
                return found
            found += self.flush()
            if verdict is Verdict.LAST:
                return found
        self.block = open_block(line)
        return found

    def flush(self) -> list[AppError]:
        block, self.block = self.block, None
        if block is None:
            return []
        error = block.finish()
        return [] if error is None else [error]


class LogScanner:
    """Turns output lines into ``AppError``s; a report spanning many lines becomes one.

    ``feed`` returns the errors whose reports the line completed (usually none: a report
    is complete only when a line after it shows it ended). ``flush`` completes the reports
    still open; call it once the output has been quiet for a moment.
    """

    def __init__(self) -> None:
        self._streams: dict[str, _Stream] = {}

    @property
    def pending(self) -> bool:
        """True while a report is open (``flush`` would complete it)."""
        return any(stream.block is not None for stream in self._streams.values())

    def feed(self, line: str) -> list[AppError]:
        text = clean_line(line)
        name = ""
        prefixed = _PROCESS_PREFIX.match(text)
        if prefixed is not None:
            name, text = prefixed["name"], prefixed["line"]
        if text.startswith(TESSERA_NOTE):
            return []
        stream = self._streams.get(name)
        if stream is None:
            stream = self._streams[name] = _Stream()
        return stream.feed(text)

    def flush(self) -> list[AppError]:
        found: list[AppError] = []
        for stream in self._streams.values():
            found += stream.flush()
        return found
