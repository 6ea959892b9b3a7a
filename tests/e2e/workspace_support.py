"""Helpers of the browser tests of the project list and of the explorer and editor: project
cards, the file tree, Monaco's buffer and markers, zips built in the test, and the server's
own view of a project read through its API."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.e2e.agent_ui_support import api_get
from tests.e2e.conftest import RunningServer

WORKSPACE_TIMEOUT = 15_000
"""The workspace is up: the project is loaded and the chat box is usable."""

PREVIEW_TIMEOUT = 45_000
"""A project's first preview: its sandbox is created and its dev server answers."""


# --- the server's view --------------------------------------------------------------------
def api_paths(server: RunningServer, project_id: str) -> set[str]:
    """The paths of the project's files, as the server has them."""
    return {item["path"] for item in api_get(server, f"/api/projects/{project_id}/files")}


def api_status(server: RunningServer, path: str) -> int:
    return httpx.get(f"{server.url}{path}", timeout=10).status_code


def api_project_ids(server: RunningServer) -> set[str]:
    return {project["id"] for project in api_get(server, "/api/projects")}


def api_versions(server: RunningServer, project_id: str) -> list[dict[str, Any]]:
    """Newest first."""
    versions: list[dict[str, Any]] = api_get(server, f"/api/projects/{project_id}/versions")
    return versions


def api_write(server: RunningServer, project_id: str, path: str, content: str) -> None:
    """Saves a file as another tab (or another user) would, behind the page's back."""
    response = httpx.put(
        f"{server.url}/api/projects/{project_id}/files/{path}",
        json={"content": content},
        timeout=30,
    )
    response.raise_for_status()


def api_create_project(server: RunningServer, template: str | None = "react") -> str:
    body = {"template": template} if template else {"name": "Bare project"}
    response = httpx.post(f"{server.url}/api/projects", json=body, timeout=10)
    response.raise_for_status()
    project_id: str = response.json()["id"]
    return project_id


# --- the home page --------------------------------------------------------------------------
def card(page: Page, project_id: str) -> Locator:
    return page.locator(f"[data-testid=project-card][data-project-id='{project_id}']")


def card_ids(page: Page) -> list[str]:
    """The ids of the cards shown, in order."""
    ids: list[str] = page.get_by_test_id("project-card").evaluate_all(
        "cards => cards.map(card => card.getAttribute('data-project-id'))"
    )
    return ids


def go_home(page: Page, server: RunningServer) -> None:
    """The home page with its project list loaded (the list, or the "no projects" line)."""
    page.goto(server.url)
    expect(page.get_by_test_id("project-list")).to_be_visible(timeout=10_000)


def open_workspace(page: Page, server: RunningServer, project_id: str) -> None:
    page.goto(f"{server.url}/p/{project_id}")
    wait_for_workspace(page)


def wait_for_workspace(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/p/[a-z0-9]+$"), timeout=10_000)
    expect(page.get_by_test_id("chat-input")).to_be_enabled(timeout=WORKSPACE_TIMEOUT)
    page.wait_for_function("() => window.__tessera && window.__tessera.editor", timeout=10_000)


def zip_bytes(entries: Mapping[str, bytes | str]) -> bytes:
    """A zip archive of ``entries`` (name → content), names written as given (``..`` too)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# --- the explorer and the editor -------------------------------------------------------------
def file_item(page: Page, path: str) -> Locator:
    return page.locator(f"[data-testid=file-item][data-path='{path}']")


def folder_item(page: Page, path: str) -> Locator:
    return page.locator(f"[data-testid=folder-item][data-path='{path}']")


def editor_tab(page: Page, path: str) -> Locator:
    return page.locator(f"[data-testid=editor-tab][data-path='{path}']")


def tree_paths(page: Page) -> set[str]:
    """The files the tree shows (in unfolded folders)."""
    paths: list[str] = page.get_by_test_id("file-item").evaluate_all(
        "items => items.map(item => item.getAttribute('data-path'))"
    )
    return set(paths)


def expect_tree_to_show(page: Page, paths: set[str], timeout: float = 10_000) -> None:
    for path in sorted(paths):
        expect(file_item(page, path)).to_have_count(1, timeout=timeout)


def wait_for_open_file(page: Page, path: str, containing: str = "") -> None:
    """Waits until the editor shows ``path`` and its buffer holds ``containing``."""
    page.wait_for_function(
        """([path, text]) => {
            const editor = document.querySelector('[data-testid=editor]');
            const model = window.__tessera?.editor?.getModel();
            return editor?.getAttribute('data-path') === path
                && model?.uri.path === '/' + path
                && model.getValue().includes(text);
        }""",
        arg=[path, containing],
        timeout=10_000,
    )


def set_editor_text(page: Page, text: str) -> None:
    """Replaces the open file's whole text through Monaco, as typing does (change events
    fire, the file becomes dirty)."""
    page.evaluate(
        """(text) => {
            const { editor } = window.__tessera;
            const range = editor.getModel().getFullModelRange();
            editor.executeEdits('test', [{ range, text }]);
        }""",
        text,
    )


def editor_text(page: Page) -> str:
    text: str = page.evaluate("() => window.__tessera.editor.getValue()")
    return text


def save_shortcut(page: Page) -> None:
    """Ctrl+S, as the user presses it in the editor."""
    page.locator("[data-testid=editor] .monaco-editor textarea").first.focus()
    page.keyboard.press("Control+s")


def error_markers(page: Page) -> list[dict[str, Any]]:
    """The open file's error markers: ``{line, message}`` each."""
    markers: list[dict[str, Any]] = page.evaluate(
        """() => window.__tessera.markers()
            .filter(m => m.severity === window.__tessera.monaco.MarkerSeverity.Error)
            .map(m => ({ line: m.startLineNumber, message: m.message }))"""
    )
    return markers


def line_of(page: Page, text: str) -> int:
    """The 1-based line of the open file holding ``text`` (waiting for an edit to land)."""
    page.wait_for_function(
        "(text) => window.__tessera.editor.getModel().getValue().includes(text)",
        arg=text,
        timeout=5_000,
    )
    lines = editor_text(page).splitlines()
    found = [number for number, line in enumerate(lines, start=1) if text in line]
    assert len(found) == 1, f"{text!r} is on lines {found} of:\n{editor_text(page)}"
    return found[0]


def start_new_path(page: Page, kind: str) -> Locator:
    """Clicks New file (``kind="file"``) or New folder; returns the inline path input."""
    page.get_by_test_id(f"new-{kind}").click()
    path_input = page.get_by_test_id("new-path-input")
    expect(path_input).to_be_focused()
    return path_input


def row_action(page: Page, action: str, path: str) -> Locator:
    """A tree row's rename or delete button (shown when the row is hovered)."""
    file_item(page, path).or_(folder_item(page, path)).hover()
    return page.get_by_test_id(f"{action}-{path}")
