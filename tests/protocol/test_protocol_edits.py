"""apply_edit: exact, then whitespace-tolerant, else a clear refusal."""

from __future__ import annotations

import pytest

from tessera.errors import EditNotApplied, ProtocolError
from tessera.protocol.edits import apply_edit

APP = """function App() {
  const [n, setN] = useState(0);
  return (
    <div>
      <p>{n}</p>
    </div>
  );
}
"""


def test_an_exact_match_is_replaced() -> None:
    result = apply_edit(APP, "useState(0)", "useState(10)")
    assert result == APP.replace("useState(0)", "useState(10)")


def test_only_the_first_of_several_exact_matches_is_replaced() -> None:
    assert apply_edit("a\nb\na\n", "a\n", "c\n") == "c\nb\na\n"


def test_whole_lines_can_be_deleted() -> None:
    assert apply_edit("a\nb\nc\n", "b\n", "") == "a\nc\n"


def test_wrong_indentation_in_search_is_tolerated_and_replace_reindented() -> None:
    search = "<div>\n  <p>{n}</p>\n</div>\n"
    replace = "<section>\n  <p>{n}</p>\n  <button />\n</section>\n"
    result = apply_edit(APP, search, replace)
    assert "    <section>\n      <p>{n}</p>\n      <button />\n    </section>\n  );" in result
    assert "<div>" not in result


def test_over_indented_search_and_replace_are_moved_left() -> None:
    content = "def f():\n    return 1\n"
    result = apply_edit(content, "        return 1\n", "        x = 1\n        return x\n")
    assert result == "def f():\n    x = 1\n    return x\n"


def test_trailing_whitespace_differences_are_tolerated() -> None:
    content = "a = 1   \nb = 2\n"
    assert apply_edit(content, "a = 1\nb = 2\n", "a = 3\n") == "a = 3\n"


def test_tabs_versus_spaces_take_the_files_indentation() -> None:
    content = "if x:\n\tcall()\n\tdone()\n"
    assert apply_edit(content, "    call()\n    done()\n", "    other()\n") == "if x:\n\tother()\n"


def test_crlf_files_keep_their_line_breaks() -> None:
    content = "one\r\ntwo\r\nthree\r\n"
    assert apply_edit(content, "two\n", "2\nzwei\n") == "one\r\n2\r\nzwei\r\nthree\r\n"


def test_a_search_ending_at_a_last_line_without_line_break() -> None:
    assert apply_edit("a\nb", "b\n", "c\n") == "a\nc"


def test_a_search_without_final_line_break_keeps_the_line_break_of_the_file() -> None:
    assert apply_edit("\tx = 1\t\ny = 2\n", "x = 1 ", "x = 5") == "\tx = 5\ny = 2\n"


def test_blank_lines_in_search_match_blank_lines() -> None:
    content = "a\n\n  b\n"
    assert apply_edit(content, "a\n\nb\n", "c\n") == "c\n"
    with pytest.raises(EditNotApplied):
        apply_edit(content, "a\nb\n", "c\n")


def test_an_empty_search_fills_an_empty_file() -> None:
    assert apply_edit("", "", "hello\n") == "hello\n"


def test_an_empty_search_on_a_non_empty_file_is_refused() -> None:
    with pytest.raises(EditNotApplied, match="empty SEARCH") as caught:
        apply_edit("x", "", "y", path="a.ts")
    assert caught.value.path == "a.ts"
    assert "a.ts" in caught.value.message


def test_a_search_that_is_not_there_is_refused_quoting_its_first_lines() -> None:
    search = "".join(f"missing line {index}\n" for index in range(6))
    with pytest.raises(EditNotApplied) as caught:
        apply_edit(APP, search, "x", path="src/App.tsx")
    message = caught.value.message
    assert "src/App.tsx" in message
    assert "missing line 0" in message and "missing line 2" in message
    assert "missing line 3" not in message
    assert "3 more lines" in message
    assert isinstance(caught.value, ProtocolError)
    assert caught.value.code == "edit_not_applied"


def test_a_refusal_without_a_path_still_reads_well() -> None:
    with pytest.raises(EditNotApplied, match=r"^An edit was not applied"):
        apply_edit("a", "b", "c")


def test_only_blank_search_lines_are_too_vague() -> None:
    with pytest.raises(EditNotApplied):
        apply_edit("a\n\nb\n", " \n \n \n", "x")


def test_lines_the_edit_leaves_alone_keep_the_files_text() -> None:
    content = "def f():  \n\tx = 1\n\treturn x\n"
    search = "def f():\n    x = 1\n    return x\n"
    replace = "def f():\n    x = 2\n    return x\n"
    # The unchanged lines stay byte for byte (trailing spaces, tab); the new one gets a tab.
    assert apply_edit(content, search, replace) == "def f():  \n\tx = 2\n\treturn x\n"


def test_nested_lines_written_with_spaces_get_the_files_tabs() -> None:
    content = "function f() {\n\tif (a) {\n\t\tb();\n\t}\n}\n"
    search = "  if (a) {\n    b();\n  }\n"
    replace = "  if (a) {\n    b();\n    c();\n  }\n"
    assert apply_edit(content, search, replace) == (
        "function f() {\n\tif (a) {\n\t\tb();\n\t\tc();\n\t}\n}\n"
    )


def test_nested_lines_written_with_tabs_get_the_files_spaces() -> None:
    content = "<ul>\n  <li>\n    <a>One</a>\n  </li>\n</ul>\n"
    search = "\t<li>\n\t\t<a>One</a>\n\t</li>\n"
    replace = "\t<li>\n\t\t<a>One</a>\n\t\t<a>Two</a>\n\t</li>\n"
    assert apply_edit(content, search, replace) == content.replace(
        "    <a>One</a>\n", "    <a>One</a>\n    <a>Two</a>\n"
    )


def test_a_misindented_search_line_does_not_shift_other_depths() -> None:
    content = "  one();\n  two();\n  three();\n"
    search = "  one();\ntwo();\n"  # the second line lost its indentation
    replace = "  one();\ntwo();\n  added();\n"
    assert apply_edit(content, search, replace) == "  one();\n  two();\n  added();\n  three();\n"
