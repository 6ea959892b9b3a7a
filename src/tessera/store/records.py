"""Plain, immutable records the store hands out (no ORM objects leave the store)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

VERSION_KINDS: Final = frozenset({"assistant", "edit", "restore"})
"""What produced a version: a model's turn, hand edits, or restoring an older version."""

MESSAGE_ROLES: Final = frozenset({"user", "assistant"})


@dataclass(frozen=True, slots=True)
class ProjectRecord:
    id: str
    name: str
    title: str | None
    description: str | None
    template: str
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "template": self.template,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class FileRecord:
    path: str
    size: int
    """Bytes of the UTF-8 encoded content."""
    sha: str
    """Hex sha256 of the UTF-8 encoded content."""

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha": self.sha}


@dataclass(frozen=True, slots=True)
class VersionRecord:
    id: int
    project_id: str
    number: int
    """1, 2, 3, ... within its project."""
    message: str
    kind: str
    created_at: datetime
    file_count: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project_id": self.project_id,
            "number": self.number,
            "message": self.message,
            "kind": self.kind,
            "created_at": self.created_at.isoformat(),
            "file_count": self.file_count,
        }


@dataclass(frozen=True, slots=True)
class MessageRecord:
    id: int
    project_id: str
    role: str
    content: str
    created_at: datetime
    version_id: int | None
    """The version the assistant's turn produced, if any."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "project_id": self.project_id,
            "role": self.role,
            "content": self.content,
            "created_at": self.created_at.isoformat(),
            "version_id": self.version_id,
        }
