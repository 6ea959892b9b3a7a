"""The offline model's new apps: complete files, in the real tag format, streamed."""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest
from offline_support import DEFAULT_TITLES, KINDS, PROMPTS, TEMPLATE_DIR, ask, package

from tessera.llm.base import ChatMessage, CompletionRequest, StreamEnd, TextDelta
from tessera.llm.offline import OfflineProvider
from tessera.llm.offline import provider as provider_module

EXPECTED_FILES = {"package.json", "vite.config.ts", "tsconfig.json", "index.html", "src/main.tsx"}


def h1_text(app_tsx: str) -> str:
    match = re.search(r"<h1>(.*?)</h1>", app_tsx, re.S)
    assert match is not None, "App.tsx has no <h1>"
    return match.group(1).strip()


@pytest.mark.parametrize("kind", KINDS)
async def test_each_kind_is_a_complete_vite_react_app(kind: str) -> None:
    answer = await ask(PROMPTS[kind])
    files = answer.files
    assert EXPECTED_FILES | {"src/App.tsx", "src/App.css"} <= set(files)

    template = json.loads((TEMPLATE_DIR / "package.json").read_text())
    manifest = package(files)
    assert manifest["dependencies"] == template["dependencies"]
    assert manifest["devDependencies"] == template["devDependencies"]
    assert manifest["scripts"] == template["scripts"]
    assert files["vite.config.ts"] == (TEMPLATE_DIR / "vite.config.ts").read_text()
    assert json.loads(files["tsconfig.json"]) == json.loads(
        (TEMPLATE_DIR / "tsconfig.json").read_text()
    )

    app = files["src/App.tsx"]
    assert app.splitlines()[0] == f"// Made with Tessera's offline demo model (kind: {kind})"
    assert h1_text(app) == DEFAULT_TITLES[kind]
    assert f"<title>{DEFAULT_TITLES[kind]}</title>" in files["index.html"]
    assert "import './App.css'" in app
    css = files["src/App.css"]
    for variable in ("--accent:", "--bg:", "--text:", "--surface:"):
        assert variable in css
    # Every text input has a placeholder and an accessible name (a checkbox has a name).
    for source in (text for path, text in files.items() if path.endswith(".tsx")):
        for tag in re.findall(r"<(?:input|textarea)\b(?:[^>]|=>)*?/>", source, re.S):
            shared = "{...common}" in tag and "placeholder: field.placeholder" in source
            assert "aria-label" in tag or shared, tag
            assert "placeholder" in tag or shared or 'type="checkbox"' in tag, tag

    meta = answer.meta
    assert len(meta) == 1 and meta[0].title == DEFAULT_TITLES[kind]
    assert meta[0].description and meta[0].category
    assert answer.chat.strip().startswith("I'll build")
    assert answer.end.finish_reason == "stop"


async def test_the_todo_app_has_what_the_end_to_end_test_uses() -> None:
    files = (await ask("Create a React todo app with local storage")).files
    app = files["src/App.tsx"]
    assert 'placeholder="What needs to be done?"' in app
    assert re.search(r"<button type=\"submit\">Add</button>", app)
    assert "<form" in app and "onSubmit={addTodo}" in app  # Enter in the input submits
    item = files["src/components/TodoItem.tsx"]
    assert re.search(r"<li\b[^>]*>.*\{todo\.text\}.*</li>", item, re.S)
    storage = files["src/todos.ts"]
    assert "localStorage.getItem" in storage and "localStorage.setItem" in storage
    assert "useState<Todo[]>(() => loadTodos(STARTER_TODOS))" in app
    assert "function App" in app


@pytest.mark.parametrize(
    ("prompt", "kind", "title"),
    [
        ("build a todo app called Groceries", "todo", "Groceries"),
        ('a kanban board named "Sprint 12"', "kanban", "Sprint 12"),
        ("make a calculator titled tip helper", "calculator", "Tip Helper"),
        ("notes app called Dear Diary with a pink theme", "notes", "Dear Diary"),
        ("I need a countdown timer", "stopwatch", "Countdown Timer"),
        ("a signup form named Join the Beta, in dark mode", "contact", "Join the Beta"),
    ],
)
async def test_a_title_named_in_the_prompt_is_used(prompt: str, kind: str, title: str) -> None:
    answer = await ask(prompt)
    files = answer.files
    assert f"(kind: {kind})" in files["src/App.tsx"].splitlines()[0]
    assert h1_text(files["src/App.tsx"]) == title
    assert f"<title>{title}</title>" in files["index.html"]
    assert answer.meta[0].title == title


