"""Follow-ups: SEARCH/REPLACE edits against the current files, hand edits kept."""

from __future__ import annotations

import re

import pytest
from offline_support import Answer, apply_answer, ask

from tessera.llm.offline.followups import make_block


async def new_app(prompt: str) -> dict[str, str]:
    return (await ask(prompt)).files


async def follow(files: dict[str, str], prompt: str) -> tuple[Answer, dict[str, str]]:
    answer = await ask(prompt, files)
    assert not answer.files, "a follow-up edits files, it does not rewrite them"
    return answer, apply_answer(files, answer)


def h1(files: dict[str, str]) -> str:
    match = re.search(r"<h1>(.*?)</h1>", files["src/App.tsx"], re.S)
    assert match is not None
    return match.group(1).strip()


def css_variable(files: dict[str, str], name: str) -> str:
    match = re.search(rf"^\s*{name}:\s*([^;]+);", files["src/App.css"], re.M)
    assert match is not None
    return match.group(1)


@pytest.mark.parametrize(
    "prompt",
    [
        "change the title to Groceries",
        "rename it to Groceries",
        "call it Groceries",
        "title: Groceries",
        "The title should be Groceries.",
        "Please rename the app to 'Groceries'",
    ],
)
async def test_retitle_edits_the_heading_the_page_title_and_the_project(prompt: str) -> None:
    files = await new_app("a todo list")
    answer, after = await follow(files, prompt)
    assert h1(after) == "Groceries"
    assert "<title>Groceries</title>" in after["index.html"]
    assert [meta.title for meta in answer.meta] == ["Groceries"]
    assert "Groceries" in answer.chat
    assert {edit.path for edit in answer.edits} == {"src/App.tsx", "index.html"}


async def test_hand_edits_elsewhere_survive_a_follow_up() -> None:
    files = await new_app("a todo list")
    files["src/App.tsx"] = files["src/App.tsx"].replace(
        "Write it down, tick it off.", "My own subtitle, typed by hand."
    )
    files["src/App.tsx"] = files["src/App.tsx"].replace("<h1>Todo List</h1>", "<h1>Chores</h1>")
    answer, after = await follow(files, "rename it to Errands")
    assert "My own subtitle, typed by hand." in after["src/App.tsx"]
    assert h1(after) == "Errands"
    assert all("Todo List" not in edit.search for edit in answer.edits if edit.path.endswith("tsx"))


async def test_a_deleted_heading_is_reported_and_nothing_is_written() -> None:
    files = await new_app("a counter")
    files["src/App.tsx"] = re.sub(r"\s*<h1>.*?</h1>", "", files["src/App.tsx"])
    answer = await ask("change the title to Clicks", files)
    assert "<tessera-" not in answer.text
    assert "<h1>" in answer.chat and "Clicks" in answer.chat


@pytest.mark.parametrize(
    ("prompt", "colour"),
    [
        ("make the buttons green", "#16a34a"),
        ("use a blue theme", "#2563eb"),
        ("make it purple", "#9333ea"),
        ("I'd like it grey", "#4b5563"),
        ("teal please", "#0d9488"),
    ],
)
async def test_a_colour_edits_the_accent_variable(prompt: str, colour: str) -> None:
    files = await new_app("a todo list")
    answer, after = await follow(files, prompt)
    assert css_variable(after, "--accent") == colour
    assert [edit.path for edit in answer.edits] == ["src/App.css"] * len(answer.edits)
    assert after["src/App.tsx"] == files["src/App.tsx"]


async def test_a_light_accent_gets_dark_text_on_it() -> None:
    files = await new_app("a counter")
    _, after = await follow(files, "make it yellow")
    assert css_variable(after, "--accent-contrast") == "#1f2937"
    _, again = await follow(after, "make it red")
    assert css_variable(again, "--accent-contrast") == "#ffffff"


async def test_dark_mode_and_back() -> None:
    files = await new_app("notes")
    answer, dark = await follow(files, "switch to dark mode")
    assert css_variable(dark, "--bg") == "#0f172a"
    assert css_variable(dark, "--text") == "#e2e8f0"
    assert "color-scheme: dark;" in dark["src/App.css"]
    assert "dark mode" in answer.chat
    again = await ask("use a dark theme", dark)
    assert "<tessera-" not in again.text and "already" in again.chat
    _, light = await follow(dark, "turn off dark mode")
    assert light["src/App.css"] == files["src/App.css"]


