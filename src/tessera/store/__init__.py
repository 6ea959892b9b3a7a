"""Persistence: projects, their files (content-addressed blobs), versions, chat and settings."""

from tessera.store.records import (
    MESSAGE_ROLES,
    VERSION_KINDS,
    FileRecord,
    MessageRecord,
    ProjectRecord,
    VersionRecord,
)
from tessera.store.settings import GLOBAL_SCOPE
from tessera.store.store import Store

__all__ = [
    "GLOBAL_SCOPE",
    "MESSAGE_ROLES",
    "VERSION_KINDS",
    "FileRecord",
    "MessageRecord",
    "ProjectRecord",
    "Store",
    "VersionRecord",
]
