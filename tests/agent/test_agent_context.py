from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tessera.agent.context import (
    EMPTY_PROJECT,
    MIN_BUDGET_TOKENS,
    SUMMARY_HEADING,
    estimate_tokens,
    files_named_in,
    imported_files,
    line_count,
    outline,
    rank_files,
    select_context,
)
from tessera.protocol.format import render_file

REACT_APP = {
    "package.json": '{\n  "name": "app",\n  "scripts": {"dev": "vite"}\n}\n',
    "index.html": '<!doctype html>\n<script type="module" src="/src/main.tsx"></script>\n',
    "vite.config.ts": "export default {}\n",
    "src/main.tsx": "import App from './App'\nimport './index.css'\n",
    "src/index.css": ":root { --accent: teal; }\n",
    "src/App.tsx": (
        "import { Header } from './components/Header'\n"
        "import TodoList from './components/TodoList'\n"
        "import { useTodos } from './hooks/useTodos'\n"
        "export default function App() { return null }\n"
    ),
    "src/App.css": ".app { margin: 0 }\n",
    "src/components/Header.tsx": "import './Header.css'\nexport function Header() {}\n",
    "src/components/Header.css": ".header { color: red }\n",
    "src/components/TodoList.tsx": (
        "import { Button } from './ui'\nexport default function TodoList() {}\n"
    ),
    "src/components/ui/index.ts": "export { Button } from './Button'\n",
    "src/components/ui/Button.tsx": "export const Button = () => null\n",
    "src/hooks/useTodos.ts": "export function useTodos() {}\n",
    "src/lib/format.ts": "export const format = (n: number) => String(n)\n",
}


def block(path: str, files: dict[str, str]) -> str:
    return render_file(path, files[path])


# --- token estimate ----------------------------------------------------------------------


def test_estimate_is_a_little_above_four_characters_per_token() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("x" * 350) == 100
    assert estimate_tokens("x" * 351) == 101
    assert 25 < estimate_tokens("word " * 20) <= 100 / 3.5 + 1


def test_estimate_counts_non_latin_text_by_its_bytes() -> None:
    assert estimate_tokens("漢字" * 35) == 60  # 210 bytes / 3.5
    assert estimate_tokens("漢字" * 35) > estimate_tokens("ab" * 35)


@given(st.text(), st.text())
def test_estimate_of_joined_text_is_at_most_the_sum_of_its_parts(a: str, b: str) -> None:
    assert estimate_tokens(a + b) <= estimate_tokens(a) + estimate_tokens(b)
    assert estimate_tokens(a + b) >= max(estimate_tokens(a), estimate_tokens(b))


# --- files named in the request ----------------------------------------------------------


def test_a_request_names_files_by_path_file_name_or_component_name() -> None:
    files = list(REACT_APP)
    assert files_named_in("Fix src/App.css please", files) == ["src/App.css"]
    assert files_named_in("the margins in App.css are off", files) == ["src/App.css"]
    assert files_named_in("Make the Header component blue", files) == [
        "src/components/Header.css",
        "src/components/Header.tsx",
    ]
    assert files_named_in("the todo list should scroll", files) == ["src/components/TodoList.tsx"]
    assert files_named_in("round the buttons", files) == ["src/components/ui/Button.tsx"]
    assert files_named_in("use-todos hook loses data", files) == ["src/hooks/useTodos.ts"]


def test_common_names_count_only_with_their_extension() -> None:
    files = list(REACT_APP)
    assert files_named_in("make the app dark and add some styles", files) == []
    assert files_named_in("change App.tsx and index.css", files) == ["src/App.tsx", "src/index.css"]


def test_named_files_come_in_the_order_the_request_names_them() -> None:
    named = files_named_in("first format.ts, then the header, then main.tsx", list(REACT_APP))
    assert named == [
        "src/lib/format.ts",
        "src/components/Header.css",
        "src/components/Header.tsx",
        "src/main.tsx",
    ]


def test_a_name_inside_a_longer_word_or_path_is_not_a_mention() -> None:
    files = ["src/Header.tsx", "src/App.css"]
    assert files_named_in("the subheaders and headerless pages", files) == []
    assert files_named_in("see lib/App.css", files) == []


# --- imports -----------------------------------------------------------------------------


