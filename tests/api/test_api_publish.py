"""Export and publish through HTTP, with real isolated sandboxes (Vite from the warm react
template): the published app is served at ``/apps/{slug}/`` from the data folder, also
once its sandbox is paused or gone."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tessera.api import export, published
from tessera.api.errors import install_error_handlers
from tessera.config import Settings
from tessera.publish import Publisher
from tessera.sandbox.local import LocalSandboxProvider
from tessera.sandbox.local.isolation import Isolation
from tessera.sandbox.manager import SandboxManager
from tessera.sandbox.templates import TemplateCache, template_files
from tessera.store import Store

pytestmark = pytest.mark.slow


def react_app(heading: str) -> dict[str, str]:
    files = template_files("react")
    files["src/App.tsx"] = (
        f"export default function App() {{\n  return <main><h1>{heading}</h1></main>\n}}\n"
    )
    return files


@dataclass
class Api:
    client: httpx.AsyncClient
    store: Store
    sandboxes: SandboxManager
    data_dir: Path

    async def project(self, name: str, files: dict[str, str]) -> str:
        project = await self.store.create_project(name=name)
        await self.store.commit_version(
            project.id, changes=files, message="First draft", kind="assistant"
        )
        return project.id


@pytest.fixture
async def api(settings: Settings, template_cache: TemplateCache) -> AsyncIterator[Api]:
    """The export and published routers with the app's error handling, over a real store
    and the local sandbox provider as ``tessera.app.create_app`` configures it."""
    settings.data_dir.mkdir(parents=True)
    store = await Store.open(settings.database)
    provider = LocalSandboxProvider(
        settings.sandboxes_dir,
        template_cache,
        preview_domain=settings.preview_base_domain,
        isolation=Isolation.from_settings(settings),
    )
    sandboxes = SandboxManager(provider, dev_server_timeout=settings.dev_server_timeout)
    app = FastAPI()
    app.state.store = store
    app.state.publisher = Publisher(
        store=store, sandboxes=sandboxes, published_dir=settings.data_dir / "published"
    )
    app.include_router(export.router)
    app.include_router(published.router)
    install_error_handlers(app)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://tessera") as client:
            yield Api(client, store, sandboxes, settings.data_dir)
    finally:
        await sandboxes.aclose()
        await provider.aclose()
        await store.close()


def script_of(page: str) -> str:
    found = re.search(r'<script[^>]+src="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


async def test_a_published_app_is_served_whether_or_not_its_sandbox_runs(api: Api) -> None:
    pid = await api.project("Weather Board", react_app("Sunny with clouds"))

    answer = await api.client.post(f"/api/projects/{pid}/publish", json={})

    assert answer.status_code == 200
    publication = answer.json()
    assert publication["slug"] == "weather-board"
    assert publication["url"] == "/apps/weather-board/"
    assert publication["version_number"] == 1
    assert publication["published_at"]
    assert (await api.client.get(f"/api/projects/{pid}/publish")).json() == publication

    async def check_served() -> None:
        page = await api.client.get("/apps/weather-board/")
        assert page.status_code == 200
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert page.headers["cache-control"] == "no-cache"
        script = script_of(page.text)
        assert script.startswith("/apps/weather-board/assets/")
        bundle = await api.client.get(script)
        assert bundle.status_code == 200
        assert bundle.headers["content-type"] == "text/javascript; charset=utf-8"
        assert bundle.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert "Sunny with clouds" in bundle.text
        # Client-side routes get the page; a missing file is a 404 page.
        route = await api.client.get("/apps/weather-board/forecast/tomorrow")
        assert route.status_code == 200 and route.text == page.text
        missing = await api.client.get("/apps/weather-board/assets/gone-12345678.js")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("text/html")

    await check_served()
    bare = await api.client.get("/apps/weather-board")
    assert bare.status_code == 308 and bare.headers["location"] == "/apps/weather-board/"

    assert await api.sandboxes.pause(pid) is True
    await check_served()
    await api.sandboxes.stop(pid)
    assert await api.sandboxes.status(pid) is None
    await check_served()


async def test_republishing_after_a_change_serves_the_change(api: Api) -> None:
    pid = await api.project("Clock", react_app("Tick"))
    await api.client.post(f"/api/projects/{pid}/publish")
    first_script = script_of((await api.client.get("/apps/clock/")).text)
    await api.store.commit_version(
        pid, changes={"src/App.tsx": react_app("Tock")["src/App.tsx"]}, message="e", kind="edit"
    )

    answer = await api.client.post(f"/api/projects/{pid}/publish", json={"slug": None})

    assert answer.status_code == 200
    assert answer.json()["slug"] == "clock" and answer.json()["version_number"] == 2
    script = script_of((await api.client.get("/apps/clock/")).text)
    assert script != first_script
    bundle = (await api.client.get(script)).text
    assert "Tock" in bundle and "Tick" not in bundle
    assert (await api.client.get(first_script)).status_code == 404


async def test_slug_rules_and_refusals(api: Api) -> None:
    owner = await api.project("Owner", react_app("Owner's app"))
    other = await api.project("Other", react_app("Other app"))
    flask = await api.project("Flask", template_files("python"))
    assert (await api.client.post(f"/api/projects/{owner}/publish", json={"slug": "taken"})).json()[
        "slug"
    ] == "taken"

    taken = await api.client.post(f"/api/projects/{other}/publish", json={"slug": "taken"})
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "slug_taken"
    assert "/apps/taken/" in taken.json()["error"]["message"]

    invalid = await api.client.post(f"/api/projects/{other}/publish", json={"slug": "No Way!"})
    assert invalid.status_code == 422
    assert "lowercase letters" in invalid.json()["error"]["message"]

    python = await api.client.post(f"/api/projects/{flask}/publish", json={})
    assert python.status_code == 422
    assert python.json()["error"]["message"].startswith("Publishing serves static front ends")

    unknown = await api.client.post("/api/projects/nope/publish", json={})
    assert unknown.status_code == 404
    not_published = await api.client.get(f"/api/projects/{other}/publish")
    assert not_published.status_code == 404
    assert not_published.json()["error"]["code"] == "not_published"
    assert (
        "Owner's app"
        in (await api.client.get(script_of((await api.client.get("/apps/taken/")).text))).text
    )


TRAVERSALS = [
    "/apps/trip/..%2f..%2fsecret.txt",
    "/apps/trip/%2e%2e/%2e%2e/secret.txt",
    "/apps/trip/%2e%2e%2f%2e%2e%2fsecret",
    "/apps/trip/assets/..%2F..%2F..%2Fsecret.txt",
    "/apps/trip/..%5c..%5csecret.txt",
    "/apps/trip//etc/passwd",
    "/apps/trip/%2Fetc%2Fpasswd",
    "/apps/trip/leak.txt",
    "/apps/trip/leak",
    "/apps/trip/index.html%00.txt",
    "/apps/..%2fsecret.txt/x",
    "/apps/%2e%2e/secret.txt",
    "/apps/%2e%2e",
    "/apps/..%5csecret.txt",
    "/apps/.builds/x",
]


async def test_traversal_attempts_are_404(api: Api) -> None:
    pid = await api.project("Trip", react_app("Trip"))
    await api.client.post(f"/api/projects/{pid}/publish")
    secret = api.data_dir / "published" / "secret.txt"
    secret.write_text("TOP SECRET")
    (api.data_dir / "secret.txt").write_text("TOP SECRET")
    site = (api.data_dir / "published" / "trip").resolve()
    (site / "leak.txt").symlink_to(secret)  # a link inside the site leading out of it
    (site / "leak").symlink_to(api.data_dir)

    for url in TRAVERSALS:
        answer = await api.client.get(url)
        assert answer.status_code == 404, url
        assert "TOP SECRET" not in answer.text, url
    assert (await api.client.get("/apps/trip/index.html")).status_code == 200


async def test_unpublishing_stops_serving(api: Api) -> None:
    pid = await api.project("Gone soon", react_app("Bye"))
    await api.client.post(f"/api/projects/{pid}/publish")
    assert (await api.client.get("/apps/gone-soon/")).status_code == 200

    deleted = await api.client.delete(f"/api/projects/{pid}/publish")

    assert deleted.status_code == 204
    gone = await api.client.get("/apps/gone-soon/")
    assert gone.status_code == 404 and "No app is published" in gone.text
    assert (await api.client.get(f"/api/projects/{pid}/publish")).status_code == 404
    assert (await api.client.delete(f"/api/projects/{pid}/publish")).status_code == 204


async def test_exports_download_as_zips(api: Api) -> None:
    pid = await api.project("Export Me", react_app("Exported"))
    await api.store.commit_version(
        pid, changes={"README.md": "# Export me\n"}, message="Readme", kind="edit"
    )

    files = await api.client.get(f"/api/projects/{pid}/export.zip")
    assert files.status_code == 200
    assert files.headers["content-type"] == "application/zip"
    assert files.headers["content-disposition"] == 'attachment; filename="export-me.zip"'
    with zipfile.ZipFile(io.BytesIO(files.content)) as archive:
        names = set(archive.namelist())
        assert names == {f"export-me/{path}" for path in await api.store.read_files(pid)}
        assert (
            archive.read("export-me/src/App.tsx").decode() == react_app("Exported")["src/App.tsx"]
        )

    repo = await api.client.get(f"/api/projects/{pid}/export.git.zip")
    assert repo.status_code == 200
    assert repo.headers["content-type"] == "application/zip"
    assert repo.headers["content-disposition"] == 'attachment; filename="export-me.git.zip"'
    with zipfile.ZipFile(io.BytesIO(repo.content)) as archive:
        names = set(archive.namelist())
        assert "export-me/.git/HEAD" in names and "export-me/README.md" in names
        assert archive.read("export-me/.git/HEAD") == b"ref: refs/heads/main\n"

    unknown = await api.client.get("/api/projects/nope/export.zip")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "project_not_found"
