"""Persistence: projects, their files (content-addressed blobs), versions and chat."""

from tessera.store.records import (
    MESSAGE_ROLES,
    VERSION_KINDS,
    FileRecord,
    MessageRecord,
    ProjectRecord,
    VersionRecord,
)
from tessera.store.store import Store

__all__ = [
    "MESSAGE_ROLES",
    "VERSION_KINDS",
    "FileRecord",
    "MessageRecord",
    "ProjectRecord",
    "Store",
    "VersionRecord",
]
