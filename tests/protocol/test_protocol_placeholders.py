"""Lazy placeholders: found in every comment style, never mistaken for code."""

from __future__ import annotations

import pytest

from tessera.errors import EditNotApplied, PlaceholderRefused
from tessera.protocol.edits import apply_edit
from tessera.protocol.placeholders import check_not_lazy, find_placeholder, is_placeholder_comment

PLACEHOLDERS = [
    "// ... rest of the code",
    "/* ... existing code ... */",
    "# existing code here",
    "{/* ...rest unchanged */}",
    "<!-- ... -->",
    "<!-- existing markup -->",
    "  // ...",
    "# ...",
    "// …",
    "...",
    "…",
    "/* rest of the styles unchanged */",
    "// Rest of the component remains the same",
    "// ... other routes",
    "// same as before",
    "# previous code",
    "    // (rest of the file unchanged)",
    "-- ... existing queries",
    "// existing imports",
    "// unchanged",
    "// ... keep the existing handlers ...",
    "/* ...other styles stay the same... */",
    "# rest of the routes unchanged",
]

CODE = [
    "...props,",
    "[...items]",
    "return [...todos, todo];",
    "<Button {...props} />",
    "// Reuse the existing connection pool for every request",
    "// TODO: handle errors",
    "# Load the settings",
    "/* Layout */",
    "#root {",
    "#!/usr/bin/env python",
    "--main-color: red;",
    "// Loading...",
    "const message = 'Loading...';",
    "// Pass the rest of the props to the input element",
    "# see https://example.com/...",
    "<p>Loading...</p>",
    "// Keep the header visible while scrolling",
    "// Validate before saving...",
    "x = ...  # a default",
]


@pytest.mark.parametrize("line", PLACEHOLDERS)
def test_placeholder_lines_are_found(line: str) -> None:
    text = f"const a = 1;\n{line}\nconst b = 2;\n"
    assert find_placeholder(text) == line


@pytest.mark.parametrize("line", CODE)
def test_code_and_ordinary_comments_are_not_placeholders(line: str) -> None:
    assert find_placeholder(f"const a = 1;\n{line}\nconst b = 2;\n") is None


def test_is_placeholder_comment_needs_a_whole_line_comment() -> None:
    assert is_placeholder_comment("// ... existing code")
    assert not is_placeholder_comment("foo(); // ... existing code")


def test_a_python_stub_body_is_code() -> None:
    stubs = (
        "from typing import Protocol\n\n\n"
        "class Store(Protocol):\n"
        "    def get(self, key: str) -> str:\n"
        "        ...\n\n"
        "    def put(self, key: str) -> None: ...\n\n"
        "    def documented(self) -> None:\n"
        '        """Says why."""\n'
        "        ...\n"
    )
    assert find_placeholder(stubs) is None


def test_a_bare_ellipsis_among_statements_is_a_placeholder() -> None:
    assert find_placeholder("def f():\n    x = 1\n    ...\n    return x\n") == "    ..."
    assert find_placeholder("function f() {\n  ...\n}\n") == "  ..."


def test_a_new_file_may_contain_anything() -> None:
    check_not_lazy("src/App.tsx", None, "// ... rest of the code\n")


def test_a_placeholder_over_real_code_is_refused_naming_the_file_and_line() -> None:
    old = "export function App() {\n  return <h1>Hi</h1>;\n}\n"
    new = "export function App() {\n  // ... existing code ...\n}\n"
    with pytest.raises(PlaceholderRefused) as caught:
        check_not_lazy("src/App.tsx", old, new)
    assert caught.value.path == "src/App.tsx"
    assert caught.value.code == "placeholder_refused"
    assert isinstance(caught.value, EditNotApplied)
    message = caught.value.message
    assert message.startswith("src/App.tsx was not written")
    assert "'// ... existing code ...'" in message
    assert "SEARCH/REPLACE" in message


def test_a_placeholder_line_the_file_already_has_is_allowed() -> None:
    old = "<ul>\n  <!-- ... -->\n</ul>\n"
    check_not_lazy("index.html", old, "<ol>\n  <!-- ... -->\n</ol>\n")


def test_a_stub_over_a_real_python_body_is_refused() -> None:
    old = "def total(items):\n    return sum(item.price for item in items)\n"
    with pytest.raises(PlaceholderRefused):
        check_not_lazy("shop.py", old, "def total(items):\n    ...\n")


def test_a_stub_over_a_stub_or_a_new_stub_is_allowed() -> None:
    old = 'def total(items):\n    """Sum of prices."""\n    pass\n'
    check_not_lazy("shop.py", old, 'def total(items):\n    """Sum of prices."""\n    ...\n')
    check_not_lazy("shop.py", old, old + "\n\ndef other():\n    ...\n")


def test_apply_edit_refuses_a_placeholder_in_replace_that_search_lacks() -> None:
    content = "function a() {\n  one();\n  two();\n}\n"
    search = "function a() {\n  one();\n  two();\n}\n"
    replace = "function a() {\n  zero();\n  // ... rest of the function\n}\n"
    with pytest.raises(PlaceholderRefused) as caught:
        apply_edit(content, search, replace, path="src/a.ts")
    assert "REPLACE lines have the placeholder '// ... rest of the function'" in (
        caught.value.message
    )


def test_apply_edit_allows_a_placeholder_that_search_has_too() -> None:
    content = "<ul>\n  <!-- ... -->\n  <li>One</li>\n</ul>\n"
    search = "  <!-- ... -->\n  <li>One</li>\n"
    replace = "  <!-- ... -->\n  <li>Two</li>\n"
    assert apply_edit(content, search, replace) == content.replace("One", "Two")
