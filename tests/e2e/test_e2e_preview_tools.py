"""The preview's tools and the workspace's keyboard in real Chromium against a real
server and sandbox: the address bar, device widths, the preview's status through a broken
and a fixed Flask app, the light and dark themes, and the keys that send a message."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.agent_ui_support import (
    build_todo_app,
    messages,
    project_id_of,
    read_file,
    wait_until_idle,
)
from tests.e2e.conftest import RunningServer
from tests.e2e.editor_support import open_in_editor, preview, warm_templates
from tests.e2e.history_support import (
    DEPLOY_TIMEOUT,
    build_guestbook,
    delay_project_loads,
    hand_edit,
    sign_guestbook,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def python_template() -> Iterator[None]:
    warm_templates("python")
    yield


def frame_width(page: Page) -> float:
    box = page.get_by_test_id("preview-frame").bounding_box()
    assert box is not None, "the preview frame is not shown"
    return float(box["width"])


def test_the_address_bar_goes_to_a_path_of_the_app(server: RunningServer, page: Page) -> None:
    build_guestbook(page, server)
    sign_guestbook(page, "Ada", "Found the way by address")
    address = page.get_by_test_id("preview-address")
    expect(address).to_have_value("/")
    frame = page.get_by_test_id("preview-frame")
    origin = re.match(r"^https?://[^/]+", frame.get_attribute("src") or "")
    assert origin is not None, frame.get_attribute("src")

    # Enter goes to the typed path: the app's JSON route, inside the preview's origin.
    address.fill("api/entries")
    address.press("Enter")
    expect(address).to_have_value("/api/entries")
    expect(frame).to_have_attribute("src", f"{origin.group(0)}/api/entries")
    body = preview(page).locator("body")
    expect(body).to_contain_text('"name"', timeout=10_000)
    entries = json.loads(body.inner_text())
    assert [(e["name"], e["message"]) for e in entries] == [("Ada", "Found the way by address")]

    # Open in new tab follows the address.
    link = page.get_by_test_id("open-new-tab")
    expect(link).to_have_attribute("href", f"{origin.group(0)}/api/entries")
    with page.context.expect_page(timeout=10_000) as opened:
        link.click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url == f"{origin.group(0)}/api/entries"
    assert json.loads(tab.locator("body").inner_text())[0]["name"] == "Ada"
    tab.close()

    # Back to the page: the guestbook again, its entry listed.
    address.fill("/")
    address.press("Enter")
    expect(preview(page).locator(".entry-name")).to_have_text(["Ada"], timeout=10_000)
    expect(link).to_have_attribute("href", re.compile(rf"^{re.escape(origin.group(0))}/?$"))


def test_device_widths_resize_the_preview(server: RunningServer, page: Page) -> None:
    build_todo_app(page, server)
    buttons = {d: page.get_by_test_id(f"device-{d}") for d in ("mobile", "tablet", "desktop")}
    expect(buttons["desktop"]).to_have_attribute("aria-pressed", "true")
    app_width = "() => window.innerWidth"

    for device, width in (("mobile", 375), ("tablet", 768)):
        buttons[device].click()
        for name, button in buttons.items():
            expect(button).to_have_attribute("aria-pressed", str(name == device).lower())
        page.wait_for_function(
            "(width) => document.querySelector('[data-testid=preview-frame]')"
            ".getBoundingClientRect().width === width",
            arg=width,
            timeout=5_000,
        )
        assert frame_width(page) == width
        assert preview(page).locator("html").evaluate(app_width) == width
        expect(page.locator(".preview-statusbar")).to_contain_text(f"{width} px")

    buttons["desktop"].click()
    expect(buttons["desktop"]).to_have_attribute("aria-pressed", "true")
    expect(buttons["tablet"]).to_have_attribute("aria-pressed", "false")
    pane = page.locator(".preview-body").bounding_box()
    assert pane is not None
    page.wait_for_function(
        "(width) => Math.abs(document.querySelector('[data-testid=preview-frame]')"
        ".getBoundingClientRect().width - width) < 1",
        arg=pane["width"],
        timeout=5_000,
    )
    assert pane["width"] > 375
    expect(page.locator(".preview-statusbar")).not_to_contain_text(" px")


def test_the_preview_status_follows_a_broken_and_a_fixed_app(
    server: RunningServer, page: Page
) -> None:
    page.goto(server.url)
    page.get_by_test_id("home-prompt").fill("Create a Flask guestbook called Status Book")
    page.get_by_test_id("home-prompt").press("Enter")
    status = page.get_by_test_id("preview-status")
    expect(status).to_have_attribute("data-status", "starting", timeout=10_000)
    expect(status).to_contain_text("Starting")
    expect(status).to_have_attribute("data-status", "ready", timeout=45_000)
    expect(status).to_have_text("Ready")
    expect(preview(page).locator("h1")).to_have_text("Status Book", timeout=15_000)
    wait_until_idle(page)

    # A syntax error in app.py, deployed by hand: Flask cannot start; the reason is shown,
    # and the console has the server's own words.
    hand_edit(page, "app.py", "MAX_NAME = 60", "MAX_NAME = = 60")
    expect(status).to_have_attribute("data-status", "error", timeout=DEPLOY_TIMEOUT)
    expect(status).to_contain_text(re.compile(r"^Error: The Flask dev server stopped"))
    expect(status).to_have_attribute("title", re.compile(r"stopped \(exit code 1\)"))
    expect(page.get_by_test_id("status")).to_contain_text("error:")
    page.get_by_test_id("console-toggle").click()
    expect(page.get_by_test_id("console-log")).to_contain_text("SyntaxError", timeout=10_000)

    # Fixed by hand too: the edit is sent (not taken for someone else's), the app is back.
    hand_edit(page, "app.py", "MAX_NAME = = 60", "MAX_NAME = 60")
    expect(page.get_by_test_id("edit-conflict")).to_have_count(0)
    expect(status).to_have_attribute("data-status", "ready", timeout=30_000)
    expect(status).to_have_text("Ready")
    expect(page.get_by_test_id("status")).to_contain_text("ready")
    expect(preview(page).locator("h1")).to_have_text("Status Book", timeout=15_000)
    assert "MAX_NAME = 60" in read_file(server, project_id_of(page), "app.py")


def page_background(page: Page) -> str:
    colour: str = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    return colour


def brightness(colour: str) -> int:
    """The sum of an "rgb(r, g, b)" colour's channels."""
    return sum(int(channel) for channel in re.findall(r"\d+", colour)[:3])


