"""Answers without tags: the JSON shape and code fences that name a path."""

from __future__ import annotations

import json

import pytest

from tessera.protocol.actions import (
    Action,
    ActionRefused,
    ChatText,
    DependencyAdded,
    FileDeleted,
    FileDelta,
    FileEnded,
    FileStarted,
    ProjectMeta,
)
from tessera.protocol.parser import merge_actions, parse_all


def without_chat(text: str) -> list[Action]:
    return [action for action in merge_actions(parse_all(text)) if not isinstance(action, ChatText)]


def whole_file(path: str, content: str) -> list[Action]:
    return [FileStarted(path), FileDelta(path, content), FileEnded(path, content)]


SHAPE = {
    "title": "Todo",
    "description": "A small list",
    "category": "productivity",
    "files": {"src/App.tsx": "export default function App() {}\n", "src/main.tsx": "x"},
}


def test_the_json_shape_gives_meta_and_files() -> None:
    assert without_chat(json.dumps(SHAPE)) == [
        ProjectMeta(title="Todo", description="A small list", category="productivity"),
        *whole_file("src/App.tsx", "export default function App() {}\n"),
        *whole_file("src/main.tsx", "x"),
    ]


def test_the_json_shape_with_a_list_of_files_and_dependencies() -> None:
    shape = {
        "files": [{"path": "a.ts", "content": "a"}, {"path": "b.ts", "content": ""}],
        "dependencies": {"zustand": "^5"},
    }
    assert without_chat(json.dumps(shape)) == [
        DependencyAdded("zustand", "^5"),
        *whole_file("a.ts", "a"),
        FileStarted("b.ts"),
        FileEnded("b.ts", ""),
    ]


def test_the_json_shape_in_a_fence_among_prose() -> None:
    text = f"Here is your app:\n\n```json\n{json.dumps(SHAPE, indent=2)}\n```\n\nEnjoy {{it}}!"
    actions = without_chat(text)
    assert actions[0] == ProjectMeta(
        title="Todo", description="A small list", category="productivity"
    )
    assert len(actions) == 7


def test_the_json_shape_after_prose_without_a_fence() -> None:
    text = 'Sure, {here} it is:\n{"files": {"a.py": "print(1)"}}\nBye'
    assert without_chat(text) == whole_file("a.py", "print(1)")


def test_the_json_shape_is_streamed_as_chat_too() -> None:
    text = json.dumps({"files": {"a.py": "1"}})
    assert parse_all(text)[0] == ChatText(text)


def test_bad_paths_in_the_json_shape_are_refused_one_by_one() -> None:
    shape = {"files": {"../evil.sh": "rm -rf /", "ok.txt": "fine", "n.txt": 3}}
    actions = without_chat(json.dumps(shape))
    assert isinstance(actions[0], ActionRefused)
    assert actions[0].path == "../evil.sh"
    assert actions[1:4] == whole_file("ok.txt", "fine")
    assert isinstance(actions[4], ActionRefused)
    assert actions[4].path == "n.txt"


@pytest.mark.parametrize(
    "text",
    [
        '{"files": {"a.ts": "unterminated}',
        '```json\n{"files": {"a.ts": "x",}}\n```',
        '{\n  "title": "x",\n  "files": {\n    "a.ts": \'single quotes\'\n  }\n}',
    ],
)
def test_invalid_json_that_tried_to_be_the_shape_is_refused(text: str) -> None:
    (refused,) = without_chat(text)
    assert isinstance(refused, ActionRefused)
    assert refused.path is None
    assert refused.reason.startswith("The model's JSON answer could not be read: ")
    assert "line" in refused.reason and "column" in refused.reason


@pytest.mark.parametrize(
    "text",
    [
        "Just a chat answer about files.",
        '{"answer": 42}',
        'The "files" key is described in {the docs}.',
    ],
)
def test_answers_without_any_shape_give_only_chat(text: str) -> None:
    assert without_chat(text) == []


@pytest.mark.parametrize(
    "text",
    [
        '```tsx title="src/App.tsx"\nexport {}\n```',
        "```tsx src/App.tsx\nexport {}\n```",
        "```tsx:src/App.tsx\nexport {}\n```",
        "src/App.tsx\n```tsx\nexport {}\n```",
        "`src/App.tsx`\n```tsx\nexport {}\n```",
        "**src/App.tsx**\n\n```tsx\nexport {}\n```",
        "### src/App.tsx\n```tsx\nexport {}\n```",
        "### File: `src/App.tsx`\n```tsx\nexport {}\n```",
        "// src/App.tsx\n```tsx\nexport {}\n```",
        "1. **src/App.tsx**:\n```tsx\nexport {}\n```",
        "```tsx\n// src/App.tsx\nexport {}\n```",
        "```tsx\n/* src/App.tsx */\nexport {}\n```",
        "Intro text.\n\n```\n// File: src/App.tsx\nexport {}\n```\n\nOutro.",
    ],
)
def test_fences_that_name_a_path_become_files(text: str) -> None:
    assert without_chat(text) == whole_file("src/App.tsx", "export {}")


def test_a_hash_comment_names_a_python_file() -> None:
    assert without_chat("```python\n# app.py\nprint('hi')\n```") == whole_file(
        "app.py", "print('hi')"
    )


def test_several_fences_and_unnamed_ones() -> None:
    text = (
        "Run this:\n```sh\nnpm install\n```\n"
        "`index.html`\n```html\n<!doctype html>\n```\n"
        "and\n\n```css styles/app.css\nbody {}\n```\n"
    )
    assert without_chat(text) == [
        *whole_file("index.html", "<!doctype html>"),
        *whole_file("styles/app.css", "body {}"),
    ]


def test_a_fence_naming_a_bad_path_is_refused() -> None:
    (refused,) = without_chat("```sh /etc/profile\nexport X=1\n```")
    assert isinstance(refused, ActionRefused)
    assert refused.path == "/etc/profile"


def test_an_unclosed_fence_naming_a_path_is_refused() -> None:
    (refused,) = without_chat("```ts src/a.ts\nexport const a =")
    assert refused == ActionRefused(
        "src/a.ts", "The model stopped in the middle of src/a.ts; the partial file was not saved"
    )


def test_a_longer_fence_may_contain_a_shorter_one() -> None:
    text = "README.md\n````md\n# Title\n```sh\nls\n```\n````"
    assert without_chat(text) == whole_file("README.md", "# Title\n```sh\nls\n```")


def test_fallbacks_are_off_once_any_tag_was_seen() -> None:
    text = '<tessera-delete path="x.ts"/>\n```ts src/a.ts\nexport {}\n```\n{"files": {"b": "c"}}'
    assert without_chat(text) == [FileDeleted("x.ts")]


def test_named_fences_win_over_json_that_does_not_parse() -> None:
    text = '`src/config.ts`\n```ts\nexport const c = {"files": [1,}\n```'
    assert without_chat(text) == whole_file("src/config.ts", 'export const c = {"files": [1,}')


def test_a_package_json_in_a_named_fence_is_not_the_json_shape() -> None:
    manifest = '{\n  "name": "app",\n  "files": ["dist"]\n}'
    assert without_chat(f"package.json\n```json\n{manifest}\n```") == whole_file(
        "package.json", manifest
    )
