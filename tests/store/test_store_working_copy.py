from __future__ import annotations

import hashlib

import pytest

from tessera.errors import FileNotFound, InvalidInput
from tessera.store import FileRecord, Store


async def test_write_and_read_file(store: Store) -> None:
    project = await store.create_project(name="p")

    record = await store.write_file(project.id, "src/App.tsx", "export default 1;\n")

    assert record == FileRecord(
        path="src/App.tsx",
        size=len(b"export default 1;\n"),
        sha=hashlib.sha256(b"export default 1;\n").hexdigest(),
    )
    assert await store.read_file(project.id, "src/App.tsx") == "export default 1;\n"


async def test_size_counts_utf8_bytes(store: Store) -> None:
    project = await store.create_project(name="p")
    record = await store.write_file(project.id, "hello.txt", "héllo ✓")
    assert record.size == len("héllo ✓".encode())
    assert await store.read_file(project.id, "hello.txt") == "héllo ✓"


async def test_overwrite_replaces_content(store: Store) -> None:
    project = await store.create_project(name="p")
    await store.write_file(project.id, "a.txt", "one")
    await store.write_file(project.id, "a.txt", "two")

    assert await store.read_file(project.id, "a.txt") == "two"
    assert [f.path for f in await store.list_files(project.id)] == ["a.txt"]


async def test_list_files_sorted_by_path(store: Store) -> None:
    project = await store.create_project(name="p")
    for path in ["src/main.tsx", "index.html", "package.json", "src/App.tsx"]:
        await store.write_file(project.id, path, path)

    files = await store.list_files(project.id)

    assert [f.path for f in files] == sorted(
        ["src/main.tsx", "index.html", "package.json", "src/App.tsx"]
    )
    assert all(f.size == len(f.path) for f in files)


async def test_read_files_returns_all_contents(store: Store) -> None:
    project = await store.create_project(name="p")
    await store.write_file(project.id, "a.txt", "A")
    await store.write_file(project.id, "b/c.txt", "C")
    assert await store.read_files(project.id) == {"a.txt": "A", "b/c.txt": "C"}


async def test_empty_project_has_no_files(store: Store) -> None:
    project = await store.create_project(name="p")
    assert await store.list_files(project.id) == []
    assert await store.read_files(project.id) == {}


async def test_empty_file(store: Store) -> None:
    project = await store.create_project(name="p")
    record = await store.write_file(project.id, ".gitkeep", "")
    assert record.size == 0
    assert await store.read_file(project.id, ".gitkeep") == ""


async def test_delete_file(store: Store) -> None:
    project = await store.create_project(name="p")
    await store.write_file(project.id, "a.txt", "A")
    await store.write_file(project.id, "b.txt", "B")

    await store.delete_file(project.id, "a.txt")

    assert await store.read_files(project.id) == {"b.txt": "B"}
    with pytest.raises(FileNotFound):
        await store.read_file(project.id, "a.txt")


async def test_missing_file_raises_file_not_found(store: Store) -> None:
    project = await store.create_project(name="p")
    with pytest.raises(FileNotFound) as info:
        await store.read_file(project.id, "nope.txt")
    assert "nope.txt" in info.value.message
    assert info.value.status_code == 404
    with pytest.raises(FileNotFound):
        await store.delete_file(project.id, "nope.txt")


async def test_files_are_per_project(store: Store) -> None:
    first = await store.create_project(name="first")
    second = await store.create_project(name="second")
    await store.write_file(first.id, "a.txt", "first")
    await store.write_file(second.id, "a.txt", "second")

    assert await store.read_file(first.id, "a.txt") == "first"
    assert await store.read_file(second.id, "a.txt") == "second"
    await store.delete_file(first.id, "a.txt")
    assert await store.read_file(second.id, "a.txt") == "second"


async def test_write_file_creates_no_version(store: Store) -> None:
    project = await store.create_project(name="p")
    await store.write_file(project.id, "a.txt", "A")
    await store.delete_file(project.id, "a.txt")
    assert await store.list_versions(project.id) == []


async def test_text_that_is_not_unicode_is_rejected(store: Store) -> None:
    project = await store.create_project(name="p")
    with pytest.raises(InvalidInput) as info:
        await store.write_file(project.id, "bad.txt", "ok \ud800")
    assert "bad.txt" in info.value.message
    assert await store.list_files(project.id) == []
