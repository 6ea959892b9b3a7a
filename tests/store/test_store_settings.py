"""Settings: JSON values under a key, for the whole installation or for one project."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from tessera.errors import InvalidInput, ProjectNotFound
from tessera.store import GLOBAL_SCOPE, Store
from tessera.store.database import MIGRATIONS_DIR, create_engine, parse_url

CountRows = Callable[..., int]


async def test_a_fresh_store_has_no_settings(store: Store) -> None:
    assert await store.get_settings(GLOBAL_SCOPE) == {}


async def test_values_of_every_json_kind_round_trip(store: Store) -> None:
    values = {
        "provider": "openai",
        "autofix_attempts": 3,
        "autofix": False,
        "ratio": 0.5,
        "locked_files": ["src/App.tsx", "index.html"],
        "nested": {"a": [1, {"b": None}]},
    }
    await store.put_settings(GLOBAL_SCOPE, values)
    assert await store.get_settings(GLOBAL_SCOPE) == values


async def test_put_replaces_given_keys_keeps_others_and_none_deletes(store: Store) -> None:
    await store.put_settings(GLOBAL_SCOPE, {"a": 1, "b": "two", "c": [3]})
    await store.put_settings(GLOBAL_SCOPE, {"a": 10, "b": None, "d": True})
    assert await store.get_settings(GLOBAL_SCOPE) == {"a": 10, "c": [3], "d": True}


async def test_deleting_an_absent_key_does_nothing(store: Store) -> None:
    await store.put_settings(GLOBAL_SCOPE, {"never-set": None})
    assert await store.get_settings(GLOBAL_SCOPE) == {}


async def test_scopes_are_separate(store: Store) -> None:
    first = await store.create_project(name="first")
    second = await store.create_project(name="second")
    await store.put_settings(GLOBAL_SCOPE, {"model": "global-model"})
    await store.put_settings(first.id, {"model": "first-model"})

    assert await store.get_settings(GLOBAL_SCOPE) == {"model": "global-model"}
    assert await store.get_settings(first.id) == {"model": "first-model"}
    assert await store.get_settings(second.id) == {}


async def test_an_unknown_project_scope_is_refused(store: Store) -> None:
    with pytest.raises(ProjectNotFound):
        await store.get_settings("nosuchprojct")
    with pytest.raises(ProjectNotFound):
        await store.put_settings("nosuchprojct", {"model": "x"})


async def test_a_project_takes_its_settings_with_it(store: Store, count_rows: CountRows) -> None:
    gone = await store.create_project(name="gone")
    kept = await store.create_project(name="kept")
    for project in (gone, kept):
        await store.put_settings(project.id, {"model": project.id, "locked_files": ["a"]})
    await store.put_settings(GLOBAL_SCOPE, {"model": "global"})

    await store.delete_project(gone.id)

    assert count_rows("settings", f"scope = '{gone.id}'") == 0
    assert count_rows("settings", f"project_id = '{gone.id}'") == 0
    assert await store.get_settings(kept.id) == {"model": kept.id, "locked_files": ["a"]}
    assert await store.get_settings(GLOBAL_SCOPE) == {"model": "global"}


async def test_global_rows_belong_to_no_project(store: Store, count_rows: CountRows) -> None:
    project = await store.create_project(name="p")
    await store.put_settings(GLOBAL_SCOPE, {"a": 1})
    await store.put_settings(project.id, {"a": 2})
    assert count_rows("settings", "scope = 'global' AND project_id IS NULL") == 1
    assert count_rows("settings", f"project_id = '{project.id}'") == 1


async def test_a_value_that_is_not_json_writes_nothing(store: Store) -> None:
    await store.put_settings(GLOBAL_SCOPE, {"kept": 1})
    with pytest.raises(InvalidInput, match="not plain JSON"):
        await store.put_settings(GLOBAL_SCOPE, {"kept": 2, "bad": {1, 2}})
    with pytest.raises(InvalidInput, match="not plain JSON"):
        await store.put_settings(GLOBAL_SCOPE, {"bad": float("nan")})
    assert await store.get_settings(GLOBAL_SCOPE) == {"kept": 1}


@pytest.mark.parametrize("key", ["", "k" * 65])
async def test_a_key_the_table_cannot_hold_is_refused(store: Store, key: str) -> None:
    with pytest.raises(InvalidInput, match="setting name"):
        await store.put_settings(GLOBAL_SCOPE, {key: 1})
    assert await store.get_settings(GLOBAL_SCOPE) == {}


async def test_settings_survive_a_restart(db_url: str) -> None:
    store = await Store.open(db_url)
    project = await store.create_project(name="p")
    await store.put_settings(GLOBAL_SCOPE, {"openai_api_key": "sk-stored"})
    await store.put_settings(project.id, {"autofix_attempts": 0})
    await store.close()

    reopened = await Store.open(db_url)
    try:
        assert await reopened.get_settings(GLOBAL_SCOPE) == {"openai_api_key": "sk-stored"}
        assert await reopened.get_settings(project.id) == {"autofix_attempts": 0}
    finally:
        await reopened.close()


async def test_a_database_of_the_first_revision_is_upgraded(db_path: Path, db_url: str) -> None:
    def upgrade_to_first(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")

    db_path.parent.mkdir(parents=True)
    engine = create_engine(parse_url(db_url))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(upgrade_to_first)
    finally:
        await engine.dispose()
    with sqlite3.connect(db_path) as connection:
        connection.execute(
            "INSERT INTO projects (id, name, template, created_at, updated_at) "
            "VALUES ('oldproject01', 'old', 'react', '2025-01-01 00:00:00', "
            "'2025-01-01 00:00:00')"
        )
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert "settings" not in tables

    store = await Store.open(db_url)
    try:
        await store.put_settings("oldproject01", {"model": "kept"})
        assert await store.get_settings("oldproject01") == {"model": "kept"}
        assert (await store.get_project("oldproject01")).name == "old"
    finally:
        await store.close()