def test_script_imports_resolve_extensions_index_files_and_css() -> None:
    assert imported_files("src/App.tsx", REACT_APP) == [
        "src/components/Header.tsx",
        "src/components/TodoList.tsx",
        "src/hooks/useTodos.ts",
    ]
    assert imported_files("src/main.tsx", REACT_APP) == ["src/App.tsx", "src/index.css"]
    assert imported_files("src/components/TodoList.tsx", REACT_APP) == [
        "src/components/ui/index.ts"
    ]
    assert imported_files("src/components/ui/index.ts", REACT_APP) == [
        "src/components/ui/Button.tsx"
    ]


def test_require_dynamic_import_parent_folders_and_js_names_of_ts_files() -> None:
    files = {
        "src/a/b.ts": (
            "const x = require('../c')\n"
            "const y = await import('./d.js')\n"
            "export * from '../../src/e'\n"
            "import React from 'react'\n"
            "import z from '../../../outside'\n"
            "import raw from './text.md?raw'\n"
        ),
        "src/c.jsx": "",
        "src/a/d.ts": "",
        "src/e.tsx": "",
        "src/a/text.md": "",
    }
    assert imported_files("src/a/b.ts", files) == [
        "src/c.jsx",
        "src/a/d.ts",
        "src/e.tsx",
        "src/a/text.md",
    ]


def test_css_and_html_references() -> None:
    files = {
        "index.html": '<link href="./styles/base.css"><script src="/src/main.tsx"></script>'
        '<img src="https://example.com/x.png">',
        "styles/base.css": '@import "theme.css";\n@import url("../src/extra.css");\n',
        "styles/theme.css": "",
        "src/extra.css": "",
        "src/main.tsx": "",
    }
    assert imported_files("index.html", files) == ["styles/base.css", "src/main.tsx"]
    assert imported_files("styles/base.css", files) == ["styles/theme.css", "src/extra.css"]


def test_python_imports_prefer_the_apps_folder_then_the_project_root() -> None:
    files = {
        "api/app.py": (
            "import os, json\n"
            "from flask import Flask, render_template\n"
            "from db import get_db\n"
            "import models as m\n"
            "from .routes import (\n    todos,\n    users,\n)\n"
            "from . import helpers\n"
            "def index():\n    return render_template('index.html')\n"
        ),
        "api/db.py": "",
        "db.py": "",
        "models.py": "",
        "api/routes/__init__.py": "",
        "api/routes/todos.py": "",
        "api/helpers.py": "",
        "api/templates/index.html": "",
    }
    assert imported_files("api/app.py", files) == [
        "api/db.py",
        "models.py",
        "api/routes/__init__.py",
        "api/routes/todos.py",
        "api/helpers.py",
        "api/templates/index.html",
    ]


def test_flask_templates_reference_their_layouts_and_static_files() -> None:
    files = {
        "templates/index.html": (
            '{% extends "base.html" %}\n{% include "_row.html" %}\n'
            "<link href=\"{{ url_for('static', filename='style.css') }}\">\n"
        ),
        "templates/base.html": "",
        "templates/_row.html": "",
        "static/style.css": "",
    }
    assert imported_files("templates/index.html", files) == [
        "templates/base.html",
        "templates/_row.html",
        "static/style.css",
    ]


# --- ranking -----------------------------------------------------------------------------


def test_ranking_named_active_imports_recent_entry_points_then_smallest() -> None:
    files = dict(REACT_APP)
    files["notes.md"] = "x" * 5
    order = rank_files(
        files,
        prompt="make the todo list sortable",
        active_file="src/hooks/useTodos.ts",
        recent=["src/App.css", "gone.ts", "src/lib/format.ts"],
    )
    assert order[:7] == [
        "src/components/TodoList.tsx",  # named
        "src/hooks/useTodos.ts",  # active
        "src/components/ui/index.ts",  # imported by the named file
        "src/App.css",  # recent
        "src/lib/format.ts",
        "package.json",  # entry points
        "src/main.tsx",
    ]
    assert order[7:9] == ["src/App.tsx", "index.html"]
    rest = order[9:]
    assert [len(files[path]) for path in rest] == sorted(len(files[path]) for path in rest)
    assert sorted(order) == sorted(files)


# --- selection ---------------------------------------------------------------------------


def test_an_empty_project_asks_for_a_new_app() -> None:
    selection = select_context({}, prompt="a todo app", budget_tokens=1000)
    assert selection.text == EMPTY_PROJECT
    assert (selection.included, selection.summarised) == ([], [])
    assert selection.tokens == estimate_tokens(EMPTY_PROJECT)