async def test_a_combined_request_makes_both_edits() -> None:
    files = await new_app("a todo list")
    answer, after = await follow(files, "call it Groceries and make it green")
    assert h1(after) == "Groceries"
    assert css_variable(after, "--accent") == "#16a34a"
    assert "Groceries" in answer.chat and "green" in answer.chat


async def test_a_contact_form_gets_an_optional_field() -> None:
    files = await new_app("a contact form")
    answer, after = await follow(files, "add a phone number field")
    app = after["src/App.tsx"]
    line = "{ name: 'phoneNumber', label: 'Phone number', type: 'tel'"
    assert line in app
    assert app.index(line) < app.index("name: 'message'")  # before the message
    assert "required: true" not in app[app.index(line) :].splitlines()[0]
    assert "Phone number" in answer.chat
    again = await ask("add a phone number field", after)
    assert "<tessera-" not in again.text and "already" in again.chat


async def test_a_kanban_board_gets_a_column_before_done() -> None:
    files = await new_app("a kanban board")
    answer, after = await follow(files, "add a column Review")
    app = after["src/App.tsx"]
    assert app.index("{ id: 'doing'") < app.index("{ id: 'review', title: 'Review' }")
    assert app.index("{ id: 'review'") < app.index("{ id: 'done'")
    assert "Review" in answer.chat
    _, more = await follow(after, "add a QA column")
    assert "{ id: 'qa', title: 'QA' }" in more["src/App.tsx"]


async def test_a_todo_list_gets_a_starter_item() -> None:
    files = await new_app("a todo list")
    answer, after = await follow(files, "add a todo buy milk")
    assert "const STARTER_TODOS: string[] = [\n  'buy milk',\n]" in after["src/App.tsx"]
    _, more = await follow(after, 'add an item called "Eggs, bacon & toast"')
    assert "  'buy milk',\n  'Eggs, bacon & toast',\n]" in more["src/App.tsx"]
    assert "buy milk" in answer.chat


async def test_notes_get_a_tags_field() -> None:
    files = await new_app("notes")
    _, after = await follow(files, "add a tags field")
    assert "const SHOW_TAGS = true" in after["src/App.tsx"]


async def test_a_follow_up_that_does_not_fit_the_app_is_explained() -> None:
    files = await new_app("a calculator")
    answer = await ask("add a column Review", files)
    assert "<tessera-" not in answer.text
    assert "no columns" in answer.chat


async def test_a_partly_understood_request_says_what_was_left_out() -> None:
    files = await new_app("a counter")
    answer, after = await follow(files, "make it orange and add a login page with OAuth")
    assert css_variable(after, "--accent") == "#ea580c"
    assert "add a login page with OAuth" in answer.chat


@pytest.mark.parametrize("prompt", ["write me an operating system", "what's the weather?"])
async def test_an_unknown_follow_up_writes_nothing(prompt: str) -> None:
    files = await new_app("a kanban board")
    answer = await ask(prompt, files)
    assert "<tessera-" not in answer.text
    assert "OPENAI_API_KEY" in answer.chat
    assert "add a column" in answer.chat  # what this app can do


async def test_asking_for_another_app_replaces_the_current_one() -> None:
    files = await new_app("a todo list")
    answer = await ask("build a calculator instead", files)
    assert "(kind: calculator)" in answer.files["src/App.tsx"]
    after = apply_answer(files, answer)
    assert "src/todos.ts" not in after and "src/components/TodoItem.tsx" not in after
    assert "It replaces the current todo list." in answer.chat


async def test_files_not_made_by_the_offline_model_are_not_edited() -> None:
    files = {"src/App.tsx": "export default function App() { return <h1>Mine</h1> }\n"}
    answer = await ask("change the title to Yours", files)
    assert "<tessera-" not in answer.text


def test_make_block_widens_until_the_search_text_is_unique() -> None:
    content = "a\n]\nb\n]\nc\n"
    start = content.index("]", 4)
    block = make_block(content, start, start, "x\n")
    assert content.count(block.search) == 1
    assert block.search == "b\n]"
    assert block.replace == "b\nx\n]"
