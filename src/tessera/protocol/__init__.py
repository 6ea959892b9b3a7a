"""The model's output format: parsing it as it streams, rendering it, applying edits
and patches (refusing lazy placeholders)."""

from tessera.protocol.actions import (
    Action,
    ActionRefused,
    ChatText,
    DependencyAdded,
    FileDeleted,
    FileDelta,
    FileEdit,
    FileEnded,
    FilePatch,
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
from tessera.protocol.placeholders import check_not_lazy, find_placeholder
from tessera.protocol.unified_diff import apply_patch

__all__ = [
    "Action",
    "ActionRefused",
    "ChatText",
    "DependencyAdded",
    "FileDeleted",
    "FileDelta",
    "FileEdit",
    "FileEnded",
    "FilePatch",
    "FileRenamed",
    "FileStarted",
    "ProjectMeta",
    "StreamParser",
    "apply_edit",
    "apply_patch",
    "check_not_lazy",
    "find_placeholder",
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
