"""The body of one ``<tessera-edit>`` tag: SEARCH/REPLACE blocks, read line by line.

```
<<<<<<< SEARCH
old lines
=======
new lines
>>>>>>> REPLACE
```

Each section is the lines between its markers, every line with its line break, so an
empty REPLACE section deletes the SEARCH lines. Markers may have five to nine signs and
surrounding spaces. Lines outside blocks (blank lines, a stray code fence) are ignored.
"""

from __future__ import annotations

import re
from enum import Enum

from tessera.protocol.actions import Action, ActionRefused, FileEdit

_SEARCH_RE = re.compile(r"<{5,9}\s*SEARCH")
_DIVIDER_RE = re.compile(r"={5,9}")
_REPLACE_RE = re.compile(r">{5,9}\s*REPLACE")


class _Section(Enum):
    OUTSIDE = "outside"
    SEARCH = "search"
    REPLACE = "replace"


class EditBody:
    """Blocks of one edit tag, fed as whole lines; answers a ``FileEdit`` per finished block."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._section = _Section.OUTSIDE
        self._search: list[str] = []
        self._replace: list[str] = []
        self._edits = 0
        self._refusals = 0

    def feed_lines(self, text: str) -> list[Action]:
        """Read ``text``: whole lines, each ending with ``\\n`` (the last one may not)."""
        out: list[Action] = []
        start = 0
        while start < len(text):
            end = text.find("\n", start) + 1 or len(text)
            self._line(text[start:end], out)
            start = end
        return out

    def finish(self, tail: str) -> list[Action]:
        """The closing tag came after ``tail``."""
        out = self.feed_lines(tail)
        if self._section is not _Section.OUTSIDE:
            self._refuse(
                out,
                "its last SEARCH/REPLACE block was not finished "
                "(a '>>>>>>> REPLACE' line must come before </tessera-edit>)",
            )
        elif self._edits == 0 and self._refusals == 0:
            out.append(
                ActionRefused(
                    self.path,
                    f"The edit of {self.path} contained no SEARCH/REPLACE block; "
                    "nothing was changed",
                )
            )
        return out

    def truncated(self, tail: str) -> list[Action]:
        """The stream ended after ``tail`` without a closing tag."""
        out = self.feed_lines(tail)
        if self._section is not _Section.OUTSIDE or self._edits == 0:
            out.append(
                ActionRefused(
                    self.path,
                    f"The model stopped in the middle of an edit of {self.path}; "
                    "the unfinished block was not applied",
                )
            )
        return out

    def _refuse(self, out: list[Action], why: str) -> None:
        self._refusals += 1
        self._search.clear()
        self._replace.clear()
        self._section = _Section.OUTSIDE
        out.append(ActionRefused(self.path, f"An edit of {self.path} was not applied: {why}"))

    def _line(self, line: str, out: list[Action]) -> None:
        marker = line.strip()
        is_search = _SEARCH_RE.fullmatch(marker) is not None
        is_replace = _REPLACE_RE.fullmatch(marker) is not None
        if self._section is _Section.OUTSIDE:
            if is_search:
                self._section = _Section.SEARCH
            elif is_replace or _DIVIDER_RE.fullmatch(marker):
                self._refuse(out, f"found '{marker}' outside a SEARCH/REPLACE block")
        elif self._section is _Section.SEARCH:
            if _DIVIDER_RE.fullmatch(marker):
                self._section = _Section.REPLACE
            elif is_search or is_replace:
                self._refuse(out, "a SEARCH/REPLACE block has no '=======' line")
                if is_search:
                    self._section = _Section.SEARCH
            else:
                self._search.append(line)
        elif is_replace:
            out.append(FileEdit(self.path, "".join(self._search), "".join(self._replace)))
            self._edits += 1
            self._search.clear()
            self._replace.clear()
            self._section = _Section.OUTSIDE
        elif is_search:
            self._refuse(out, "a SEARCH/REPLACE block has no '>>>>>>> REPLACE' line")
            self._section = _Section.SEARCH
        else:
            self._replace.append(line)
