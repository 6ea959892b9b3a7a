"""Which template a set of project files needs."""

from __future__ import annotations

from collections.abc import Iterable


def detect_app_type(paths: Iterable[str]) -> str:
    """``react`` for a root ``package.json``; ``python`` for a root ``requirements.txt`` or
    any ``.py`` file; ``react`` otherwise (the default for a project with no files yet)."""
    python = False
    for raw in paths:
        path = raw.strip().replace("\\", "/").removeprefix("./")
        if path == "package.json":
            return "react"
        if path == "requirements.txt" or path.endswith(".py"):
            python = True
    return "python" if python else "react"
