from __future__ import annotations

import re
from datetime import UTC

import pytest

from tessera.errors import NotFound, ProjectNotFound
from tessera.store import ProjectRecord, Store


async def test_create_and_get_project(store: Store) -> None:
    created = await store.create_project(name="Todo app")

    assert re.fullmatch(r"[a-z0-9]{12}", created.id)
    assert created.name == "Todo app"
    assert created.template == "react"
    assert created.title is None
    assert created.description is None
    assert created.created_at.tzinfo is UTC
    assert created.updated_at == created.created_at
    assert await store.get_project(created.id) == created


async def test_project_ids_are_distinct(store: Store) -> None:
    ids = {(await store.create_project(name=f"p{i}")).id for i in range(20)}
    assert len(ids) == 20
    assert all(re.fullmatch(r"[a-z0-9]{12}", project_id) for project_id in ids)


async def test_create_project_with_template(store: Store) -> None:
    created = await store.create_project(name="API", template="python")
    assert (await store.get_project(created.id)).template == "python"


async def test_list_projects_most_recently_updated_first(store: Store) -> None:
    first = await store.create_project(name="first")
    second = await store.create_project(name="second")
    assert [p.id for p in await store.list_projects()] == [second.id, first.id]

    await store.write_file(first.id, "index.html", "<h1>hi</h1>")

    assert [p.id for p in await store.list_projects()] == [first.id, second.id]


async def test_list_projects_empty(store: Store) -> None:
    assert await store.list_projects() == []


async def test_update_project_changes_only_given_fields(store: Store) -> None:
    created = await store.create_project(name="draft")

    updated = await store.update_project(created.id, title="Todo", description="Tasks")

    assert updated.name == "draft"
    assert updated.title == "Todo"
    assert updated.description == "Tasks"
    assert updated.template == "react"
    assert updated.updated_at > created.updated_at
    assert updated.created_at == created.created_at
    assert await store.get_project(created.id) == updated

    renamed = await store.update_project(created.id, name="final", template="fullstack")
    assert (renamed.name, renamed.title, renamed.template) == ("final", "Todo", "fullstack")


async def test_delete_project(store: Store) -> None:
    kept = await store.create_project(name="kept")
    gone = await store.create_project(name="gone")

    await store.delete_project(gone.id)

    assert [p.id for p in await store.list_projects()] == [kept.id]
    with pytest.raises(ProjectNotFound):
        await store.get_project(gone.id)


async def test_unknown_project_raises_project_not_found(store: Store) -> None:
    missing = "nosuchproj00"
    with pytest.raises(ProjectNotFound) as info:
        await store.get_project(missing)
    assert isinstance(info.value, NotFound)
    assert info.value.status_code == 404
    assert missing in info.value.message

    with pytest.raises(ProjectNotFound):
        await store.update_project(missing, name="x")
    with pytest.raises(ProjectNotFound):
        await store.delete_project(missing)
    with pytest.raises(ProjectNotFound):
        await store.write_file(missing, "a.txt", "a")
    with pytest.raises(ProjectNotFound):
        await store.delete_file(missing, "a.txt")
    with pytest.raises(ProjectNotFound):
        await store.list_files(missing)
    with pytest.raises(ProjectNotFound):
        await store.read_file(missing, "a.txt")
    with pytest.raises(ProjectNotFound):
        await store.read_files(missing)
    with pytest.raises(ProjectNotFound):
        await store.commit_version(missing, changes={}, message="m", kind="edit")
    with pytest.raises(ProjectNotFound):
        await store.list_versions(missing)
    with pytest.raises(ProjectNotFound):
        await store.read_version_files(missing, 1)
    with pytest.raises(ProjectNotFound):
        await store.add_message(missing, role="user", content="hi")
    with pytest.raises(ProjectNotFound):
        await store.list_messages(missing)


async def test_failed_write_to_unknown_project_leaves_nothing_behind(store: Store) -> None:
    with pytest.raises(ProjectNotFound):
        await store.write_file("nosuchproj00", "a.txt", "a")
    assert await store.list_projects() == []
    assert isinstance(await store.create_project(name="ok"), ProjectRecord)
