"""One error of a running app, as the console shows it and the autofix reads it.

The same fault is reported again and again (Vite logs a broken module once when it
pre-transforms it and again for every request; a failing route fails on every call), so
errors are grouped by a ``signature``: where they come from, the message with everything
that changes between repeats (numbers, hashes, times, ports) left out, and the file.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from tessera.diagnostics.text import cap_detail, one_line

Source = Literal["build", "server", "browser"]
"""``build``: compiling or installing (Vite, npm, pip); ``server``: the app's server code
(a Python traceback); ``browser``: the page itself (uncaught errors, console.error)."""

SOURCES: tuple[Source, ...] = ("build", "server", "browser")

_VOLATILE: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"\d{4}-\d{2}-\d{2}[T _]\d{2}[:_]\d{2}[:_]\d{2}(?:[.,]\d+)?Z?", re.IGNORECASE),
        "<time>",
    ),
    (re.compile(r"\b\d{1,2}:\d{2}:\d{2}(?:\s?[AP]M)?", re.IGNORECASE), "<time>"),
    (re.compile(r"\b0x[0-9a-f]+\b", re.IGNORECASE), "<hex>"),
    (re.compile(r"\b(?=[0-9a-z]*\d)(?=[0-9a-z]*[a-z])[0-9a-z]{8,}\b", re.IGNORECASE), "<id>"),
    (re.compile(r"\d+"), "#"),
    (re.compile(r"\s+"), " "),
)


def normalise(message: str) -> str:
    """``message`` with what differs between repeats of one fault left out."""
    text = message.lower()
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text.strip()


def signature_of(source: Source, message: str, file: str | None) -> str:
    """The grouping key of an error: short, stable, safe in a URL."""
    key = "\x00".join((source, normalise(message), file or ""))
    return hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass(slots=True)
class AppError:
    """An error of the app; repeats of it are counted, not kept.

    ``message`` is one line (the first of what is given); ``detail`` the stack trace, code
    frame or traceback, capped; ``file`` a project path when it can be known.
    """

    source: Source
    message: str
    detail: str | None = None
    file: str | None = None
    line: int | None = None
    signature: str = ""
    count: int = 1
    first_seen: float = field(default_factory=time.time)
    last_seen: float = 0.0

    def __post_init__(self) -> None:
        self.message = one_line(self.message) or "Unknown error"
        self.detail = cap_detail(self.detail)
        if not self.signature:
            self.signature = signature_of(self.source, self.message, self.file)
        self.count = max(1, self.count)
        if self.last_seen < self.first_seen:
            self.last_seen = self.first_seen

    @classmethod
    def create(
        cls,
        *,
        source: Source,
        message: str,
        detail: str | None = None,
        file: str | None = None,
        line: int | None = None,
        at: float | None = None,
    ) -> AppError:
        """An error seen once, at ``at`` (``time.time()``; now by default)."""
        seen = time.time() if at is None else at
        return cls(source, message, detail, file, line, first_seen=seen, last_seen=seen)

    def absorb(self, repeat: AppError) -> None:
        """Counts ``repeat`` (same signature) as more of this error; its wording, detail and
        line replace the older ones (line numbers move as the code is edited)."""
        self.count += repeat.count
        self.first_seen = min(self.first_seen, repeat.first_seen)
        self.last_seen = max(self.last_seen, repeat.last_seen)
        self.message = repeat.message
        self.detail = repeat.detail if repeat.detail is not None else self.detail
        self.line = repeat.line if repeat.line is not None else self.line

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.signature,
            "source": self.source,
            "message": self.message,
            "detail": self.detail,
            "file": self.file,
            "line": self.line,
            "count": self.count,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
        }
