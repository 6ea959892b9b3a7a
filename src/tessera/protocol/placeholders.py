"""Lazy placeholders: lines a model writes instead of code it did not want to repeat.

Models asked for a whole file or a replacement often shorten it with a line such as
``// ... rest of the code``, ``{/* ...existing JSX... */}``, ``# existing code here`` or
``<!-- ... -->``. Written to disk, such a line silently deletes the code it stands for,
so Tessera refuses it wherever it would replace real code.

What counts as a placeholder line (the whole line, surrounding whitespace ignored):

- a comment (``//``, ``#``, ``/* */``, ``{/* */}``, ``<!-- -->``, ``--``) that holds only
  dots (``...``, ``…``);
- a short comment with an ellipsis and a word such as "existing", "rest", "unchanged",
  "same", "previous", "remaining", "omitted" ("// ... keep the rest ...");
- a short comment without ellipsis that is phrased as a placeholder: "existing code
  (here)", "rest of the component", "unchanged", "same as before", "remains the same",
  "previous code", "other methods stay the same";
- a bare ``...`` (or ``…``) line, except where it is a Python stub body: the only
  statement of a block (the line before ends with ``:`` or closes a docstring, the line
  after is less indented). Such a stub is legitimate Python (``def f(): ...``), so
  ``find_placeholder`` leaves it alone; ``check_not_lazy`` refuses it only when the
  current file has real code in the block it stands for (the same header line followed by
  statements other than ``...``, ``pass`` or a docstring).

Spread and rest syntax (``...props``, ``[...items]``) and ordinary comments are code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from tessera.errors import PlaceholderRefused

_ELLIPSIS_RE = re.compile(r"\.{2,}|…")
# A whole-line comment in one of the styles models write; group 1 is its text.
_COMMENT_RES = (
    re.compile(r"\{\s*/\*(.*?)\*/\s*\}"),  # {/* JSX */}
    re.compile(r"/\*+(.*?)\*+/"),  # /* block */
    re.compile(r"<!--(.*?)-->"),  # <!-- HTML -->
    re.compile(r"//+(.*)"),  # // line
    re.compile(r"#+(?:\s(.*)|(\.{2,}.*|….*))?"),  # Python, shell (not #id, #!, #include)
    re.compile(r"--(?!-)\s(.*)"),  # SQL, Lua
)
_WORD_RE = re.compile(r"[a-z']+")
# Words that make a comment with an ellipsis a placeholder.
_ELLIPSIS_WORDS = frozenset(
    {
        "existing",
        "rest",
        "unchanged",
        "same",
        "previous",
        "previously",
        "remaining",
        "remain",
        "remains",
        "omitted",
        "other",
        "others",
        "original",
        "etc",
        "keep",
        "kept",
        "code",
    }
)
_MAX_PLACEHOLDER_WORDS = 12
_STRONG_PHRASE_RES = (
    re.compile(
        r"\b(?:existing|previous|original|remaining|other|old)\s+"
        r"(?:code|implementation|logic|content|contents|styles?|rules|methods|functions|"
        r"routes|imports|markup|jsx|html|css|components?|props|fields|handlers|state|hooks|"
        r"body|items|elements|tests|declarations|definitions|stuff)\b"
    ),
    re.compile(
        r"\brest\s+of\s+(?:the\s+|this\s+|your\s+)?"
        r"(?:code|file|component|function|class|styles?|css|markup|jsx|html|imports|methods|"
        r"module|implementation|body|content|page|logic|app|routes|handlers|properties|"
        r"state|hooks|form|list|template|return|render|script)\b"
    ),
    re.compile(
        r"\b(?:unchanged|remains?\s+the\s+same|stays?\s+the\s+same|same\s+as\s+before|"
        r"as\s+before|no\s+changes?|not\s+changed|remains?\s+unchanged)\b"
    ),
)
_MAX_PHRASE_WORDS = 8
_DOCSTRING_END_RE = re.compile(r"""(?:\"\"\"|''')\s*$""")


def _comment_text(stripped: str) -> str | None:
    """The text of a line that is one comment and nothing else, or ``None``."""
    for pattern in _COMMENT_RES:
        match = pattern.fullmatch(stripped)
        if match is not None:
            return next((group for group in match.groups() if group is not None), "")
    return None


def is_placeholder_comment(stripped: str) -> bool:
    """``stripped`` (a line without surrounding whitespace) is a placeholder comment."""
    text = _comment_text(stripped)
    if text is None:
        return False
    lowered = text.strip().lower()
    has_ellipsis = _ELLIPSIS_RE.search(lowered) is not None
    words = _WORD_RE.findall(lowered)
    if has_ellipsis:
        if not words:
            return True
        return len(words) <= _MAX_PLACEHOLDER_WORDS and any(
            word.strip("'") in _ELLIPSIS_WORDS for word in words
        )
    if not words or len(words) > _MAX_PHRASE_WORDS:
        return False
    return any(pattern.search(lowered) for pattern in _STRONG_PHRASE_RES)


