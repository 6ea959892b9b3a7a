"""apply_patch: unified diffs as models write them, placed like SEARCH text."""

from __future__ import annotations

import difflib

import pytest

from tessera.errors import EditNotApplied, PlaceholderRefused
from tessera.protocol.unified_diff import apply_patch, header_name, parse_patch

STYLES = """.app {
  max-width: 640px;
  margin: 48px auto;
}

.btn-primary {
  padding: 8px 16px;
  border: none;
  background: var(--accent);
}

.btn-secondary {
  padding: 8px 16px;
  border: none;
  background: #e5e7eb;
}

.todo {
  display: flex;
  padding: 8px 0;
}
"""


def diff(old: str, new: str, context: int = 3) -> str:
    lines = difflib.unified_diff(
        old.splitlines(True),
        new.splitlines(True),
        "a/src/styles.css",
        "b/src/styles.css",
        n=context,
    )
    return "".join(lines)


def test_header_names_drop_the_git_prefixes_and_timestamps() -> None:
    assert header_name("--- a/src/App.tsx") == "src/App.tsx"
    assert header_name("+++ b/src/App.tsx\t2024-01-01 10:00") == "src/App.tsx"
    assert header_name("--- /dev/null") == "/dev/null"
    assert header_name("+++ app.py") == "app.py"


def test_parse_reads_headers_hunks_and_missing_newlines() -> None:
    patch = (
        "diff --git a/x.py b/x.py\nindex 1..2 100644\n--- a/x.py\n+++ b/x.py\n"
        "@@ -3,2 +3,2 @@ def f():\n a = 1\n-b = 2\n\\ No newline at end of file\n+b = 3\n"
        "\\ No newline at end of file\n@@ ... @@\n\n-c\n+d\n"
    )
    parsed = parse_patch(patch)
    assert parsed.old_names == ["x.py"] and parsed.new_names == ["x.py"]
    first, second = parsed.hunks
    assert (first.number, first.old_start, first.header) == (1, 3, "@@ -3,2 +3,2 @@ def f():")
    assert first.old == ["a = 1", "b = 2"] and first.new == ["a = 1", "b = 3"]
    assert first.old_missing_newline and first.new_missing_newline
    assert second.old_start is None
    assert second.old == ["", "c"] and second.new == ["", "d"]
    assert second.label == "Hunk 2 (@@ ... @@)"


def test_a_body_without_hunk_headers_is_one_hunk() -> None:
    (hunk,) = parse_patch(" keep\n-old\n+new\n").hunks
    assert hunk.old == ["keep", "old"] and hunk.new == ["keep", "new"]
    assert hunk.label == "Hunk 1"


def test_a_correct_diff_applies() -> None:
    new = STYLES.replace("padding: 8px 0;", "padding: 12px 0;\n  gap: 8px;")
    assert apply_patch(STYLES, diff(STYLES, new), path="src/styles.css") == new


def test_several_hunks_apply_in_order() -> None:
    new = STYLES.replace("640px", "720px").replace("display: flex;", "display: grid;")
    patch = diff(STYLES, new, context=1)
    assert patch.count("@@ -") == 2
    assert apply_patch(STYLES, patch) == new


def test_wrong_line_numbers_only_cost_a_preference() -> None:
    new = STYLES.replace("padding: 8px 0;", "padding: 4px 0;")
    patch = diff(STYLES, new).replace("@@ -17,5 +17,5 @@", "@@ -2,6 +2,6 @@")
    assert "@@ -2,6 +2,6 @@" in patch
    assert apply_patch(STYLES, patch) == new


def test_line_numbers_choose_between_identical_contexts() -> None:
    # "padding: 8px 16px; border: none;" is in both buttons; the numbers pick the second.
    patch = "@@ -13,2 +13,2 @@\n   padding: 8px 16px;\n-  border: none;\n+  border: 1px solid;\n"
    result = apply_patch(STYLES, patch)
    assert result == STYLES.replace(
        "  border: none;\n  background: #e5e7eb;", "  border: 1px solid;\n  background: #e5e7eb;"
    )


def test_hunks_without_numbers_apply_after_the_previous_one() -> None:
    patch = (
        "@@ ... @@\n .btn-secondary {\n   padding: 8px 16px;\n"
        "@@ ... @@\n-  border: none;\n+  border: 0;\n"
    )
    result = apply_patch(STYLES, patch)
    second_button = result.index(".btn-secondary")
    assert "border: 0;" in result[second_button:]
    assert "border: none;" in result[:second_button]


