"""Applying a SEARCH/REPLACE edit to a file's content.

1. The SEARCH text found as is: its first occurrence is replaced.
2. Otherwise lines are compared with surrounding whitespace ignored (models often get
   indentation or trailing spaces wrong); the replacement is re-indented by the
   difference between the first matched line's indentation and the SEARCH text's, and
   written with the file's line breaks (``\\r\\n`` if the matched lines use them).
3. Otherwise ``EditNotApplied`` says which lines were not found.

An empty SEARCH text only applies to an empty file (its content becomes the replacement).
"""

from __future__ import annotations

from tessera.errors import EditNotApplied

_QUOTED_LINES = 3
_QUOTED_LINE_CHARS = 120


def apply_edit(content: str, search: str, replace: str, *, path: str | None = None) -> str:
    """``content`` with ``search`` replaced by ``replace``, or raise ``EditNotApplied``."""
    if not search:
        if not content:
            return replace
        raise EditNotApplied(
            f"{_subject(path)} has an empty SEARCH section, which only applies to an empty "
            "file; quote the lines to change in SEARCH",
            path=path,
        )
    found = content.find(search)
    if found >= 0:
        return content[:found] + replace + content[found + len(search) :]
    tolerant = _apply_by_lines(content, search, replace)
    if tolerant is not None:
        return tolerant
    raise EditNotApplied(
        f"{_subject(path)} was not applied: these SEARCH lines are not in the file:\n"
        f"{_quote(search)}\nCopy the SEARCH lines exactly from the current file.",
        path=path,
    )


def _subject(path: str | None) -> str:
    return f"An edit of {path}" if path else "An edit"


def _quote(search: str) -> str:
    lines = search.rstrip("\r\n").split("\n")
    shown = []
    for line in lines[:_QUOTED_LINES]:
        line = line.rstrip("\r")
        if len(line) > _QUOTED_LINE_CHARS:
            line = line[:_QUOTED_LINE_CHARS] + "…"
        shown.append(f"    {line}")
    if len(lines) > _QUOTED_LINES:
        shown.append(f"    … ({len(lines) - _QUOTED_LINES} more lines)")
    return "\n".join(shown)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _apply_by_lines(content: str, search: str, replace: str) -> str | None:
    ends_with_break = search.endswith("\n")
    search_lines = search.removesuffix("\n").split("\n")
    wanted = [line.strip() for line in search_lines]
    anchor = next((index for index, line in enumerate(wanted) if line), None)
    if anchor is None:
        return None  # only blank lines: too vague to place
    lines = content.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    stripped = [line.strip() for line in lines]
    count = len(wanted)
    for first in range(len(lines) - count + 1):
        if stripped[first + anchor] != wanted[anchor] or stripped[first : first + count] != wanted:
            continue
        last = first + count - 1
        uses_crlf = lines[first + anchor].endswith("\r")
        begin = starts[first]
        if ends_with_break and last + 1 < len(lines):
            end = starts[last + 1]
        else:
            end = starts[last] + len(lines[last].removesuffix("\r"))
        text = _reindent(replace, _indent(search_lines[anchor]), _indent(lines[first + anchor]))
        if uses_crlf:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        if ends_with_break and last + 1 == len(lines):
            text = text.removesuffix("\r\n" if uses_crlf else "\n")
        return content[:begin] + text + content[end:]
    return None


def _reindent(text: str, old: str, new: str) -> str:
    """Move ``text`` from indentation ``old`` (the SEARCH text's) to ``new`` (the file's)."""
    if old == new:
        return text

    def move(line: str) -> str:
        if not line.strip():
            return line
        if line.startswith(old):
            return new + line[len(old) :]
        if new.startswith(old):
            return new[len(old) :] + line
        if old.startswith(new):
            return line[min(len(old) - len(new), len(_indent(line))) :]
        return line

    return "\n".join(move(line) for line in text.split("\n"))
