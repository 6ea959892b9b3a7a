"""Text helpers shared by the parsers: terminal codes out, one-line messages, capped details.

Dev servers write for terminals (colours, cursor moves, carriage returns) and some reports
are huge (a traceback through forty frames, a minified bundle in a stack): what is kept of
an error must stay readable in a console panel and small enough for a model's prompt.
"""

from __future__ import annotations

import re

MESSAGE_LIMIT = 500
"""Characters of an error's one-line message."""

DETAIL_LIMIT = 8000
"""Characters of an error's detail (stack trace, code frame, traceback)."""

_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, erasing
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: titles, hyperlinks
    r"|\x1b[@-Z\\-_]"  # two-character escapes
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def clean_line(line: str) -> str:
    """``line`` without terminal codes, control characters and trailing white space.

    A carriage return inside a line (a progress bar redrawn in place) keeps what was
    written last, as a terminal would show it.
    """
    text = _ANSI.sub("", line).rstrip("\r\n")
    if "\r" in text:
        text = text.rsplit("\r", 1)[-1]
    return _CONTROL.sub("", text).rstrip()


def one_line(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """The first non-blank line of ``text``, white space collapsed, at most ``limit`` long."""
    for line in text.splitlines():
        collapsed = _SPACES.sub(" ", line).strip()
        if collapsed:
            return collapsed if len(collapsed) <= limit else collapsed[: limit - 1] + "…"
    return ""


def cap_detail(text: str | None, limit: int = DETAIL_LIMIT) -> str | None:
    """``text`` trimmed of blank edges; when longer than ``limit``, its beginning and its end
    with a note of what was left out (a traceback's last frames matter as much as its first)."""
    if text is None:
        return None
    text = text.strip("\n").rstrip()
    if not text:
        return None
    if len(text) <= limit:
        return text
    keep = (limit - 40) // 2
    head, tail = text[:keep], text[-keep:]
    omitted = text[keep:-keep].count("\n")
    return f"{head}\n… ({omitted} lines left out) …\n{tail}"
