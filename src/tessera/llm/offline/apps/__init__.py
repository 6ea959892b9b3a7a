"""The apps the offline demo model writes: one module per kind.

Each module has ``INFO`` (how the model talks about it, where follow-ups find what they
change) and ``files(spec)`` (every file of the app, in the order they are streamed; the
file with the kind marker last: ``src/App.tsx``, or ``app.py`` for the Flask guestbook).
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType

from tessera.llm.offline.apps import (
    calculator,
    contact,
    counter,
    fullstack_todo,
    guestbook,
    kanban,
    notes,
    stopwatch,
    todo,
)
from tessera.llm.offline.apps.base import (
    KINDS,
    MARKER_FILES,
    AppInfo,
    AppKind,
    AppSpec,
    Layout,
    marker,
    read_marker,
)

_MODULES = {
    "todo": todo,
    "counter": counter,
    "notes": notes,
    "calculator": calculator,
    "stopwatch": stopwatch,
    "contact": contact,
    "kanban": kanban,
    "guestbook": guestbook,
    "fullstack-todo": fullstack_todo,
}

INFOS: MappingProxyType[AppKind, AppInfo] = MappingProxyType(
    {module.INFO.kind: module.INFO for module in _MODULES.values()}
)
_BUILDERS: dict[str, Callable[[AppSpec], dict[str, str]]] = {
    kind: module.files for kind, module in _MODULES.items()
}


def app_files(spec: AppSpec) -> dict[str, str]:
    """Every file of the app ``spec`` describes, in streaming order."""
    return _BUILDERS[spec.kind](spec)


__all__ = [
    "INFOS",
    "KINDS",
    "MARKER_FILES",
    "AppInfo",
    "AppKind",
    "AppSpec",
    "Layout",
    "app_files",
    "marker",
    "read_marker",
]
