"""The workspace's model features in real Chromium against a real server and sandbox: the
settings page and its write-only keys, Chat mode, Enhance, locked files, the console with
its Fix button, and the usage line under each answer."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.agent_ui_support import (
    RUN_TIMEOUT,
    api_get,
    build_todo_app,
    messages,
    open_empty_workspace,
    project_snapshot,
    read_file,
    send,
    wait_until_idle,
)
from tests.e2e.conftest import RunningServer
from tests.e2e.editor_support import open_in_editor, preview, replace_in_editor

pytestmark = pytest.mark.e2e

SECRET = "sk-e2e-secret-1234abcd"
SECRET_PART = "sk-e2e-secret"


def test_an_api_key_is_write_only_and_bad_attempts_are_refused(
    server: RunningServer, page: Page
) -> None:
    page.goto(server.url)
    page.get_by_test_id("nav-settings").click()
    expect(page).to_have_url(re.compile(r"/settings$"))
    effective = page.get_by_test_id("settings-effective")
    expect(effective).to_contain_text("offline demo model")
    status = page.get_by_test_id("settings-openai-key-status")
    expect(status).to_contain_text("Not set")

    # Saved: the input is emptied, only a masked hint of the key is shown.
    key_input = page.get_by_test_id("settings-openai-key")
    key_input.fill(SECRET)
    page.get_by_test_id("settings-save").click()
    message = page.get_by_test_id("settings-message")
    expect(message).to_have_attribute("data-kind", "success")
    expect(key_input).to_have_value("")
    expect(status.locator("code")).to_have_text(re.compile(r"…abcd$"))
    assert SECRET_PART not in page.content()
    stored = api_get(server, "/api/settings")
    assert stored["keys"]["openai"]["set"] is True
    assert SECRET_PART not in json.dumps(stored)
    expect(effective).to_contain_text("offline demo model")  # a key alone changes no provider

    # After a reload: still masked, still not in the page.
    page.reload()
    expect(status.locator("code")).to_have_text(re.compile(r"…abcd$"))
    expect(key_input).to_have_value("")
    assert SECRET_PART not in page.content()

    # Cleared by its link: no key any more.
    page.get_by_test_id("settings-openai-key-clear").click()
    expect(status).to_contain_text("Not set")
    expect(message).to_have_attribute("data-kind", "success")
    assert api_get(server, "/api/settings")["keys"]["openai"]["set"] is False

    # 7 attempts are refused in the page; nothing is saved.
    before = api_get(server, "/api/settings")
    attempts = page.get_by_test_id("settings-autofix-attempts")
    attempts.fill("7")
    page.get_by_test_id("settings-save").click()
    expect(message).to_have_attribute("data-kind", "error")
    expect(message).to_contain_text("from 0 to 5")
    assert api_get(server, "/api/settings") == before
    page.reload()
    expect(attempts).to_have_value(str(before["autofix_attempts"]))


def test_chat_mode_answers_without_changing_the_app(server: RunningServer, page: Page) -> None:
    project_id = build_todo_app(page, server)
    before = project_snapshot(server, project_id)
    answers = messages(page, "assistant").count()

    page.get_by_test_id("mode-chat").click()
    expect(page.get_by_test_id("mode-chat")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("mode-build")).to_have_attribute("aria-pressed", "false")
    send(page, "how does the filter work?")
    answer = messages(page, "assistant").nth(answers)
    expect(answer).to_contain_text("cannot read or explain code", timeout=RUN_TIMEOUT)
    wait_until_idle(page)

    # A request that Build mode would carry out is only talked about.
    send(page, "change the title to Chatty")
    answer = messages(page, "assistant").nth(answers + 1)
    expect(answer).to_contain_text("cannot read or explain code", timeout=RUN_TIMEOUT)
    wait_until_idle(page)

    after = project_snapshot(server, project_id)
    assert after["versions"] == before["versions"]
    assert after["files"] == before["files"]
    expect(preview(page).locator("h1")).to_have_text("Todo List")
    expect(page.get_by_test_id("mode-chat")).to_have_attribute("aria-pressed", "true")


def test_enhance_turns_a_short_request_into_a_specification(
    server: RunningServer, page: Page
) -> None:
    open_empty_workspace(page, server)
    chat_input = page.get_by_test_id("chat-input")
    chat_input.fill("a todo app")
    page.get_by_test_id("enhance-prompt").click()
    expect(chat_input).to_have_value(re.compile(r"^A todo app\.\n(.|\n)*Include:"))
    enhanced = chat_input.input_value()
    assert len(enhanced) > len("a todo app") * 5
    expect(page.get_by_test_id("enhance-error")).to_have_count(0)

    page.get_by_test_id("chat-send").click()
    expect(messages(page, "user").first).to_contain_text("Include:")
    expect(preview(page).locator("h1")).to_be_visible(timeout=45_000)


def test_a_locked_file_is_refused_to_the_model(server: RunningServer, page: Page) -> None:
    project_id = build_todo_app(page, server)
    css_before = read_file(server, project_id, "src/App.css")

    open_in_editor(page, "src/App.css", "--accent")
    expect(page.get_by_test_id("locked-banner")).to_have_count(0)
    lock = page.get_by_test_id("lock-src/App.css")
    expect(lock).to_have_attribute("aria-pressed", "false")
    lock.click()
    expect(lock).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("locked-banner")).to_be_visible()

    send(page, "make the buttons green")
    refusal = page.get_by_test_id("chat-warning").filter(has_text="src/App.css")
    expect(refusal).to_contain_text("locked", timeout=RUN_TIMEOUT)
    wait_until_idle(page)
    assert read_file(server, project_id, "src/App.css") == css_before
    settings = api_get(server, f"/api/projects/{project_id}/settings")
    assert settings["locked_files"] == ["src/App.css"]

    page.reload()
    expect(page.get_by_test_id("lock-src/App.css")).to_have_attribute(
        "aria-pressed", "true", timeout=15_000
    )
    expect(page.get_by_test_id("lock-src/App.tsx")).to_have_attribute("aria-pressed", "false")


def test_the_console_shows_a_compile_error_and_fix_asks_the_model(
    server: RunningServer, page: Page
) -> None:
    build_todo_app(page, server)
    toggle = page.get_by_test_id("console-toggle")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_test_id("console-log")).to_contain_text("[vite]", timeout=10_000)
    expect(page.get_by_test_id("console-error")).to_have_count(0)
    expect(page.get_by_test_id("console-fix")).to_be_disabled()

    # A hand edit that no longer compiles, deployed automatically.
    open_in_editor(page, "src/App.tsx", "</h1>")
    replace_in_editor(page, "</h1>", "</h1")
    error = page.get_by_test_id("console-error").first
    expect(error).to_contain_text("App.tsx", timeout=30_000)
    count = page.get_by_test_id("console-error-count")
    expect(count).to_have_text(re.compile(r"^[1-9]\d*$"))
    fix = page.get_by_test_id("console-fix")
    expect(fix).to_be_enabled()

    # Fix starts a run: its bubble, then the model's answer (the offline one cannot fix code).
    users = messages(page, "user").count()
    answers = messages(page, "assistant").count()
    fix.click()
    expect(messages(page, "user")).to_have_count(users + 1, timeout=10_000)
    expect(messages(page, "user").last).to_contain_text(re.compile(r"^Fix the .*errors"))
    answer = messages(page, "assistant").nth(answers)
    expect(answer).to_contain_text("offline demo model", timeout=RUN_TIMEOUT)
    wait_until_idle(page)

    page.get_by_test_id("console-clear").click()
    expect(page.get_by_test_id("console-error")).to_have_count(0, timeout=10_000)
    expect(count).to_have_text("0")
    expect(fix).to_be_disabled()


def test_each_answer_shows_its_token_usage(server: RunningServer, page: Page) -> None:
    build_todo_app(page, server)
    usage = page.get_by_test_id("turn-usage")
    expect(usage).to_have_count(1)
    expect(usage).to_have_text(re.compile(r"^[\d,]+ in · [\d,]+ out · free$"))
    numbers = [int(n.replace(",", "")) for n in re.findall(r"[\d,]+", usage.inner_text())]
    assert numbers[0] > 0 and numbers[1] > 100, numbers
    assert "offline" in (usage.get_attribute("title") or "")
