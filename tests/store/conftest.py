from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tessera.store import Store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "tessera.db"


@pytest.fixture
def db_url(db_path: Path) -> str:
    return f"sqlite+aiosqlite:///{db_path}"


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(db_url)
    try:
        yield opened
    finally:
        await opened.close()


CountRows = Callable[..., int]


@pytest.fixture
def count_rows(db_path: Path) -> CountRows:
    """Count rows with a separate, plain sqlite3 connection (independent of the store)."""

    def count(table: str, where: str = "1 = 1") -> int:
        with sqlite3.connect(db_path) as connection:
            query = f"SELECT count(*) FROM {table} WHERE {where}"
            (found,) = connection.execute(query).fetchone()
        return int(found)

    return count
