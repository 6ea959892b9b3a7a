"""Applying a SEARCH/REPLACE edit to a file's content.

0. A REPLACE section with a placeholder line ("// ... existing code") that the SEARCH
   section does not have is refused (``PlaceholderRefused``): it would delete real code.
1. The SEARCH text found as is: its first occurrence is replaced.
2. Otherwise lines are compared with surrounding whitespace ignored (models often get
   indentation or trailing spaces wrong); the first place where they all match is used.
3. Otherwise the SEARCH lines are placed by similarity (``fuzzy``): a changed word, a
   missing or extra line, other quotes, only when the place is certain. A SEARCH text with
   a placeholder line is never placed this way.
4. Otherwise ``EditNotApplied`` says what was wrong and quotes the closest lines found.

In stages 2 and 3 the edit is merged into the placed lines (``fuzzy.merge_window``):
lines the model did not change keep the file's text, lines it changed or added are
re-indented to the file's indentation (``_IndentMap``: by the lines SEARCH and the file
share, converting spaces to tabs or back when the two differ in style), and everything is
written with the file's line breaks (``\\r\\n`` if the placed lines use them).

An empty SEARCH text only applies to an empty file (its content becomes the replacement).
``replace_lines`` (stages 2 to 4, with an optional exact line stage and a line hint) is
shared with ``unified_diff``, which places each hunk the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from tessera.errors import EditNotApplied, PlaceholderRefused
from tessera.protocol.fuzzy import (
    FuzzyMatch,
    FuzzyMiss,
    MergeConflict,
    MissReason,
    Window,
    locate_fuzzy,
    merge_window,
)
from tessera.protocol.placeholders import find_placeholder, lazy_line, shown_line

_QUOTED_LINES = 3
_QUOTED_FILE_LINES = 6
_QUOTED_LINE_CHARS = 120
_QUOTED_SIMILARITY = 0.4
"""Closer lines than this are quoted in a refusal; less similar ones would only mislead."""


@dataclass(frozen=True, slots=True)
class Wording:
    """How refusals name the quoted lines, and what they ask the model to do instead."""

    quoted: str = "SEARCH lines"
    section: str = "the SEARCH section"
    retry: str = "Copy the SEARCH lines exactly from the current file."


SEARCH_WORDING = Wording()


def apply_edit(content: str, search: str, replace: str, *, path: str | None = None) -> str:
    """``content`` with ``search`` replaced by ``replace``, or raise ``EditNotApplied``."""
    subject = edit_subject(path)
    refuse_placeholder(subject, path, search, replace, sections=("REPLACE", "SEARCH"))
    if not search:
        if not content:
            return replace
        raise EditNotApplied(
            f"{subject} has an empty SEARCH section, which only applies to an empty "
            "file; quote the lines to change in SEARCH",
            path=path,
        )
    found = content.find(search)
    if found >= 0:
        return content[:found] + replace + content[found + len(search) :]
    return replace_lines(content, search, replace, path=path, subject=subject).content


def edit_subject(path: str | None) -> str:
    """How messages name an edit."""
    return f"An edit of {path}" if path else "An edit"


def refuse_placeholder(
    subject: str,
    path: str | None,
    old: str,
    new: str,
    *,
    sections: tuple[str, str],
) -> None:
    """Raise ``PlaceholderRefused`` when ``new`` has a placeholder line ``old`` lacks.

    ``sections`` names ``new`` and ``old`` in the message ("REPLACE", "SEARCH").
    """
    line = lazy_line(old, new)
    if line is None:
        return
    new_name, old_name = sections
    raise PlaceholderRefused(
        f"{subject} was not applied: its {new_name} lines have the placeholder "
        f"{shown_line(line)} where the {old_name} lines have real code, so applying it "
        f"would delete that code. Write out every line of the {new_name} section, or "
        "quote only the lines that change.",
        path=path,
    )


@dataclass(frozen=True, slots=True)
class Replaced:
    """The new content, and the line (0-based) where the replacement starts in it."""

    content: str
    first_line: int


def replace_lines(
    content: str,
    search: str,
    replace: str,
    *,
    path: str | None,
    subject: str,
    near_line: int | None = None,
    exact_lines: bool = False,
    wording: Wording = SEARCH_WORDING,
) -> Replaced:
    """Stages 2 to 4: ``search`` placed by whole lines, replaced by ``replace``.

    ``exact_lines`` first looks for the lines unchanged; among several places found by
    the exact or whitespace-tolerant stage the one nearest ``near_line`` (0-based) wins,
    or the first. ``wording`` phrases refusals.
    """
    lines = content.split("\n")
    search_lines = [line.removesuffix("\r") for line in search.removesuffix("\n").split("\n")]
    if exact_lines:
        window = _by_lines(lines, search_lines, near_line, lambda line: line.removesuffix("\r"))
        if window is not None:
            spliced = _splice(content, lines, window, search.endswith("\n"), replace)
            return Replaced(spliced, window.first)
    window = _by_lines(lines, search_lines, near_line, str.strip)
    if window is not None:
        merged = _merge(
            content, lines, window, search_lines, _lines_of(replace), subject, path, wording
        )
        return Replaced(merged, window.first)
    placeholder = find_placeholder(search)
    if placeholder is not None:
        raise PlaceholderRefused(
            f"{subject} was not applied: its {wording.quoted} have the placeholder "
            f"{shown_line(placeholder)}, which is not in the file. Quote the file's real "
            "lines instead of a placeholder.",
            path=path,
        )
    found = locate_fuzzy(_real_lines(content, lines), search_lines)
    if not isinstance(found, FuzzyMatch):
        raise EditNotApplied(_miss_message(subject, search, lines, found, wording), path=path)
    # Blank SEARCH lines at either end are not placed: drop as many from the same end of
    # the replacement, so it adds no blank lines.
    new = _lines_of(replace)
    drop_front = min(found.search_start, _leading_blank(new))
    drop_back = min(len(search_lines) - found.search_end, _leading_blank(new[::-1]))
    new = new[drop_front : len(new) - drop_back]
    base = search_lines[found.search_start : found.search_end]
    merged = _merge(content, lines, found.window, base, new, subject, path, wording)
    return Replaced(merged, found.window.first)


def _lines_of(text: str) -> list[str]:
    """The lines of ``text`` without line breaks (none for an empty text)."""
    if not text:
        return []
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if text.endswith("\n"):
        lines.pop()
    return lines


def _real_lines(content: str, lines: list[str]) -> list[str]:
    """``lines`` without the empty piece after a final line break."""
    return lines[:-1] if content.endswith("\n") else lines


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _line_starts(lines: Sequence[str]) -> list[int]:
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    return starts


def _by_lines(
    lines: Sequence[str],
    search_lines: Sequence[str],
    near_line: int | None,
    compare: Callable[[str], str],
) -> Window | None:
    """The lines where every line of ``search_lines`` equals the file's under ``compare``."""
    wanted = [compare(line) for line in search_lines]
    anchor = next((index for index, line in enumerate(wanted) if line.strip()), None)
    if anchor is None:
        return None  # only blank lines: too vague to place
    compared = [compare(line) for line in lines]
    count = len(wanted)
    found: list[int] = []
    for first in range(len(lines) - count + 1):
        if compared[first + anchor] != wanted[anchor] or compared[first : first + count] != wanted:
            continue
        found.append(first)
        if near_line is None:
            break
    if not found:
        return None
    first = found[0] if near_line is None else min(found, key=lambda at: abs(at - near_line))
    return Window(first, first + count, 1.0)


