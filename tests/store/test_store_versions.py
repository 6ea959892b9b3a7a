from __future__ import annotations

import asyncio
from datetime import UTC
from pathlib import Path

import pytest

from tessera.errors import InvalidInput, VersionNotFound
from tessera.store import Store, VersionRecord, versions


async def test_commit_applies_changes_and_snapshots(store: Store) -> None:
    project = await store.create_project(name="p")

    v1 = await store.commit_version(
        project.id,
        changes={"index.html": "<div id=root>", "src/App.tsx": "v1"},
        message="First draft",
        kind="assistant",
    )

    assert v1.number == 1
    assert v1.project_id == project.id
    assert v1.message == "First draft"
    assert v1.kind == "assistant"
    assert v1.file_count == 2
    assert v1.created_at.tzinfo is UTC
    assert await store.read_files(project.id) == {
        "index.html": "<div id=root>",
        "src/App.tsx": "v1",
    }
    assert await store.read_version_files(project.id, v1.id) == {
        "index.html": "<div id=root>",
        "src/App.tsx": "v1",
    }
    assert (await store.get_project(project.id)).updated_at >= v1.created_at


async def test_version_two_keeps_unchanged_files_and_reflects_deletes(store: Store) -> None:
    project = await store.create_project(name="p")
    v1 = await store.commit_version(
        project.id,
        changes={"keep.txt": "same", "change.txt": "old", "drop.txt": "bye"},
        message="v1",
        kind="assistant",
    )

    v2 = await store.commit_version(
        project.id,
        changes={"change.txt": "new", "drop.txt": None, "added.txt": "hi"},
        message="v2",
        kind="edit",
    )

    assert v2.number == 2
    assert v2.file_count == 3
    assert await store.read_version_files(project.id, v2.id) == {
        "keep.txt": "same",
        "change.txt": "new",
        "added.txt": "hi",
    }
    assert await store.read_version_files(project.id, v1.id) == {
        "keep.txt": "same",
        "change.txt": "old",
        "drop.txt": "bye",
    }
    assert await store.read_files(project.id) == {
        "keep.txt": "same",
        "change.txt": "new",
        "added.txt": "hi",
    }


async def test_version_snapshot_ignores_later_working_copy_edits(store: Store) -> None:
    project = await store.create_project(name="p")
    v1 = await store.commit_version(project.id, changes={"a.txt": "v1"}, message="m", kind="edit")

    await store.write_file(project.id, "a.txt", "hand edit")
    await store.write_file(project.id, "b.txt", "new")
    await store.delete_file(project.id, "b.txt")

    assert await store.read_version_files(project.id, v1.id) == {"a.txt": "v1"}


async def test_commit_includes_uncommitted_working_copy_edits(store: Store) -> None:
    project = await store.create_project(name="p")
    await store.write_file(project.id, "hand.txt", "typed in the editor")

    v1 = await store.commit_version(project.id, changes={}, message="hand edits", kind="edit")

    assert await store.read_version_files(project.id, v1.id) == {"hand.txt": "typed in the editor"}


async def test_deleting_absent_path_is_a_no_op(store: Store) -> None:
    project = await store.create_project(name="p")
    v1 = await store.commit_version(
        project.id, changes={"a.txt": "A", "ghost.txt": None}, message="m", kind="assistant"
    )
    assert await store.read_version_files(project.id, v1.id) == {"a.txt": "A"}


async def test_list_versions_ascending(store: Store) -> None:
    project = await store.create_project(name="p")
    for kind in ["assistant", "edit", "restore"]:
        await store.commit_version(project.id, changes={kind: kind}, message=kind, kind=kind)

    listed = await store.list_versions(project.id)

    assert [(v.number, v.kind, v.file_count) for v in listed] == [
        (1, "assistant", 1),
        (2, "edit", 2),
        (3, "restore", 3),
    ]
    assert all(isinstance(v, VersionRecord) for v in listed)


async def test_numbers_are_per_project(store: Store) -> None:
    first = await store.create_project(name="first")
    second = await store.create_project(name="second")
    await store.commit_version(first.id, changes={}, message="a", kind="edit")
    await store.commit_version(first.id, changes={}, message="b", kind="edit")

    other = await store.commit_version(second.id, changes={}, message="c", kind="edit")

    assert other.number == 1


async def test_unknown_kind_is_rejected(store: Store) -> None:
    project = await store.create_project(name="p")
    with pytest.raises(InvalidInput) as info:
        await store.commit_version(project.id, changes={"a": "a"}, message="m", kind="magic")
    assert "assistant" in info.value.message
    assert await store.list_versions(project.id) == []
    assert await store.list_files(project.id) == []


async def test_unknown_version_raises_version_not_found(store: Store) -> None:
    project = await store.create_project(name="p")
    other = await store.create_project(name="other")
    foreign = await store.commit_version(other.id, changes={"a": "a"}, message="m", kind="edit")

    with pytest.raises(VersionNotFound):
        await store.read_version_files(project.id, 12345)
    with pytest.raises(VersionNotFound) as info:
        await store.read_version_files(project.id, foreign.id)
    assert info.value.status_code == 404


async def test_commit_is_atomic(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    project = await store.create_project(name="p")
    await store.commit_version(project.id, changes={"a.txt": "v1"}, message="v1", kind="edit")

    async def broken_snapshot(*args: object, **kwargs: object) -> VersionRecord:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(versions, "snapshot", broken_snapshot)
    with pytest.raises(RuntimeError, match="disk on fire"):
        await store.commit_version(
            project.id, changes={"a.txt": "v2", "b.txt": "new"}, message="v2", kind="edit"
        )
    monkeypatch.undo()

    assert await store.read_files(project.id) == {"a.txt": "v1"}
    assert [v.number for v in await store.list_versions(project.id)] == [1]


async def test_concurrent_commits_get_distinct_consecutive_numbers(store: Store) -> None:
    project = await store.create_project(name="p")

    committed = await asyncio.gather(
        *(
            store.commit_version(
                project.id, changes={f"file{i}.txt": str(i)}, message=f"m{i}", kind="assistant"
            )
            for i in range(10)
        )
    )

    assert sorted(v.number for v in committed) == list(range(1, 11))
    # Each commit saw every earlier one: version n snapshots n files.
    assert sorted(v.file_count for v in committed) == list(range(1, 11))
    assert [v.number for v in await store.list_versions(project.id)] == list(range(1, 11))


async def test_concurrent_commits_from_two_stores_on_one_database(db_url: str) -> None:
    first = await Store.open(db_url)
    second = await Store.open(db_url)
    try:
        project = await first.create_project(name="p")
        committed = await asyncio.gather(
            *(
                (first if i % 2 else second).commit_version(
                    project.id, changes={f"f{i}": str(i)}, message="m", kind="edit"
                )
                for i in range(10)
            )
        )
        assert sorted(v.number for v in committed) == list(range(1, 11))
        assert await second.read_files(project.id) == {f"f{i}": str(i) for i in range(10)}
    finally:
        await first.close()
        await second.close()


async def test_reads_run_alongside_commits(store: Store, db_path: Path) -> None:
    project = await store.create_project(name="p")
    await store.write_file(project.id, "a.txt", "A")

    results = await asyncio.gather(
        *(store.commit_version(project.id, changes={}, message="m", kind="edit") for _ in range(3)),
        *(store.read_file(project.id, "a.txt") for _ in range(5)),
    )

    assert results[3:] == ["A"] * 5