def test_everything_fits_in_a_large_budget_named_files_first() -> None:
    selection = select_context(REACT_APP, prompt="the Header is too tall", budget_tokens=50_000)
    assert selection.included[:2] == ["src/components/Header.css", "src/components/Header.tsx"]
    assert sorted(selection.included) == sorted(REACT_APP)
    assert selection.summarised == []
    assert SUMMARY_HEADING not in selection.text
    positions = [selection.text.index(block(path, REACT_APP)) for path in selection.included]
    assert positions == sorted(positions)


def test_a_file_larger_than_the_budget_is_summarised_never_cut() -> None:
    files = dict(REACT_APP)
    files["src/components/Table.tsx"] = (
        "export function Table() {}\nexport const columns = []\n" + "// row\n" * 5000
    )
    selection = select_context(files, prompt="fix the Table component", budget_tokens=2000)
    assert "src/components/Table.tsx" in selection.summarised
    assert "// row" not in selection.text
    assert "- src/components/Table.tsx (5002 lines): exports: Table, columns" in selection.text
    assert selection.tokens <= 2000
    assert "src/App.tsx" in selection.included


def test_outlines_name_components_routes_and_selectors() -> None:
    assert outline("a.tsx", "export default function App() {}\nconst Row = () => null\n") == (
        "exports: App; defines: Row"
    )
    assert outline("a.ts", "export { a, b as c }\nexport type T = 1\nfunction helper() {}\n") == (
        "exports: T, a, c; defines: helper"
    )
    python = (
        "@app.route('/api/todos', methods=['GET', 'POST'])\ndef todos():\n    pass\n"
        "@app.delete('/api/todos/<int:id>')\nasync def remove(id):\n    pass\n"
        "class Todo:\n    pass\n"
    )
    assert outline("app.py", python) == (
        "routes: GET,POST /api/todos, DELETE /api/todos/<int:id>; defines: todos, remove, Todo"
    )
    css = "/* .hidden {} */\n:root { --a: 1 }\n.card,\n.card h2 { }\n@media (x) { .card { } }\n"
    css += "@keyframes spin { from { } 50% { } to { } }\n"
    assert outline("a.css", css) == "selectors: :root, .card, .card h2"
    assert outline("p.json", '{"name": 1, "scripts": {}}') == "keys: name, scripts"
    assert outline("index.html", "<title>My  app</title>") == "title: My app"
    assert outline("README.md", "# Title\ntext\n## Part\n") == "headings: Title, Part"
    assert outline("data.bin", "whatever") == ""
    many = "".join(f"export const n{i} = {i}\n" for i in range(20))
    assert outline("m.ts", many).endswith("n11 (+8 more)")


def test_the_summary_drops_outlines_then_line_counts_when_tight() -> None:
    files = {f"src/part{i:02}.ts": f"export const value{i} = {i}\n" * 200 for i in range(20)}

    def entries(budget: int) -> list[str]:
        selection = select_context(files, prompt="", budget_tokens=budget)
        assert selection.included == []
        assert selection.tokens <= budget
        return [line for line in selection.text.splitlines() if line.startswith("- ")]

    roomy = entries(1200)
    assert roomy == [f"- src/part{i:02}.ts (200 lines): exports: value{i}" for i in range(20)]
    tight = entries(MIN_BUDGET_TOKENS)
    assert len(tight) == 20
    assert all("(200 lines)" in line for line in tight)
    assert 0 < sum("exports:" in line for line in tight) < 20
    assert tight[0].endswith("exports: value0")  # the first ranked (smallest) keeps its outline
    more = {f"src/part{i:02}.ts": f"export const value{i} = {i}\n" * 200 for i in range(60)}
    tightest = select_context(more, prompt="", budget_tokens=MIN_BUDGET_TOKENS)
    lines = tightest.text.splitlines()
    assert tightest.tokens <= MIN_BUDGET_TOKENS
    assert "lines)" not in tightest.text
    listed = [line for line in lines if line.startswith("- src/part")]
    assert 0 < len(listed) < 60
    assert lines[-1] == f"- ... and {60 - len(listed)} more files"


def test_many_files_in_a_small_budget_are_counted() -> None:
    files = {f"src/components/generated/Widget{i:04}.tsx": "x\n" for i in range(400)}
    selection = select_context(files, prompt="hi", budget_tokens=400)
    assert selection.tokens <= 400
    listed = selection.text.count("- src/components/generated/")
    assert 0 < listed < 400
    more = 400 - listed - len(selection.included)
    assert f"- ... and {more} more files" in selection.text
    assert len(selection.included) + len(selection.summarised) == 400


