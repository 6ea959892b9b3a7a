"""Which template a set of project files needs.

The project's files decide, not a stored choice: an app that gains a Python API becomes a
``fullstack`` app by its files alone.
"""

from __future__ import annotations

from collections.abc import Iterable

_PYTHON_MANIFESTS = frozenset({"requirements.txt", "api/requirements.txt"})


def detect_app_type(paths: Iterable[str]) -> str:
    """``fullstack`` for a root ``package.json`` with Python beside it (``requirements.txt``,
    ``api/requirements.txt`` or any ``.py`` file); ``react`` for a root ``package.json``
    alone; ``python`` for Python alone; ``react`` otherwise (the default for a project with
    no files yet)."""
    node = python = False
    for raw in paths:
        path = raw.strip().replace("\\", "/").removeprefix("./")
        if path == "package.json":
            node = True
        elif path in _PYTHON_MANIFESTS or path.endswith(".py"):
            python = True
    if python:
        return "fullstack" if node else "python"
    return "react"
