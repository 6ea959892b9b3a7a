"""The home page's projects in real Chromium against a real server and sandbox: cards with a
thumbnail of the deployed preview, new projects from a template, rename, duplicate and
delete in place, and imports of a zip or a folder (with what was skipped, and a zip that
would write outside the project refused)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tessera.sandbox.templates.registry import template_files
from tests.e2e.agent_ui_support import api_get, build_todo_app, project_id_of, read_file
from tests.e2e.conftest import RunningServer, start_server, stop_server
from tests.e2e.editor_support import preview, warm_templates
from tests.e2e.workspace_support import (
    PREVIEW_TIMEOUT,
    api_create_project,
    api_paths,
    api_project_ids,
    api_status,
    card,
    card_ids,
    expect_tree_to_show,
    go_home,
    tree_paths,
    wait_for_workspace,
    zip_bytes,
)

pytestmark = pytest.mark.e2e

THUMBNAIL_TIMEOUT = 45.0
"""Seconds: a screenshot is taken ~3 s after the deploy, one at a time on the machine."""

STARTER_HEADING = "Your app will appear here"

IMPORTED_APP = """export default function App() {
  return <h1>Imported counter</h1>
}
"""

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256))


@pytest.fixture
def thumbnail_server(tmp_path: Path, warm_cache: None) -> Iterator[RunningServer]:
    """A server that takes screenshots of deployed previews for the project cards."""
    running = start_server(tmp_path / "data", {"TESSERA_THUMBNAILS": "true"})
    yield running
    stop_server(running)
    print(f"--- server log ---\n{running.log()[-5000:]}")  # shown when the test failed


def react_app_files(app_tsx: str = IMPORTED_APP) -> dict[str, str]:
    """The react template's files with an app of its own: its packages are the cached ones,
    so opening the project never installs anything."""
    return {**template_files("react"), "src/App.tsx": app_tsx}


def wait_for_thumbnail(page: Page, server: RunningServer, project_id: str) -> None:
    """Reloads the home page until the project's card shows a loaded screenshot."""
    deadline = time.monotonic() + THUMBNAIL_TIMEOUT
    while True:
        go_home(page, server)
        thumbnail = card(page, project_id).get_by_test_id("project-thumbnail")
        thumbnail.scroll_into_view_if_needed()
        if thumbnail.evaluate("el => el.tagName") == "IMG":
            page.wait_for_function(
                "el => el.complete && el.naturalWidth > 0", arg=thumbnail.element_handle()
            )
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"no thumbnail after {THUMBNAIL_TIMEOUT} s:\n{server.log()}")
        page.wait_for_timeout(2_000)


def test_cards_show_name_template_last_change_and_a_thumbnail(
    thumbnail_server: RunningServer, page: Page
) -> None:
    server = thumbnail_server
    built = build_todo_app(page, server)
    never_opened = api_create_project(server, "python")

    wait_for_thumbnail(page, server, built)
    assert set(card_ids(page)) == {built, never_opened}
    for project_id in (built, never_opened):
        detail = api_get(server, f"/api/projects/{project_id}")
        shown = card(page, project_id)
        expect(shown.locator(".project-card-title")).to_have_text(detail["name"])
        expect(shown.get_by_test_id("project-template")).to_have_text(detail["template"])
        expect(shown.get_by_test_id("project-updated")).to_have_text(
            re.compile(r"^(just now|\d+ minutes? ago)$")
        )
    expect(card(page, built).get_by_test_id("project-template")).to_have_text("react")
    expect(card(page, never_opened).get_by_test_id("project-template")).to_have_text("python")

    # The built app's card: a real PNG; the project never deployed keeps the placeholder.
    image = card(page, built).get_by_test_id("project-thumbnail")
    width = image.evaluate("img => img.naturalWidth")
    assert width > 100, width
    source = image.get_attribute("src") or ""
    assert source.startswith(f"/api/projects/{built}/thumbnail.png"), source
    assert api_status(server, f"/api/projects/{built}/thumbnail.png") == 200
    placeholder = card(page, never_opened).get_by_test_id("project-thumbnail")
    expect(placeholder).to_have_attribute("data-placeholder", "true")
    assert api_status(server, f"/api/projects/{never_opened}/thumbnail.png") == 404


@pytest.mark.parametrize("template", ["python", "react"])
def test_a_project_from_a_template_opens_with_its_starter_files(
    template: str, server: RunningServer, page: Page
) -> None:
    warm_templates(template)
    starter = set(template_files(template))
    go_home(page, server)
    page.get_by_test_id(f"new-from-template-{template}").click()
    wait_for_workspace(page)
    project_id = project_id_of(page)

    expect_tree_to_show(page, starter)
    assert tree_paths(page) == starter
    assert api_paths(server, project_id) == starter
    assert api_get(server, f"/api/projects/{project_id}")["template"] == template
    expect(preview(page).locator("h1")).to_have_text(STARTER_HEADING, timeout=PREVIEW_TIMEOUT)
    expect(page.get_by_test_id("preview-status")).to_have_attribute("data-status", "ready")


