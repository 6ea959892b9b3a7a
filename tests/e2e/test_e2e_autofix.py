"""Self-repair in real Chromium: a real OpenAI-compatible model (a local fake server speaking
the wire format) writes an app with a compile error; the error reaches the console panel,
the autofix turn fixes it, and the preview shows the app."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tessera.llm.testing import FakeOpenAIServer
from tessera.protocol.format import render_edit, render_file, render_meta
from tessera.sandbox.templates import template_files
from tests.e2e.conftest import RunningServer, start_server, stop_server
from tests.e2e.editor_support import preview

pytestmark = pytest.mark.e2e

BROKEN_APP = """\
import './App.css'

export default function App() {
  const name = 'world'
  return (
    <main>
      <h1>Hello, {name}!</h1
    </main>
  )
}
"""


def chunks_of(text: str, size: int = 24) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def first_answer() -> str:
    files = template_files("react")
    files["src/App.tsx"] = BROKEN_APP
    files["src/App.css"] = "main { font-family: sans-serif; padding: 2rem; }\n"
    text = "Here is your greeting app.\n" + render_meta(title="Greeting", description="Says hi")
    return text + "".join(render_file(path, content) for path, content in files.items())


def fix_answer() -> str:
    edit = render_edit(
        "src/App.tsx",
        [("      <h1>Hello, {name}!</h1\n", "      <h1>Hello, {name}! Fixed.</h1>\n")],
    )
    return "The heading's closing tag was missing its `>`; fixed.\n" + edit


@pytest.fixture
def model() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        fake.enqueue_text(chunks_of(first_answer()))
        fake.enqueue_text(chunks_of(fix_answer()), delay=0.05)  # slow enough to watch
        yield fake


@pytest.fixture
def openai_server(
    tmp_path: Path, warm_cache: None, model: FakeOpenAIServer
) -> Iterator[RunningServer]:
    running = start_server(
        tmp_path / "data",
        {
            "TESSERA_LLM_PROVIDER": "openai",
            "TESSERA_LLM_BASE_URL": model.base_url,
            "TESSERA_LLM_MODEL": "gpt-4o-mini",
            "TESSERA_AUTOFIX_WINDOW": "2.5",
        },
    )
    yield running
    stop_server(running)
    print(f"--- server log ---\n{running.log()[-5000:]}")


def test_a_compile_error_is_shown_and_fixed_automatically(
    page: Page, openai_server: RunningServer, model: FakeOpenAIServer
) -> None:
    page.goto(openai_server.url)
    page.get_by_test_id("home-prompt").fill("Build a greeting app")
    page.get_by_test_id("home-prompt").press("Enter")
    expect(page).to_have_url(re.compile(r"/p/[a-z0-9]+$"), timeout=10_000)
    expect(page.get_by_test_id("model-label")).to_contain_text("gpt-4o-mini")

    # The console panel shows the compile error while the autofix turn runs.
    page.get_by_test_id("console-toggle").click()
    error = page.get_by_test_id("console-error").first
    expect(error).to_contain_text("App.tsx", timeout=30_000)
    expect(page.get_by_test_id("console-error-count")).not_to_have_text(re.compile(r"^0?$"))
    expect(page.locator("[data-testid=autofix-status][data-status=started]")).to_be_visible(
        timeout=15_000
    )

    # The autofix turn fixes it; the preview shows the app.
    expect(page.locator("[data-testid=autofix-status][data-status=fixed]")).to_be_visible(
        timeout=45_000
    )
    expect(preview(page).locator("h1")).to_have_text("Hello, world! Fixed.", timeout=15_000)
    expect(page.get_by_test_id("console-error")).to_have_count(0, timeout=10_000)

    # The model was asked to fix exactly that error, with what the dev server said.
    assert len(model.requests) == 2
    fix_request = model.requests[1].body["messages"][-1]["content"]
    assert "The app has these errors" in fix_request
    assert "App.tsx" in fix_request
