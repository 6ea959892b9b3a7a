"""The workspace's explorer and editor in real Chromium against a real server and sandbox:
create, rename and delete files and folders, uploads into a folder, tabs and Ctrl+S, two
tabs saving the same file, and Monaco's TypeScript service over the project's files."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.agent_ui_support import api_get, build_todo_app, read_file
from tests.e2e.conftest import RunningServer
from tests.e2e.editor_support import open_in_editor, replace_in_editor
from tests.e2e.workspace_support import (
    api_create_project,
    api_paths,
    api_versions,
    api_write,
    editor_tab,
    editor_text,
    error_markers,
    file_item,
    folder_item,
    line_of,
    open_workspace,
    row_action,
    save_shortcut,
    set_editor_text,
    start_new_path,
    tree_paths,
    wait_for_open_file,
)

pytestmark = pytest.mark.e2e

SAVE_TIMEOUT = 10_000
MARKER_TIMEOUT = 20_000
"""Monaco's TypeScript worker starts and checks the file (slow on a busy machine)."""

UTIL_TS = "export function double(n: number): number {\n  return n * 2\n}\n"


def create_file_here(page: Page, path: str) -> None:
    """New file with the whole path typed; waits until it is open in the editor."""
    path_input = start_new_path(page, "file")
    path_input.fill(path)
    path_input.press("Enter")
    expect(file_item(page, path)).to_have_count(1)
    wait_for_open_file(page, path)


def write_and_save(page: Page, path: str, content: str) -> None:
    """Types ``content`` into the open file and saves it with Ctrl+S."""
    set_editor_text(page, content)
    expect(editor_tab(page, path)).to_have_attribute("data-dirty", "true")
    save_shortcut(page)
    expect(editor_tab(page, path)).to_have_attribute("data-dirty", "false", timeout=SAVE_TIMEOUT)


def test_explorer_creates_renames_and_deletes_files(server: RunningServer, page: Page) -> None:
    project_id = api_create_project(server, "react")
    open_workspace(page, server, project_id)

    # A new file opens in the editor; a new folder exists in the page until a file is put in.
    create_file_here(page, "notes.md")
    write_and_save(page, "notes.md", "# Notes\n")
    path_input = start_new_path(page, "folder")
    path_input.fill("docs")
    path_input.press("Enter")
    expect(folder_item(page, "docs")).to_have_count(1)
    path_input = start_new_path(page, "file")
    expect(path_input).to_have_value("docs/")  # the new folder is the target
    path_input.press_sequentially("guide.md")
    path_input.press("Enter")
    expect(file_item(page, "docs/guide.md")).to_have_count(1)
    wait_for_open_file(page, "docs/guide.md")
    write_and_save(page, "docs/guide.md", "# Guide\n")
    assert {"notes.md", "docs/guide.md"} <= api_paths(server, project_id)
    assert read_file(server, project_id, "docs/guide.md") == "# Guide\n"

    # Rename: the whole path is typed; the content goes with the file.
    row_action(page, "rename", "notes.md").click()
    rename_input = page.get_by_test_id("rename-input")
    expect(rename_input).to_have_value("notes.md")
    rename_input.fill("ideas.md")
    rename_input.press("Enter")
    expect(file_item(page, "ideas.md")).to_have_count(1)
    expect(file_item(page, "notes.md")).to_have_count(0)
    paths = api_paths(server, project_id)
    assert "ideas.md" in paths and "notes.md" not in paths
    assert read_file(server, project_id, "ideas.md") == "# Notes\n"

    # Onto a file saved elsewhere, which this page does not know: the server refuses.
    api_write(server, project_id, "todo.md", "written in another tab\n")
    row_action(page, "rename", "ideas.md").click()
    rename_input.fill("todo.md")
    rename_input.press("Enter")
    error = page.get_by_test_id("explorer-error")
    expect(error).to_contain_text("todo.md already exists; choose another name")
    expect(file_item(page, "ideas.md")).to_have_count(1)
    assert read_file(server, project_id, "ideas.md") == "# Notes\n"
    assert read_file(server, project_id, "todo.md") == "written in another tab\n"

    # Delete asks first: Cancel keeps the file, Delete removes it.
    row_action(page, "delete", "docs/guide.md").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_contain_text("docs/guide.md")
    page.get_by_test_id("cancel-delete").click()
    expect(dialog).to_have_count(0)
    expect(file_item(page, "docs/guide.md")).to_have_count(1)
    row_action(page, "delete", "docs/guide.md").click()
    page.get_by_test_id("confirm-delete").click()
    expect(dialog).to_have_count(0)
    expect(file_item(page, "docs/guide.md")).to_have_count(0)
    assert "docs/guide.md" not in api_paths(server, project_id)


