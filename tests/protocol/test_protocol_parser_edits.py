"""Edit tags: SEARCH/REPLACE blocks, as they stream and when malformed."""

from __future__ import annotations

from tessera.protocol.actions import Action, ActionRefused, ChatText, FileEdit
from tessera.protocol.parser import StreamParser, merge_actions, parse_all

TWO_BLOCKS = """<tessera-edit path="src/App.tsx">
<<<<<<< SEARCH
  const [n, setN] = useState(0);
=======
  const [n, setN] = useState(10);
>>>>>>> REPLACE

<<<<<<< SEARCH
import "./old.css";
=======
>>>>>>> REPLACE
</tessera-edit>"""


def parse(text: str) -> list[Action]:
    return merge_actions(parse_all(text))


def test_one_file_edit_per_block_with_line_breaks_kept() -> None:
    assert parse(TWO_BLOCKS) == [
        FileEdit(
            "src/App.tsx",
            "  const [n, setN] = useState(0);\n",
            "  const [n, setN] = useState(10);\n",
        ),
        FileEdit("src/App.tsx", 'import "./old.css";\n', ""),
    ]


def test_each_block_is_emitted_as_soon_as_it_is_complete() -> None:
    parser = StreamParser()
    cut = TWO_BLOCKS.index(">>>>>>> REPLACE") + len(">>>>>>> REPLACE")
    assert parser.feed(TWO_BLOCKS[:cut]) == []
    first = parser.feed(TWO_BLOCKS[cut : cut + 1])
    assert [type(action) for action in first] == [FileEdit]
    rest = parser.feed(TWO_BLOCKS[cut + 1 :])
    assert rest == [FileEdit("src/App.tsx", 'import "./old.css";\n', "")]


def test_blocks_parse_the_same_fed_one_character_at_a_time() -> None:
    parser = StreamParser()
    actions = [action for char in TWO_BLOCKS for action in parser.feed(char)] + parser.close()
    assert actions == parse(TWO_BLOCKS)


def test_markers_tolerate_spacing_sign_counts_crlf_and_fences_around() -> None:
    text = (
        '<tessera-edit path="a.py">\r\n```python\r\n<<<<<<<< SEARCH \r\nx = 1\r\n'
        "=========\r\nx = 2\r\n >>>>>>>REPLACE\r\n```\r\n</tessera-edit>"
    )
    assert parse(text) == [FileEdit("a.py", "x = 1\r\n", "x = 2\r\n")]


def test_an_empty_search_section_is_kept_empty() -> None:
    text = (
        '<tessera-edit path="new.ts">\n<<<<<<< SEARCH\n=======\nfresh\n>>>>>>> REPLACE\n'
        "</tessera-edit>"
    )
    assert parse(text) == [FileEdit("new.ts", "", "fresh\n")]


def test_a_replace_marker_directly_before_the_closing_tag() -> None:
    text = '<tessera-edit path="a">\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE</tessera-edit>'
    assert parse(text) == [FileEdit("a", "a\n", "b\n")]


def test_a_divider_inside_replace_is_content() -> None:
    text = (
        '<tessera-edit path="README.md">\n<<<<<<< SEARCH\nTitle\n=======\n'
        "Title\n=======\n>>>>>>> REPLACE\n</tessera-edit>"
    )
    assert parse(text) == [FileEdit("README.md", "Title\n", "Title\n=======\n")]


def only_refusal(text: str) -> ActionRefused:
    actions = parse(text)
    refused = [action for action in actions if isinstance(action, ActionRefused)]
    assert len(refused) == 1, actions
    return refused[0]


def test_a_block_without_replace_marker_is_refused() -> None:
    refused = only_refusal(
        '<tessera-edit path="a.ts">\n<<<<<<< SEARCH\na\n=======\nb\n</tessera-edit>'
    )
    assert refused.path == "a.ts"
    assert "was not finished" in refused.reason


def test_a_block_without_divider_is_refused_and_the_next_block_still_applies() -> None:
    text = (
        '<tessera-edit path="a.ts">\n<<<<<<< SEARCH\na\n>>>>>>> REPLACE\n'
        "<<<<<<< SEARCH\nc\n=======\nd\n>>>>>>> REPLACE\n</tessera-edit>"
    )
    actions = parse(text)
    assert isinstance(actions[0], ActionRefused)
    assert "'======='" in actions[0].reason
    assert actions[1:] == [FileEdit("a.ts", "c\n", "d\n")]


def test_a_new_search_inside_replace_refuses_the_unfinished_block() -> None:
    text = (
        '<tessera-edit path="a.ts">\n<<<<<<< SEARCH\na\n=======\nb\n'
        "<<<<<<< SEARCH\nc\n=======\nd\n>>>>>>> REPLACE\n</tessera-edit>"
    )
    actions = parse(text)
    assert isinstance(actions[0], ActionRefused)
    assert actions[1:] == [FileEdit("a.ts", "c\n", "d\n")]


def test_markers_outside_a_block_are_refused() -> None:
    refused = only_refusal('<tessera-edit path="a.ts">\n=======\nb\n</tessera-edit>')
    assert "outside a SEARCH/REPLACE block" in refused.reason


def test_an_edit_without_blocks_is_refused() -> None:
    for text in [
        '<tessera-edit path="a.ts">\njust prose\n</tessera-edit>',
        '<tessera-edit path="a.ts"/>',
    ]:
        refused = only_refusal(text)
        assert refused.path == "a.ts"
        assert "no SEARCH/REPLACE block" in refused.reason


def test_an_edit_cut_off_by_the_end_of_the_stream() -> None:
    text = (
        '<tessera-edit path="a.ts">\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n'
        "<<<<<<< SEARCH\nc\n"
    )
    actions = parse(text)
    assert actions[0] == FileEdit("a.ts", "a\n", "b\n")
    assert isinstance(actions[1], ActionRefused)
    assert "stopped in the middle of an edit of a.ts" in actions[1].reason


def test_an_edit_whose_blocks_all_finished_before_the_stream_ended_is_kept() -> None:
    text = '<tessera-edit path="a.ts">\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE'
    assert parse(text) == [FileEdit("a.ts", "a\n", "b\n")]


def test_text_after_the_edit_is_chat() -> None:
    actions = parse(TWO_BLOCKS + "\nAll done.")
    assert actions[-1] == ChatText("\nAll done.")
