"""A full-stack app, end to end in real Chromium: prompt → React front end and Flask API
streamed → todos stored through the API in SQLite → a front-end hand edit hot-reloads."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import RunningServer
from tests.e2e.editor_support import open_in_editor, preview, replace_in_editor, warm_templates

pytestmark = pytest.mark.e2e

PROMPT = "Build a full-stack todo app called Team Chores"
API_TODOS = "() => fetch('/api/todos').then((response) => response.json())"


@pytest.fixture(scope="module", autouse=True)
def fullstack_template() -> Iterator[None]:
    warm_templates("fullstack")
    yield


def test_prompt_to_full_stack_todo_app(page: Page, server: RunningServer) -> None:
    page.goto(server.url)
    page.get_by_test_id("home-prompt").fill(PROMPT)
    page.get_by_test_id("home-prompt").press("Enter")
    expect(page).to_have_url(re.compile(r"/p/[a-z0-9]+$"), timeout=10_000)

    page.wait_for_function("() => window.__tessera && window.__tessera.editor")
    expect(page.get_by_test_id("editor")).to_have_attribute(
        "data-path", "src/App.tsx", timeout=20_000
    )
    for path in ("api/app.py", "api/db.py", "api/requirements.txt", "src/api.ts"):
        expect(page.locator(f"[data-testid=file-item][data-path='{path}']")).to_be_visible()
    expect(page.get_by_test_id("status")).to_contain_text("ready", timeout=30_000)
    app = preview(page)
    expect(app.locator("h1")).to_have_text("Team Chores", timeout=15_000)
    expect(app.get_by_text("Nothing to do yet")).to_be_visible()

    # Add a todo and tick it off: both go through the API (Vite forwards /api to Flask).
    todo_input = app.get_by_placeholder("What needs to be done?")
    todo_input.fill("Buy milk")
    app.get_by_role("button", name="Add", exact=True).click()
    expect(app.locator("li", has_text="Buy milk")).to_be_visible(timeout=10_000)
    # (a click, not check(): the box turns checked once the API has answered)
    app.get_by_role("checkbox", name='Mark "Buy milk" as done').click()
    expect(app.locator("li.todo.done", has_text="Buy milk")).to_be_visible()
    expect(app.get_by_role("checkbox", name='Mark "Buy milk" as not done')).to_be_checked()
    stored = app.locator("body").evaluate(API_TODOS)
    assert stored == [{"id": 1, "text": "Buy milk", "done": True}]

    # A reload loads the list from the API again: still there, still done.
    page.get_by_test_id("reload-preview").click()
    expect(app.locator("li.todo.done", has_text="Buy milk")).to_be_visible(timeout=10_000)

    # A hand edit of the front end hot-reloads in place: the page's state survives.
    app.locator("body").evaluate("() => { window.__marker = 'kept' }")
    todo_input.fill("half-typed")
    open_in_editor(page, "src/App.tsx", "<h1>Team Chores</h1>")
    replace_in_editor(page, "<h1>Team Chores</h1>", "<h1>Chores, edited by hand</h1>")
    expect(app.locator("h1")).to_have_text("Chores, edited by hand", timeout=10_000)
    assert app.locator("body").evaluate("() => window.__marker") == "kept"
    expect(todo_input).to_have_value("half-typed")
    expect(app.locator("li", has_text="Buy milk")).to_have_count(1)
