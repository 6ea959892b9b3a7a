"""The project's history in real Chromium against a real server and sandbox: versions
listed newest first, two compared in Monaco's diff editor, an older one restored (nothing
lost), the last turn undone, a restore refused while a run streams, and the current turn's
changes shown while the model writes them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.agent_ui_support import (
    RUN_TIMEOUT,
    api_get,
    build_todo_app,
    read_file,
    send,
    wait_until_idle,
)
from tests.e2e.conftest import RunningServer, start_server, stop_server
from tests.e2e.editor_support import open_in_editor, preview
from tests.e2e.history_support import (
    GREEN,
    accent_in,
    expect_preview_accent,
    hand_edit,
    open_history,
    version_number,
    version_row,
    wait_for_diff,
)

pytestmark = pytest.mark.e2e

BUILD = "build a todo list"
GREEN_TURN = "make the buttons green"
KANBAN = "build a kanban board"


@pytest.fixture
def slow_server(tmp_path: Path, warm_cache: None) -> Iterator[RunningServer]:
    """A server whose offline model writes twice as slowly: a run lasts long enough to act
    on the page while it streams."""
    running = start_server(tmp_path / "data", {"TESSERA_OFFLINE_PACE": "1"})
    yield running
    stop_server(running)
    print(f"--- server log ---\n{running.log()[-5000:]}")


def build_then_green(page: Page, server: RunningServer) -> tuple[str, str]:
    """A todo app, then the follow-up that turns its accent green; returns the project's
    id and the accent it had before."""
    project_id = build_todo_app(page, server)
    first_accent = accent_in(read_file(server, project_id, "src/App.css"))
    assert first_accent.lower() != GREEN
    send(page, GREEN_TURN)
    wait_until_idle(page)
    assert accent_in(read_file(server, project_id, "src/App.css")) == GREEN
    return project_id, first_accent


def test_the_history_lists_versions_newest_first(server: RunningServer, page: Page) -> None:
    project_id, _ = build_then_green(page, server)
    hand_edit(page, "src/App.tsx", "<h1>Todo List</h1>", "<h1>Edited by hand</h1>")
    expect(preview(page).locator("h1")).to_have_text("Edited by hand", timeout=15_000)

    items = open_history(page)
    expect(items.first).to_contain_text("Hand edits: src/App.tsx", timeout=10_000)
    listed = api_get(server, f"/api/projects/{project_id}/versions")
    expect(items).to_have_count(len(listed))
    numbers = [version_number(items.nth(i)) for i in range(items.count())]
    assert numbers == sorted(numbers, reverse=True), numbers
    assert len(set(numbers)) == len(numbers)

    # Newest first: the hand edit, the follow-up, the first build; each with who made it.
    hand, follow_up, build = items.nth(0), items.nth(1), items.nth(2)
    expect(hand.locator(".history-message")).to_contain_text("Hand edits: src/App.tsx")
    expect(hand.get_by_test_id("history-kind")).to_have_text("edit")
    expect(hand.get_by_test_id("history-changed")).to_have_text("1 file changed")
    expect(follow_up.locator(".history-message")).to_contain_text(GREEN_TURN)
    expect(follow_up.get_by_test_id("history-kind")).to_have_text("AI")
    expect(follow_up.get_by_test_id("history-kind")).to_have_class(re.compile(r"\bassistant\b"))
    expect(follow_up.get_by_test_id("history-changed")).to_have_text("1 file changed")
    expect(build.locator(".history-message")).to_contain_text(BUILD)
    expect(build.get_by_test_id("history-kind")).to_have_text("AI")
    assert version_number(follow_up) == version_number(hand) - 1
    assert version_number(build) == version_number(follow_up) - 1
    expect(page.get_by_test_id("history-current")).to_contain_text("Current files")


def test_two_versions_compare_in_the_diff_editor(server: RunningServer, page: Page) -> None:
    _, first_accent = build_then_green(page, server)
    open_history(page)
    compare = page.get_by_test_id("history-compare")
    expect(compare).to_be_disabled()

    follow_up = version_row(page, GREEN_TURN)
    build = version_row(page, BUILD)
    build.get_by_test_id("history-select").check()
    follow_up.get_by_test_id("history-select").check()
    expect(build).to_have_attribute("data-selected", "true")
    expect(follow_up).to_have_attribute("data-selected", "true")
    expect(compare).to_be_enabled()
    compare.click()

    view = page.get_by_test_id("diff-view")
    expect(view).to_be_visible(timeout=10_000)
    expect(view).to_contain_text(
        f"Version {version_number(build)} → Version {version_number(follow_up)}"
    )
    changed = page.get_by_test_id("diff-file")
    expect(changed).to_have_count(1)
    expect(changed).to_have_attribute("data-path", "src/App.css")
    expect(changed).to_have_attribute("data-change", "modified")

    sides = wait_for_diff(page, "src/App.css")
    assert f"--accent: {first_accent};" in sides["before"]
    assert f"--accent: {GREEN};" not in sides["before"]
    assert f"--accent: {GREEN};" in sides["after"]
    assert f"--accent: {first_accent};" not in sides["after"]
    # Both sides are drawn: the old colour on the left, the new one on the right.
    editor = page.get_by_test_id("diff-editor")
    expect(editor.locator(".editor.original")).to_contain_text(first_accent)
    expect(editor.locator(".editor.modified")).to_contain_text(GREEN)

    page.get_by_test_id("diff-close").click()
    expect(view).to_have_count(0)
    expect(page.get_by_test_id("editor")).to_be_visible()


def test_restoring_an_older_version_keeps_the_newer_ones(server: RunningServer, page: Page) -> None:
    project_id, first_accent = build_then_green(page, server)
    expect_preview_accent(page, GREEN)
    items = open_history(page)
    before = items.count()
    build = version_row(page, BUILD)
    number = version_number(build)

    build.get_by_test_id("history-restore").click()
    message = page.get_by_test_id("history-message")
    expect(message).to_have_attribute("data-kind", "success", timeout=15_000)
    expect(message).to_contain_text(f"Restored version {number}")

    # A new version on top; the turn that was undone by the restore is still listed.
    expect(items).to_have_count(before + 1, timeout=10_000)
    expect(items.first.locator(".history-message")).to_contain_text(f"Restored version {number}")
    expect(items.first.get_by_test_id("history-kind")).to_have_text("restore")
    assert version_number(items.first) == version_number(items.nth(1)) + 1
    expect(version_row(page, GREEN_TURN)).to_be_visible()

    # The files, the editor and the running app are back to the first build's colour.
    assert accent_in(read_file(server, project_id, "src/App.css")) == first_accent
    open_in_editor(page, "src/App.css", f"--accent: {first_accent};")
    assert f"--accent: {GREEN};" not in page.evaluate("window.__tessera.editor.getValue()")
    expect_preview_accent(page, first_accent)


def test_undo_turn_reverts_the_last_change_of_the_model(server: RunningServer, page: Page) -> None:
    project_id, first_accent = build_then_green(page, server)
    versions_before = len(api_get(server, f"/api/projects/{project_id}/versions"))

    page.get_by_test_id("undo-turn").click()
    message = page.get_by_test_id("history-message")
    expect(message).to_have_attribute("data-kind", "success", timeout=15_000)
    expect(message).to_contain_text(f"Undid: {GREEN_TURN}")

    assert accent_in(read_file(server, project_id, "src/App.css")) == first_accent
    expect_preview_accent(page, first_accent)
    items = open_history(page)
    expect(items).to_have_count(versions_before + 1)
    expect(items.first.locator(".history-message")).to_contain_text(f"Undid: {GREEN_TURN}")
    expect(items.first.get_by_test_id("history-kind")).to_have_text("restore")
    expect(version_row(page, GREEN_TURN)).to_be_visible()


def test_a_restore_waits_for_the_run_to_finish(slow_server: RunningServer, page: Page) -> None:
    server = slow_server
    project_id = build_todo_app(page, server)
    open_history(page)
    build = version_row(page, BUILD)

    # A new app is being written: the restore is refused, with what to do.
    send(page, KANBAN)
    expect(page.get_by_test_id("chat-input")).to_be_disabled()
    build.get_by_test_id("history-restore").click()
    message = page.get_by_test_id("history-message")
    expect(message).to_have_attribute("data-kind", "error", timeout=10_000)
    expect(message).to_contain_text("wait for the run to finish")
    expect(page.get_by_test_id("chat-input")).to_be_disabled()  # the refusal came in the run

    # The run ends as if nothing had been asked: its app, its version on top, no restore.
    wait_until_idle(page, timeout=60_000)
    expect(preview(page).locator("h1")).to_have_text("Kanban Board", timeout=RUN_TIMEOUT)
    versions = api_get(server, f"/api/projects/{project_id}/versions")
    assert [v["kind"] for v in versions].count("restore") == 0, versions
    assert versions[0]["message"] == KANBAN
    assert "(kind: kanban)" in read_file(server, project_id, "src/App.tsx")
    items = page.get_by_test_id("history-item")
    expect(items).to_have_count(len(versions), timeout=10_000)
    expect(items.first.locator(".history-message")).to_contain_text(KANBAN)


def test_the_turn_diff_shows_changes_while_they_are_written(
    slow_server: RunningServer, page: Page
) -> None:
    server = slow_server
    project_id = build_todo_app(page, server)
    old_app = read_file(server, project_id, "src/App.tsx")
    open_history(page)

    send(page, KANBAN)
    # Listed while the run is still going (both seen at the same moment).
    page.wait_for_function(
        """() => {
            const turn = document.querySelector('[data-testid=turn-diff]');
            const input = document.querySelector('[data-testid=chat-input]');
            return turn?.getAttribute('data-running') === 'true' && input?.disabled &&
                turn.querySelector('[data-testid=turn-diff-file][data-path="src/App.tsx"]');
        }""",
        timeout=30_000,
    )
    turn = page.get_by_test_id("turn-diff")
    expect(turn).to_contain_text("Changes in this turn")
    file = turn.locator("[data-testid=turn-diff-file][data-path='src/App.tsx']")
    expect(file).to_have_attribute("data-change", "modified")
    file.click()
    expect(page.get_by_test_id("diff-view")).to_contain_text("Changes in this turn")
    sides = wait_for_diff(page, "src/App.tsx")
    assert sides["before"] == old_app.replace("\r\n", "\n")

    # Once the run is over: the whole new file on the right, the turn called the last one.
    wait_until_idle(page, timeout=60_000)
    expect(turn).to_have_attribute("data-running", "false")
    expect(turn).to_contain_text("Changes in the last turn")
    expect(page.get_by_test_id("diff-view")).to_contain_text("Changes in the last turn")
    new_app = read_file(server, project_id, "src/App.tsx")
    assert "(kind: kanban)" in new_app
    page.wait_for_function(
        "(text) => window.__tessera.diff?.getModel()?.modified.getValue() === text",
        arg=new_app.replace("\r\n", "\n"),
        timeout=10_000,
    )
    paths = turn.get_by_test_id("turn-diff-file").evaluate_all(
        "(items) => items.map((item) => item.getAttribute('data-path'))"
    )
    assert "src/App.tsx" in paths and "src/App.css" in paths, paths
