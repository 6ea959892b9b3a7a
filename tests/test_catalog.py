"""The project catalog over a real store: creating from templates, renaming, duplicating,
importing, and thumbnails in the project list."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tessera.catalog import ProjectCatalog
from tessera.errors import InvalidInput, NotFound, ProjectNotFound, TemplateNotFound
from tessera.importing import ImportedFiles, ProjectUpload, Skipped
from tessera.sandbox.templates import template_files
from tessera.store import Store
from tessera.thumbnails import PNG_SIGNATURE, Thumbnailer


@dataclass
class Env:
    catalog: ProjectCatalog
    store: Store
    thumbnails: Thumbnailer


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'tessera.db'}")
    thumbnails = Thumbnailer(tmp_path / "thumbnails", chromium=None)
    try:
        yield Env(ProjectCatalog(store=store, thumbnails=thumbnails), store, thumbnails)
    finally:
        await thumbnails.aclose()
        await store.close()


def put_thumbnail(thumbnails: Thumbnailer, project_id: str) -> Path:
    thumbnails.folder.mkdir(parents=True, exist_ok=True)
    path = thumbnails.folder / f"{project_id}.png"
    path.write_bytes(PNG_SIGNATURE + b"picture")
    return path


def upload(files: dict[str, str], **options: str | None) -> ProjectUpload:
    imported = ImportedFiles(files=files, skipped=[Skipped("logo.png", "binary")])
    return ProjectUpload(imported=imported, name=options.get("name"), name_hint=options.get("hint"))


async def test_a_project_without_a_template_starts_empty(env: Env) -> None:
    project = await env.catalog.create()
    assert project.name == "Untitled app" and project.template == "react"
    assert await env.store.list_files(project.id) == []
    assert await env.store.list_versions(project.id) == []


@pytest.mark.parametrize("template", ["react", "python", "fullstack"])
async def test_a_template_gives_its_starter_files_as_version_one(env: Env, template: str) -> None:
    project = await env.catalog.create(name="  My   shop ", template=template)
    assert project.name == "My shop" and project.template == template
    assert await env.store.read_files(project.id) == template_files(template)
    [version] = await env.store.list_versions(project.id)
    assert version.number == 1 and version.kind == "edit"
    assert version.message == f"Started from the {template} template"
    assert version.file_count == len(template_files(template))


async def test_an_unknown_template_creates_nothing(env: Env) -> None:
    with pytest.raises(TemplateNotFound) as refused:
        await env.catalog.create(template="cobol")
    assert "react" in refused.value.message
    assert await env.store.list_projects() == []


async def test_renaming_trims_and_checks_the_name(env: Env) -> None:
    first = await env.catalog.create(name="First")
    second = await env.catalog.create(name="Second")
    renamed = await env.catalog.rename(first.id, "  Better\tname \n")
    assert renamed.name == "Better name"
    assert renamed.updated_at > first.updated_at
    listed = await env.catalog.list_projects()
    assert [p["id"] for p in listed] == [first.id, second.id]  # newest change first
    assert (await env.catalog.rename(first.id, None)).name == "Better name"
    assert (await env.catalog.rename(first.id, "x" * 200)).name == "x" * 200
    for bad in ["", "   ", "x" * 201]:
        with pytest.raises(InvalidInput):
            await env.catalog.rename(first.id, bad)
    assert (await env.store.get_project(first.id)).name == "x" * 200
    with pytest.raises(ProjectNotFound):
        await env.catalog.rename("nosuchproject", "Name")


async def test_a_duplicate_copies_files_and_settings_but_not_chat_or_history(env: Env) -> None:
    source = await env.catalog.create(name="Shop", template="react")
    await env.store.update_project(source.id, title="A shop", description="Sells things")
    await env.store.commit_version(
        source.id, changes={"src/App.tsx": "export default 2"}, message="v2", kind="assistant"
    )
    await env.store.add_message(source.id, role="user", content="make a shop")
    await env.store.put_settings(
        source.id, {"locked_files": ["src/App.tsx"], "model": "gpt-4o", "published": "shop"}
    )

    copy = await env.catalog.duplicate(source.id)
    assert copy.id != source.id
    assert copy.name == "Shop (copy)"
    assert (copy.template, copy.title, copy.description) == ("react", "A shop", "Sells things")
    assert await env.store.read_files(copy.id) == await env.store.read_files(source.id)
    [version] = await env.store.list_versions(copy.id)
    assert version.message == "Duplicated from Shop" and version.kind == "edit"
    assert await env.store.list_messages(copy.id) == []
    assert await env.store.get_settings(copy.id) == {
        "locked_files": ["src/App.tsx"],
        "model": "gpt-4o",
    }

    # the two are independent from now on
    await env.store.write_file(copy.id, "src/App.tsx", "changed in the copy")
    assert await env.store.read_file(source.id, "src/App.tsx") == "export default 2"
    await env.store.delete_project(source.id)
    assert (
        await env.store.read_file(copy.id, "src/main.tsx")
        == template_files("react")["src/main.tsx"]
    )


async def test_a_duplicate_can_be_named_and_an_empty_project_gets_no_version(env: Env) -> None:
    source = await env.catalog.create(name="Empty")
    copy = await env.catalog.duplicate(source.id, name=" Second try ")
    assert copy.name == "Second try"
    assert await env.store.list_versions(copy.id) == []
    long = await env.catalog.create(name="y" * 200)
    assert (await env.catalog.duplicate(long.id)).name.endswith("y (copy)")
    assert len((await env.catalog.duplicate(long.id)).name) == 200
    with pytest.raises(ProjectNotFound):
        await env.catalog.duplicate("nosuchproject")


async def test_an_import_becomes_one_version_with_its_template_from_its_files(env: Env) -> None:
    files = {"app.py": "print('hi')\n", "requirements.txt": "flask\n"}
    outcome = await env.catalog.import_project(upload(files, hint="flask-site"))
    project = outcome.project
    assert project.name == "flask-site" and project.template == "python"
    assert await env.store.read_files(project.id) == files
    [version] = await env.store.list_versions(project.id)
    assert version.message == "Imported" and version.file_count == 2
    assert outcome.skipped == [Skipped("logo.png", "binary")]

    named = await env.catalog.import_project(
        upload({"package.json": "{}"}, name=" Mine ", hint="ignored")
    )
    assert named.project.name == "Mine" and named.project.template == "react"
    anonymous = await env.catalog.import_project(upload({"index.html": "<p>"}))
    assert anonymous.project.name == "Imported app"


async def test_an_import_with_nothing_to_keep_creates_nothing(env: Env) -> None:
    with pytest.raises(InvalidInput) as refused:
        await env.catalog.import_project(upload({}))
    assert "Nothing to import" in refused.value.message and "logo.png" in refused.value.message
    assert await env.store.list_projects() == []


async def test_the_list_shows_thumbnails_that_exist(env: Env) -> None:
    with_picture = await env.catalog.create(name="Pictured")
    without = await env.catalog.create(name="Plain")
    path = put_thumbnail(env.thumbnails, with_picture.id)
    listed = {p["id"]: p for p in await env.catalog.list_projects()}
    url = listed[with_picture.id]["thumbnail_url"]
    assert url == (
        f"/api/projects/{with_picture.id}/thumbnail.png?v={path.stat().st_mtime_ns // 1_000_000}"
    )
    assert listed[without.id]["thumbnail_url"] is None
    assert await env.catalog.thumbnail(with_picture.id) == path
    with pytest.raises(NotFound) as missing:
        await env.catalog.thumbnail(without.id)
    assert "no thumbnail yet" in missing.value.message
    with pytest.raises(ProjectNotFound):
        await env.catalog.thumbnail("nosuchproject")

    env.catalog.forget(with_picture.id)
    assert not path.exists()
    assert env.catalog.view(with_picture)["thumbnail_url"] is None


async def test_a_catalog_without_thumbnails_has_none(env: Env) -> None:
    catalog = ProjectCatalog(store=env.store)
    project = await catalog.create(name="Plain")
    put_thumbnail(env.thumbnails, project.id)
    assert catalog.view(project)["thumbnail_url"] is None
    catalog.forget(project.id)  # nothing to do, no error
