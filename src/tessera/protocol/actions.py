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
class FileDeleted:
    path: str


@dataclass(frozen=True, slots=True)
class FileRenamed:
    source: str
    target: str


@dataclass(frozen=True, slots=True)
class DependencyAdded:
    name: str
    version: str | None


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
    | FileDeleted
    | FileRenamed
    | DependencyAdded
    | ProjectMeta
    | ActionRefused
)
