"""The project list's API: create from a template, rename, duplicate, import a zip or a
folder, thumbnails. The app here is the projects router with the app's error handling, over
a real store."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tessera.api import projects as projects_api
from tessera.api.errors import install_error_handlers
from tessera.catalog import ProjectCatalog
from tessera.config import Settings
from tessera.llm.pool import ProviderPool
from tessera.llm.testing import ScriptedProvider
from tessera.preferences import Preferences
from tessera.projects import ProjectService
from tessera.sandbox.local import LocalSandboxProvider
from tessera.sandbox.manager import SandboxManager
from tessera.sandbox.templates import TemplateCache, template_files
from tessera.store import Store
from tessera.thumbnails import PNG_SIGNATURE, Thumbnailer


@dataclass
class Api:
    client: httpx.AsyncClient
    store: Store
    thumbnails: Thumbnailer


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    settings = Settings(data_dir=tmp_path / "data", offline_pace=0.0)
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'tessera.db'}")
    provider = LocalSandboxProvider(
        tmp_path / "sandboxes", TemplateCache(tmp_path / "cache"), preview_domain="localhost"
    )
    sandboxes = SandboxManager(provider)
    llm = ProviderPool(settings, Preferences(store, settings), fixed=ScriptedProvider([]))
    thumbnails = Thumbnailer(tmp_path / "thumbnails", chromium=None)
    app = FastAPI()
    app.include_router(projects_api.router)
    install_error_handlers(app)
    app.state.store = store
    app.state.projects = ProjectService(store=store, sandboxes=sandboxes, llm=llm)
    app.state.catalog = ProjectCatalog(store=store, thumbnails=thumbnails)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://tessera") as client:
            yield Api(client, store, thumbnails)
    finally:
        await thumbnails.aclose()
        await sandboxes.aclose()
        await provider.aclose()
        await store.close()


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


async def project_ids(api: Api) -> list[str]:
    return [p["id"] for p in (await api.client.get("/api/projects")).json()]


async def test_create_from_a_template_or_empty(api: Api) -> None:
    created = await api.client.post(
        "/api/projects", json={"name": "Todo", "template": "python", "prompt": "a todo app"}
    )
    assert created.status_code == 201
    project = created.json()
    assert project["name"] == "Todo" and project["template"] == "python"
    assert project["thumbnail_url"] is None
    assert set(project) >= {"id", "title", "description", "created_at", "updated_at"}
    detail = (await api.client.get(f"/api/projects/{project['id']}")).json()
    assert {f["path"] for f in detail["files"]} == set(template_files("python"))
    assert [v["message"] for v in detail["versions"]] == ["Started from the python template"]
    assert detail["thumbnail_url"] is None

    empty = (await api.client.post("/api/projects", json={"template": None})).json()
    assert empty["name"] == "Untitled app" and empty["template"] == "react"
    assert (await api.client.get(f"/api/projects/{empty['id']}")).json()["files"] == []

    unknown = await api.client.post("/api/projects", json={"template": "cobol"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "template_not_found"
    assert len(await project_ids(api)) == 2


async def test_rename(api: Api) -> None:
    pid = (await api.client.post("/api/projects", json={"name": "Old"})).json()["id"]
    renamed = await api.client.patch(f"/api/projects/{pid}", json={"name": "  New name  "})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "New name" and renamed.json()["thumbnail_url"] is None
    unchanged = await api.client.patch(f"/api/projects/{pid}", json={})
    assert unchanged.json()["name"] == "New name"
    for bad in ["", "   ", "n" * 201]:
        refused = await api.client.patch(f"/api/projects/{pid}", json={"name": bad})
        assert refused.status_code == 422, bad
        assert refused.json()["error"]["code"] == "invalid_input"
    missing = await api.client.patch("/api/projects/nosuchproject", json={"name": "x"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "project_not_found"


async def test_duplicate(api: Api) -> None:
    pid = (
        await api.client.post("/api/projects", json={"name": "Shop", "template": "react"})
    ).json()["id"]
    await api.store.put_settings(pid, {"locked_files": ["src/App.tsx"]})
    copied = await api.client.post(f"/api/projects/{pid}/duplicate", json={})
    assert copied.status_code == 201
    copy = copied.json()
    assert copy["name"] == "Shop (copy)" and copy["id"] != pid
    detail = (await api.client.get(f"/api/projects/{copy['id']}")).json()
    assert [v["message"] for v in detail["versions"]] == ["Duplicated from Shop"]
    assert (await api.store.get_settings(copy["id"]))["locked_files"] == ["src/App.tsx"]
    bodiless = await api.client.post(f"/api/projects/{pid}/duplicate")
    assert bodiless.status_code == 201 and bodiless.json()["name"] == "Shop (copy)"
    named = await api.client.post(f"/api/projects/{pid}/duplicate", json={"name": "Shop 2"})
    assert named.json()["name"] == "Shop 2"
    assert (await api.client.post("/api/projects/nope/duplicate", json={})).status_code == 404


async def test_import_a_zip(api: Api) -> None:
    archive = zipped(
        {
            "site/index.html": b"<h1>Hi</h1>",
            "site/package.json": b"{}",
            "site/node_modules/left-pad/index.js": b"module.exports = 1",
            "site/favicon.ico": b"\x00\x00\x01\x00\xff",
        }
    )
    answer = await api.client.post(
        "/api/projects/import", files={"zip": ("site.zip", archive, "application/zip")}
    )
    assert answer.status_code == 201, answer.text
    project = answer.json()
    assert project["name"] == "site" and project["template"] == "react"
    assert project["thumbnail_url"] is None
    assert sorted(s["path"] for s in project["skipped"]) == ["favicon.ico", "node_modules/"]
    assert all(s["reason"] for s in project["skipped"])
    detail = (await api.client.get(f"/api/projects/{project['id']}")).json()
    assert sorted(f["path"] for f in detail["files"]) == ["index.html", "package.json"]
    assert [v["message"] for v in detail["versions"]] == ["Imported"]


async def test_import_a_folder_with_a_name(api: Api) -> None:
    uploads = [
        ("files", ("blog/app.py", b"from flask import Flask\n", "text/x-python")),
        ("files", ("blog/templates/index.html", b"<p>blog</p>", "text/html")),
        ("files", ("blog/.DS_Store", b"\x00\x01", "application/octet-stream")),
    ]
    answer = await api.client.post("/api/projects/import", files=uploads, data={"name": "My blog"})
    assert answer.status_code == 201, answer.text
    project = answer.json()
    assert project["name"] == "My blog" and project["template"] == "python"
    assert [s["path"] for s in project["skipped"]] == ["blog/.DS_Store"]
    files = await api.store.read_files(project["id"])
    assert files == {"app.py": "from flask import Flask\n", "templates/index.html": "<p>blog</p>"}


@pytest.mark.parametrize("entry", ["../escape.txt", "/etc/cron.d/job", "ok/../../escape.txt"])
async def test_a_zip_slip_import_is_refused_and_creates_nothing(api: Api, entry: str) -> None:
    archive = zipped({"app/index.html": b"<p>", entry: b"owned"})
    answer = await api.client.post(
        "/api/projects/import", files={"zip": ("evil.zip", archive, "application/zip")}
    )
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "unsafe_entry" and repr(entry) in error["message"]
    assert await project_ids(api) == []


async def test_a_zip_bomb_import_is_refused_with_413(api: Api) -> None:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("zeros.txt", "w", force_zip64=True) as entry,
    ):
        for _ in range(210):
            entry.write(bytes(1_000_000))
    answer = await api.client.post(
        "/api/projects/import", files={"zip": ("bomb.zip", buffer.getvalue(), "application/zip")}
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "upload_too_large"
    assert "200 MB" in answer.json()["error"]["message"]
    assert await project_ids(api) == []


async def test_a_folder_of_too_many_files_is_refused(api: Api) -> None:
    uploads = [("files", (f"app/f{i}.txt", b"x", "text/plain")) for i in range(5_001)]
    answer = await api.client.post("/api/projects/import", files=uploads)
    assert answer.status_code == 413
    assert "5,000" in answer.json()["error"]["message"]
    assert await project_ids(api) == []


async def test_bad_import_forms_are_refused(api: Api) -> None:
    nothing = await api.client.post("/api/projects/import", data={"name": "x"})
    assert nothing.status_code == 422 and "Nothing was uploaded" in nothing.text
    not_a_zip = await api.client.post(
        "/api/projects/import", files={"zip": ("a.zip", b"hello", "application/zip")}
    )
    assert not_a_zip.status_code == 422 and "not a zip" in not_a_zip.text
    only_binary = await api.client.post(
        "/api/projects/import", files={"zip": ("b.zip", zipped({"a.png": b"\x89PNG\xff"}), "x")}
    )
    assert only_binary.status_code == 422 and "Nothing to import" in only_binary.text
    assert await project_ids(api) == []


async def test_thumbnails_are_served_listed_and_deleted_with_the_project(api: Api) -> None:
    pid = (await api.client.post("/api/projects", json={"name": "Pic"})).json()["id"]
    missing = await api.client.get(f"/api/projects/{pid}/thumbnail.png")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    unknown = await api.client.get("/api/projects/nosuchproject/thumbnail.png")
    assert unknown.json()["error"]["code"] == "project_not_found"

    api.thumbnails.folder.mkdir(parents=True)
    picture = PNG_SIGNATURE + b"a picture"
    path = api.thumbnails.folder / f"{pid}.png"
    path.write_bytes(picture)
    served = await api.client.get(f"/api/projects/{pid}/thumbnail.png")
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png" and served.content == picture
    [listed] = (await api.client.get("/api/projects")).json()
    assert listed["thumbnail_url"].startswith(f"/api/projects/{pid}/thumbnail.png?v=")
    detail = (await api.client.get(f"/api/projects/{pid}")).json()
    assert detail["thumbnail_url"] == listed["thumbnail_url"]

    assert (await api.client.delete(f"/api/projects/{pid}")).status_code == 204
    assert not path.exists()
