"""Python tracebacks: a module failing at import, a Flask route raising (one report each).

``Traceback (most recent call last):`` opens the report, indented frames follow, and the
first line back at the margin is the exception (``NameError: name 'x' is not defined``).
A chained exception (``During handling of the above exception…``) continues the same
report; its last exception is the one the app died of. The file and line are those of the
last frame in the app's own code (not Flask's or another package's).
"""

from __future__ import annotations

import re

from tessera.diagnostics.blocks import Block, Verdict
from tessera.diagnostics.model import AppError
from tessera.diagnostics.paths import is_app_file, project_path, strip_roots

TRACEBACK = "Traceback (most recent call last):"

_CHAINS = (
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)
_FRAME = re.compile(r'^\s+File "(?P<path>[^"]+)", line (?P<line>\d+)')


class TracebackBlock(Block):
    def __init__(self, first: str) -> None:
        super().__init__(first)
        self._state = "frames"
        self.exception: str | None = None

    def accept(self, line: str) -> Verdict:
        if self._state == "frames":
            if line.startswith((" ", "\t")) or not line:
                return self.take(line)
            self.exception = line
            self._state = "ended"
            return self.take(line)
        if self._state == "ended" and line in _CHAINS:
            self._state = "chained"
            return self.take(line)
        if self._state == "chained" and line == TRACEBACK:
            self._state = "frames"
            return self.take(line)
        if not line and self._state in ("ended", "chained"):
            return self.take(line)
        return Verdict.NOT_MINE

    def finish(self) -> AppError | None:
        if self.exception is None:
            return None
        file: str | None = None
        number: int | None = None
        for line in self.lines:
            frame = _FRAME.match(line)
            if frame is not None:
                path = project_path(frame["path"])
                if is_app_file(path):
                    file, number = path, int(frame["line"])
        return AppError(
            "server",
            strip_roots(self.exception),
            detail=self.detail(),
            file=file,
            line=number,
        )