def test_the_theme_switches_and_survives_a_reload(server: RunningServer, page: Page) -> None:
    page.goto(server.url)
    root = page.locator("html")
    toggle = page.get_by_test_id("theme-toggle")
    first = root.get_attribute("data-theme")
    assert first in ("light", "dark"), first
    other = "dark" if first == "light" else "light"
    expect(toggle).to_have_attribute("data-theme", first)
    first_background = page_background(page)

    toggle.click()
    expect(root).to_have_attribute("data-theme", other)
    expect(toggle).to_have_attribute("data-theme", other)
    expect(toggle).to_have_attribute("aria-label", f"Switch to the {first} theme")
    other_background = page_background(page)
    assert other_background != first_background
    darker = brightness(other_background) < brightness(first_background)
    assert darker == (other == "dark"), (first_background, other_background)

    page.reload()
    expect(root).to_have_attribute("data-theme", other)
    assert page_background(page) == other_background

    toggle.click()
    expect(root).to_have_attribute("data-theme", first)
    assert page_background(page) == first_background
    page.reload()
    expect(root).to_have_attribute("data-theme", first)


def test_keys_send_and_break_lines_in_the_message_box(server: RunningServer, page: Page) -> None:
    # The project answers slowly: the box waits for it (a message sent before would be
    # wiped from the chat by the project's history arriving after it).
    delay_project_loads(page, 1_500)
    project = httpx.post(f"{server.url}/api/projects", json={"template": "react"}, timeout=10)
    page.goto(f"{server.url}/p/{project.json()['id']}")
    chat_input = page.get_by_test_id("chat-input")
    expect(chat_input).to_be_disabled()
    users = messages(page, "user")
    expect(users).to_have_count(0)

    # Enter sends; the message and its answer stay.
    chat_input.fill("what can you do?")
    chat_input.press("Enter")
    expect(users).to_have_count(1, timeout=10_000)
    expect(users.first).to_contain_text("what can you do?")
    expect(chat_input).to_have_value("")
    wait_until_idle(page)
    expect(messages(page, "assistant")).to_have_count(1)
    expect(users).to_have_count(1)

    # Shift+Enter is a new line: two lines held, nothing sent.
    chat_input.type("first line")
    chat_input.press("Shift+Enter")
    chat_input.type("second line")
    expect(chat_input).to_have_value("first line\nsecond line")
    page.wait_for_timeout(500)
    expect(users).to_have_count(1)

    # Ctrl+Enter sends the box's text with the focus in the editor, and types nothing there.
    open_in_editor(page, "src/App.tsx", "")
    before = page.evaluate("window.__tessera.editor.getValue()")
    page.locator("[data-testid=editor] .view-lines").click()
    page.wait_for_function("() => window.__tessera.editor.hasTextFocus()", timeout=5_000)
    page.keyboard.press("Control+Enter")
    expect(users).to_have_count(2, timeout=10_000)
    expect(users.last).to_contain_text("first line")
    expect(users.last).to_contain_text("second line")
    expect(chat_input).to_have_value("")
    assert page.evaluate("window.__tessera.editor.getValue()") == before
    wait_until_idle(page)