def test_the_last_file_of_a_project_cannot_be_deleted(server: RunningServer, page: Page) -> None:
    project_id = api_create_project(server, None)
    api_write(server, project_id, "only.md", "# The one file\n")
    open_workspace(page, server, project_id)
    expect(file_item(page, "only.md")).to_have_count(1)

    row_action(page, "delete", "only.md").click()
    page.get_by_test_id("confirm-delete").click()
    refusal = page.get_by_test_id("confirm-error")
    expect(refusal).to_contain_text("A project needs at least one file")
    expect(refusal).to_contain_text("delete the whole project instead")
    page.get_by_test_id("cancel-delete").click()
    expect(page.get_by_test_id("confirm-dialog")).to_have_count(0)
    expect(file_item(page, "only.md")).to_have_count(1)
    assert api_paths(server, project_id) == {"only.md"}
    assert read_file(server, project_id, "only.md") == "# The one file\n"


def test_upload_into_a_folder_skips_a_file_over_the_limit(
    server: RunningServer, page: Page, tmp_path: Path
) -> None:
    project_id = api_create_project(server, "react")
    open_workspace(page, server, project_id)
    small = tmp_path / "helpers.ts"
    small.write_text("export const answer = 42\n")
    big = tmp_path / "big.txt"
    big.write_text(("x" * 99 + "\n") * 60_000)  # 6 MB of text: over the 5 MB per file
    before = api_paths(server, project_id)

    # Clicking a folder selects it as the target (and folds it; a second click unfolds it).
    src = folder_item(page, "src")
    src.click()
    expect(src).to_have_attribute("aria-expanded", "false")
    src.click()
    expect(src).to_have_attribute("aria-expanded", "true")
    page.get_by_test_id("upload-files").set_input_files([small, big])

    note = page.get_by_test_id("upload-result")
    expect(note).to_contain_text("Uploaded 1 file into src/; 1 skipped", timeout=20_000)
    expect(note.locator("li").filter(has_text="src/big.txt")).to_contain_text("larger than 5 MB")
    expect(file_item(page, "src/helpers.ts")).to_have_count(1)
    expect(file_item(page, "src/big.txt")).to_have_count(0)
    assert api_paths(server, project_id) == before | {"src/helpers.ts"}
    assert read_file(server, project_id, "src/helpers.ts") == "export const answer = 42\n"


def test_tabs_and_ctrl_s_saves_at_once(server: RunningServer, page: Page) -> None:
    project_id = api_create_project(server, "react")
    open_workspace(page, server, project_id)
    open_in_editor(page, "src/App.tsx", "export default")
    open_in_editor(page, "src/index.css", "{")
    tabs = page.get_by_test_id("editor-tab")
    expect(tabs).to_have_count(2)
    opened = tabs.evaluate_all("tabs => tabs.map(tab => tab.getAttribute('data-path'))")
    assert sorted(opened) == ["src/App.tsx", "src/index.css"]

    replace_in_editor(page, "{", "{\n  accent-color: rebeccapurple;")
    expected = editor_text(page)
    expect(editor_tab(page, "src/index.css")).to_have_attribute("data-dirty", "true")
    expect(editor_tab(page, "src/App.tsx")).to_have_attribute("data-dirty", "false")
    expect(file_item(page, "src/index.css")).to_have_attribute("data-dirty", "true")

    save_shortcut(page)
    expect(editor_tab(page, "src/index.css")).to_have_attribute(
        "data-dirty", "false", timeout=SAVE_TIMEOUT
    )
    assert read_file(server, project_id, "src/index.css") == expected
    # Saved by Ctrl+S ("Edited …"), not by the auto-deploy ("Hand edits: …"), which then
    # finds nothing left to send.
    assert api_versions(server, project_id)[0]["message"] == "Edited src/index.css"
    page.wait_for_timeout(3_000)
    messages = [version["message"] for version in api_versions(server, project_id)]
    assert not [m for m in messages if m.startswith("Hand edits")], messages
    assert messages[0] == "Edited src/index.css"


def version_contents(server: RunningServer, project_id: str, path: str) -> list[str]:
    """The content of ``path`` in every version that holds it, newest first."""
    contents = []
    for version in api_versions(server, project_id):
        snapshot = api_get(server, f"/api/projects/{project_id}/versions/{version['id']}/files")
        if path in snapshot["files"]:
            contents.append(snapshot["files"][path])
    return contents


