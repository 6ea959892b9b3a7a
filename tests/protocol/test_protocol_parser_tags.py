"""The parser on tags, attributes, chat text and malformed input."""

from __future__ import annotations

import pytest

from tessera.errors import ProtocolError
from tessera.protocol.actions import (
    Action,
    ActionRefused,
    ChatText,
    DependencyAdded,
    FileDeleted,
    FileDelta,
    FileEnded,
    FileRenamed,
    FileStarted,
    ProjectMeta,
)
from tessera.protocol.parser import StreamParser, merge_actions, parse_all


def parse(text: str) -> list[Action]:
    return merge_actions(parse_all(text))


def parse_by_char(text: str) -> list[Action]:
    parser = StreamParser()
    actions = [action for char in text for action in parser.feed(char)]
    return merge_actions(actions + parser.close())


def refusals(actions: list[Action]) -> list[ActionRefused]:
    return [action for action in actions if isinstance(action, ActionRefused)]


def test_a_file_tag_streams_started_deltas_and_ended() -> None:
    parser = StreamParser()
    first = parser.feed('Sure!\n<tessera-file path="src/App.tsx">\nexport const a = 1;\n')
    assert first == [
        ChatText("Sure!\n"),
        FileStarted("src/App.tsx"),
        FileDelta("src/App.tsx", "export const a = 1;"),
    ]
    second = parser.feed("export const b = 2;\n</tessera-file>\nDone.")
    assert second == [
        FileDelta("src/App.tsx", "\nexport const b = 2;"),
        FileEnded("src/App.tsx", "export const a = 1;\nexport const b = 2;"),
        ChatText("\nDone."),
    ]
    assert parser.close() == []


def test_deltas_do_not_wait_for_the_closing_tag() -> None:
    parser = StreamParser()
    parser.feed('<tessera-file path="a.ts">')
    assert parser.feed("const x = 1") == [FileDelta("a.ts", "const x = 1")]
    assert parser.feed(" </tessera-fi") == [FileDelta("a.ts", " ")]
    assert parser.feed("nal") == [FileDelta("a.ts", "</tessera-final")]


def test_chat_text_is_streamed_and_holds_back_only_a_possible_tag() -> None:
    parser = StreamParser()
    assert parser.feed("Hello there <tess") == [ChatText("Hello there ")]
    assert parser.feed("ellation") == [ChatText("<tessellation")]
    assert parser.feed(" and <") == [ChatText(" and ")]
    assert parser.feed("div>") == [ChatText("<div>")]
    assert parser.close() == []


@pytest.mark.parametrize(
    "text",
    [
        "if a < b and b > c then",
        "<div className='x'>hi</div>",
        "<tessera> is the name",
        "the <tessera-> prefix",
        "<tessera-file.tsx> is not a tag",
        "</tessera-> neither",
        "use <tessera-File path='x'>",
        "ends with <tessera-fil",
        "ends with </tessera-file",
    ],
)
def test_text_that_cannot_be_a_tag_is_chat(text: str) -> None:
    assert parse(text) == [ChatText(text)]
    assert parse_by_char(text) == [ChatText(text)]


@pytest.mark.parametrize("closing", ["/>", " />", "  / >", ">"])
def test_self_closing_tags_with_or_without_space(closing: str) -> None:
    text = (
        f'<tessera-delete path="src/old.css"{closing}'
        f'<tessera-rename from="a.ts" to="b.ts"{closing}'
        f'<tessera-dependency name="zustand" version="^5"{closing}'
        f'<tessera-dependency name="@types/react"{closing}'
        f'<tessera-meta title="Todo" description="A list" category="productivity"{closing}'
    )
    assert parse(text) == [
        FileDeleted("src/old.css"),
        FileRenamed("a.ts", "b.ts"),
        DependencyAdded("zustand", "^5"),
        DependencyAdded("@types/react", None),
        ProjectMeta(title="Todo", description="A list", category="productivity"),
    ]


