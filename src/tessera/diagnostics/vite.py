"""Vite's reports: a module that does not compile, an import that does not resolve, a
config that does not load, a proxied API that does not answer.

What Vite 8 prints (measured; samples in the tests)::

    2:28:11 AM [vite] (client) Pre-transform error: Transform failed with 1 error:

    [PARSE_ERROR] Expected `>` but found `)`
       ╭─[ src/App.tsx:7:3 ]
     7 │   )
    ───╯
      Plugin: vite:oxc
      File: /home/user/app/src/App.tsx

followed by the same as ``Internal server error`` (with Vite's stack) when the browser asks
for the module. Older Vite (esbuild) wrote ``Transform failed with 1 error:`` then
``/path/App.tsx:7:3: ERROR: Expected …``. A report goes on until the next ``[vite]`` line,
the end of its stack, or another report; the headline is what the error says, not that a
transform failed.
"""

from __future__ import annotations

import re

from tessera.diagnostics.blocks import STACK_FRAME, Block, Verdict
from tessera.diagnostics.model import AppError
from tessera.diagnostics.paths import project_path, split_location, strip_roots

VITE_LINE = re.compile(r"\[vite\]")
VITE_ERROR = re.compile(
    r"\[vite\] (?:\([\w-]+\) )?(?:Internal server error|Pre-transform error|"
    r"error while updating dependencies):?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
VITE_PROXY_ERROR = re.compile(r"\[vite\] (?:\([\w-]+\) )?http proxy error:?\s*(?P<path>.*)$")
PLUGIN_ERROR = re.compile(r"^\[plugin:(?P<plugin>[\w:@/.-]+)\]\s*(?P<rest>.*)$")
FAILED_WITH = re.compile(r"^(?:\w*Error: )?(?:Transform|Build) failed with \d+ errors?:?$")
CONFIG_FAILED = re.compile(r"^failed to load config from (?P<path>.+)$")
STARTUP_FAILED = "error when starting dev server:"

_FILE_LINE = re.compile(r"^\s*File: (?P<where>.+)$")
_FRAME_HEADER = re.compile(r"[╭┌]─+\[\s*(?P<where>[^\]]+?)\s*\]")
_ESBUILD = re.compile(r"^(?P<where>\S.*?:\d+:\d+): (?:ERROR|error): (?P<message>.+)$")


def summarise(headline: str, body: list[str]) -> tuple[str, str | None, int | None]:
    """The message, file and line of a Vite report (also of the error overlay's text).

    When the headline only says that a transform or build failed, the message is the
    first error it lists.
    """
    message = headline.strip()
    file: str | None = None
    number: int | None = None
    if not message or FAILED_WITH.match(message):
        listed = next((line.strip() for line in body if line.strip()), message)
        esbuild = _ESBUILD.match(listed)
        if esbuild is not None:
            message = esbuild["message"]
            path, number = split_location(esbuild["where"])
            file = project_path(path)
        else:
            message = listed
    for line in body:
        where = _FILE_LINE.match(line) or _FRAME_HEADER.search(line)
        if where is None:
            continue
        path, line_number = split_location(where["where"])
        found = project_path(path)
        if found is not None:
            file = file or found
            number = number or line_number
    return strip_roots(message), file, number


class ViteErrorBlock(Block):
    """``[vite] Internal server error: …`` / ``Pre-transform error: …`` and what follows."""

    def __init__(self, first: str, headline: str) -> None:
        super().__init__(first)
        self.headline = headline
        self._in_stack = False

    def accept(self, line: str) -> Verdict:
        if VITE_LINE.search(line) or PLUGIN_ERROR.match(line):
            return Verdict.NOT_MINE
        if STACK_FRAME.match(line):
            self._in_stack = True
        elif self._in_stack:
            return Verdict.NOT_MINE
        return self.take(line)

    def finish(self) -> AppError:
        message, file, number = summarise(self.headline, self.lines[1:])
        return AppError(
            "build",
            message,
            detail=self.detail(drop_package_frames=True),
            file=file,
            line=number,
        )


class ViteStartupBlock(Block):
    """Vite failing to start: ``failed to load config from …`` / ``error when starting dev
    server:`` then Node's error, its stack and ``{ code: … }``."""

    def __init__(self, first: str, *, config: str | None = None) -> None:
        super().__init__(first)
        self.config = config
        self._in_stack = False
        self._in_object = False

    def accept(self, line: str) -> Verdict:
        if VITE_LINE.search(line):
            return Verdict.NOT_MINE
        if self._in_object:
            self._in_object = line != "}"
            verdict = self.take(line)
            return verdict if self._in_object else Verdict.LAST
        if STACK_FRAME.match(line):
            self._in_stack = True
            self._in_object = line.endswith(" {")
            return self.take(line)
        if self._in_stack:
            return Verdict.NOT_MINE
        return self.take(line)

    def claims(self, line: str) -> bool:
        return line == STARTUP_FAILED and STARTUP_FAILED not in self.lines

    def finish(self) -> AppError:
        lines = [line for line in self.lines if not CONFIG_FAILED.match(line)]
        after = [line for line in lines if line != STARTUP_FAILED]
        headline = after[0] if after else STARTUP_FAILED
        message, file, number = summarise(headline, after[1:])
        config = project_path(self.config) if self.config else None
        return AppError(
            "build",
            message,
            detail=self.detail(drop_package_frames=True),
            file=file or config,
            line=number,
        )


class ProxyErrorBlock(Block):
    """``[vite] http proxy error: /api/…`` then Node's connection error: the full-stack
    app's API server did not answer the front end."""

    def __init__(self, first: str, path: str) -> None:
        super().__init__(first)
        self.path = path

    def accept(self, line: str) -> Verdict:
        if VITE_LINE.search(line):
            return Verdict.NOT_MINE
        if len(self.lines) == 1 or STACK_FRAME.match(line):
            return self.take(line)
        return Verdict.NOT_MINE

    def finish(self) -> AppError:
        cause = self.lines[1].strip() if len(self.lines) > 1 else ""
        message = f"http proxy error: {self.path}" + (f" ({cause})" if cause else "")
        return AppError("server", message, detail=self.detail(drop_package_frames=True))
