"""Paths inside an E2B sandbox.

Tessera's files API takes paths relative to the project folder; in an E2B sandbox that
folder is ``PROJECT_DIR`` (the E2B templates' working directory). Absolute paths and paths
that climb out with ``..`` are refused, as with every provider; a link inside the project
may point anywhere in the sandbox, which is a whole virtual machine of its own.
"""

from __future__ import annotations

import posixpath
from pathlib import PurePosixPath

from tessera.errors import InvalidPath
from tessera.sandbox.templates.e2b_templates import PROJECT_DIR

__all__ = ["PROJECT_DIR", "is_project_dir", "project_path", "sandbox_path"]


def sandbox_path(path: str) -> str:
    """The absolute path in the sandbox of ``path``, relative to the project folder."""
    if not path or "\x00" in path:
        raise InvalidPath(f"{path!r} is not a valid path; name a file inside the project.")
    relative = PurePosixPath(path)
    if relative.is_absolute():
        raise InvalidPath(
            f"{path!r} is absolute; use a path relative to the project folder, like 'src/App.tsx'."
        )
    parts: list[str] = []
    for part in relative.parts:
        if part == "..":
            if not parts:
                raise InvalidPath(
                    f"{path!r} points outside the project folder; paths must stay inside."
                )
            parts.pop()
        elif part != ".":
            parts.append(part)
    return posixpath.join(PROJECT_DIR, *parts)


def project_path(absolute: str) -> str:
    """``absolute`` (a path in the sandbox) relative to the project folder; ``.`` for the
    folder itself."""
    return posixpath.relpath(posixpath.normpath(absolute), PROJECT_DIR)


def is_project_dir(absolute: str) -> bool:
    return posixpath.normpath(absolute) == PROJECT_DIR
