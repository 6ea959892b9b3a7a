"""Helpers of the browser tests of the workspace's model features: a built todo app, runs
sent from the chat box, and the server's own view of a project read through its API."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import RunningServer
from tests.e2e.editor_support import preview

BUILD_TIMEOUT = 45_000
"""A first build: the sandbox starts, the offline model writes the app, the preview loads."""

RUN_TIMEOUT = 30_000
"""A follow-up run on a running app."""


def api_get(server: RunningServer, path: str) -> Any:
    response = httpx.get(f"{server.url}{path}", timeout=10)
    response.raise_for_status()
    return response.json()


def project_id_of(page: Page) -> str:
    match = re.search(r"/p/([a-z0-9]+)$", page.url)
    assert match is not None, f"not a workspace: {page.url}"
    return match.group(1)


def project_snapshot(server: RunningServer, project_id: str) -> dict[str, Any]:
    """What a run may change: the versions and every file's content."""
    detail = api_get(server, f"/api/projects/{project_id}")
    contents = {
        item["path"]: read_file(server, project_id, item["path"]) for item in detail["files"]
    }
    return {"versions": [v["id"] for v in detail["versions"]], "files": contents}


def read_file(server: RunningServer, project_id: str, path: str) -> str:
    content: str = api_get(server, f"/api/projects/{project_id}/files/{path}")["content"]
    return content


def messages(page: Page, role: str) -> Locator:
    return page.locator(f"[data-testid=message][data-role={role}]")


def wait_until_idle(page: Page, timeout: float = RUN_TIMEOUT) -> None:
    """Waits for the run to end: the chat box is usable again."""
    expect(page.get_by_test_id("chat-input")).to_be_enabled(timeout=timeout)


def build_todo_app(page: Page, server: RunningServer) -> str:
    """Builds a todo list from the home page; returns the project's id once the preview
    shows the app and the run is over."""
    page.goto(server.url)
    page.get_by_test_id("home-prompt").fill("build a todo list")
    page.get_by_test_id("home-prompt").press("Enter")
    expect(page).to_have_url(re.compile(r"/p/[a-z0-9]+$"), timeout=10_000)
    expect(preview(page).locator("h1")).to_be_visible(timeout=BUILD_TIMEOUT)
    expect(page.get_by_test_id("status")).to_contain_text("ready", timeout=RUN_TIMEOUT)
    wait_until_idle(page)
    return project_id_of(page)


def open_empty_workspace(page: Page, server: RunningServer) -> str:
    """A new react project with no app yet, open in the workspace; returns its id."""
    response = httpx.post(f"{server.url}/api/projects", json={"template": "react"}, timeout=10)
    response.raise_for_status()
    project_id: str = response.json()["id"]
    page.goto(f"{server.url}/p/{project_id}")
    expect(page.get_by_test_id("chat-input")).to_be_enabled(timeout=15_000)
    return project_id


def send(page: Page, text: str) -> None:
    """Sends ``text`` from the chat box and waits until its bubble is shown."""
    users = messages(page, "user")
    before = users.count()
    page.get_by_test_id("chat-input").fill(text)
    page.get_by_test_id("chat-input").press("Enter")
    expect(users).to_have_count(before + 1, timeout=10_000)
    expect(users.last).to_contain_text(text.splitlines()[0])
