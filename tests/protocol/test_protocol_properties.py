"""Properties of the parser, the renderers and apply_edit over generated inputs."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tessera.protocol.actions import (
    Action,
    ActionRefused,
    ChatText,
    FileDeleted,
    FileDelta,
    FileEdit,
    FileEnded,
    FileRenamed,
    FileStarted,
)
from tessera.protocol.edits import apply_edit
from tessera.protocol.format import render_file
from tessera.protocol.parser import StreamParser, merge_actions, parse_all
from tessera.protocol.paths import validate_path

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
        case FileEdit(path=path) | FileDeleted(path=path):
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