def _is_ellipsis_line(stripped: str) -> bool:
    return stripped in ("...", "…")


def _indent_width(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _neighbour(lines: Sequence[str], index: int, step: int) -> int | None:
    """The nearest non-blank line before (``step`` -1) or after (+1) ``index``."""
    at = index + step
    while 0 <= at < len(lines):
        if lines[at].strip():
            return at
        at += step
    return None


def _stub_header(lines: Sequence[str], index: int) -> int | None:
    """When the bare ``...`` at ``index`` is a Python stub body: its header line's index.

    The header is the line before, ending with ``:`` (or a docstring right after one).
    """
    before = _neighbour(lines, index, -1)
    if before is None:
        return None
    after = _neighbour(lines, index, 1)
    width = _indent_width(lines[index])
    if after is not None and _indent_width(lines[after]) >= width:
        return None
    header_text = lines[before].split("#", 1)[0].rstrip()
    if header_text.endswith(":") and _indent_width(lines[before]) < width:
        return before
    if _DOCSTRING_END_RE.search(lines[before]) and _indent_width(lines[before]) == width:
        # A docstring then ``...``: look for the header above the docstring.
        at = before
        while at >= 0 and _indent_width(lines[at]) >= width:
            at -= 1
        if at >= 0 and lines[at].split("#", 1)[0].rstrip().endswith(":"):
            return at
    return None


def _placeholders(lines: Sequence[str]) -> Iterator[tuple[int, str]]:
    """Placeholder lines of ``lines`` (index, line), Python stubs excluded."""
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if _is_ellipsis_line(stripped):
            if _stub_header(lines, index) is None:
                yield index, line
        elif is_placeholder_comment(stripped):
            yield index, line


def _lines(text: str) -> list[str]:
    return [line.removesuffix("\r") for line in text.split("\n")]


def find_placeholder(text: str) -> str | None:
    """The first placeholder line of ``text`` (without its line break), or ``None``."""
    for _, line in _placeholders(_lines(text)):
        return line
    return None


def _opens_or_closes_docstring(body: str) -> bool:
    return (body.count('"""') + body.count("'''")) % 2 == 1


def _has_real_body(lines: Sequence[str], header: str) -> bool:
    """Some block of ``lines`` opened by the line ``header`` holds real statements."""
    for index, line in enumerate(lines):
        if line.strip() != header:
            continue
        width = _indent_width(line)
        at = _neighbour(lines, index, 1)
        in_docstring = False
        while at is not None and _indent_width(lines[at]) > width:
            body = lines[at].strip()
            if in_docstring or body.startswith(('"""', "'''")):
                in_docstring ^= _opens_or_closes_docstring(body)
            elif not (
                _is_ellipsis_line(body) or body == "pass" or body.startswith(("#", '"', "'"))
            ):
                return True
            at = _neighbour(lines, at, 1)
    return False


def _lazy_lines(old: str, new: str) -> Iterator[str]:
    old_lines = _lines(old)
    known = {line.strip() for line in old_lines}
    new_lines = _lines(new)
    for _, line in _placeholders(new_lines):
        if line.strip() not in known:
            yield line
    for index, line in enumerate(new_lines):
        if not _is_ellipsis_line(line.strip()):
            continue
        header = _stub_header(new_lines, index)
        if header is not None and _has_real_body(old_lines, new_lines[header].strip()):
            yield line


def lazy_line(old: str, new: str) -> str | None:
    """The first placeholder line of ``new`` that stands for code ``old`` has, or ``None``."""
    return next(_lazy_lines(old, new), None)


def shown_line(line: str) -> str:
    """A placeholder line as quoted in messages."""
    stripped = line.strip()
    return repr(stripped if len(stripped) <= 80 else stripped[:80] + "…")


def check_not_lazy(path: str, old: str | None, new: str) -> None:
    """Refuse ``new`` for ``path`` when it puts a placeholder where ``old`` has real code.

    ``old`` is the file's current content (``None`` for a new file, which may contain
    anything). A placeholder line already in ``old`` is the file's own text and allowed.
    Raises ``PlaceholderRefused``.
    """
    if old is None:
        return
    line = lazy_line(old, new)
    if line is None:
        return
    raise PlaceholderRefused(
        f"{path} was not written: the new content has the placeholder line {shown_line(line)} "
        "where the current file has real code, so writing it would delete that code. "
        "Write the complete file without placeholders, or change only the lines that "
        "differ with a SEARCH/REPLACE edit.",
        path=path,
    )
