"""Properties of the parser, the renderers, apply_edit and apply_patch over generated inputs."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tessera.errors import EditNotApplied, PlaceholderRefused, TesseraError
from tessera.protocol.actions import (
    Action,
    ActionRefused,
    ChatText,
    FileDeleted,
    FileDelta,
    FileEdit,
    FileEnded,
    FilePatch,
    FileRenamed,
    FileStarted,
)
from tessera.protocol.edits import apply_edit
from tessera.protocol.fences import patch_content
from tessera.protocol.format import render_file
from tessera.protocol.parser import StreamParser, merge_actions, parse_all
from tessera.protocol.paths import validate_path
from tessera.protocol.placeholders import lazy_line
from tessera.protocol.unified_diff import apply_patch

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_SEGMENT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=8)
PATHS = st.builds(
    lambda folders, name, ext: "/".join([*folders, name + ext]),
    st.lists(_SEGMENT, max_size=3),
    _SEGMENT,
    st.sampled_from(["", ".ts", ".tsx", ".md", ".py", ".css"]),
)
# Content a model could write: anything but the literal closing tag, with the characters
# that matter to the parser made frequent.
_TRICKY = st.sampled_from(
    [
        "\n",
        "\r",
        "\r\n",
        "<",
        "</",
        "</tessera-fil",
        "<tessera-",
        "```",
        "```tsx\n",
        "\n```",
        "`",
        " ",
    ]
)
CONTENTS = (
    st.lists(st.one_of(st.text(max_size=12), _TRICKY), max_size=12)
    .map("".join)
    .filter(lambda text: "</tessera-file>" not in text)
)
CHAT = st.text(max_size=20).filter(lambda text: "tessera-" not in text)


def parse_in_pieces(text: str, cuts: list[int]) -> list[Action]:
    parser = StreamParser()
    actions: list[Action] = []
    previous = 0
    for cut in sorted({min(cut, len(text)) for cut in cuts}):
        actions += parser.feed(text[previous:cut])
        previous = cut
    actions += parser.feed(text[previous:])
    return actions + parser.close()


def expected_actions(path: str, content: str) -> list[Action]:
    delta: list[Action] = [FileDelta(path, content)] if content else []
    return [FileStarted(path), *delta, FileEnded(path, content)]


@SETTINGS
@given(
    files=st.lists(st.tuples(PATHS, CONTENTS), min_size=1, max_size=4),
    chats=st.lists(CHAT, min_size=5, max_size=5),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=30),
)
def test_rendered_files_round_trip_under_any_split(
    files: list[tuple[str, str]], chats: list[str], cuts: list[int]
) -> None:
    parts = [chats[0]]
    expected: list[Action] = [ChatText(chats[0])] if chats[0] else []
    for index, (path, content) in enumerate(files):
        chat = chats[index + 1]
        parts += [render_file(path, content), chat]
        expected += expected_actions(path, content)
        expected += [ChatText(chat)] if chat else []
    stream = "".join(parts)

    whole = merge_actions(parse_all(stream))
    pieces = parse_in_pieces(stream, cuts)

    assert merge_actions(pieces) == whole
    assert whole == merge_actions(expected)
    ended = [action.content for action in pieces if isinstance(action, FileEnded)]
    assert ended == [content for _, content in files]


@SETTINGS
@given(content=CONTENTS, path=PATHS, cuts=st.lists(st.integers(0, 200), max_size=40))
def test_deltas_join_to_the_final_content(content: str, path: str, cuts: list[int]) -> None:
    # Model-written bodies, not only rendered ones: arbitrary line breaks and fences.
    stream = f'<tessera-file path="{path}">{content}</tessera-file>'
    actions = parse_in_pieces(stream, cuts)
    deltas = "".join(action.delta for action in actions if isinstance(action, FileDelta))
    (ended,) = [action for action in actions if isinstance(action, FileEnded)]
    assert deltas == ended.content


_TAG_FRAGMENTS = st.sampled_from(
    [
        '<tessera-file path="a.ts">',
        "<tessera-file path='../x'>",
        "</tessera-file>",
        '<tessera-edit path="a.ts">\n',
        "<<<<<<< SEARCH\n",
        "=======\n",
        ">>>>>>> REPLACE\n",
        "</tessera-edit>",
        '<tessera-delete path="b"/>',
        '<tessera-rename from="a" to="/b"/>',
        '<tessera-dependency name="x"/>',
        '<tessera-dependency name="flask" manager="pip"/>',
        '<tessera-dependency name="x" manager="cargo"/>',
        '<tessera-diff path="a.ts">\n',
        "<tessera-diff path='/abs.ts'>",
        "</tessera-diff>",
        "@@ -1 +1 @@\n",
        "@@ ... @@\n",
        "-x\n",
        "+y\n",
        "```diff\n--- a/x.ts\n+++ b/x.ts\n",
        "```diff\n--- a/x.ts\n+++ b/../up.ts\n",
        "+++ /etc/passwd\n",
        '<tessera-meta title="t"/>',
        "<tessera-xyz>",
        "</tessera-xyz>",
        "<tessera-",
        "</tessera-",
        "<",
        "\n",
        '"',
        '```json\n{"files": {"a": "b"}}\n```',
        "```ts src/x.ts\n",
        "```\n",
        '{"files": [',
    ]
)
ANSWERS = st.lists(st.one_of(st.text(max_size=10), _TAG_FRAGMENTS), max_size=25).map("".join)


def paths_of(action: Action) -> list[str]:
    match action:
        case FileStarted(path=path) | FileDelta(path=path) | FileEnded(path=path):
            return [path]
        case FileEdit(path=path) | FilePatch(path=path) | FileDeleted(path=path):
            return [path]
        case FileRenamed(source=source, target=target):
            return [source, target]
        case _:
            return []


@SETTINGS
@given(answer=ANSWERS, cuts=st.lists(st.integers(0, 300), max_size=30))
def test_any_answer_parses_without_error_and_only_valid_paths(answer: str, cuts: list[int]) -> None:
    actions = parse_in_pieces(answer, cuts)
    assert merge_actions(actions) == merge_actions(parse_all(answer))
    for action in actions:
        for path in paths_of(action):
            assert validate_path(path) == path
        if isinstance(action, ActionRefused):
            assert action.reason


@SETTINGS
@given(answer=st.text(max_size=200))
def test_arbitrary_text_never_raises(answer: str) -> None:
    parse_all(answer)


@SETTINGS
@given(content=st.text(min_size=1, max_size=60), data=st.data(), replace=st.text(max_size=30))
def test_apply_edit_with_a_search_taken_from_the_content(
    content: str, data: st.DataObject, replace: str
) -> None:
    start = data.draw(st.integers(0, len(content) - 1))
    end = data.draw(st.integers(start + 1, len(content)))
    search = content[start:end]
    found = content.find(search)
    if lazy_line(search, replace) is not None:
        with pytest.raises(PlaceholderRefused):
            apply_edit(content, search, replace)
        return
    result = apply_edit(content, search, replace)
    assert result == content[:found] + replace + content[found + len(search) :]


@SETTINGS
@given(
    indents=st.lists(st.sampled_from(["", "  ", "    ", "\t"]), min_size=1, max_size=8),
    data=st.data(),
)
def test_apply_edit_tolerates_indentation_and_reindents(
    indents: list[str], data: st.DataObject
) -> None:
    lines = [f"{indent}line{index}\n" for index, indent in enumerate(indents)]
    first = data.draw(st.integers(0, len(lines) - 1))
    last = data.draw(st.integers(first + 1, len(lines)))
    # "\t " never occurs in the content, so only the whitespace-tolerant match applies.
    search = "".join("\t " + line.lstrip() for line in lines[first:last])
    result = apply_edit("".join(lines), search, "\t new\n\t   nested\n")
    indent = indents[first]
    expected = [*lines[:first], f"{indent}new\n{indent}  nested\n", *lines[last:]]
    assert result == "".join(expected)


# --- diff tags -------------------------------------------------------------------------------
PATCH_BODIES = (
    st.lists(
        st.one_of(
            st.text(max_size=12),
            st.sampled_from(
                ["\n", "\r\n", "@@ -1 +1 @@\n", "-a\n", "+b\n", "```diff\n", "\n```", "<"]
            ),
        ),
        max_size=12,
    )
    .map("".join)
    .filter(lambda text: "</tessera-diff>" not in text)
)


@SETTINGS
@given(path=PATHS, body=PATCH_BODIES, chat=CHAT, cuts=st.lists(st.integers(0, 200), max_size=30))
def test_diff_tags_parse_the_same_under_any_split(
    path: str, body: str, chat: str, cuts: list[int]
) -> None:
    stream = f'{chat}<tessera-diff path="{path}">{body}</tessera-diff>{chat}'
    actions = merge_actions(parse_in_pieces(stream, cuts))
    assert actions == merge_actions(parse_all(stream))
    chats = [ChatText(chat)] if chat else []
    patch = patch_content(body)
    (middle,) = actions[len(chats) : len(actions) - len(chats)]
    if patch.strip():
        assert middle == FilePatch(path, patch)
    else:
        assert isinstance(middle, ActionRefused) and "was empty" in middle.reason
    assert actions == [*chats, middle, *chats]


@SETTINGS
@given(
    patches=st.lists(st.tuples(PATHS, PATCH_BODIES), min_size=1, max_size=3),
    cuts=st.lists(st.integers(0, 300), max_size=30),
)
def test_fenced_diffs_parse_the_same_under_any_split(
    patches: list[tuple[str, str]], cuts: list[int]
) -> None:
    answer = "".join(
        f"Change {index}:\n```diff\n--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n{body}\n```\n"
        for index, (path, body) in enumerate(patches)
    )
    actions = parse_in_pieces(answer, cuts)
    assert merge_actions(actions) == merge_actions(parse_all(answer))
    for action in actions:
        for named in paths_of(action):
            assert validate_path(named) == named


# --- applying never fails except with a TesseraError -----------------------------------------
_CODE_PIECES = st.sampled_from(
    [
        "\n",
        "\r\n",
        "\t",
        "  ",
        "{",
        "}",
        "'",
        '"',
        "// ... existing code ...\n",
        "...\n",
        "def f():\n",
        "    return x\n",
        "const a = 1;\n",
        "@@ -1,2 +1,2 @@\n",
        "--- a/x\n+++ b/x\n",
        "-",
        "+",
        " ",
        "\\ No newline at end of file\n",
    ]
)
CODE_TEXT = st.lists(st.one_of(st.text(max_size=8), _CODE_PIECES), max_size=14).map("".join)


@SETTINGS
@given(content=CODE_TEXT, search=CODE_TEXT, replace=CODE_TEXT)
def test_apply_edit_on_arbitrary_text_raises_only_tessera_errors(
    content: str, search: str, replace: str
) -> None:
    try:
        result = apply_edit(content, search, replace, path="a.ts")
    except TesseraError as exc:
        assert exc.message
    else:
        assert isinstance(result, str)


@SETTINGS
@given(content=CODE_TEXT, patch=CODE_TEXT)
def test_apply_patch_on_arbitrary_text_raises_only_tessera_errors(content: str, patch: str) -> None:
    try:
        result = apply_patch(content, patch, path="a.ts")
    except TesseraError as exc:
        assert exc.message
    else:
        assert isinstance(result, str)


@SETTINGS
@given(
    count=st.integers(3, 30),
    data=st.data(),
    mutation=st.sampled_from(["let", "drop-semicolon", "quotes", "indent"]),
)
def test_a_misquoted_search_is_applied_at_its_place_or_refused(
    count: int, data: st.DataObject, mutation: str
) -> None:
    """A wrong edit is never applied: the change lands right after the quoted lines, with
    every line of the file kept, or the edit is refused."""
    lines = [
        f'  const value{index} = compute({index}, "item {index % 4}");\n' for index in range(count)
    ]
    first = data.draw(st.integers(0, count - 1))
    last = data.draw(st.integers(first, min(count - 1, first + 4)))
    quoted = lines[first : last + 1]
    target = data.draw(st.integers(0, len(quoted) - 1))
    line = quoted[target]
    changed = {
        "let": line.replace("const", "let"),
        "drop-semicolon": line.replace(");", ")"),
        "quotes": line.replace('"', "'"),
        "indent": line.lstrip(),
    }[mutation]
    search_lines = [*quoted[:target], changed, *quoted[target + 1 :]]
    search = "".join(search_lines)
    replace = search + "  added();\n"
    try:
        result = apply_edit("".join(lines), search, replace)
    except EditNotApplied:
        return
    expected = [*lines[: last + 1], "  added();\n", *lines[last + 1 :]]
    assert result == "".join(expected)