def _splice(
    content: str, lines: Sequence[str], window: Window, ends_with_break: bool, text: str
) -> str:
    """``content`` with the lines of ``window`` replaced by ``text``, in the file's line
    breaks; ``ends_with_break``: the line break after the window is replaced too."""
    starts = _line_starts(lines)
    first, last = window.first, window.end - 1
    uses_crlf = lines[first].endswith("\r") or lines[last].endswith("\r")
    begin = starts[first]
    if ends_with_break and last + 1 < len(lines):
        end = starts[last + 1]
    else:
        end = starts[last] + len(lines[last].removesuffix("\r"))
    if uses_crlf:
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    if ends_with_break and last + 1 == len(lines):
        text = text.removesuffix("\r\n" if uses_crlf else "\n")
    return content[:begin] + text + content[end:]


def _leading_blank(lines: Sequence[str]) -> int:
    count = 0
    for line in lines:
        if line.strip():
            break
        count += 1
    return count


def _merge(
    content: str,
    lines: Sequence[str],
    window: Window,
    base: Sequence[str],
    new: Sequence[str],
    subject: str,
    path: str | None,
    wording: Wording,
) -> str:
    """``content`` with the edit ``base`` → ``new`` merged into the lines of ``window``
    (see ``fuzzy.merge_window``): unchanged lines keep the file's text, changed ones are
    the model's, re-indented (see ``_IndentMap``)."""
    file_lines = [line.removesuffix("\r") for line in lines[window.first : window.end]]
    merged = merge_window(file_lines, base, new)
    if isinstance(merged, MergeConflict):
        _refuse_conflict(subject, path, lines, window, window.first + merged.file_line, wording)
    model_text = "\n".join(line.text for line in merged.lines if line.from_replace)
    indents = _IndentMap(merged.pairs, base, file_lines, model_text, lines)
    text = "".join(
        (indents.line(line.text) if line.from_replace else line.text) + "\n"
        for line in merged.lines
    )
    return _splice(content, lines, window, True, text)


