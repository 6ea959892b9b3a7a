"""Takes the README's screenshots: a real server, the offline model, real Chromium.

.venv/bin/python scripts/screenshots.py

Writes into docs/screenshots/: workspace.png (a todo app being used), history.png (two
versions compared), console.png (the console with the dev server's lines and a compile
error), dark.png (the workspace in the dark theme), publish.png (the export menu after
publishing), settings.png, and home.png (the project list with thumbnails, taken last, once
the server has screenshotted every app).
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.agent_ui_support import wait_until_idle
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, RunningServer, start_server, stop_server
from tests.e2e.editor_support import open_in_editor, preview, replace_in_editor

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"

BUILD_TIMEOUT = 90_000
"""A first build, with the sandbox starting: generous, the machine may be busy."""

THUMBNAIL_TIMEOUT = 180.0
"""Thumbnails are taken one at a time, a few seconds after each app is ready."""

MORE_APPS = {
    "Build a kanban board called Sprint Board": "Sprint Board",
    "Create a notes app called Field Notes": "Field Notes",
    "Make a calculator": "Calculator",
}
"""Built after the todo app, so the home page lists a few projects: prompt → the name the
project is given (a project is named after its first prompt until renamed)."""


def build(page: Page, server: RunningServer, prompt: str) -> str:
    """Sends ``prompt`` from the home page; returns the new project's id once its app is
    running and the run is over."""
    page.goto(server.url)
    page.get_by_test_id("home-prompt").fill(prompt)
    page.get_by_test_id("home-prompt").press("Enter")
    expect(page).to_have_url(re.compile(r"/p/[a-z0-9]+$"), timeout=15_000)
    expect(page.get_by_test_id("status")).to_contain_text("ready", timeout=BUILD_TIMEOUT)
    wait_until_idle(page, timeout=BUILD_TIMEOUT)
    return page.url.rsplit("/", 1)[-1]


def settle(page: Page) -> None:
    """Lets animations and fonts finish before a picture."""
    page.wait_for_timeout(700)


def shoot_workspace(page: Page) -> None:
    app = preview(page)
    todo = app.get_by_placeholder("What needs to be done?")
    for item in ["Buy milk", "Walk the dog", "Write the report"]:
        todo.fill(item)
        app.get_by_role("button", name="Add", exact=True).click()
    expect(app.locator("li")).to_have_count(3)
    settle(page)
    page.screenshot(path=OUT / "workspace.png")


def shoot_history(page: Page) -> None:
    """A follow-up request, then its version compared with the one before."""
    page.get_by_test_id("chat-input").fill(
        "Change the title to Groceries and make the buttons green"
    )
    page.get_by_test_id("chat-input").press("Enter")
    expect(preview(page).locator("h1")).to_have_text("Groceries", timeout=BUILD_TIMEOUT)
    wait_until_idle(page, timeout=BUILD_TIMEOUT)

    page.get_by_test_id("history-toggle").click()
    items = page.get_by_test_id("history-item")
    expect(items).to_have_count(2, timeout=15_000)
    for index in range(2):
        items.nth(index).get_by_test_id("history-select").check()
    page.get_by_test_id("history-compare").click()
    expect(page.get_by_test_id("diff-view")).to_be_visible(timeout=15_000)
    page.locator("[data-testid=diff-file][data-path='src/App.tsx']").click()
    expect(page.get_by_test_id("diff-editor")).to_have_attribute("data-path", "src/App.tsx")
    # The first change in the middle of the diff editor, once it is computed.
    page.wait_for_function(
        """() => {
            const diff = window.__tessera && window.__tessera.diff;
            const changes = diff && diff.getLineChanges();
            if (!changes || changes.length === 0) return false;
            diff.getModifiedEditor().revealLineInCenter(changes[0].modifiedStartLineNumber);
            return true;
        }""",
        timeout=15_000,
    )
    settle(page)
    page.screenshot(path=OUT / "history.png")
    page.get_by_test_id("diff-close").click()
    page.get_by_test_id("history-toggle").click()
    expect(page.get_by_test_id("history-panel")).to_have_count(0)


def shoot_console(page: Page) -> None:
    """The console open on a hand edit that no longer compiles; then the edit is undone."""
    toggle = page.get_by_test_id("console-toggle")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_test_id("console-log")).to_contain_text("[vite]", timeout=15_000)
    open_in_editor(page, "src/App.tsx", "</h1>")
    replace_in_editor(page, "</h1>", "</h1")
    expect(page.get_by_test_id("console-error").first).to_contain_text("App.tsx", timeout=30_000)
    settle(page)
    page.screenshot(path=OUT / "console.png")

    replace_in_editor(page, "</h1", "</h1>")
    app_file = page.locator("[data-testid=file-item][data-path='src/App.tsx']")
    expect(app_file).to_have_attribute("data-dirty", "false", timeout=30_000)
    expect(preview(page).locator("vite-error-overlay")).to_have_count(0, timeout=30_000)
    page.get_by_test_id("console-clear").click()
    expect(page.get_by_test_id("console-error")).to_have_count(0, timeout=15_000)
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")


def shoot_dark(page: Page) -> None:
    toggle = page.get_by_test_id("theme-toggle")
    toggle.click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    settle(page)
    page.screenshot(path=OUT / "dark.png")
    toggle.click()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")


def shoot_publish(page: Page) -> None:
    page.get_by_test_id("export-menu").click()
    page.get_by_test_id("publish-button").click()
    expect(page.get_by_test_id("published-url")).to_be_visible(timeout=180_000)
    settle(page)
    page.screenshot(path=OUT / "publish.png")
    page.keyboard.press("Escape")


def shoot_settings(page: Page, server: RunningServer) -> None:
    page.goto(server.url)
    page.get_by_test_id("nav-settings").click()
    expect(page.get_by_test_id("settings-effective")).to_contain_text("offline demo model")
    settle(page)
    page.screenshot(path=OUT / "settings.png")


def wait_for_thumbnails(server: RunningServer, count: int) -> None:
    """Waits until the server has a thumbnail for each of ``count`` projects."""
    deadline = time.monotonic() + THUMBNAIL_TIMEOUT
    while True:
        projects = httpx.get(f"{server.url}/api/projects", timeout=10).json()
        with_thumbnail = [p for p in projects if p.get("thumbnail_url")]
        if len(projects) == count and len(with_thumbnail) == count:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(with_thumbnail)} thumbnails of {count} projects")
        time.sleep(2)


def shoot_home(page: Page, server: RunningServer, names: dict[str, str]) -> None:
    """The project list, each project renamed from its first prompt to ``names``."""
    for project_id, name in names.items():
        response = httpx.patch(
            f"{server.url}/api/projects/{project_id}", json={"name": name}, timeout=10
        )
        response.raise_for_status()
    count = len(names)
    wait_for_thumbnails(server, count)
    page.goto(server.url)
    thumbnails = page.locator("img[data-testid=project-thumbnail]")
    expect(thumbnails).to_have_count(count, timeout=15_000)
    page.wait_for_function(
        """() => [...document.querySelectorAll('img[data-testid=project-thumbnail]')]
            .every(img => img.complete && img.naturalWidth > 0)""",
        timeout=15_000,
    )
    settle(page)
    page.screenshot(path=OUT / "home.png", full_page=True)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "data", {"TESSERA_THUMBNAILS": "true"})
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                todo = build(page, server, "Create a React todo app with local storage")
                shoot_workspace(page)
                shoot_history(page)
                shoot_console(page)
                shoot_dark(page)
                shoot_publish(page)
                shoot_settings(page, server)
                names = {todo: "Groceries"}
                for prompt, name in MORE_APPS.items():
                    names[build(page, server, prompt)] = name
                shoot_home(page, server, names)
                browser.close()
        finally:
            stop_server(server)


if __name__ == "__main__":
    main()
