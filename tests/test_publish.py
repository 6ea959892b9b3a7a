"""Publishing with real sandboxes: the production build runs in the project's isolated
sandbox (Vite from the warm react template), its output is served from the data folder."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tessera.config import Settings
from tessera.errors import InvalidInput
from tessera.publish import (
    PUBLICATION_KEY,
    BuildFailed,
    NotPublished,
    Publisher,
    PublishRefused,
    SlugTaken,
    check_slug,
    slugify,
)
from tessera.sandbox.local import LocalSandboxProvider
from tessera.sandbox.local.isolation import Isolation
from tessera.sandbox.manager import SandboxManager
from tessera.sandbox.templates import TemplateCache, template_files
from tessera.store import Store

pytestmark = pytest.mark.slow

PIXEL = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0xFF, 0xFE, 0x80, 0x81])
"""Not UTF-8: copied out of the sandbox, it must arrive byte for byte."""


def react_app(heading: str) -> dict[str, str]:
    files = template_files("react")
    files["src/App.tsx"] = (
        f"export default function App() {{\n  return <main><h1>{heading}</h1></main>\n}}\n"
    )
    return files


@dataclass
class Env:
    store: Store
    sandboxes: SandboxManager
    publisher: Publisher
    published: Path

    async def project(self, name: str, files: dict[str, str]) -> str:
        project = await self.store.create_project(name=name)
        await self.store.commit_version(
            project.id, changes=files, message="First draft", kind="assistant"
        )
        return project.id

    async def change(self, project_id: str, changes: dict[str, str | None]) -> None:
        await self.store.commit_version(
            project_id, changes=changes, message="Hand edits", kind="edit"
        )


@pytest.fixture
async def env(settings: Settings, template_cache: TemplateCache) -> AsyncIterator[Env]:
    store = await Store.open(settings.database)
    provider = LocalSandboxProvider(
        settings.sandboxes_dir,
        template_cache,
        preview_domain=settings.preview_base_domain,
        isolation=Isolation.from_settings(settings),
    )
    sandboxes = SandboxManager(provider, dev_server_timeout=settings.dev_server_timeout)
    published = settings.data_dir / "published"
    publisher = Publisher(store=store, sandboxes=sandboxes, published_dir=published)
    try:
        yield Env(store, sandboxes, publisher, published)
    finally:
        await sandboxes.aclose()
        await provider.aclose()
        await store.close()


def site_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def script_of(index_html: str) -> str:
    found = re.search(r'<script[^>]+src="([^"]+)"', index_html)
    assert found is not None, index_html
    return found.group(1)


async def test_publish_builds_in_the_sandbox_and_copies_the_output_out(env: Env) -> None:
    pid = await env.project("My Shop ☕", react_app("Crème brûlée shop"))
    files = await env.store.read_files(pid)
    async with env.sandboxes.sandbox_for(pid, files) as sandbox:  # a file only the build has
        await sandbox.files.write("public/pixel.png", PIXEL)

    publication = await env.publisher.publish(pid)

    assert publication.slug == "my-shop"
    assert publication.url == "/apps/my-shop/"
    assert publication.version_number == 1
    assert await env.publisher.current(pid) == publication
    site = env.publisher.site("my-shop")
    assert site is not None and site.is_relative_to(env.published.resolve())
    built = site_files(site)
    index = built["index.html"].decode()
    script = script_of(index)
    assert script.startswith("/apps/my-shop/assets/") and script.endswith(".js")
    bundle = built[script.removeprefix("/apps/my-shop/")].decode()
    assert "Crème brûlée shop" in bundle
    assert built["pixel.png"] == PIXEL
    # The build output does not stay in the project folder, nor reach the project's files.
    async with env.sandboxes.sandbox_for(pid, files) as sandbox:
        assert not await sandbox.files.exists("dist")
    assert set(await env.store.read_files(pid)) == set(files)
    stored = await env.store.get_settings(pid)
    assert stored[PUBLICATION_KEY]["slug"] == "my-shop"


async def test_republishing_replaces_the_files_at_the_same_address(env: Env) -> None:
    pid = await env.project("Counter", react_app("First heading"))
    first = await env.publisher.publish(pid)
    await env.change(pid, {"src/App.tsx": react_app("Second heading")["src/App.tsx"]})

    second = await env.publisher.publish(pid)

    assert second.slug == first.slug == "counter"
    assert second.version_number == 2
    assert second.published_at > first.published_at
    site = env.publisher.site("counter")
    assert site is not None
    bundle = b"".join(data for path, data in site_files(site).items() if path.endswith(".js"))
    assert b"Second heading" in bundle and b"First heading" not in bundle

    # A new slug moves the app: the old address serves nothing any more.
    moved = await env.publisher.publish(pid, "counter-live")
    assert moved.slug == "counter-live"
    assert env.publisher.site("counter") is None
    assert env.publisher.site("counter-live") is not None
    builds = sorted(p.name for p in (env.published / ".builds").iterdir())
    assert builds and all(name.startswith("counter-live.") for name in builds)
    assert await env.publisher.current(pid) == moved


async def test_slugs_are_unique_across_projects(env: Env) -> None:
    first = await env.project("Todo", react_app("Mine"))
    second = await env.project("Todo", react_app("Theirs"))
    assert (await env.publisher.publish(first)).slug == "todo"

    with pytest.raises(SlugTaken, match="/apps/todo/ is already used"):
        await env.publisher.publish(second, "todo")
    numbered = await env.publisher.publish(second)

    assert numbered.slug == "todo-2"
    mine, theirs = env.publisher.site("todo"), env.publisher.site("todo-2")
    assert mine is not None and theirs is not None
    assert b"Mine" in b"".join(site_files(mine).values())
    assert b"Theirs" in b"".join(site_files(theirs).values())


async def test_unpublishing_deletes_the_site_and_frees_the_slug(env: Env) -> None:
    first = await env.project("Gallery", react_app("One"))
    second = await env.project("Other", react_app("Two"))
    await env.publisher.publish(first, "gallery")

    await env.publisher.unpublish(first)

    assert env.publisher.site("gallery") is None
    assert not any((env.published / ".builds").iterdir())
    with pytest.raises(NotPublished):
        await env.publisher.current(first)
    await env.publisher.unpublish(first)  # nothing left to do: no error
    assert (await env.publisher.publish(second, "gallery")).slug == "gallery"


async def test_a_deleted_project_frees_its_slug(env: Env) -> None:
    pid = await env.project("Notes", react_app("Notes"))
    await env.publisher.publish(pid)
    await env.sandboxes.stop(pid)
    await env.store.delete_project(pid)

    await env.publisher.forget(pid)

    assert env.publisher.site("notes") is None
    other = await env.project("Other notes", react_app("Other"))
    assert (await env.publisher.publish(other, "notes")).slug == "notes"


async def test_a_copied_publication_record_does_not_take_the_slug(env: Env) -> None:
    pid = await env.project("Shop", react_app("Shop"))
    await env.publisher.publish(pid)
    copy = await env.store.create_project(name="Shop (copy)")
    record = (await env.store.get_settings(pid))[PUBLICATION_KEY]
    await env.store.put_settings(copy.id, {PUBLICATION_KEY: record})

    with pytest.raises(NotPublished):
        await env.publisher.current(copy.id)
    assert (await env.publisher.current(pid)).slug == "shop"
    await env.store.commit_version(
        copy.id, changes=react_app("Copy"), message="First", kind="assistant"
    )
    with pytest.raises(SlugTaken):
        await env.publisher.publish(copy.id, "shop")


async def test_a_failing_build_reports_its_errors_and_keeps_the_published_app(env: Env) -> None:
    pid = await env.project("Broken", react_app("Works"))
    await env.publisher.publish(pid)
    await env.change(pid, {"src/App.tsx": "export default function App( {\n  return <h1>\n"})

    with pytest.raises(BuildFailed) as failure:
        await env.publisher.publish(pid)

    assert "App.tsx" in failure.value.output
    assert "fix the errors" in failure.value.message
    site = env.publisher.site("broken")
    assert site is not None and b"Works" in b"".join(site_files(site).values())
    assert (await env.publisher.current(pid)).version_number == 1


async def test_a_python_app_is_refused_with_the_reason(env: Env) -> None:
    pid = await env.project("Flask", template_files("python"))
    with pytest.raises(PublishRefused, match="Flask app needs a running server"):
        await env.publisher.publish(pid)
    assert env.sandboxes.running() == {}  # refused before any sandbox started


async def test_an_app_without_a_build_script_is_refused(env: Env) -> None:
    files = react_app("x")
    files["package.json"] = '{"name": "x", "scripts": {"dev": "vite"}}'
    pid = await env.project("No build", files)
    with pytest.raises(PublishRefused, match='no "build" script'):
        await env.publisher.publish(pid)


@pytest.mark.parametrize(
    ("given", "valid"),
    [
        ("my-app", "my-app"),
        (" My-App ", "my-app"),
        ("abc", "abc"),
        ("a" * 40, "a" * 40),
        ("ab", None),
        ("a" * 41, None),
        ("-app", None),
        ("app-", None),
        ("my_app", None),
        ("my/app", None),
        ("..", None),
        ("café", None),
    ],
)
def test_slug_rules(given: str, valid: str | None) -> None:
    if valid is None:
        with pytest.raises(InvalidInput, match="lowercase letters, digits and hyphens"):
            check_slug(given)
    else:
        assert check_slug(given) == valid


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("My Todo App!", "my-todo-app"),
        ("Crème brûlée", "creme-brulee"),
        ("t", "t-app"),
        ("☕☕", "app"),
        ("x" * 60, "x" * 40),
        ("word " * 20, "word-word-word-word-word-word-word-word"),
    ],
)
def test_default_slugs_come_from_the_name(name: str, slug: str) -> None:
    assert slugify(name) == slug
    assert check_slug(slugify(name)) == slug
