"""Reading answers that used no tags at all, once the whole answer is known.

Three shapes are understood, the JSON shape first:

- JSON: ``{"files": {path: content, ...}, "title", "description", "category"}``, where
  ``files`` may also be a list of ``{"path", "content"}`` objects and ``dependencies`` a
  ``{name: version}`` object; the JSON may sit in a code fence and among prose;
- Markdown code fences that name a path: in the info string (```` ```tsx title="src/App.tsx" ````,
  ```` ```tsx src/App.tsx ````), on the line before the fence (``src/App.tsx``,
  ``**src/App.tsx**``, ``### src/App.tsx``, ``// src/App.tsx``), or as a comment on the
  fence's first line (``// src/App.tsx``, ``# app.py``; that line is then dropped);
- fenced unified diffs (```` ```diff ```` or ```` ```patch ````, or any fence whose body
  starts with ``---``/``+++`` headers): one ``FilePatch`` per file the ``+++ b/<path>``
  headers name (``--- a/<path>`` for a deletion), or, without headers, for the path the
  fence names as above. A diff fence is never taken for a file's content.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from tessera.errors import InvalidPath
from tessera.protocol.actions import (
    Action,
    ActionRefused,
    DependencyAdded,
    FilePatch,
    ProjectMeta,
)
from tessera.protocol.dependencies import dependency_problem
from tessera.protocol.file_actions import file_actions
from tessera.protocol.paths import validate_path
from tessera.protocol.unified_diff import DEV_NULL, header_name

_FENCE_OPEN_RE = re.compile(r" {0,3}(`{3,}|~{3,})([^`]*)")
_FENCE_CLOSE_RE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*")
# Path-like words; a leading "/" is included so that absolute paths get refused, not ignored.
_PATH_RE = re.compile(r"/?[\w@+~.\[\]()-]+(?:/[\w@+~.\[\]()-]+)*")
_EXTENSION_RE = re.compile(r"\.[A-Za-z][\w-]{0,15}")
_INFO_ATTRIBUTE_RE = re.compile(
    r"""(?:title|file|filename|path)\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))""", re.IGNORECASE
)
_COMMENT_PATH_RE = re.compile(
    r"\s*(?://|#|--|;|/\*|<!--)\s*(?:(?:file|filename|path)\s*:\s*)?(\S+?)\s*(?:\*/|-->)?\s*",
    re.IGNORECASE,
)
_DECORATION_RE = re.compile(r"^(?:#{1,6}\s+|//\s*|>\s*|[-*+]\s+|\d+[.)]\s+)")
_LINE_BRACE_RE = re.compile(r"^[ \t]*\{", re.MULTILINE)
_LABEL_RE = re.compile(r"^(?:file|filename|path)\s*:\s*", re.IGNORECASE)
_DIFF_LANGUAGES = frozenset({"diff", "patch", "udiff"})


def fallback_actions(text: str) -> list[Action]:
    """Actions from an answer that used no tessera tag (empty when it has neither shape).

    The JSON shape wins when it parses; otherwise path-naming fences; and only when there
    are none either, JSON that tried to be the shape but did not parse is reported.
    """
    shape, error = json_shape_actions(text)
    if shape is not None:
        return shape
    fenced = fenced_actions(text)
    if fenced or error is None:
        return fenced
    return [error]


# --- the JSON shape ------------------------------------------------------------------------
def json_shape_actions(text: str) -> tuple[list[Action] | None, ActionRefused | None]:
    """Actions from the JSON shape (``None`` if absent), and the refusal if it did not parse."""
    if '"files"' not in text:
        return None, None
    decoder = json.JSONDecoder()
    first_error: json.JSONDecodeError | None = None
    for candidate in _json_candidates(text):
        try:
            value, _ = decoder.raw_decode(candidate)
        except json.JSONDecodeError as exc:
            if first_error is None and '"files"' in candidate:
                first_error = exc
            continue
        if _is_shape(value):
            return _shape_actions(value), None
    if first_error is None:
        return None, None
    return None, ActionRefused(None, f"The model's JSON answer could not be read: {first_error}")


def _json_candidates(text: str) -> list[str]:
    candidates = [
        fence.content.strip()
        for fence in _fences(text)
        if fence.info.strip().lower() in ("", "json", "jsonc") and fence.path is None
    ]
    line_start = _LINE_BRACE_RE.search(text)
    if line_start is not None:
        candidates.append(text[line_start.end() - 1 :])
    brace = text.find("{")
    if brace >= 0:
        candidates.append(text[brace:])
    return [candidate for candidate in candidates if candidate.startswith("{")]


def _is_shape(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    files = value.get("files")
    if isinstance(files, dict):
        return True
    return isinstance(files, list) and all(isinstance(item, dict) for item in files)


def _text_field(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _shape_actions(shape: dict[str, Any]) -> list[Action]:
    out: list[Action] = []
    meta = ProjectMeta(
        title=_text_field(shape.get("title")),
        description=_text_field(shape.get("description")),
        category=_text_field(shape.get("category")),
    )
    if meta != ProjectMeta():
        out.append(meta)
    dependencies = shape.get("dependencies")
    if isinstance(dependencies, dict):
        for name, version in dependencies.items():
            _dependency(str(name), version if isinstance(version, str) else None, out)
    elif isinstance(dependencies, list):
        for name in dependencies:
            if isinstance(name, str):
                _dependency(name, None, out)
    files = shape["files"]
    pairs: list[tuple[Any, Any]] = (
        list(files.items())
        if isinstance(files, dict)
        else [
            (item.get("path", item.get("filename")), item.get("content", item.get("code")))
            for item in files
        ]
    )
    for path, content in pairs:
        if not isinstance(path, str):
            out.append(ActionRefused(None, "A file in the model's JSON answer has no path"))
        elif not isinstance(content, str):
            out.append(
                ActionRefused(path, f"The file {path!r} in the model's JSON answer has no text")
            )
        else:
            out.extend(file_actions(path, content))
    return out


def _dependency(name: str, version: str | None, out: list[Action]) -> None:
    problem = dependency_problem(name, version)
    out.append(DependencyAdded(name, version) if problem is None else ActionRefused(None, problem))


# --- fenced code blocks --------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Fence:
    info: str
    content: str
    path: str | None
    closed: bool
    body: list[str]  # every line between the fence lines, none dropped


def fenced_actions(text: str) -> list[Action]:
    """File actions for every fenced code block that names a path, and ``FilePatch``
    actions for fenced diffs."""
    out: list[Action] = []
    for fence in _fences(text):
        if _is_diff(fence):
            out.extend(_patch_actions(fence))
            continue
        if fence.path is None:
            continue
        if not fence.closed:
            try:
                path = validate_path(fence.path)
            except InvalidPath as exc:
                out.append(ActionRefused(fence.path, exc.message))
                continue
            out.append(
                ActionRefused(
                    path,
                    f"The model stopped in the middle of {path}; the partial file was not saved",
                )
            )
            continue
        out.extend(file_actions(fence.path, fence.content))
    return out


def _fences(text: str) -> list[_Fence]:
    lines = text.split("\n")
    fences: list[_Fence] = []
    previous: list[str] = []  # non-fence lines since the last fence, most recent last
    index = 0
    while index < len(lines):
        line = lines[index].removesuffix("\r")
        opener = _FENCE_OPEN_RE.fullmatch(line)
        if opener is None:
            previous.append(line)
            index += 1
            continue
        marker, info = opener.group(1), opener.group(2)
        body: list[str] = []
        index += 1
        closed = False
        while index < len(lines):
            inner = lines[index].removesuffix("\r")
            index += 1
            closer = _FENCE_CLOSE_RE.fullmatch(inner)
            if closer and closer.group(1)[0] == marker[0] and len(closer.group(1)) >= len(marker):
                closed = True
                break
            body.append(inner)
        fences.append(_make_fence(info, body, previous, closed))
        previous = []
    return fences


def _make_fence(info: str, body: list[str], previous: list[str], closed: bool) -> _Fence:
    path = _path_from_info(info) or _path_from_previous(previous)
    content = body
    if body:
        comment = _path_from_comment(body[0])
        if comment is not None and (path is None or path == comment):
            path = comment
            content = body[1:]
    return _Fence(info=info, content="\n".join(content), path=path, closed=closed, body=body)


# --- fenced diffs --------------------------------------------------------------------------
def _is_diff(fence: _Fence) -> bool:
    words = fence.info.split()
    if words and words[0].lower() in _DIFF_LANGUAGES:
        return True
    body = [line for line in fence.body if line.strip()]
    return len(body) >= 2 and body[0].startswith("--- ") and body[1].startswith("+++ ")


def _file_sections(body: list[str]) -> list[tuple[str | None, list[str]]]:
    """The patch of a diff fence cut per file: (path its headers name, lines)."""
    sections: list[tuple[str | None, list[str]]] = []
    current: list[str] = []
    name: str | None = None
    index = 0
    while index < len(body):
        line = body[index]
        is_header = line.startswith("--- ") and index + 1 < len(body)
        is_header = is_header and body[index + 1].startswith("+++ ")
        if (is_header or line.startswith("diff --git ")) and any(
            part.startswith("@@") for part in current
        ):
            sections.append((name, current))
            current, name = [], None
        if is_header:
            old, new = header_name(line), header_name(body[index + 1])
            name = new if new != DEV_NULL else old
            current.extend(body[index : index + 2])
            index += 2
            continue
        current.append(line)
        index += 1
    sections.append((name, current))
    return sections


def _patch_actions(fence: _Fence) -> list[Action]:
    """``FilePatch`` actions of a diff fence; a fence naming no file is only chat."""
    out: list[Action] = []
    for name, lines in _file_sections(fence.body):
        raw = name or fence.path
        if raw is None or not any(line.strip() for line in lines):
            continue
        try:
            path = validate_path(raw)
        except InvalidPath as exc:
            out.append(ActionRefused(raw, exc.message))
            continue
        if not fence.closed:
            out.append(
                ActionRefused(
                    path, f"The model stopped in the middle of a diff of {path}; it was not applied"
                )
            )
            continue
        out.append(FilePatch(path, "\n".join(lines) + "\n"))
    return out


def _looks_like_path(text: str) -> bool:
    if _PATH_RE.fullmatch(text) is None:
        return False
    name = text.rsplit("/", 1)[-1]
    has_extension = _EXTENSION_RE.search(name) is not None and not name.endswith(".")
    return "/" in text or has_extension


def _path_from_info(info: str) -> str | None:
    attribute = _INFO_ATTRIBUTE_RE.search(info)
    if attribute is not None:
        return next(group for group in attribute.groups() if group is not None)
    words = info.split()
    if not words:
        return None
    first = words[0]
    if ":" in first:  # ```tsx:src/App.tsx
        first = first.split(":", 1)[1]
    for word in (first, *words[1:2]):
        if _looks_like_path(word):
            return word
    return None


def _path_from_previous(previous: list[str]) -> str | None:
    """The path named by the line before a fence (one blank line may come between)."""
    recent = previous[-2:]
    if recent and recent[-1].strip():
        line = recent[-1]
    elif len(recent) == 2 and recent[0].strip():
        line = recent[0]
    else:
        return None
    line = line.strip()
    for _ in range(2):  # "### File: `src/App.tsx`", "- **src/App.tsx**:"
        line = _DECORATION_RE.sub("", line).strip().strip("*_`").strip()
        line = _LABEL_RE.sub("", line).rstrip(":").strip().strip("*_`").strip()
    return line if _looks_like_path(line) else None


def _path_from_comment(line: str) -> str | None:
    match = _COMMENT_PATH_RE.fullmatch(line)
    if match is None:
        return None
    candidate = match.group(1)
    return candidate if _looks_like_path(candidate) else None
