"""Content-addressed blobs: each distinct file content is stored once, keyed by sha256."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.errors import InvalidInput
from tessera.store.models import Blob, File, VersionFile
from tessera.store.sql import chunked, dialect_insert


@dataclass(frozen=True, slots=True)
class EncodedContent:
    sha: str
    size: int
    data: bytes


def encode(path: str, content: str) -> EncodedContent:
    try:
        data = content.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(
            f"The content of {path} is not valid Unicode text (position {exc.start}); "
            "save it as UTF-8 text."
        ) from exc
    return EncodedContent(sha=hashlib.sha256(data).hexdigest(), size=len(data), data=data)


def decode(data: bytes) -> str:
    return data.decode("utf-8")


async def put(session: AsyncSession, contents: Iterable[EncodedContent]) -> None:
    """Store the blobs that are not stored yet."""
    unique = {content.sha: content for content in contents}
    for chunk in chunked(unique.values()):
        rows = [{"sha": c.sha, "size": c.size, "content": c.data} for c in chunk]
        await session.execute(dialect_insert(session, Blob).on_conflict_do_nothing(), rows)


async def drop_unreferenced(session: AsyncSession, shas: Collection[str]) -> None:
    """Delete those of ``shas`` that no working copy and no version refers to any more."""
    for chunk in chunked(sorted(shas)):
        await session.execute(
            delete(Blob).where(
                Blob.sha.in_(chunk),
                ~exists(select(File.sha).where(File.sha == Blob.sha)),
                ~exists(select(VersionFile.sha).where(VersionFile.sha == Blob.sha)),
            )
        )