def test_body_less_tags_written_with_a_closing_tag() -> None:
    text = (
        '<tessera-delete path="a.ts"></tessera-delete>ok<tessera-meta title="T">\n</tessera-meta>'
    )
    assert parse(text) == [FileDeleted("a.ts"), ChatText("ok"), ProjectMeta(title="T")]


def test_body_less_tag_without_closing_tag_keeps_the_following_text_as_chat() -> None:
    text = '<tessera-delete path="a.ts">then more words<tessera-delete path="b.ts"/>end'
    assert parse(text) == [
        FileDeleted("a.ts"),
        ChatText("then more words"),
        FileDeleted("b.ts"),
        ChatText("end"),
    ]
    assert parse('<tessera-delete path="a.ts">trailing') == [
        FileDeleted("a.ts"),
        ChatText("trailing"),
    ]


def test_attributes_in_either_quote_with_entities_and_unknown_ones() -> None:
    text = (
        "<tessera-meta title='Tom &amp; Jerry&apos;s' description=\"&lt;b&gt; &quot;x&quot;\" "
        'category=&#65;pps mood="happy"/>'
        "<tessera-file  data-x='1'\n  path='src/a&amp;b.ts' >x</tessera-file>"
    )
    assert parse(text) == [
        ProjectMeta(title="Tom & Jerry's", description='<b> "x"', category="Apps"),
        FileStarted("src/a&b.ts"),
        FileDelta("src/a&b.ts", "x"),
        FileEnded("src/a&b.ts", "x"),
    ]


def test_a_greater_than_sign_inside_a_quoted_attribute() -> None:
    assert parse('<tessera-meta title="a > b" />') == [ProjectMeta(title="a > b")]


def test_an_empty_self_closing_file_tag_writes_an_empty_file() -> None:
    assert parse('<tessera-file path="empty.txt"/>') == [
        FileStarted("empty.txt"),
        FileEnded("empty.txt", ""),
    ]


def test_a_stray_closing_tag_is_dropped() -> None:
    assert parse("a</tessera-file>b</tessera-edit >c") == [ChatText("abc")]


def test_an_invalid_path_refuses_the_tag_and_swallows_its_body() -> None:
    actions = parse('x<tessera-file path="../../etc/passwd">root:x:0:0</tessera-file>y')
    assert actions[0] == ChatText("x")
    assert actions[2] == ChatText("y")
    refused = actions[1]
    assert isinstance(refused, ActionRefused)
    assert refused.path == "../../etc/passwd"
    assert "'..'" in refused.reason
    assert all("root:x" not in repr(action) for action in actions)


def test_a_refused_edit_swallows_its_blocks() -> None:
    text = (
        '<tessera-edit path="node_modules/x.js">\n<<<<<<< SEARCH\na\n=======\nb\n'
        ">>>>>>> REPLACE\n</tessera-edit>"
    )
    (refused,) = parse(text)
    assert isinstance(refused, ActionRefused)
    assert refused.path == "node_modules/x.js"


@pytest.mark.parametrize(
    ("tag", "path"),
    [
        ('<tessera-delete path="/etc/hosts"/>', "/etc/hosts"),
        ('<tessera-rename from="a.ts" to="../b.ts"/>', "../b.ts"),
        ('<tessera-rename from=".git/x" to="b.ts"/>', ".git/x"),
        ('<tessera-file path="src/"/>', "src/"),
    ],
)
def test_each_tag_checks_its_paths(tag: str, path: str) -> None:
    (refused,) = parse(tag)
    assert isinstance(refused, ActionRefused)
    assert refused.path == path
    assert "was refused" in refused.reason


