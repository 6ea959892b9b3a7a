from __future__ import annotations

from datetime import UTC

import pytest

from tessera.errors import InvalidInput, VersionNotFound
from tessera.store import Store


async def test_add_and_list_messages_in_order(store: Store) -> None:
    project = await store.create_project(name="p")

    asked = await store.add_message(project.id, role="user", content="Build a todo app")
    version = await store.commit_version(
        project.id, changes={"a.txt": "a"}, message="Todo app", kind="assistant"
    )
    answered = await store.add_message(
        project.id, role="assistant", content="Here it is.", version_id=version.id
    )

    assert asked.role == "user"
    assert asked.version_id is None
    assert asked.created_at.tzinfo is UTC
    assert answered.version_id == version.id
    assert await store.list_messages(project.id) == [asked, answered]
    assert [m.content for m in await store.list_messages(project.id)] == [
        "Build a todo app",
        "Here it is.",
    ]


async def test_messages_are_per_project(store: Store) -> None:
    first = await store.create_project(name="first")
    second = await store.create_project(name="second")
    await store.add_message(first.id, role="user", content="one")
    assert await store.list_messages(second.id) == []


async def test_unknown_role_is_rejected(store: Store) -> None:
    project = await store.create_project(name="p")
    with pytest.raises(InvalidInput):
        await store.add_message(project.id, role="system", content="x")
    assert await store.list_messages(project.id) == []


async def test_version_of_another_project_is_rejected(store: Store) -> None:
    project = await store.create_project(name="p")
    other = await store.create_project(name="other")
    foreign = await store.commit_version(other.id, changes={}, message="m", kind="edit")

    with pytest.raises(VersionNotFound):
        await store.add_message(project.id, role="assistant", content="x", version_id=foreign.id)
    assert await store.list_messages(project.id) == []
