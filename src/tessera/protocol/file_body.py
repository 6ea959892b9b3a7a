"""Streaming the body of one ``<tessera-file>`` tag as content deltas.

The content is defined by ``fences.file_content`` on the whole body. While the body is
still arriving, ``FileBody`` emits the longest prefix of that content that no later text
can change: it holds back a trailing line break (it may precede the closing tag), and in
a fenced body the last line when it could still be the closing fence. So the deltas always
join to exactly the final content.
"""

from __future__ import annotations

import re

from tessera.protocol.fences import (
    MAX_CLOSER_CHARS,
    MAX_OPENER_CHARS,
    file_content,
    is_closer,
    is_markdown,
    is_opener,
)

# A last line that more text could turn into a closing fence.
_CLOSER_PREFIX_RE = re.compile(r"`*[ \t]*\r?")


def _decide_start(text: str, markdown: bool) -> tuple[int, bool] | None:
    """How many body characters precede the content, and whether the body is fenced.

    ``None`` while ``text`` (the body so far) is too short to tell.
    """
    if not text:
        return None
    if text[0] == "\n":
        lead = 1
    elif text[0] == "\r":
        if len(text) == 1:
            return None
        lead = 2 if text[1] == "\n" else 0
    else:
        lead = 0
    rest = text[lead:]
    if markdown:
        return lead, False
    if len(rest) < 3:
        if rest.strip("`"):
            return lead, False
        return None
    if not rest.startswith("```"):
        return lead, False
    first_break = rest.find("\n")
    if first_break < 0:
        if len(rest) > MAX_OPENER_CHARS + 1:
            return lead, False
        return None
    if is_opener(rest[:first_break]):
        return lead + first_break + 1, True
    return lead, False


def _line_break_before(text: str, at: int) -> int:
    """``at`` is a ``\\n`` in ``text``: where its line break starts (``\\r\\n`` counts)."""
    return at - 1 if at > 0 and text[at - 1] == "\r" else at


def _safe_end(text: str, fenced: bool) -> int:
    """How much of ``text`` (the uncommitted body, no closing tag in it) is final."""
    end = len(text)
    if text.endswith("\r\n"):
        end -= 2
    elif text.endswith(("\n", "\r")):
        end -= 1
    if not fenced:
        return end
    window = MAX_CLOSER_CHARS + 2
    last_break = text.rfind("\n", max(0, len(text) - window))
    if last_break < 0:
        return end
    last_line = text[last_break + 1 :]
    if _CLOSER_PREFIX_RE.fullmatch(last_line) is None:
        return end
    end = min(end, _line_break_before(text, last_break))
    if last_line == "":
        previous_break = text.rfind("\n", max(0, last_break - window), last_break)
        if previous_break >= 0 and is_closer(text[previous_break + 1 : last_break]):
            end = min(end, _line_break_before(text, previous_break))
    return end


class FileBody:
    """The body of one file tag, fed in pieces that never contain the closing tag."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._markdown = is_markdown(path)
        self._committed: list[str] = []
        self._committed_len = 0
        self._skip: int | None = None
        self._fenced = False

    def advance(self, pending: str) -> tuple[int, str]:
        """Commit what is final in ``pending``; answer (characters consumed, content delta)."""
        if self._skip is None:
            start = _decide_start(pending, self._markdown)
            if start is None:
                return 0, ""
            self._skip, self._fenced = start
        end = _safe_end(pending, self._fenced)
        if end <= 0:
            return 0, ""
        commit = pending[:end]
        before = self._committed_len
        self._committed.append(commit)
        self._committed_len += end
        delta = commit[max(0, self._skip - before) :] if self._committed_len > self._skip else ""
        return end, delta

    def finish(self, tail: str) -> tuple[str, str]:
        """The closing tag came after ``tail``: answer (last delta, whole content)."""
        content = file_content("".join(self._committed) + tail, self.path)
        emitted = max(0, self._committed_len - (self._skip or 0))
        return content[emitted:], content