class _IndentMap:
    """Re-indents REPLACE lines by what the lines SEARCH and the file share show.

    Each model indentation seen on a shared line maps to the file's indentation of that
    line (of the first such line, when they disagree). A REPLACE line is re-indented from the
    pair with its own indentation, else the deepest one above it (see ``_Reindent``), so
    one misindented SEARCH line does not shift lines written at another depth.
    """

    def __init__(
        self,
        pairs: Sequence[tuple[int, int]],
        base: Sequence[str],
        window: Sequence[str],
        model_text: str,
        file_lines: Sequence[str],
    ) -> None:
        self._mapping: dict[str, str] = {}
        for base_index, window_index in pairs:
            self._mapping.setdefault(_indent(base[base_index]), _indent(window[window_index]))
        if not self._mapping and base and window:
            self._mapping[_indent(base[0])] = _indent(window[0])
        self._model_text = model_text
        self._file_lines = file_lines
        self._reindents: dict[str, _Reindent] = {}

    def line(self, line: str) -> str:
        if not self._mapping or not line.strip():
            return line
        own = _indent(line)
        if own in self._mapping:
            old = own
        else:
            below = [old for old in self._mapping if len(old) <= len(own)]
            old = max(below, key=len) if below else min(self._mapping, key=len)
        reindent = self._reindents.get(old)
        if reindent is None:
            reindent = _Reindent(old, self._mapping[old], self._model_text, self._file_lines)
            self._reindents[old] = reindent
        return reindent.line(line)


def _refuse_conflict(
    subject: str,
    path: str | None,
    lines: Sequence[str],
    window: Window,
    number: int,
    wording: Wording,
) -> NoReturn:
    raise EditNotApplied(
        f"{subject} was not applied: line {number + 1} of the file "
        f"({_shorten(lines[number]).strip()!r}) lies among the lines the edit changes but is "
        f"not in {wording.section}, so its place in the result is unclear. The file has, "
        f"{_span(window)}:\n{_quote_window(lines, window)}\n"
        f"Quote these lines exactly in {wording.section}.",
        path=path,
    )


class _Reindent:
    """Moves replacement lines from indentation ``old`` (the SEARCH text's anchor line) to
    ``new`` (the file's line it matched).

    Usually the difference is a prefix: ``old`` is replaced by ``new`` at the start of each
    line. When the model indents with spaces and the file with tabs (or the other way), each
    line's depth is measured in the model's indentation step and written in the file's
    (a tab, or the file's most common step of spaces), so the result never mixes both.
    """

    def __init__(self, old: str, new: str, model_text: str, file_lines: Sequence[str]) -> None:
        self._old = old
        self._new = new
        self._convert: tuple[int, str, int] | None = None  # model step, file step, old width
        model_style = _style(old) or _text_style(model_text)
        file_style = _style(new) or _text_style("\n".join(file_lines))
        if model_style and file_style and model_style != file_style:
            model_step = 1 if model_style == "\t" else _space_step([old, *model_text.split("\n")])
            file_step = "\t" if file_style == "\t" else " " * _space_step(file_lines)
            self._convert = (model_step, file_step, len(old))

    def line(self, line: str) -> str:
        if not line.strip():
            return line
        if self._convert is not None:
            model_step, file_step, old_width = self._convert
            body = line.lstrip(" \t")
            depth = (len(line) - len(body) - old_width) // model_step
            if depth >= 0:
                return self._new + file_step * depth + body
            return self._new[: max(0, len(self._new) + depth * len(file_step))] + body
        old, new = self._old, self._new
        if old == new:
            return line
        if line.startswith(old):
            return new + line[len(old) :]
        if new.startswith(old):
            return new[len(old) :] + line
        if old.startswith(new):
            return line[min(len(old) - len(new), len(_indent(line))) :]
        return line

    def text(self, text: str) -> str:
        return "\n".join(self.line(line) for line in text.split("\n"))


