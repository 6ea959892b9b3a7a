"""Helpers of the browser tests of the history and of the preview's tools: the history
panel, hand edits deployed by the auto-deploy, the app's accent colour as the files and the
preview see it, Monaco's diff editor read through the page, a Flask guestbook, and a workspace whose
project loads slowly."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.e2e.agent_ui_support import BUILD_TIMEOUT, RUN_TIMEOUT, project_id_of, wait_until_idle
from tests.e2e.conftest import RunningServer
from tests.e2e.editor_support import open_in_editor, preview, replace_in_editor

DEPLOY_TIMEOUT = 15_000
"""A hand edit: 2 s of quiet, then the deploy and the sandbox's sync."""

GREEN = "#16a34a"
"""The offline model's green accent ("make the buttons green")."""

_ACCENT = re.compile(r"--accent:\s*([^;]+);")


def accent_in(css: str) -> str:
    """The ``--accent`` colour an app's stylesheet sets."""
    match = _ACCENT.search(css)
    assert match is not None, f"no --accent in:\n{css[:400]}"
    return match.group(1).strip()


def preview_accent(page: Page) -> str:
    """The ``--accent`` colour the running app in the preview has now."""
    value: str = (
        preview(page)
        .locator("html")
        .evaluate("(root) => getComputedStyle(root).getPropertyValue('--accent').trim()")
    )
    return value


def expect_preview_accent(page: Page, colour: str, timeout: float = DEPLOY_TIMEOUT) -> None:
    """Waits until the preview's app shows ``colour`` as its accent (hot reload included)."""
    step = 250
    seen = ""
    for _ in range(int(timeout / step)):
        try:
            seen = preview_accent(page)
        except Exception:  # the frame is reloading
            seen = "<no page>"
        if seen.lower() == colour.lower():
            return
        page.wait_for_timeout(step)
    raise AssertionError(f"the preview's accent is {seen!r}, not {colour!r}")


def open_history(page: Page) -> Locator:
    """Opens the history panel and waits for its versions; returns the version rows."""
    toggle = page.get_by_test_id("history-toggle")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_test_id("history-panel")).to_be_visible()
    items = page.get_by_test_id("history-item")
    expect(items.first).to_be_visible(timeout=10_000)
    return items


def version_row(page: Page, message: str) -> Locator:
    """The one history row whose message is exactly ``message``."""
    exact = re.compile(rf"^#\d+\s+{re.escape(message)}$")
    row = page.get_by_test_id("history-item").filter(
        has=page.locator(".history-message", has_text=exact)
    )
    expect(row).to_have_count(1)
    return row


def version_number(row: Locator) -> int:
    """The "#N" a history row shows."""
    return int(row.locator(".history-number").inner_text().removeprefix("#"))


def hand_edit(page: Page, path: str, old: str, new: str) -> None:
    """Types a change into ``path`` in Monaco and waits until the auto-deploy has sent it."""
    open_in_editor(page, path, old)
    replace_in_editor(page, old, new)
    item = page.locator(f"[data-testid=file-item][data-path='{path}']")
    expect(item).to_have_attribute("data-dirty", "true")
    expect(item).to_have_attribute("data-dirty", "false", timeout=DEPLOY_TIMEOUT)


def diff_sides(page: Page) -> dict[str, Any]:
    """The diff editor's two texts and the file it shows, as Monaco holds them."""
    sides: dict[str, Any] = page.evaluate(
        """() => {
            const diff = window.__tessera.diff;
            if (!diff || !diff.getModel()) return null;
            const { original, modified } = diff.getModel();
            return { before: original.getValue(), after: modified.getValue() };
        }"""
    )
    return sides


def wait_for_diff(page: Page, path: str) -> dict[str, Any]:
    """Waits until the diff editor shows ``path``; returns its two sides."""
    expect(page.locator(f"[data-testid=diff-editor][data-path='{path}']")).to_be_visible(
        timeout=10_000
    )
    page.wait_for_function(
        "() => Boolean(window.__tessera?.diff?.getModel())",
        timeout=10_000,
    )
    return diff_sides(page)


def build_guestbook(page: Page, server: RunningServer, title: str = "Visitor Book") -> str:
    """A Flask guestbook from the home page; returns the project's id once it is shown."""
    page.goto(server.url)
    page.get_by_test_id("home-prompt").fill(f"Create a Flask guestbook called {title}")
    page.get_by_test_id("home-prompt").press("Enter")
    expect(page).to_have_url(re.compile(r"/p/[a-z0-9]+$"), timeout=10_000)
    expect(preview(page).locator("h1")).to_have_text(title, timeout=BUILD_TIMEOUT)
    expect(page.get_by_test_id("status")).to_contain_text("ready", timeout=RUN_TIMEOUT)
    wait_until_idle(page)
    return project_id_of(page)


def sign_guestbook(page: Page, name: str, message: str) -> None:
    """Signs the guestbook in the preview and waits for the entry."""
    app = preview(page)
    app.get_by_placeholder("Your name").fill(name)
    app.get_by_placeholder("Write a message…").fill(message)
    app.get_by_role("button", name="Sign the guestbook").click()
    expect(app.locator(".entry-name", has_text=name)).to_be_visible(timeout=10_000)


def delay_project_loads(page: Page, milliseconds: int) -> None:
    """Holds back the answer of every ``GET /api/projects/{id}`` of ``page`` (from its next
    navigation on), as a slow server would: the workspace is shown before its project."""
    page.add_init_script(
        f"(() => {{ const DELAY = {int(milliseconds)};\n"
        + r"""
        const fetchNow = window.fetch.bind(window);
        window.fetch = (input, init) => {
            const url = String(input instanceof Request ? input.url : input);
            const reading = !init || !init.method || init.method === 'GET';
            const answer = fetchNow(input, init);
            if (!reading || !/\/api\/projects\/[a-z0-9]+$/.test(url)) return answer;
            return answer.then((r) => new Promise((done) => setTimeout(() => done(r), DELAY)));
        };
        })();"""
    )