def test_locked_files_are_named_as_not_to_be_changed() -> None:
    selection = select_context(
        REACT_APP,
        prompt="restyle",
        budget_tokens=20_000,
        locked={"src/index.css", "package.json", "not-a-file.ts"},
    )
    last = selection.text.splitlines()[-1]
    assert last.startswith("Locked files")
    assert "do not write, edit, rename or delete them" in last
    assert last.endswith(": package.json, src/index.css")
    assert "not-a-file.ts" not in selection.text


def test_a_long_locked_list_is_shortened_to_fit() -> None:
    files = {f"src/locked/file{i:03}.ts": "" for i in range(300)}
    selection = select_context(files, prompt="", budget_tokens=600, locked=set(files))
    assert selection.tokens <= 600
    locked_line = selection.text.splitlines()[-1]
    assert locked_line.startswith("Locked files") and locked_line.endswith(" more")


def test_a_budget_below_the_minimum_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="at least"):
        select_context(REACT_APP, prompt="", budget_tokens=MIN_BUDGET_TOKENS - 1)


def test_the_same_input_in_any_order_gives_the_same_text() -> None:
    shuffled = list(REACT_APP.items())
    random.Random(7).shuffle(shuffled)
    first = select_context(
        REACT_APP,
        prompt="the header",
        budget_tokens=300,
        recent=["src/App.css"],
        locked=["src/App.tsx", "index.html"],
    )
    second = select_context(
        dict(shuffled),
        prompt="the header",
        budget_tokens=300,
        recent=["src/App.css"],
        locked={"index.html", "src/App.tsx"},
    )
    assert first == second
    assert first.summarised  # the budget made choices


def test_line_counts() -> None:
    assert [line_count(text) for text in ("", "a", "a\n", "a\nb", "\n\n")] == [0, 1, 1, 2, 2]


_SEGMENT = st.sampled_from(["src", "api", "components", "lib", "templates", "static"])
_NAME = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,11}", fullmatch=True)
_EXTENSION = st.sampled_from([".ts", ".tsx", ".css", ".py", ".html", ".json", ".md", ".txt"])
_PATH = st.builds(
    lambda folders, name, extension: "/".join([*folders, name + extension]),
    st.lists(_SEGMENT, max_size=2),
    _NAME,
    _EXTENSION,
)
_CONTENT = st.one_of(
    st.text(max_size=200),
    st.builds(
        lambda line, count: line * count, st.text(min_size=1, max_size=40), st.integers(1, 400)
    ),
    st.sampled_from(list(REACT_APP.values())),
)


@settings(max_examples=150, deadline=None)
@given(
    files=st.dictionaries(_PATH, _CONTENT, max_size=40),
    budget=st.integers(MIN_BUDGET_TOKENS, 6000),
    prompt=st.text(max_size=80),
    locked=st.lists(_PATH, max_size=5),
    data=st.data(),
)
def test_the_text_never_exceeds_the_budget_and_accounts_for_every_file(
    files: dict[str, str], budget: int, prompt: str, locked: list[str], data: st.DataObject
) -> None:
    paths = sorted(files)
    active = data.draw(st.sampled_from(paths)) if paths else None
    locked = [*locked, *paths[:2]]
    selection = select_context(
        files, prompt=prompt, budget_tokens=budget, active_file=active, locked=locked
    )
    assert selection.tokens == estimate_tokens(selection.text) <= budget
    assert sorted(selection.included + selection.summarised) == paths
    for path in selection.included:
        assert block(path, files) in selection.text
    for path in selection.summarised:
        assert render_file(path, files[path]) not in selection.text
    if selection.summarised:
        assert SUMMARY_HEADING in selection.text


def test_a_named_file_is_shown_before_smaller_unnamed_ones_in_a_tight_budget() -> None:
    files = {f"src/widgets/Widget{i:02}.tsx": f"export const W{i} = 1\n" * 30 for i in range(30)}
    files["src/widgets/PriceChart.tsx"] = "export function PriceChart() {}\n" * 40
    selection = select_context(files, prompt="the price chart has no axis", budget_tokens=1500)
    assert selection.included[0] == "src/widgets/PriceChart.tsx"
    assert len(selection.included) < len(files)
    assert selection.tokens <= 1500
