"""Export and publish in real Chromium against a real server and sandbox: the zip and the
git repository downloaded from the export menu, a published app that outlives its sandbox
and is updated in place, and the clear refusal to publish a Flask app."""

from __future__ import annotations

import re
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.agent_ui_support import (
    RUN_TIMEOUT,
    api_get,
    build_todo_app,
    messages,
    read_file,
    send,
    wait_until_idle,
)
from tests.e2e.conftest import RunningServer
from tests.e2e.editor_support import preview, warm_templates

pytestmark = pytest.mark.e2e

PUBLISH_TIMEOUT = 120_000
"""A production build (``vite build``) in the sandbox, on a busy 2-core machine."""


@pytest.fixture(scope="module")
def python_template() -> Iterator[None]:
    warm_templates("python")
    yield


def export_menu(page: Page) -> Locator:
    """Opens the export menu (when it is not open yet); returns its toggle."""
    toggle = page.get_by_test_id("export-menu")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    return toggle


def download(page: Page, item: str, into: Path) -> Path:
    """Clicks the export menu's ``item`` and saves what the browser downloads."""
    export_menu(page)
    with page.expect_download(timeout=30_000) as started:
        page.get_by_test_id(item).click()
    saved = into / started.value.suggested_filename
    started.value.save_as(saved)
    return saved


def only_folder(root: Path) -> Path:
    """The one folder an export's zip holds everything in."""
    folders = [child for child in root.iterdir() if child.is_dir()]
    assert len(folders) == 1, f"expected one top folder, got {folders}"
    return folders[0]


def publish(page: Page, server: RunningServer, project_id: str) -> None:
    """Clicks Publish (or Publish again) and waits until the menu says the newest version
    is published."""
    newest = api_get(server, f"/api/projects/{project_id}/versions")[0]["number"]
    export_menu(page)
    page.get_by_test_id("publish-button").click()
    expect(page.locator(".publish-url")).to_contain_text(
        f"version {newest},", timeout=PUBLISH_TIMEOUT
    )
    expect(page.get_by_test_id("publish-error")).to_have_count(0)
    expect(page.get_by_test_id("publish-button")).to_have_text("Publish again")


def test_the_files_and_the_history_download_as_zips(
    server: RunningServer, page: Page, tmp_path: Path
) -> None:
    project_id = build_todo_app(page, server)
    send(page, "change the title to Groceries")
    expect(preview(page).locator("h1")).to_have_text("Groceries", timeout=RUN_TIMEOUT)
    wait_until_idle(page)
    app_source = read_file(server, project_id, "src/App.tsx")
    assert "What needs to be done?" in app_source and "Groceries" in app_source

    # Download zip: the working copy, src/App.tsx as the server has it.
    archive = download(page, "export-zip", tmp_path)
    assert archive.suffix == ".zip"
    with zipfile.ZipFile(archive) as files:
        app_entries = [name for name in files.namelist() if name.endswith("/src/App.tsx")]
        assert len(app_entries) == 1, files.namelist()
        assert files.read(app_entries[0]).decode() == app_source
        assert any(name.endswith("/package.json") for name in files.namelist())

    # Export git repository: one commit per version, newest first, with their messages.
    repository_zip = download(page, "export-git", tmp_path / "git")
    with zipfile.ZipFile(repository_zip) as files:
        files.extractall(tmp_path / "repository")
    repository = only_folder(tmp_path / "repository")
    assert (repository / ".git").is_dir()
    oneline = git(repository, "log", "--oneline").splitlines()
    subjects = git(repository, "log", "--format=%s").splitlines()
    versions = api_get(server, f"/api/projects/{project_id}/versions")
    assert len(versions) == 2, versions  # the built app, then the new title
    assert len(oneline) == len(versions)
    assert subjects == [v["message"].strip() or f"Version {v['number']}" for v in versions]
    assert (repository / "src" / "App.tsx").read_text() == app_source


def git(repository: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repository), *args], check=True, capture_output=True, text=True
    ).stdout


def test_a_published_app_outlives_its_sandbox_and_is_updated_in_place(
    server: RunningServer, page: Page
) -> None:
    project_id = build_todo_app(page, server)
    publish(page, server, project_id)
    link = page.get_by_test_id("published-url")
    expect(link).to_be_visible()
    url = link.get_attribute("href")
    assert url is not None and re.fullmatch(rf"{re.escape(server.url)}/apps/[a-z0-9-]+/", url)

    # The link opens the app, which works.
    with page.context.expect_page() as opened:
        link.click()
    published = opened.value
    expect(published).to_have_url(url, timeout=10_000)
    expect(published.locator("h1")).to_have_text("Todo List", timeout=15_000)
    published.get_by_placeholder("What needs to be done?").fill("Ship it")
    published.get_by_role("button", name="Add", exact=True).click()
    expect(published.locator("li", has_text="Ship it")).to_be_visible()

    # The sandbox is stopped (the workspace is left, so nothing starts it again): the
    # published app is still served.
    page.goto(server.url)
    sandboxes = [s for s in api_get(server, "/api/sandboxes") if s["project_id"] == project_id]
    assert sandboxes, "the project had no sandbox"
    for sandbox in sandboxes:
        response = httpx.delete(f"{server.url}/api/sandboxes/{sandbox['sandbox_id']}", timeout=30)
        assert response.status_code == 204
    assert not [s for s in api_get(server, "/api/sandboxes") if s["project_id"] == project_id]
    published.reload()
    expect(published.locator("h1")).to_have_text("Todo List", timeout=15_000)
    published.get_by_placeholder("What needs to be done?").fill("Still here")
    published.get_by_role("button", name="Add", exact=True).click()
    expect(published.locator("li", has_text="Still here")).to_be_visible()

    # A change, published again: the same address serves it.
    page.goto(f"{server.url}/p/{project_id}")
    expect(messages(page, "user")).to_have_count(1, timeout=15_000)  # the chat is loaded
    wait_until_idle(page)
    send(page, "change the title to Groceries")
    expect(preview(page).locator("h1")).to_have_text("Groceries", timeout=RUN_TIMEOUT)
    wait_until_idle(page)
    publish(page, server, project_id)
    assert page.get_by_test_id("published-url").get_attribute("href") == url
    published.reload()
    expect(published.locator("h1")).to_have_text("Groceries", timeout=15_000)
    expect(published).to_have_url(url)


def test_publishing_a_flask_app_says_why_it_cannot(
    server: RunningServer, page: Page, python_template: None
) -> None:
    response = httpx.post(f"{server.url}/api/projects", json={"template": "python"}, timeout=10)
    response.raise_for_status()
    project_id = response.json()["id"]
    page.goto(f"{server.url}/p/{project_id}")
    expect(page.get_by_test_id("chat-input")).to_be_enabled(timeout=15_000)

    export_menu(page)
    button = page.get_by_test_id("publish-button")
    button.click()
    error = page.get_by_test_id("publish-error")
    expect(error).to_contain_text("Flask app needs a running server", timeout=30_000)
    expect(error).to_contain_text("export the project")
    expect(button).to_be_enabled()
    expect(page.get_by_test_id("published-url")).to_have_count(0)
    publication = httpx.get(f"{server.url}/api/projects/{project_id}/publish", timeout=10)
    assert publication.status_code == 404