def _style(indent: str) -> str | None:
    """``"\\t"`` or ``" "`` when ``indent`` is made of tabs only or spaces only."""
    if indent and set(indent) == {"\t"}:
        return "\t"
    if indent and set(indent) == {" "}:
        return " "
    return None


def _text_style(text: str) -> str | None:
    """How the lines of ``text`` are indented, when they all agree."""
    styles = {_style(_indent(line)) for line in text.split("\n") if line.strip()}
    styles.discard(None)
    return styles.pop() if len(styles) == 1 else None


def _space_step(lines: Sequence[str]) -> int:
    """The most common increase of indentation (in spaces) from one line to the next
    (the first line's own indentation is not a step: it may be anything)."""
    steps: Counter[int] = Counter()
    previous: int | None = None
    for line in lines:
        if not line.strip():
            continue
        width = len(_indent(line).replace("\t", ""))
        if previous is not None and width > previous:
            steps[width - previous] += 1
        previous = width
    return steps.most_common(1)[0][0] if steps else 2


# --- refusals ------------------------------------------------------------------------------
def _shorten(line: str) -> str:
    line = line.rstrip("\r")
    return line[:_QUOTED_LINE_CHARS] + "…" if len(line) > _QUOTED_LINE_CHARS else line


def quote_text(text: str, limit: int = _QUOTED_LINES) -> str:
    """The first ``limit`` lines of ``text``, indented for a message."""
    lines = text.rstrip("\r\n").split("\n")
    shown = [f"    {_shorten(line)}" for line in lines[:limit]]
    if len(lines) > limit:
        shown.append(f"    … ({len(lines) - limit} more lines)")
    return "\n".join(shown)


def _quote_window(lines: Sequence[str], window: Window) -> str:
    shown = [
        f"    {number + 1:>4} | {_shorten(lines[number])}"
        for number in range(window.first, min(window.end, window.first + _QUOTED_FILE_LINES))
    ]
    if window.end - window.first > _QUOTED_FILE_LINES:
        shown.append(f"    … ({window.end - window.first - _QUOTED_FILE_LINES} more lines)")
    return "\n".join(shown)


def _span(window: Window) -> str:
    first, last = window.first + 1, window.end
    return f"line {first}" if first == last else f"lines {first}-{last}"


def _miss_message(
    subject: str, search: str, lines: Sequence[str], miss: FuzzyMiss, wording: Wording
) -> str:
    head = f"{subject} was not applied: "
    quoted = quote_text(search)
    if miss.reason is MissReason.AMBIGUOUS and miss.closest and miss.rival:
        first, second = sorted((miss.closest, miss.rival), key=lambda window: window.first)
        return (
            f"{head}these {wording.quoted} are not in the file exactly:\n{quoted}\n"
            f"and two places are about equally close to them, {_span(first)}:\n"
            f"{_quote_window(lines, first)}\nand {_span(second)}:\n"
            f"{_quote_window(lines, second)}\n"
            "Quote the lines exactly, with enough lines around them to make the place unique."
        )
    if miss.closest is not None and miss.closest.similarity >= _QUOTED_SIMILARITY:
        percent = int(miss.closest.similarity * 100)
        return (
            f"{head}these {wording.quoted} are not in the file:\n{quoted}\n"
            f"The closest lines in the file ({_span(miss.closest)}, {percent}% similar) are:\n"
            f"{_quote_window(lines, miss.closest)}\n{wording.retry}"
        )
    return f"{head}these {wording.quoted} are not in the file:\n{quoted}\n{wording.retry}"
