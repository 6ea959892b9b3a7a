"""The fuzzy stage of apply_edit: misquoted SEARCH text placed when certain, else refused."""

from __future__ import annotations

import time

import pytest

from tessera.errors import EditNotApplied, PlaceholderRefused
from tessera.protocol.edits import apply_edit
from tessera.protocol.fuzzy import (
    FuzzyMatch,
    FuzzyMiss,
    MergeConflict,
    MissReason,
    locate_fuzzy,
    merge_window,
    normalise,
)

APP = """import { useState } from "react";

export default function App() {
  const [todos, setTodos] = useState<string[]>([]);
  const [text, setText] = useState("");

  function addTodo() {
    if (!text.trim()) return;
    setTodos([...todos, text]);
    setText("");
  }

  return (
    <main className="app">
      <h1>My todos</h1>
      <input value={text} onChange={(e) => setText(e.target.value)} />
      <button onClick={addTodo}>Add</button>
    </main>
  );
}
"""

INPUT = "      <input value={text} onChange={(e) => setText(e.target.value)} />\n"
NOT_FOUND = "        return jsonify({'error': 'not found'}), 404\n"

ROUTES = """@app.delete("/api/notes/<int:note_id>")
def delete_note(note_id):
    note = find_note(note_id)
    if note is None:
        return jsonify({"error": "not found"}), 404
    NOTES.remove(note)
    return "", 204


@app.post("/api/notes/<int:note_id>/pin")
def pin_note(note_id):
    note = find_note(note_id)
    if note is None:
        return jsonify({"error": "not found"}), 404
    note["pinned"] = not note["pinned"]
    return jsonify(note)
"""


def test_normalise_ignores_spacing_and_kind_of_quote() -> None:
    assert normalise('  x  =   "a"  ') == "x = 'a'"
    assert normalise("`b`") == "'b'"


def test_a_changed_word_in_an_unchanged_line_keeps_the_files_wording() -> None:
    search = (
        "  function addTodo() {\n"
        "    if (!text.trim()) return;\n"
        "    setTodos([...todos, text]);\n"
        "    setText('');\n"  # the file has "" quotes
        "  }\n"
    )
    replace = search.replace("[...todos, text]", "[text, ...todos]")
    result = apply_edit(APP, search, replace, path="src/App.tsx")
    assert result == APP.replace("[...todos, text]", "[text, ...todos]")


def test_a_line_left_out_of_search_stays_in_the_file() -> None:
    search = '  function addTodo() {\n    setTodos([...todos, text]);\n    setText("");\n  }\n'
    replace = search.replace("[...todos, text]", "[...todos, text.trim()]")
    result = apply_edit(APP, search, replace)
    assert "    if (!text.trim()) return;\n    setTodos([...todos, text.trim()]);\n" in result
    assert result == APP.replace("[...todos, text]", "[...todos, text.trim()]")


def test_a_line_only_the_search_has_adds_nothing() -> None:
    search = (
        "      <h1>My todos</h1>\n"
        "      <p>Things to do</p>\n"  # not in the file
        "      <input value={text} onChange={(e) => setText(e.target.value)} />\n"
        "      <button onClick={addTodo}>Add</button>\n"
    )
    replace = search.replace(">Add<", ">Add todo<")
    assert apply_edit(APP, search, replace) == APP.replace(">Add<", ">Add todo<")


def test_a_misquoted_line_that_the_model_changes_takes_the_model_text() -> None:
    search = "      <h1>My todo list</h1>\n" + INPUT
    replace = search.replace("My todo list", "Groceries")
    result = apply_edit(APP, search, replace)
    assert result == APP.replace("<h1>My todos</h1>", "<h1>Groceries</h1>")


