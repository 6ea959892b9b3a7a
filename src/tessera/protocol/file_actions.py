"""The actions for a file whose whole content is known at once."""

from __future__ import annotations

from tessera.errors import InvalidPath
from tessera.protocol.actions import Action, ActionRefused, FileDelta, FileEnded, FileStarted
from tessera.protocol.paths import validate_path


def file_actions(path: str, content: str) -> list[Action]:
    """``FileStarted``, one ``FileDelta`` (unless empty), ``FileEnded``; or ``ActionRefused``."""
    try:
        valid = validate_path(path)
    except InvalidPath as exc:
        return [ActionRefused(path, exc.message)]
    out: list[Action] = [FileStarted(valid)]
    if content:
        out.append(FileDelta(valid, content))
    out.append(FileEnded(valid, content))
    return out
