"""Markdown code fences, and the exact rule that turns a file tag's body into content.

The body of ``<tessera-file path="p">BODY</tessera-file>`` becomes the file's content by:

1. dropping one line break (``\\n`` or ``\\r\\n``) right after the opening tag;
2. dropping one line break (``\\r\\n`` or ``\\n``) right before the closing tag;
3. unless ``p`` is a Markdown file: when the first line opens a code fence (three or more
   backticks, then an optional language and info string), dropping that line, and when
   the last line then closes a fence, dropping it together with the line break before it.

``render_file`` in ``format`` writes the inverse, so any content round-trips.

The body of ``<tessera-diff path="p">BODY</tessera-diff>`` becomes the patch by rules 1
to 3 whatever ``p`` is (a patch never starts with a fence of its own).
"""

from __future__ import annotations

import re

MAX_OPENER_CHARS = 200
"""A first line longer than this is never taken for a fence opener."""

MAX_CLOSER_CHARS = 32
"""A last line longer than this is never taken for a fence closer."""

MARKDOWN_SUFFIXES = (".md", ".mdx", ".markdown")

_OPENER_RE = re.compile(r"```+[^`]*")
_CLOSER_RE = re.compile(r"```+[ \t]*")


def is_markdown(path: str) -> bool:
    """Markdown files may legitimately be a single code block: never unwrap them."""
    return path.lower().endswith(MARKDOWN_SUFFIXES)


def is_opener(line: str) -> bool:
    """``line`` (without its line break) opens a code fence."""
    line = line.removesuffix("\r")
    return len(line) <= MAX_OPENER_CHARS and _OPENER_RE.fullmatch(line) is not None


def is_closer(line: str) -> bool:
    """``line`` (without its line break) closes a code fence."""
    line = line.removesuffix("\r")
    return len(line) <= MAX_CLOSER_CHARS and _CLOSER_RE.fullmatch(line) is not None


def strip_lead(body: str) -> str:
    """Rule 1: one line break after the opening tag is not content."""
    if body.startswith("\r\n"):
        return body[2:]
    if body.startswith("\n"):
        return body[1:]
    return body


def strip_trail(body: str) -> str:
    """Rule 2: one line break before the closing tag is not content."""
    if body.endswith("\r\n"):
        return body[:-2]
    if body.endswith("\n"):
        return body[:-1]
    return body


def unwrap_fence(text: str) -> str:
    """Rule 3: drop an opening fence line, and a closing fence line after it if any."""
    first_break = text.find("\n")
    if first_break < 0 or not is_opener(text[:first_break]):
        return text
    inner = text[first_break + 1 :]
    last_break = inner.rfind("\n")
    if is_closer(inner[last_break + 1 :]):
        inner = inner[:last_break].removesuffix("\r") if last_break >= 0 else ""
    return inner


def file_content(body: str, path: str) -> str:
    """The content of a file tag whose whole body (between the tags) is ``body``."""
    text = strip_trail(strip_lead(body))
    return text if is_markdown(path) else unwrap_fence(text)


def patch_content(body: str) -> str:
    """The patch of a diff tag whose whole body (between the tags) is ``body``."""
    return unwrap_fence(strip_trail(strip_lead(body)))
