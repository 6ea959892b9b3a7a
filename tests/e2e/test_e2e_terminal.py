"""The workspace's terminal in real Chromium: xterm.js over a WebSocket to a shell in the
project's real sandbox — commands run and their output shows, the shell's end is shown,
and Reconnect opens a new shell."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.agent_ui_support import open_empty_workspace
from tests.e2e.conftest import RunningServer

pytestmark = pytest.mark.e2e

SHELL_TIMEOUT = 45_000
"""The sandbox starts (or resumes) before the shell speaks."""

OUTPUT_TIMEOUT = 15_000


def wait_for_row(page: Page, text: str) -> None:
    """Waits until one of the terminal's rows reads exactly ``text`` (trimmed): the
    command's output, not the line where it was typed."""
    page.wait_for_function(
        """text => [...document.querySelectorAll('[data-testid=terminal] .xterm-rows > div')]
            .some(row => row.textContent.trim() === text)""",
        arg=text,
        timeout=OUTPUT_TIMEOUT,
    )


def rows_text(page: Page) -> str:
    return page.locator("[data-testid=terminal] .xterm-rows").inner_text()


def run(page: Page, command: str) -> None:
    page.keyboard.type(command)
    page.keyboard.press("Enter")


def test_the_terminal_runs_commands_in_the_project_and_reconnects(
    server: RunningServer, page: Page
) -> None:
    open_empty_workspace(page, server)
    tab = page.get_by_test_id("terminal-tab")
    expect(tab).to_have_attribute("aria-expanded", "false")
    tab.click()
    expect(tab).to_have_attribute("aria-expanded", "true")
    terminal = page.get_by_test_id("terminal")
    expect(terminal).to_have_attribute("data-status", "open", timeout=SHELL_TIMEOUT)

    # Typed keys reach the shell; its output is shown.
    terminal.locator(".xterm").click()
    run(page, "echo $((6*7))")
    wait_for_row(page, "42")
    assert "echo $((6*7))" in rows_text(page)

    # The shell runs in the project's folder.
    run(page, "ls")
    page.wait_for_function(
        """() => document.querySelector('[data-testid=terminal] .xterm-rows')
            .textContent.includes('package.json')""",
        timeout=OUTPUT_TIMEOUT,
    )
    assert "index.html" in rows_text(page)

    # exit ends the shell: the panel says so and offers to reconnect.
    run(page, "exit")
    expect(terminal).to_have_attribute("data-status", "closed", timeout=OUTPUT_TIMEOUT)
    expect(page.get_by_test_id("terminal-status")).to_contain_text("The shell ended")
    assert "The shell ended" in rows_text(page)

    # Reconnect: a new shell that answers.
    page.get_by_test_id("terminal-reconnect").click()
    expect(terminal).to_have_attribute("data-status", "open", timeout=SHELL_TIMEOUT)
    expect(page.get_by_test_id("terminal-reconnect")).to_have_count(0)
    run(page, "echo again-$((40+2))")
    wait_for_row(page, "again-42")
