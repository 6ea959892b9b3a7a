"""Paths inside a local sandbox's folder.

Every path the files API receives is relative to the folder; absolute paths, paths that
climb out with ``..`` and paths that reach outside through a symbolic link are refused.
(The model-facing rules — no ``node_modules/``, no ``.git/`` — live in
``tessera.protocol.paths``; inside the sandbox the whole folder is reachable.)
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from tessera.errors import InvalidPath


def resolve_inside(root: Path, path: str, *, follow_last: bool = True) -> Path:
    """The real location of ``path`` inside ``root`` (which must already be resolved).

    With ``follow_last=False`` a symbolic link at the end of the path is the link itself
    (for removing or renaming it), while the folders leading to it are still followed.
    """
    if not path or "\x00" in path:
        raise InvalidPath(f"{path!r} is not a valid path; name a file inside the project.")
    relative = PurePosixPath(path)
    if relative.is_absolute():
        raise InvalidPath(
            f"{path!r} is absolute; use a path relative to the project folder, like 'src/App.tsx'."
        )
    candidate = root.joinpath(*relative.parts)
    if follow_last or candidate.name in ("", ".."):
        real = candidate.resolve()
    else:
        real = candidate.parent.resolve() / candidate.name
    if real != root and not real.is_relative_to(root):
        raise InvalidPath(f"{path!r} points outside the project folder; paths must stay inside.")
    return real


def relative_to_root(root: Path, real: Path) -> str:
    """``real`` as a path relative to ``root`` with forward slashes (``.`` for the root)."""
    return real.relative_to(root).as_posix()