def test_two_tabs_saving_the_same_file_never_lose_an_edit_silently(
    server: RunningServer, page: Page
) -> None:
    project_id = api_create_project(server, "react")
    other = page.context.new_page()
    for tab in (page, other):
        open_workspace(tab, server, project_id)
        open_in_editor(tab, "src/App.tsx", "Your app will appear here")

    # A saves first; B, still on the old content, is refused and asked.
    replace_in_editor(page, "Your app will appear here", "Edited in A")
    save_shortcut(page)
    expect(editor_tab(page, "src/App.tsx")).to_have_attribute(
        "data-dirty", "false", timeout=SAVE_TIMEOUT
    )
    saved_by_a = read_file(server, project_id, "src/App.tsx")
    assert "Edited in A" in saved_by_a

    replace_in_editor(other, "Your app will appear here", "Edited in B")
    saved_by_b = editor_text(other)
    save_shortcut(other)
    conflict = other.get_by_test_id("edit-conflict")
    expect(conflict).to_have_attribute("data-path", "src/App.tsx", timeout=SAVE_TIMEOUT)
    expect(conflict).to_contain_text("changed elsewhere")
    expect(editor_tab(other, "src/App.tsx")).to_have_attribute("data-dirty", "true")
    assert read_file(server, project_id, "src/App.tsx") == saved_by_a

    # Overwrite: B's version is saved; A's stays in the history.
    other.get_by_test_id("conflict-overwrite").click()
    expect(conflict).to_have_count(0, timeout=SAVE_TIMEOUT)
    expect(editor_tab(other, "src/App.tsx")).to_have_attribute("data-dirty", "false")
    assert read_file(server, project_id, "src/App.tsx") == saved_by_b
    assert version_contents(server, project_id, "src/App.tsx")[:2] == [saved_by_b, saved_by_a]

    # The other way out: Reload takes the version saved elsewhere, dropping the edit here.
    for tab in (page, other):
        open_in_editor(tab, "src/index.css", "{")
    replace_in_editor(page, "{", "{\n  color: teal;")
    save_shortcut(page)
    expect(editor_tab(page, "src/index.css")).to_have_attribute(
        "data-dirty", "false", timeout=SAVE_TIMEOUT
    )
    css_by_a = read_file(server, project_id, "src/index.css")
    assert "teal" in css_by_a
    replace_in_editor(other, "{", "{\n  color: crimson;")
    save_shortcut(other)
    expect(conflict).to_have_attribute("data-path", "src/index.css", timeout=SAVE_TIMEOUT)
    other.get_by_test_id("conflict-reload").click()
    expect(conflict).to_have_count(0, timeout=SAVE_TIMEOUT)
    expect(editor_tab(other, "src/index.css")).to_have_attribute("data-dirty", "false")
    wait_for_open_file(other, "src/index.css", "teal")
    assert "crimson" not in editor_text(other)
    assert read_file(server, project_id, "src/index.css") == css_by_a
    other.close()


def test_the_typescript_service_checks_imports_between_project_files(
    server: RunningServer, page: Page
) -> None:
    project_id = api_create_project(server, "react")
    open_workspace(page, server, project_id)
    create_file_here(page, "src/util.ts")
    write_and_save(page, "src/util.ts", UTIL_TS)

    open_in_editor(page, "src/App.tsx", "export default")
    replace_in_editor(
        page,
        "export default function App",
        "import { double } from './util'\n\nexport default function App",
    )
    replace_in_editor(page, "<h1>Your app will appear here</h1>", "<h1>{double('x')}</h1>")
    call_line = line_of(page, "double('x')")
    import_line = line_of(page, "from './util'")

    page.wait_for_function(
        """(line) => window.__tessera.markers().some(
            m => m.startLineNumber === line
              && m.severity === window.__tessera.monaco.MarkerSeverity.Error)""",
        arg=call_line,
        timeout=MARKER_TIMEOUT,
    )
    errors = error_markers(page)
    on_call = [m["message"] for m in errors if m["line"] == call_line]
    assert any("not assignable to parameter of type 'number'" in m for m in on_call), errors
    assert [m for m in errors if m["line"] == import_line] == [], errors

    replace_in_editor(page, "double('x')", "double(2)")
    page.wait_for_function(
        """() => window.__tessera.markers().every(
            m => m.severity !== window.__tessera.monaco.MarkerSeverity.Error)""",
        timeout=MARKER_TIMEOUT,
    )
    assert error_markers(page) == []
    assert tree_paths(page) >= {"src/util.ts", "src/App.tsx"}
    assert read_file(server, project_id, "src/util.ts") == UTIL_TS


BAD_LINE = "const wrong: number = 'not a number'\n\n"


def test_a_generated_react_app_shows_no_false_type_errors(
    server: RunningServer, page: Page
) -> None:
    """React has no types offline; its hooks' type arguments, `React.FormEvent` and `key`
    must not be flagged, while a real type error in the same file still is."""
    build_todo_app(page, server)
    open_in_editor(page, "src/App.tsx", "useState")
    replace_in_editor(page, "export default function App", BAD_LINE + "export default function App")
    bad_line = line_of(page, "const wrong")
    page.wait_for_function(
        """(line) => window.__tessera.markers().some(
            m => m.startLineNumber === line
              && m.severity === window.__tessera.monaco.MarkerSeverity.Error)""",
        arg=bad_line,
        timeout=MARKER_TIMEOUT,
    )
    errors = error_markers(page)
    assert [m["line"] for m in errors] == [bad_line], errors
