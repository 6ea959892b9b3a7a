"""A Flask app, end to end in real Chromium: prompt → streamed Python → the guestbook
running in the preview (its entries in SQLite) → a hand edit of its page template."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import FrameLocator, Page, expect

from tests.e2e.conftest import RunningServer
from tests.e2e.editor_support import open_in_editor, preview, replace_in_editor, warm_templates

pytestmark = pytest.mark.e2e

PROMPT = "Create a Flask guestbook called Visitor Book"


@pytest.fixture(scope="module", autouse=True)
def python_template() -> Iterator[None]:
    warm_templates("python")
    yield


def mark_page(app: FrameLocator) -> None:
    app.locator("body").evaluate("() => { window.__old_page = true }")


def wait_for_new_page(page: Page, app: FrameLocator) -> None:
    """Waits until the preview shows a newly loaded page (the marked one is gone)."""
    for _ in range(100):
        try:
            if not app.locator("body").evaluate("() => window.__old_page === true"):
                return
        except PlaywrightError:
            pass  # the frame is navigating
        page.wait_for_timeout(100)
    raise AssertionError("the preview was not reloaded after the deploy")


def test_prompt_to_flask_guestbook(page: Page, server: RunningServer) -> None:
    page.goto(server.url)
    page.get_by_test_id("home-prompt").fill(PROMPT)
    page.get_by_test_id("home-prompt").press("Enter")
    expect(page).to_have_url(re.compile(r"/p/[a-z0-9]+$"), timeout=10_000)

    # The Python files stream in; the preview is the Flask server.
    page.wait_for_function("() => window.__tessera && window.__tessera.editor")
    for path in ("app.py", "templates/index.html", "static/style.css", "requirements.txt"):
        expect(page.locator(f"[data-testid=file-item][data-path='{path}']")).to_be_visible(
            timeout=20_000
        )
    expect(page.get_by_test_id("status")).to_contain_text("ready", timeout=30_000)
    app = preview(page)
    expect(app.locator("h1")).to_have_text("Visitor Book", timeout=15_000)

    # Sign the guestbook: the form posts to Flask, which stores the entry in SQLite.
    app.get_by_placeholder("Your name").fill("Ada")
    app.get_by_placeholder("Write a message…").fill("Lovely place, would visit again")
    app.get_by_role("button", name="Sign the guestbook").click()
    expect(app.locator(".entry-name")).to_have_text(["Ada"], timeout=10_000)
    expect(app.locator(".entries h2")).to_have_text("1 entry")

    # A reload of the preview asks Flask again: the entry is still there.
    page.get_by_test_id("reload-preview").click()
    expect(app.locator(".entry", has_text="Lovely place, would visit again")).to_be_visible(
        timeout=10_000
    )

    # A hand edit of the page template is deployed by auto-deploy; Flask has no hot reload,
    # so Tessera reloads the preview by itself (a marker on the old page disappears).
    mark_page(app)
    open_in_editor(page, "templates/index.html", "<h1>Visitor Book</h1>")
    replace_in_editor(page, "<h1>Visitor Book</h1>", "<h1>Signed by hand</h1>")
    item = page.locator("[data-testid=file-item][data-path='templates/index.html']")
    expect(item).to_have_attribute("data-dirty", "true")
    expect(item).to_have_attribute("data-dirty", "false", timeout=10_000)
    wait_for_new_page(page, app)
    expect(app.locator("h1")).to_have_text("Signed by hand", timeout=10_000)
    expect(app.locator(".entry-name")).to_have_text(["Ada"])

    # A hand edit of the Python code restarts the server with the new code.
    mark_page(app)
    open_in_editor(page, "app.py", "MAX_NAME = 60")
    replace_in_editor(page, "MAX_NAME = 60", "MAX_NAME = 3")
    item = page.locator("[data-testid=file-item][data-path='app.py']")
    expect(item).to_have_attribute("data-dirty", "false", timeout=10_000)
    wait_for_new_page(page, app)
    app.get_by_placeholder("Your name").fill("Grace Hopper")
    app.get_by_placeholder("Write a message…").fill("Short names only")
    app.get_by_role("button", name="Sign the guestbook").click()
    expect(app.locator(".entry-name")).to_have_text(["Gra", "Ada"], timeout=10_000)
