"""Small SQL helpers shared by the store's query modules."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Final, TypeVar

from sqlalchemy import CursorResult, Result
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from tessera.store.models import Base

T = TypeVar("T")

CHUNK: Final = 500
"""Values per ``IN (...)`` list: well below every backend's bound-parameter limit."""


def dialect_insert(session: AsyncSession, model: type[Base]) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that supports ``ON CONFLICT`` on both supported backends."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def chunked(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE or DELETE."""
    assert isinstance(result, CursorResult)
    return result.rowcount
