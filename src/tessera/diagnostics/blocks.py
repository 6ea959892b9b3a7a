"""Multi-line reports in a server's output, read one line at a time.

A dev server reports one fault over many lines (a headline, a code frame, a stack), with
nothing marking the last one. A ``Block`` collects the lines of one report: it is offered
each following line and says whether the line is its own, its own and the last, or not its
own (the report ended before it). ``finish`` turns what it collected into an ``AppError``.
Reports whose end cannot be seen are finished by the next line that is not theirs, or by
the caller once the output has been quiet for a moment.
"""

from __future__ import annotations

import abc
import enum
import re

from tessera.diagnostics.model import AppError
from tessera.diagnostics.paths import is_app_file, split_location, strip_roots

MAX_BLOCK_LINES = 200
"""Lines one report may span; a longer one is cut there (its detail is capped anyway)."""

STACK_FRAME = re.compile(r"^\s+at \S")
"""A frame of a JavaScript stack (``    at fn (file:line:col)``)."""

_CLOCK = re.compile(r"^\d{1,2}:\d{2}:\d{2}(?: [AP]M)? ")
"""The time Vite writes before its log lines (left out of details: it differs each time)."""
_JS_FRAME_LOCATION = re.compile(r"(?P<where>(?:file://|https?://|/)[^\s()]+?:\d+(?::\d+)?)\)?$")


class Verdict(enum.Enum):
    MORE = "more"
    """The line belongs to the report, which may go on."""
    LAST = "last"
    """The line belongs to the report and ends it."""
    NOT_MINE = "not_mine"
    """The report ended before this line."""


class Block(abc.ABC):
    """The lines of one report being collected; each kind of report says which lines are
    its own (``accept``) and what error they make (``finish``)."""

    def __init__(self, first: str) -> None:
        self.lines = [first]

    @abc.abstractmethod
    def accept(self, line: str) -> Verdict:
        """Whether ``line`` belongs to this report."""

    def claims(self, line: str) -> bool:
        """True when ``line`` continues this report even though it could open another."""
        return False

    @abc.abstractmethod
    def finish(self) -> AppError | None:
        """The error the collected lines make (None: they turned out to be no error)."""

    def take(self, line: str) -> Verdict:
        """Keeps ``line``; ends the report once it is as long as a report may be."""
        self.lines.append(line)
        return Verdict.LAST if len(self.lines) >= MAX_BLOCK_LINES else Verdict.MORE

    def detail(self, *, drop_package_frames: bool = False) -> str:
        """The collected lines, paths brought back to project paths. With
        ``drop_package_frames``, stack frames inside packages or Node itself are left out
        (a dev server's internals say nothing about the app's fault)."""
        kept = [
            line
            for line in self.lines
            if not (drop_package_frames and STACK_FRAME.match(line) and not _app_frame(line))
        ]
        if kept:
            kept[0] = _CLOCK.sub("", kept[0])
        return strip_roots("\n".join(kept))


class ErrorLineBlock(Block):
    """A JavaScript-style error line (``TypeError: …``, ``Error: …``) and its stack.

    Covers a Node process dying of an exception and command-line tools' one-line failures
    (Flask's ``Error: Could not import 'app'.``).
    """

    def __init__(self, first: str) -> None:
        super().__init__(first)
        self._in_object = False
        """Inside the ``{ code: … }`` Node prints after a stack."""

    def accept(self, line: str) -> Verdict:
        if self._in_object:
            self._in_object = line != "}"
            verdict = self.take(line)
            return verdict if self._in_object else Verdict.LAST
        if STACK_FRAME.match(line):
            self._in_object = line.endswith(" {")
            return self.take(line)
        return Verdict.NOT_MINE

    def finish(self) -> AppError:
        file, line = first_app_frame(self.lines)
        return AppError(
            "server",
            strip_roots(self.lines[0]),
            detail=self.detail() if len(self.lines) > 1 else None,
            file=file,
            line=line,
        )


def _app_frame(line: str) -> tuple[str, int | None] | None:
    match = _JS_FRAME_LOCATION.search(line)
    if match is None:
        return None
    path, number = split_location(match["where"])
    return (path, number) if is_app_file(path) and not path.startswith("/") else None


def first_app_frame(lines: list[str]) -> tuple[str | None, int | None]:
    """The project file and line of the first JavaScript stack frame in the app's own code."""
    for line in lines:
        if STACK_FRAME.match(line) or "@" in line:
            found = _app_frame(line)
            if found is not None:
                return found
    return None, None
