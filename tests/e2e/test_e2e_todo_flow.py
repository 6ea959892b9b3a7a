"""The whole path a new user walks, in real Chromium against a real server and sandbox:
prompt → streamed code → live preview → hand edit with hot reload → follow-up request."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import FrameLocator, Page, expect

from tests.e2e.conftest import RunningServer, start_server, stop_server

pytestmark = pytest.mark.e2e

PROMPT = "Create a React todo app with local storage"


SAMPLER = """() => {
    window.__samples = [];
    setInterval(() => {
        const editor = document.querySelector('[data-testid=editor]');
        const status = document.querySelector('[data-testid=status]');
        window.__samples.push({
            path: editor ? editor.getAttribute('data-path') : null,
            length: window.__tessera.editor.getModel()?.getValue().length ?? 0,
            status: status ? status.textContent : '',
        });
    }, 40);
}"""


@pytest.fixture
def server(tmp_path: Path, warm_cache: None) -> Iterator[RunningServer]:
    """The offline model at half the default pace: App.tsx must be seen growing in Monaco
    while it streams."""
    running = start_server(tmp_path / "data", {"TESSERA_OFFLINE_PACE": "0.5"})
    yield running
    stop_server(running)


def is_green(colour: str) -> bool:
    values = [int(v) for v in re.findall(r"\d+", colour)[:3]]
    if len(values) < 3:
        return False
    red, green, blue = values
    return green > red + 40 and green > blue + 20


def replace_in_editor(page: Page, old: str, new: str) -> None:
    """Edits the open file through Monaco, as typing does (it fires the change events)."""
    page.evaluate(
        """([old, replacement]) => {
            const { editor } = window.__tessera;
            const match = editor.getModel().findMatches(old, false, false, true, null, false)[0];
            editor.executeEdits('test', [{ range: match.range, text: replacement }]);
        }""",
        [old, new],
    )


def preview(page: Page) -> FrameLocator:
    return page.frame_locator("[data-testid=preview-frame]")


def editor_text(page: Page) -> str:
    text: str = page.evaluate("() => window.__tessera.editor.getModel().getValue()")
    return text


def test_prompt_to_live_editable_todo_app(page: Page, server: RunningServer) -> None:
    page.goto(server.url)
    page.get_by_test_id("home-prompt").fill(PROMPT)
    page.get_by_test_id("home-prompt").press("Enter")

    # The workspace opens; the offline model is labelled as such.
    expect(page).to_have_url(re.compile(r"/p/[a-z0-9]+$"), timeout=10_000)
    expect(page.get_by_test_id("model-label")).to_contain_text("offline demo model")
    expect(page.get_by_test_id("message").first).to_contain_text(PROMPT)

    # src/App.tsx opens in Monaco and visibly grows while it is written: sample the editor.
    page.wait_for_function("() => window.__tessera && window.__tessera.editor")
    page.evaluate(SAMPLER)
    editor = page.get_by_test_id("editor")
    expect(editor).to_have_attribute("data-path", "src/App.tsx", timeout=20_000)
    expect(page.locator("[data-testid=file-item][data-path='src/App.tsx']")).to_be_visible()

    # The assistant's answer streams into the chat; the preview shows the running app.
    expect(page.locator("[data-testid=message][data-role=assistant]").first).not_to_be_empty()
    expect(page.get_by_test_id("status")).to_contain_text("ready", timeout=30_000)
    samples = page.evaluate("() => window.__samples")
    lengths = {s["length"] for s in samples if s["path"] == "src/App.tsx"}
    assert lengths, "App.tsx was never shown in the editor"
    partial = sorted(length for length in lengths if length < max(lengths))
    assert len(partial) >= 2, f"App.tsx did not visibly grow: {partial} < {max(lengths)}"
    assert any("generating" in s["status"] for s in samples)
    app = preview(page)
    expect(app.locator("h1")).to_be_visible(timeout=15_000)
    assert "function App" in editor_text(page)

    # Add two todos; they survive a reload of the preview (localStorage).
    todo_input = app.get_by_placeholder("What needs to be done?")
    for item in ["Buy milk", "Walk the dog"]:
        todo_input.fill(item)
        app.get_by_role("button", name="Add", exact=True).click()
    expect(app.locator("li")).to_have_count(2)
    page.get_by_test_id("reload-preview").click()
    expect(app.locator("li", has_text="Buy milk")).to_be_visible(timeout=10_000)
    expect(app.locator("li", has_text="Walk the dog")).to_be_visible()

    # A hand edit of the heading reaches the preview by auto-deploy, without a full reload:
    # a marker set on the page's window and the text typed into the input both survive.
    app.locator("body").evaluate("() => { window.__marker = 'kept' }")
    todo_input.fill("half-typed")
    heading = app.locator("h1").inner_text()
    replace_in_editor(page, f">{heading}<", ">My hand-edited list<")
    expect(page.locator("[data-testid=file-item][data-path='src/App.tsx']")).to_have_attribute(
        "data-dirty", "true"
    )
    expect(app.locator("h1")).to_have_text("My hand-edited list", timeout=10_000)
    assert app.locator("body").evaluate("() => window.__marker") == "kept"
    expect(todo_input).to_have_value("half-typed")
    expect(app.locator("li")).to_have_count(2)
    expect(page.locator("[data-testid=file-item][data-path='src/App.tsx']")).to_have_attribute(
        "data-dirty", "false"
    )

    # The Deploy button deploys at once.
    replace_in_editor(page, "My hand-edited list", "Deployed by button")
    page.get_by_test_id("deploy-button").click()
    expect(app.locator("h1")).to_have_text("Deployed by button", timeout=5_000)

    # A follow-up request changes the app: the buttons turn green.
    page.get_by_test_id("chat-input").fill("make the buttons green")
    page.get_by_test_id("chat-input").press("Enter")
    expect(page.get_by_test_id("message")).to_have_count(4, timeout=10_000)
    expect(page.get_by_test_id("status")).to_contain_text("ready", timeout=30_000)
    add_button = app.get_by_role("button", name="Add", exact=True)
    colour = ""
    for _ in range(75):
        colour = add_button.evaluate("b => getComputedStyle(b).backgroundColor")
        if is_green(colour):
            break
        page.wait_for_timeout(200)
    assert is_green(colour), f"the Add button is {colour}, not green"
    expect(app.locator("h1")).to_have_text("Deployed by button")
    expect(app.locator("li")).to_have_count(2)

    # "Open in new tab" opens the preview on its own.
    link = page.get_by_test_id("open-new-tab")
    href = link.get_attribute("href")
    assert href is not None and re.match(r"http://\d+-[a-z0-9]+\.localhost:\d+/", href)
    assert link.get_attribute("target") == "_blank"
    with page.context.expect_page() as opened:
        link.click()
    tab = opened.value
    expect(tab.locator("h1")).to_have_text("Deployed by button", timeout=15_000)
    expect(tab.locator("li", has_text="Buy milk")).to_be_visible()
