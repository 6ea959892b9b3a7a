"""The actions the parser extracts from a model's streamed output.

The parser emits them in stream order while the text arrives. Paths in every action
have already been validated (see ``paths.validate_path``); an action whose path was
refused is emitted as ``ActionRefused`` instead, and the rest of the stream goes on.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChatText:
    """Text outside any tag: the assistant's answer in chat."""

    text: str


@dataclass(frozen=True, slots=True)
class FileStarted:
    path: str


@dataclass(frozen=True, slots=True)
class FileDelta:
    path: str
    delta: str


@dataclass(frozen=True, slots=True)
class FileEnded:
    """The whole file is known: ``content`` is every delta joined."""

    path: str
    content: str


@dataclass(frozen=True, slots=True)
class FileEdit:
    """A SEARCH/REPLACE edit of an existing file; applied by ``protocol.edits``."""

    path: str
    search: str
    replace: str


@dataclass(frozen=True, slots=True)
class FilePatch:
    """A unified diff of one existing file (``--- a/x``/``+++ b/x``/``@@`` hunks), from a
    ``<tessera-diff path="...">`` tag or a fenced ``diff`` block; applied by
    ``protocol.unified_diff.apply_patch``."""

    path: str
    patch: str


@dataclass(frozen=True, slots=True)
class FileDeleted:
    path: str


@dataclass(frozen=True, slots=True)
class FileRenamed:
    source: str
    target: str


@dataclass(frozen=True, slots=True)
class DependencyAdded:
    """``<tessera-dependency name= version= manager=>``; ``manager`` is "npm", "pip" or
    None (chosen by the project's template)."""

    name: str
    version: str | None
    manager: str | None = None


@dataclass(frozen=True, slots=True)
class ProjectMeta:
    """Title / description / category, from the JSON shape or a ``<tessera-meta>`` tag."""

    title: str | None = None
    description: str | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True)
class ActionRefused:
    """An action that could not be accepted (bad path, malformed tag); ``reason`` is for users."""

    path: str | None
    reason: str


Action = (
    ChatText
    | FileStarted
    | FileDelta
    | FileEnded
    | FileEdit
    | FilePatch
    | FileDeleted
    | FileRenamed
    | DependencyAdded
    | ProjectMeta
    | ActionRefused
)
