"""The model's output format: parsing it as it streams, rendering it, applying edits."""

from tessera.protocol.actions import (
    Action,
    ActionRefused,
    ChatText,
    DependencyAdded,
    FileDeleted,
    FileDelta,
    FileEdit,
    FileEnded,
    FileRenamed,
    FileStarted,
    ProjectMeta,
)
from tessera.protocol.edits import apply_edit
from tessera.protocol.format import (
    render_delete,
    render_dependency,
    render_edit,
    render_file,
    render_meta,
    render_rename,
)
from tessera.protocol.parser import StreamParser, merge_actions, parse_all
from tessera.protocol.paths import safe_join, validate_path

__all__ = [
    "Action",
    "ActionRefused",
    "ChatText",
    "DependencyAdded",
    "FileDeleted",
    "FileDelta",
    "FileEdit",
    "FileEnded",
    "FileRenamed",
    "FileStarted",
    "ProjectMeta",
    "StreamParser",
    "apply_edit",
    "merge_actions",
    "parse_all",
    "render_delete",
    "render_dependency",
    "render_edit",
    "render_file",
    "render_meta",
    "render_rename",
    "safe_join",
    "validate_path",
]