async def test_colour_and_dark_mode_in_the_prompt_style_the_new_app() -> None:
    files = (await ask("a todo list with a green theme in dark mode")).files
    css = files["src/App.css"]
    assert "--accent: #16a34a;" in css
    assert "color-scheme: dark;" in css and "--bg: #0f172a;" in css


async def test_special_characters_in_a_title_are_escaped() -> None:
    files = (await ask('a counter called "Tom & Jerry {<3}"')).files
    assert h1_text(files["src/App.tsx"]) == "Tom &amp; Jerry &#123;&lt;3&#125;"
    assert "<title>Tom &amp; Jerry {&lt;3}</title>" in files["index.html"]


async def test_a_new_app_replaces_the_template_starter_stylesheet() -> None:
    answer = await ask("a counter", {"src/index.css": "body {}", "src/App.tsx": "export {}"})
    assert '<tessera-delete path="src/index.css"/>' in answer.text


@pytest.mark.parametrize(
    "prompt", ["write me an operating system", "what's the weather", "hello", ""]
)
async def test_unknown_requests_get_advice_and_no_files(prompt: str) -> None:
    answer = await ask(prompt)
    assert "<tessera-" not in answer.text
    assert "OPENAI_API_KEY" in answer.text and "TESSERA_LLM_BASE_URL" in answer.text
    assert "todo list" in answer.text and "kanban board" in answer.text


async def test_an_app_streams_in_many_small_pieces_and_reports_usage() -> None:
    answer = await ask("build a kanban board")
    assert len(answer.deltas) > 50
    assert max(len(delta) for delta in answer.deltas) <= 12
    assert answer.end.usage is not None
    assert answer.end.usage.output_tokens == pytest.approx(len(answer.text) / 4, abs=1)
    assert answer.end.usage.input_tokens == pytest.approx(len("build a kanban board") / 4, abs=1)


async def test_the_last_user_message_is_the_request() -> None:
    history = [
        ChatMessage("system", "You write apps."),
        ChatMessage("user", "build a calculator"),
        ChatMessage("assistant", "Done."),
    ]
    answer = await ask("make a stopwatch", history=history)
    assert "(kind: stopwatch)" in answer.files["src/App.tsx"]


async def test_pace_zero_streams_without_pausing() -> None:
    sleeps: list[float] = []

    async def record(delay: float) -> None:
        sleeps.append(delay)

    started = time.perf_counter()
    answer = await ask("build a todo list", sleep=record)
    assert sleeps == []
    assert time.perf_counter() - started < 2.0
    assert len(answer.files) >= 7


async def test_pace_scales_the_planned_pauses() -> None:
    sleeps: list[float] = []

    async def record(delay: float) -> None:
        sleeps.append(delay)

    planned: dict[float, float] = {}
    for pace in (1.0, 2.0):
        sleeps.clear()
        answer = await ask("build a todo list", pace=pace, sleep=record)
        # Time does not move while sleeps are recorded, so the last pause is the whole plan.
        planned[pace] = max(sleeps)
    writing = len(answer.text) / provider_module.CHARS_PER_SECOND
    assert planned[1.0] == pytest.approx(provider_module.FIRST_TOKEN_SECONDS + writing, rel=0.05)
    assert 3.0 <= planned[1.0] <= 5.5
    assert planned[2.0] == pytest.approx(2 * planned[1.0], rel=0.05)


async def test_pace_one_streams_the_same_answer_over_a_few_seconds() -> None:
    fast = await ask("build a todo list")
    started = time.perf_counter()
    slow = await ask("build a todo list", pace=1.0)
    elapsed = time.perf_counter() - started
    print(f"\noffline model, todo app at pace 1.0: {elapsed:.2f} s, {len(slow.deltas)} deltas")
    assert slow.deltas == fast.deltas


async def test_a_consumer_may_stop_reading_early() -> None:
    provider = OfflineProvider(pace=1.0)
    stream = provider.stream(CompletionRequest([ChatMessage("user", "build a counter")]))
    first = await asyncio.wait_for(anext(stream), timeout=2)
    assert isinstance(first, TextDelta)
    await stream.aclose()  # type: ignore[attr-defined]


def test_a_negative_pace_is_refused() -> None:
    with pytest.raises(ValueError, match="pace"):
        OfflineProvider(pace=-1)


def test_the_provider_describes_itself() -> None:
    provider = OfflineProvider()
    assert (provider.name, provider.label, provider.model) == (
        "offline",
        "offline demo model",
        "offline-demo",
    )


async def test_stream_end_is_a_stream_end() -> None:
    answer = await ask("a counter")
    assert isinstance(answer.end, StreamEnd)