def test_a_changed_trailing_comment_is_tolerated() -> None:
    content = (
        'app = Flask(__name__)\napp.config["JSON_SORT_KEYS"] = False  # keep insertion order\n'
    )
    search = 'app = Flask(__name__)\napp.config["JSON_SORT_KEYS"] = False  # keep the order\n'
    replace = search + "app.debug = True\n"
    assert apply_edit(content, search, replace) == content + "app.debug = True\n"


def test_too_different_lines_are_refused_quoting_the_closest_ones() -> None:
    search = "  function addTodo() {\n    push(todos, text);\n    render();\n  }\n"
    with pytest.raises(EditNotApplied) as caught:
        apply_edit(APP, search, "  function addTodo() {}\n", path="src/App.tsx")
    message = caught.value.message
    assert message.startswith("An edit of src/App.tsx was not applied")
    assert "push(todos, text);" in message
    assert "The closest lines in the file (lines 7-11" in message
    assert "% similar" in message
    assert "   8 |     if (!text.trim()) return;" in message
    assert "Copy the SEARCH lines exactly" in message


def test_two_equally_close_places_are_refused_naming_both() -> None:
    search = "    note = find_note(note_id)\n    if note is None:\n" + NOT_FOUND
    with pytest.raises(EditNotApplied) as caught:
        apply_edit(ROUTES, search, search.replace("not found", "gone"), path="app.py")
    message = caught.value.message
    assert "two places are about equally close" in message
    assert "lines 3-5" in message and "lines 12-14" in message
    assert "make the place unique" in message


def test_a_distinctive_line_in_search_resolves_twin_blocks() -> None:
    search = (
        "def pin_note(note_id):\n"
        "    note = find_note(note_id)\n"
        "    if note is None:\n"
        "        return jsonify({'error': 'not found'}), 404\n"
    )
    replace = search.replace("'not found'", "'no such note'")
    result = apply_edit(ROUTES, search, replace)
    pin = result.index("def pin_note")
    assert "'no such note'" in result[pin:]
    assert result[:pin] == ROUTES[:pin]


def test_short_searches_are_never_placed_by_similarity() -> None:
    with pytest.raises(EditNotApplied):
        apply_edit("return x;\nreturn y;\n", "retrun x;\n", "return z;\n")


def test_crlf_files_keep_their_line_breaks_in_the_fuzzy_stage() -> None:
    content = APP.replace("\n", "\r\n")
    search = "      <h1>My todo list</h1>\n" + INPUT
    result = apply_edit(content, search, search.replace("My todo list", "Todos"))
    assert result == content.replace("<h1>My todos</h1>", "<h1>Todos</h1>")
    assert "\n" not in result.replace("\r\n", "")


def test_replacement_lines_are_reindented_like_their_neighbours() -> None:
    search = "function addTodo() {\n  if (!text.trim()) return;\n  setTodos([...todos, text])\n}\n"
    replace = (
        "function addTodo() {\n  if (!text.trim()) return;\n  console.log(todos.length);\n"
        "  setTodos([...todos, text])\n}\n"
    )
    result = apply_edit(APP, search, replace)
    expected = APP.replace(
        "    if (!text.trim()) return;\n",
        "    if (!text.trim()) return;\n    console.log(todos.length);\n",
    )
    assert result == expected  # the file's setTodos (with ";") and setText lines are kept


def test_a_file_line_inside_a_changed_range_is_a_conflict() -> None:
    search = '  function addTodo() {\n    setTodos([...todos, text]);\n    setText("");\n  }\n'
    replace = search.replace("    setText", "    log();\n    setText")
    # "log()" goes right after setTodos, but the file also has a line the SEARCH left out
    # before it: fine. Inserting between two quoted lines with a file line between is not.
    search_gap = "  function addTodo() {\n    setTodos([...todos, text]);\n  }\n"
    replace_gap = "  function addTodo() {\n    setTodos([...todos, text]);\n    log();\n  }\n"
    assert "    log();\n" in apply_edit(APP, search, replace)
    with pytest.raises(EditNotApplied) as caught:
        apply_edit(APP, search_gap, replace_gap, path="src/App.tsx")
    assert "line 10 of the file" in caught.value.message
    assert "setText" in caught.value.message


