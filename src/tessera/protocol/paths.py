"""Checking the file paths a model names before anything is written.

A path is accepted when it is relative, stays inside the project, and names a file (not
a folder). ``validate_path`` returns it normalised: POSIX separators, no ``.`` or empty
segments, no surrounding whitespace. ``safe_join`` also refuses a path that leaves the
project through a symbolic link already on disk.
"""

from __future__ import annotations

import re
from pathlib import Path

from tessera.errors import InvalidPath

MAX_SEGMENT_BYTES = 255
"""The longest file or folder name most file systems accept (UTF-8 bytes)."""

MAX_PATH_BYTES = 1024
"""The longest path Tessera accepts (UTF-8 bytes, after normalisation)."""

FORBIDDEN_SEGMENTS = frozenset(
    {".git", "node_modules", ".venv", ".tessera-packages", "__pycache__"}
)
"""Folders a model may never write into (compared case-insensitively)."""

_SHOWN_CHARS = 80
# C0 and C1 control characters, DEL, line/paragraph separators and lone surrogates.
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_DRIVE_RE = re.compile(r"[A-Za-z]:")


def _shown(path: str) -> str:
    if len(path) > _SHOWN_CHARS:
        path = path[:_SHOWN_CHARS] + "…"
    return repr(path)


def _refuse(path: str, reason: str) -> InvalidPath:
    return InvalidPath(f"The path {_shown(path)} was refused: {reason}.")


def validate_path(path: str) -> str:
    """Return ``path`` normalised (``./a//b`` → ``a/b``) or raise ``InvalidPath``.

    Refused: empty paths, absolute paths (``/x``, ``C:\\x``, ``C:/x``, ``\\\\server\\x``),
    any ``..`` segment, backslashes, control characters, a ``.git`` or ``node_modules``
    segment, a trailing slash (a folder), a path naming the project folder itself (``.``),
    a name over 255 bytes or a path over 1024 bytes.
    """
    stripped = path.strip()
    if not stripped:
        raise _refuse(path, "it is empty; name a file such as src/App.tsx")
    control = _CONTROL_RE.search(stripped)
    if control is not None:
        code = ord(control.group())
        raise _refuse(path, f"it contains the control character U+{code:04X}")
    if len(stripped) > MAX_PATH_BYTES:
        raise _refuse(path, f"it is longer than {MAX_PATH_BYTES} characters")
    if stripped.startswith(("/", "\\")) or _DRIVE_RE.match(stripped):
        raise _refuse(path, "it is absolute; use a path relative to the project, like src/App.tsx")
    if "\\" in stripped:
        raise _refuse(path, "it contains a backslash; separate folders with '/'")
    if stripped.endswith("/"):
        raise _refuse(path, "it ends with '/', so it names a folder, not a file")
    segments: list[str] = []
    for segment in stripped.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            raise _refuse(path, "it contains '..'; paths must stay inside the project")
        if segment.lower() in FORBIDDEN_SEGMENTS:
            raise _refuse(path, f"files inside {segment}/ are managed by Tessera, not written")
        if len(segment.encode()) > MAX_SEGMENT_BYTES:
            raise _refuse(
                path, f"the name {_shown(segment)} is longer than {MAX_SEGMENT_BYTES} bytes"
            )
        segments.append(segment)
    if not segments:
        raise _refuse(path, "it names the project folder itself, not a file")
    normalised = "/".join(segments)
    if len(normalised.encode()) > MAX_PATH_BYTES:
        raise _refuse(path, f"it is longer than {MAX_PATH_BYTES} bytes")
    return normalised


def safe_join(root: Path, rel: str) -> Path:
    """Join a validated ``rel`` onto ``root``; refuse it if symbolic links lead outside root.

    The answer is ``root.resolve() / validate_path(rel)`` (links in it are not followed, so
    deleting the answer deletes the link itself). Links are resolved only to check that the
    target stays inside the project.
    """
    normalised = validate_path(rel)
    base = root.resolve()
    joined = base / normalised
    try:
        target = joined.resolve()
    except (OSError, RuntimeError) as exc:  # a symbolic link loop
        raise _refuse(rel, f"it cannot be resolved ({exc})") from exc
    if target == base or not target.is_relative_to(base):
        raise _refuse(rel, "a symbolic link makes it point outside the project")
    return joined