def test_a_new_file_patch_fills_an_empty_file() -> None:
    patch = (
        "--- /dev/null\n+++ b/src/lib.ts\n@@ -0,0 +1,2 @@\n"
        "+export const a = 1;\n+export const b = 2;\n"
    )
    assert apply_patch("", patch, path="src/lib.ts") == "export const a = 1;\nexport const b = 2;\n"


def test_a_new_file_patch_over_an_existing_file_is_refused() -> None:
    patch = "--- /dev/null\n+++ b/x.ts\n@@ -0,0 +1 @@\n+x\n"
    with pytest.raises(EditNotApplied, match="already exists"):
        apply_patch("y\n", patch, path="x.ts")


def test_lines_added_with_zero_context_go_after_the_numbered_line() -> None:
    assert apply_patch("a\nb\nc\n", "@@ -2,0 +3 @@\n+inserted\n") == "a\nb\ninserted\nc\n"
    assert apply_patch("a\nb\n", "@@ -0,0 +1 @@\n+first\n") == "first\na\nb\n"
    assert apply_patch("a\r\nb", "@@ -2,0 +3 @@\n+last\n") == "a\r\nb\r\nlast\r\n"
    with pytest.raises(EditNotApplied, match="no context lines and no line numbers"):
        apply_patch("a\nb\n", "@@ ... @@\n+inserted\n")


def test_missing_newline_markers_are_honoured() -> None:
    patch = (
        "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"
    )
    assert apply_patch("a\nb", patch) == "a\nc"


def test_a_failing_hunk_is_named_and_nothing_is_applied() -> None:
    patch = (
        "--- a/src/styles.css\n+++ b/src/styles.css\n"
        "@@ -1,3 +1,3 @@\n .app {\n-  max-width: 640px;\n+  max-width: 720px;\n"
        "@@ -40,3 +40,3 @@\n .footer {\n-  color: red;\n+  color: blue;\n"
    )
    with pytest.raises(EditNotApplied) as caught:
        apply_patch(STYLES, patch, path="src/styles.css")
    message = caught.value.message
    assert message.startswith("Hunk 2 (@@ -40,3 +40,3 @@) of the diff of src/styles.css")
    assert "context and removed lines are not in the file" in message
    assert ".footer {" in message
    assert caught.value.path == "src/styles.css"


def test_a_misquoted_context_line_is_placed_by_similarity() -> None:
    patch = (
        "@@ -7,3 +7,3 @@\n .btn-primary {\n   padding: 8px 16px\n"
        "-  border: none;\n+  border: 2px solid;\n"
    )
    result = apply_patch(STYLES, patch)
    assert result == STYLES.replace(
        "  padding: 8px 16px;\n  border: none;\n  background: var(--accent);",
        "  padding: 8px 16px;\n  border: 2px solid;\n  background: var(--accent);",
    )


def test_context_with_the_wrong_indentation_keeps_the_files_lines() -> None:
    patch = (
        "@@ -18,3 +18,3 @@\n .todo {\n     display: flex;\n"
        "-    padding: 8px 0;\n+    padding: 2px 0;\n"
    )
    assert apply_patch(STYLES, patch) == STYLES.replace("padding: 8px 0;", "padding: 2px 0;")


def test_crlf_files_keep_their_line_breaks() -> None:
    content = STYLES.replace("\n", "\r\n")
    new = STYLES.replace("640px", "800px")
    assert apply_patch(content, diff(STYLES, new)) == new.replace("\n", "\r\n")


def test_a_placeholder_added_over_removed_code_is_refused() -> None:
    patch = (
        "@@ -6,5 +6,2 @@\n .btn-primary {\n-  padding: 8px 16px;\n-  border: none;\n+  /* ... */\n"
    )
    with pytest.raises(
        PlaceholderRefused, match=r"added lines have the placeholder '/\* \.\.\. \*/'"
    ):
        apply_patch(STYLES, patch, path="src/styles.css")


def test_a_patch_of_several_files_is_refused() -> None:
    patch = (
        "--- a/a.ts\n+++ b/a.ts\n@@ -1 +1 @@\n-a\n+b\n--- a/b.ts\n+++ b/b.ts\n@@ -1 +1 @@\n-c\n+d\n"
    )
    with pytest.raises(EditNotApplied, match=r"several files \(a\.ts, b\.ts\)"):
        apply_patch("a\n", patch, path="a.ts")


def test_a_patch_without_hunks_is_refused() -> None:
    with pytest.raises(EditNotApplied, match="has no hunk"):
        apply_patch("a\n", "--- a/x\n+++ b/x\n", path="x")


def test_removing_every_line_empties_the_file() -> None:
    patch = "--- a/x.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-one\n-two\n"
    assert apply_patch("one\ntwo\n", patch) == ""
