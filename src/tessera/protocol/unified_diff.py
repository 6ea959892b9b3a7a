"""Applying a unified diff (``--- a/x``, ``+++ b/x``, ``@@ -a,b +c,d @@`` hunks) to a file.

Models write diffs loosely, so reading is forgiving:

- headers (``diff --git``, ``index``, ``---``/``+++``) are optional and only used to
  know whether the patch creates a file (``--- /dev/null``) and to refuse a patch that
  changes several files;
- a hunk header may lack line numbers (``@@ ... @@``, ``@@``); without any ``@@`` line,
  the whole body is one hunk;
- in a hunk, an empty line is an empty context line (editors strip the space), and a line
  without a ``' '``/``+``/``-`` prefix is taken as context;
- ``\\ No newline at end of file`` is understood.

Each hunk's context and removed lines are placed like a SEARCH text
(``edits.replace_lines``: exact lines, then whitespace-tolerant, then fuzzy), preferring
the place nearest the hunk's line number, shifted by what earlier hunks added or removed;
wrong line numbers only cost that preference. The first hunk that cannot be placed stops
the patch with ``EditNotApplied`` naming it (nothing of the patch is applied).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tessera.errors import EditNotApplied
from tessera.protocol.edits import Wording, refuse_placeholder, replace_lines

DEV_NULL = "/dev/null"

_HUNK_RE = re.compile(r"@@+\s*(?:-(\d+)(?:,(\d+))?\s+\+(\d+)(?:,(\d+))?)?.*")
_HEADER_PREFIXES = (
    "diff --git ",
    "index ",
    "new file mode",
    "deleted file mode",
    "old mode",
    "new mode",
    "similarity index",
    "rename from",
    "rename to",
    "Binary files",
)
_DIFF_WORDING = Wording(
    quoted="context and removed lines",
    section="the hunk's context or removed lines",
    retry=(
        "Copy the context and removed lines exactly from the current file (or send the "
        "whole file instead of a diff)."
    ),
)


@dataclass(slots=True)
class Hunk:
    """One hunk: ``old`` (context and removed lines) becomes ``new`` (context and added)."""

    number: int
    header: str
    old_start: int | None
    old: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    old_missing_newline: bool = False
    new_missing_newline: bool = False

    @property
    def label(self) -> str:
        """How messages name the hunk: its number and header."""
        shown = self.header if len(self.header) <= 60 else self.header[:60] + "…"
        return f"Hunk {self.number} ({shown})" if shown else f"Hunk {self.number}"


@dataclass(slots=True)
class Patch:
    """The hunks of a patch and the file names its headers give."""

    hunks: list[Hunk]
    old_names: list[str]
    new_names: list[str]

    @property
    def creates_file(self) -> bool:
        return bool(self.old_names) and all(name == DEV_NULL for name in self.old_names)


def header_name(line: str) -> str:
    """The file name of a ``--- a/x`` or ``+++ b/x`` line (``a/``/``b/`` prefix and a
    tab-separated timestamp dropped)."""
    name = line[4:].split("\t", 1)[0].strip()
    if name.startswith(("a/", "b/")) and name != DEV_NULL:
        name = name[2:]
    return name


def _is_file_header(lines: list[str], index: int) -> bool:
    return (
        lines[index].startswith("--- ")
        and index + 1 < len(lines)
        and lines[index + 1].startswith("+++ ")
    )


def parse_patch(patch: str) -> Patch:
    """The hunks of ``patch`` (see the module's reading rules)."""
    lines = [line.removesuffix("\r") for line in patch.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()  # trailing blank lines are the end of the text, not empty context
    result = Patch([], [], [])
    hunk: Hunk | None = None
    last_side = ""  # "old", "new" or "both": what a "\ No newline" line refers to
    has_headers = any(_HUNK_RE.fullmatch(line) for line in lines)
    index = 0
    while index < len(lines):
        line = lines[index]
        if _is_file_header(lines, index):
            result.old_names.append(header_name(line))
            result.new_names.append(header_name(lines[index + 1]))
            hunk = None
            index += 2
            continue
        if line.startswith("diff --git "):
            hunk = None
            index += 1
            continue
        if line.startswith("@@"):
            match = _HUNK_RE.fullmatch(line)
            start = match.group(1) if match is not None else None
            hunk = Hunk(len(result.hunks) + 1, line.strip(), int(start) if start else None)
            result.hunks.append(hunk)
            index += 1
            continue
        if hunk is None:
            if has_headers or line.startswith(_HEADER_PREFIXES) or not line.strip():
                index += 1
                continue
            hunk = Hunk(len(result.hunks) + 1, "", None)
            result.hunks.append(hunk)
        last_side = _read_hunk_line(hunk, line, last_side)
        index += 1
    return result


def _read_hunk_line(hunk: Hunk, line: str, last_side: str) -> str:
    """Add one body line to ``hunk``; answer which side(s) it went to."""
    if line.startswith("\\"):
        if last_side in ("old", "both"):
            hunk.old_missing_newline = True
        if last_side in ("new", "both"):
            hunk.new_missing_newline = True
        return last_side
    if line.startswith("-"):
        hunk.old.append(line[1:])
        return "old"
    if line.startswith("+"):
        hunk.new.append(line[1:])
        return "new"
    text = line[1:] if line.startswith(" ") else line
    hunk.old.append(text)
    hunk.new.append(text)
    return "both"


def _text(lines: list[str], missing_newline: bool) -> str:
    if not lines:
        return ""
    return "\n".join(lines) + ("" if missing_newline else "\n")


def apply_patch(content: str, patch: str, *, path: str | None = None) -> str:
    """``content`` with every hunk of ``patch`` applied, or raise ``EditNotApplied``."""
    whole = f"The diff of {path}" if path else "The diff"
    of_whole = f"of the diff of {path}" if path else "of the diff"
    parsed = parse_patch(patch)
    targets = {name for name in parsed.new_names if name != DEV_NULL}
    if len(targets) > 1:
        raise EditNotApplied(
            f"{whole} was not applied: it changes several files ({', '.join(sorted(targets))}); "
            "write one diff per file.",
            path=path,
        )
    if not parsed.hunks:
        raise EditNotApplied(
            f"{whole} was not applied: it has no hunk (lines starting with '@@', then ' ', "
            "'-' and '+' lines).",
            path=path,
        )
    if parsed.creates_file and content.strip():
        raise EditNotApplied(
            f"{whole} was not applied: it creates the file (--- /dev/null), but the file "
            "already exists; write a diff against its current content.",
            path=path,
        )
    shift = 0  # lines added minus removed by the hunks applied so far
    previous_end = 0
    for hunk in parsed.hunks:
        subject = f"{hunk.label} {of_whole}"
        old = _text(hunk.old, hunk.old_missing_newline)
        new = _text(hunk.new, hunk.new_missing_newline)
        refuse_placeholder(subject, path, old, new, sections=("added", "removed or context"))
        near = hunk.old_start - 1 + shift if hunk.old_start is not None else previous_end
        if not old:
            content, first = _insert(content, new, hunk, near, subject, path)
        else:
            replaced = replace_lines(
                content,
                old,
                new,
                path=path,
                subject=subject,
                near_line=max(near, 0),
                exact_lines=True,
                wording=_DIFF_WORDING,
            )
            content, first = replaced.content, replaced.first_line
        shift += len(hunk.new) - len(hunk.old)
        previous_end = first + len(hunk.new)
    return content


def _insert(
    content: str, new: str, hunk: Hunk, near: int, subject: str, path: str | None
) -> tuple[str, int]:
    """A hunk without context or removed lines: only its line number says where it goes."""
    if not content:
        return new, 0
    if hunk.old_start is None:
        raise EditNotApplied(
            f"{subject} was not applied: it has no context lines and no line numbers, so "
            "where its lines go is unknown. Add a few unchanged lines around them.",
            path=path,
        )
    lines = content.split("\n")
    if content.endswith("\n"):
        lines.pop()
    line_break = "\r\n" if lines[0].endswith("\r") else "\n"
    text = new.replace("\n", line_break)
    # ``@@ -a,0 +c,n @@`` adds its lines after line ``a``.
    at = min(max(near + 1, 0), len(lines))
    if at == len(lines):
        ended = content if content.endswith("\n") else content + line_break
        return ended + text, at
    prefix = "".join(line + "\n" for line in lines[:at])
    return prefix + text + content[len(prefix) :], at
