from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text

from tessera.errors import StorageError
from tessera.store import Store
from tessera.store.database import create_engine, parse_url
from tessera.store.models import Base

CountRows = Callable[..., int]


async def test_open_creates_the_folder_and_the_schema(db_path: Path, db_url: str) -> None:
    assert not db_path.parent.exists()

    store = await Store.open(db_url)
    await store.close()

    with sqlite3.connect(db_path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    assert {
        "projects",
        "blobs",
        "files",
        "versions",
        "version_files",
        "messages",
        "settings",
    } <= tables
    assert revision == "0002"


async def test_data_survives_a_restart(db_url: str) -> None:
    store = await Store.open(db_url)
    project = await store.create_project(name="kept")
    await store.write_file(project.id, "a.txt", "hello")
    version = await store.commit_version(
        project.id, changes={"b.txt": "world"}, message="v1", kind="assistant"
    )
    message = await store.add_message(project.id, role="user", content="hi")
    await store.close()

    reopened = await Store.open(db_url)
    try:
        restored = await reopened.get_project(project.id)
        assert restored.name == "kept"
        assert await reopened.list_projects() == [restored]
        assert restored.created_at == project.created_at
        assert restored.created_at.tzinfo is not None
        assert await reopened.read_files(project.id) == {"a.txt": "hello", "b.txt": "world"}
        assert await reopened.list_versions(project.id) == [version]
        assert await reopened.list_messages(project.id) == [message]
        next_version = await reopened.commit_version(
            project.id, changes={}, message="v2", kind="edit"
        )
        assert next_version.number == 2
    finally:
        await reopened.close()


async def test_wal_mode_is_on(store: Store, db_path: Path) -> None:
    await store.create_project(name="p")
    with sqlite3.connect(db_path) as connection:
        (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"
    assert (db_path.parent / (db_path.name + "-wal")).exists()


async def test_every_connection_has_the_pragmas(store: Store, db_url: str) -> None:
    engine = create_engine(parse_url(db_url))
    try:
        async with engine.connect() as connection:
            values = [
                (await connection.execute(text(f"PRAGMA {name}"))).scalar_one()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            ]
    finally:
        await engine.dispose()
    assert values == ["wal", 1, 5000]


async def test_blobs_are_deduplicated(store: Store, count_rows: CountRows) -> None:
    first = await store.create_project(name="first")
    second = await store.create_project(name="second")

    await store.write_file(first.id, "a.txt", "shared content")
    await store.write_file(first.id, "copy/a.txt", "shared content")
    await store.write_file(second.id, "b.txt", "shared content")
    await store.commit_version(first.id, changes={}, message="v1", kind="edit")
    await store.commit_version(second.id, changes={"c.txt": "unique"}, message="v1", kind="edit")

    assert count_rows("blobs") == 2
    assert count_rows("files") == 4


async def test_replaced_content_is_dropped_unless_a_version_keeps_it(
    store: Store, count_rows: CountRows
) -> None:
    project = await store.create_project(name="p")
    await store.write_file(project.id, "a.txt", "draft 1")
    await store.write_file(project.id, "a.txt", "draft 2")
    assert count_rows("blobs") == 1

    await store.commit_version(project.id, changes={}, message="v1", kind="edit")
    await store.write_file(project.id, "a.txt", "draft 3")
    assert count_rows("blobs") == 2  # "draft 2" lives on in version 1

    await store.delete_file(project.id, "a.txt")
    assert count_rows("blobs") == 1


async def test_delete_project_cascades_without_orphans(store: Store, count_rows: CountRows) -> None:
    gone = await store.create_project(name="gone")
    kept = await store.create_project(name="kept")
    for project in (gone, kept):
        await store.write_file(project.id, "shared.txt", "same in both")
        version = await store.commit_version(
            project.id, changes={"own.txt": project.id}, message="v1", kind="assistant"
        )
        await store.commit_version(project.id, changes={"own.txt": None}, message="v2", kind="edit")
        await store.add_message(project.id, role="assistant", content="x", version_id=version.id)

    await store.delete_project(gone.id)

    where = f"project_id = '{gone.id}'"
    assert count_rows("projects", f"id = '{gone.id}'") == 0
    assert count_rows("files", where) == 0
    assert count_rows("versions", where) == 0
    assert count_rows("messages", where) == 0
    assert count_rows("version_files", "version_id NOT IN (SELECT id FROM versions)") == 0
    # Only the kept project's content remains: the shared blob and its own file.
    assert count_rows("blobs") == 2
    assert await store.read_files(kept.id) == {"shared.txt": "same in both"}
    assert len(await store.list_versions(kept.id)) == 2
    assert len(await store.list_messages(kept.id)) == 1


async def test_migrations_match_the_models(store: Store, db_url: str) -> None:
    def differences(connection: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))

    engine = create_engine(parse_url(db_url))
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(differences)
    finally:
        await engine.dispose()
    assert diff == []


async def test_unsupported_backend_is_rejected() -> None:
    with pytest.raises(StorageError, match="not supported"):
        await Store.open("mysql+aiomysql://user@localhost/tessera")


async def test_malformed_url_is_rejected() -> None:
    with pytest.raises(StorageError, match="not valid"):
        await Store.open("not a url")


async def test_unwritable_location_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match="Cannot create the folder"):
        await Store.open(f"sqlite+aiosqlite:///{blocker}/sub/tessera.db")


async def test_database_from_a_newer_version_is_reported(db_path: Path, db_url: str) -> None:
    store = await Store.open(db_url)
    await store.close()
    with sqlite3.connect(db_path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")

    with pytest.raises(StorageError, match="newer Tessera"):
        await Store.open(db_url)


async def test_in_memory_database_works(db_url: str) -> None:
    store = await Store.open("sqlite+aiosqlite://")
    try:
        project = await store.create_project(name="p")
        await store.commit_version(project.id, changes={"a": "A"}, message="m", kind="edit")
        assert await store.read_files(project.id) == {"a": "A"}
    finally:
        await store.close()