@pytest.mark.parametrize(
    ("tag", "words"),
    [
        ("<tessera-file>x</tessera-file>", "no path attribute"),
        ('<tessera-rename from="a.ts"/>', "no to attribute"),
        ("<tessera-delete/>", "no path attribute"),
        ("<tessera-dependency/>", "no name attribute"),
        ('<tessera-dependency name="--registry=http://evil"/>', "not a valid package name"),
        ('<tessera-dependency name="react@18"/>', "version attribute"),
        ('<tessera-dependency name="left-pad" version="--global"/>', "is not a version"),
    ],
)
def test_incomplete_or_unsafe_tags_are_refused(tag: str, words: str) -> None:
    actions = parse(tag)
    assert len(actions) == 1
    assert isinstance(actions[0], ActionRefused)
    assert words in actions[0].reason


def test_an_unknown_tag_is_refused_and_its_body_swallowed() -> None:
    actions = parse("a<tessera-plan>step 1, step 2</tessera-plan>b<tessera-x/>c")
    assert [type(action) for action in actions] == [
        ChatText,
        ActionRefused,
        ChatText,
        ActionRefused,
        ChatText,
    ]
    refused = actions[1]
    assert isinstance(refused, ActionRefused)
    assert refused.path is None
    assert "<tessera-plan>" in refused.reason
    assert "step" not in "".join(a.text for a in actions if isinstance(a, ChatText))


def test_an_unknown_tag_never_closed_counts_as_self_closing() -> None:
    actions = parse('<tessera-note>keep this<tessera-delete path="a"/>tail')
    assert isinstance(actions[0], ActionRefused)
    assert actions[1:] == [ChatText("keep this"), FileDeleted("a"), ChatText("tail")]
    assert parse("<tessera-note>to the end")[1:] == [ChatText("to the end")]


def test_an_unclosed_file_is_refused_at_close_without_file_ended() -> None:
    parser = StreamParser()
    actions = parser.feed('Writing <tessera-file path="src/App.tsx">\nimport React')
    assert actions == [
        ChatText("Writing "),
        FileStarted("src/App.tsx"),
        FileDelta("src/App.tsx", "import React"),
    ]
    assert parser.close() == [
        ActionRefused(
            "src/App.tsx",
            "The model stopped in the middle of src/App.tsx; the partial file was not saved",
        )
    ]


def test_a_stream_cut_inside_an_opening_tag_is_refused() -> None:
    actions = parse('Here: <tessera-file path="src/App.tsx" ')
    assert actions[0] == ChatText("Here: ")
    assert isinstance(actions[1], ActionRefused)
    assert actions[1].path == "src/App.tsx"
    assert "stopped in the middle of a <tessera-file> tag" in actions[1].reason


def test_an_opening_tag_with_an_unclosed_quote_is_cut_at_its_first_bracket() -> None:
    long_tag = '<tessera-meta title="oops>' + "x" * 9000 + "</tessera-meta>after"
    assert parse(long_tag) == [ChatText("after")]
    refused, after = parse('<tessera-file path="a.ts>\nconst s = "hi";\n</tessera-file>after')
    assert isinstance(refused, ActionRefused)
    assert "no path attribute" in refused.reason
    assert after == ChatText("after")


def test_close_is_idempotent_and_feed_after_close_raises() -> None:
    parser = StreamParser()
    assert parser.feed("hi <tess") == [ChatText("hi ")]
    assert parser.close() == [ChatText("<tess")]
    assert parser.close() == []
    with pytest.raises(ProtocolError, match="already closed"):
        parser.feed("more")


def test_empty_feeds_answer_nothing() -> None:
    parser = StreamParser()
    assert parser.feed("") == []
    assert parser.close() == []


def test_merge_actions_joins_runs_of_chat_and_of_one_files_deltas() -> None:
    actions: list[Action] = [
        ChatText("a"),
        ChatText("b"),
        FileStarted("x"),
        FileDelta("x", "1"),
        FileDelta("x", "2"),
        FileDelta("y", "3"),
        FileEnded("x", "12"),
        ChatText("c"),
    ]
    assert merge_actions(actions) == [
        ChatText("ab"),
        FileStarted("x"),
        FileDelta("x", "12"),
        FileDelta("y", "3"),
        FileEnded("x", "12"),
        ChatText("c"),
    ]
