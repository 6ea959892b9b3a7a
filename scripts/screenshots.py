"""Takes the README's screenshots: a real server, the offline model, real Chromium.

.venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, start_server, stop_server

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "data")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                page.goto(server.url)
                page.screenshot(path=OUT / "home.png")
                prompt = page.get_by_test_id("home-prompt")
                prompt.fill("Create a React todo app with local storage")
                prompt.press("Enter")
                expect(page.get_by_test_id("status")).to_contain_text("ready", timeout=60_000)
                app = page.frame_locator("[data-testid=preview-frame]")
                todo = app.get_by_placeholder("What needs to be done?")
                for item in ["Buy milk", "Walk the dog", "Write the report"]:
                    todo.fill(item)
                    app.get_by_role("button", name="Add", exact=True).click()
                page.wait_for_timeout(500)
                page.screenshot(path=OUT / "workspace.png")
                browser.close()
        finally:
            stop_server(server)


if __name__ == "__main__":
    main()
