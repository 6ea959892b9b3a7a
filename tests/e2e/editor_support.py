"""Helpers of the python and fullstack browser tests: the preview frame, Monaco edits, warm
template caches."""

from __future__ import annotations

import asyncio

from playwright.sync_api import FrameLocator, Page

from tessera.sandbox.templates import TemplateCache
from tests.conftest import shared_test_cache


def warm_templates(*names: str) -> None:
    """The templates ``names`` installed in the tests' machine cache (once per machine), so
    that the server started for a test finds them."""
    cache = TemplateCache(shared_test_cache() / "templates")
    for name in names:
        if not cache.is_ready(name):
            asyncio.run(cache.warm(name))


def preview(page: Page) -> FrameLocator:
    return page.frame_locator("[data-testid=preview-frame]")


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


def open_in_editor(page: Page, path: str, containing: str) -> None:
    """Opens ``path`` from the file tree and waits until Monaco shows ``containing``."""
    page.locator(f"[data-testid=file-item][data-path='{path}']").click()
    page.wait_for_function(
        """([path, text]) => {
            const editor = document.querySelector('[data-testid=editor]');
            const model = window.__tessera.editor.getModel();
            return editor?.getAttribute('data-path') === path && model?.getValue().includes(text);
        }""",
        arg=[path, containing],
        timeout=10_000,
    )