def test_changing_a_line_the_file_lacks_next_to_one_it_has_is_refused() -> None:
    window = ["a = compute()", "b = other_value_here", "c = finish(a, b)"]
    base = ["a = compute()", "zzz = 1", "c = finish(a, b)"]
    replace = ["a = compute()", "zzz = 2", "c = finish(a, b)"]
    assert merge_window(window, base, replace) == MergeConflict(1)


def test_merge_keeps_unchanged_lines_of_the_file() -> None:
    window = ['x = "a"', "y = 2"]
    merged = merge_window(window, ["x = 'a'", "y = 2"], ["x = 'a'", "y = 3"])
    assert not isinstance(merged, MergeConflict)
    assert [line.text for line in merged.lines] == ['x = "a"', "y = 3"]
    assert [line.from_replace for line in merged.lines] == [False, True]
    assert merged.pairs == [(0, 0), (1, 1)]


def test_locate_fuzzy_reports_the_window_and_ignores_blank_search_edges() -> None:
    lines = APP.split("\n")
    search = [
        "",
        "      <h1>My todo list</h1>",
        "      <input value={text} onChange={(e) => setText(e.target.value)} />",
        "",
    ]
    found = locate_fuzzy(lines, search)
    assert isinstance(found, FuzzyMatch)
    assert (found.window.first, found.window.end) == (14, 16)
    assert (found.search_start, found.search_end) == (1, 3)


def test_locate_fuzzy_reasons() -> None:
    lines = ROUTES.split("\n")
    assert locate_fuzzy(lines, ["", "  "]) == FuzzyMiss(MissReason.TOO_SHORT)
    assert locate_fuzzy(lines, ["x = 1"]) == FuzzyMiss(MissReason.TOO_SHORT)
    missing = locate_fuzzy(lines, ["def unrelated_function(argument):", "    return 42"])
    assert isinstance(missing, FuzzyMiss) and missing.reason is MissReason.NOT_FOUND
    twins = locate_fuzzy(lines, ["note = find_note(note_id)", "if note is None:"])
    assert isinstance(twins, FuzzyMiss) and twins.reason is MissReason.AMBIGUOUS


def test_a_placeholder_in_search_is_refused_before_any_guess() -> None:
    search = "  function addTodo() {\n    // ... existing code ...\n  }\n"
    with pytest.raises(PlaceholderRefused) as caught:
        apply_edit(APP, search, "  function addTodo() {}\n", path="src/App.tsx")
    assert "'// ... existing code ...'" in caught.value.message
    assert caught.value.path == "src/App.tsx"


def test_blank_search_edges_do_not_add_blank_lines() -> None:
    search = "\n      <h1>My todo list</h1>\n" + INPUT + "\n"
    replace = "\n      <h1>Todos</h1>\n" + INPUT + "\n"
    assert apply_edit(APP, search, replace) == APP.replace("My todos", "Todos")


def test_a_large_file_is_searched_quickly() -> None:
    block = (
        "export function Row{i}({{ item }}: {{ item: Item }}) {{\n"
        "  const label = formatLabel(item.name, {i});\n"
        '  return <li className="row-{i}">{{label}}</li>;\n'
        "}}\n\n"
    )
    content = "".join(block.format(i=i) for i in range(600))
    search = (
        "export function Row417({ item }: { item: Item }) {\n"
        "  const label = formatLabel(item.name, 417)\n"
        "  return <li className='row-417'>{label}</li>;\n}\n"
    )
    started = time.perf_counter()
    result = apply_edit(content, search, "export function Row417() {\n  return null;\n}\n")
    assert time.perf_counter() - started < 2.0
    assert result.count("return null;") == 1
    assert "Row417() {\n  return null;\n}\n\nexport function Row418(" in result