def test_rename_duplicate_and_delete_a_project_from_its_card(
    server: RunningServer, page: Page
) -> None:
    original = api_create_project(server, "react")
    files = api_paths(server, original)
    go_home(page, server)

    # Rename in place: Enter saves, and the name is kept after a reload.
    page_card = card(page, original)
    page_card.get_by_test_id("project-rename").click()
    name_input = page_card.get_by_test_id("project-rename-input")
    expect(name_input).to_be_focused()
    name_input.fill("Shopping list")
    name_input.press("Enter")
    expect(name_input).to_have_count(0)
    expect(page_card.locator(".project-card-title")).to_have_text("Shopping list")
    page.reload()
    expect(card(page, original).locator(".project-card-title")).to_have_text("Shopping list")
    assert api_get(server, f"/api/projects/{original}")["name"] == "Shopping list"

    # Duplicate: a second card, whose project has the same files.
    card(page, original).get_by_test_id("project-duplicate").click()
    expect(page.get_by_test_id("project-card")).to_have_count(2)
    (copy,) = set(card_ids(page)) - {original}
    expect(card(page, copy).locator(".project-card-title")).to_contain_text("Shopping list")
    assert api_paths(server, copy) == files
    for path in files:
        assert read_file(server, copy, path) == read_file(server, original, path), path
    card(page, copy).locator(".project-card-title").click()
    wait_for_workspace(page)
    assert project_id_of(page) == copy
    expect_tree_to_show(page, files)
    assert tree_paths(page) == files

    # Delete: Cancel keeps the project; Delete removes it, here and on the server.
    go_home(page, server)
    card(page, copy).get_by_test_id("project-delete").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_contain_text("Shopping list")
    page.get_by_test_id("cancel-delete").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_test_id("project-card")).to_have_count(2)
    assert api_status(server, f"/api/projects/{copy}") == 200

    card(page, copy).get_by_test_id("project-delete").click()
    page.get_by_test_id("confirm-delete").click()
    expect(dialog).to_have_count(0)
    expect(card(page, copy)).to_have_count(0)
    expect(card(page, original)).to_have_count(1)
    assert api_status(server, f"/api/projects/{copy}") == 404
    page.reload()
    expect(page.get_by_test_id("project-card")).to_have_count(1)
    assert card_ids(page) == [original]


def test_importing_a_zip_lists_the_skipped_files_and_opens_the_project(
    server: RunningServer, page: Page
) -> None:
    app_files = react_app_files()
    entries: dict[str, bytes | str] = {f"counter-app/{p}": c for p, c in app_files.items()}
    entries["counter-app/node_modules/x.js"] = "module.exports = 1\n"
    entries["counter-app/image.png"] = PNG_BYTES
    go_home(page, server)

    page.get_by_test_id("import-zip").set_input_files(
        {"name": "counter-app.zip", "mimeType": "application/zip", "buffer": zip_bytes(entries)}
    )
    result = page.get_by_test_id("import-result")
    expect(result).to_contain_text("Imported counter-app", timeout=20_000)
    expect(result).to_contain_text("2 files were skipped")
    skipped = page.get_by_test_id("import-skipped")
    expect(skipped).to_contain_text("node_modules/")
    expect(skipped.locator("li").filter(has_text="image.png")).to_contain_text("binary")
    expect(page.get_by_test_id("import-error")).to_have_count(0)
    expect(page.get_by_test_id("project-card")).to_have_count(1)
    (imported,) = card_ids(page)
    expect(card(page, imported).locator(".project-card-title")).to_have_text("counter-app")

    # The top folder is stripped; only the text files are kept.
    assert api_paths(server, imported) == set(app_files)
    assert read_file(server, imported, "src/App.tsx") == IMPORTED_APP
    page.get_by_test_id("import-open").click()
    wait_for_workspace(page)
    assert project_id_of(page) == imported
    expect_tree_to_show(page, set(app_files))
    assert tree_paths(page) == set(app_files)


def test_a_zip_that_would_write_outside_the_project_is_refused(
    server: RunningServer, page: Page
) -> None:
    existing = api_create_project(server, "react")
    go_home(page, server)
    expect(page.get_by_test_id("project-card")).to_have_count(1)

    evil = zip_bytes({"site/index.html": "<h1>hi</h1>\n", "../evil.txt": "outside\n"})
    page.get_by_test_id("import-zip").set_input_files(
        {"name": "site.zip", "mimeType": "application/zip", "buffer": evil}
    )
    error = page.get_by_test_id("import-error")
    expect(error).to_contain_text("../evil.txt", timeout=20_000)
    expect(error).to_contain_text("Nothing was imported")
    expect(page.get_by_test_id("import-result")).to_have_count(0)
    expect(page.get_by_test_id("project-card")).to_have_count(1)
    assert api_project_ids(server) == {existing}
    page.reload()
    expect(page.get_by_test_id("project-card")).to_have_count(1)


def test_importing_a_folder_sends_its_files_with_their_paths(
    server: RunningServer, page: Page, tmp_path: Path
) -> None:
    app_files = react_app_files()
    folder = tmp_path / "notes-site"
    for path, content in app_files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(content)
    (folder / "node_modules" / "left-pad").mkdir(parents=True)
    (folder / "node_modules" / "left-pad" / "index.js").write_text("module.exports = 1\n")
    (folder / "logo.png").write_bytes(PNG_BYTES)
    go_home(page, server)

    # Playwright gives a webkitdirectory input a real folder: each file then has its
    # webkitRelativePath ("notes-site/src/App.tsx"), which the page sends as its name.
    page.get_by_test_id("import-folder").set_input_files(folder)
    result = page.get_by_test_id("import-result")
    expect(result).to_contain_text("Imported notes-site", timeout=20_000)
    skipped = page.get_by_test_id("import-skipped")
    expect(skipped).to_contain_text("node_modules/")
    expect(skipped.locator("li").filter(has_text="logo.png")).to_contain_text("binary")
    expect(page.get_by_test_id("project-card")).to_have_count(1)
    (imported,) = card_ids(page)
    expect(card(page, imported).locator(".project-card-title")).to_have_text("notes-site")
    assert api_paths(server, imported) == set(app_files)
    assert read_file(server, imported, "src/App.tsx") == IMPORTED_APP

    page.get_by_test_id("import-open").click()
    wait_for_workspace(page)
    expect_tree_to_show(page, set(app_files))
    assert tree_paths(page) == set(app_files)
