"""File tag bodies: line breaks next to the tags, wrapping code fences, streaming, speed."""

from __future__ import annotations

import time

import pytest

from tessera.protocol.actions import Action, FileDelta, FileEnded, FileStarted
from tessera.protocol.parser import StreamParser, merge_actions, parse_all


def content_of(body: str, path: str = "src/App.tsx") -> str:
    actions = parse_all(f'<tessera-file path="{path}">{body}</tessera-file>')
    (ended,) = [action for action in actions if isinstance(action, FileEnded)]
    return ended.content


def streamed(chunks: list[str]) -> list[Action]:
    parser = StreamParser()
    return [action for chunk in chunks for action in parser.feed(chunk)] + parser.close()


@pytest.mark.parametrize(
    ("body", "content"),
    [
        ("\nline1\nline2\n", "line1\nline2"),
        ("line1\nline2", "line1\nline2"),
        ("\r\nline1\r\nline2\r\n", "line1\r\nline2"),
        ("\n\nline\n\n", "\nline\n"),
        ("", ""),
        ("\n", ""),
        ("\n\n", ""),
        ("\n\n\n", "\n"),
        ("\r", "\r"),
        ("x\r\r\n", "x\r"),
    ],
)
def test_one_line_break_next_to_each_tag_is_not_content(body: str, content: str) -> None:
    assert content_of(body) == content


@pytest.mark.parametrize(
    ("body", "content"),
    [
        ("\n```tsx\nexport {}\n```\n", "export {}"),
        ('\n```tsx title="src/App.tsx"\na\nb\n```\n', "a\nb"),
        ("\n```\na\n```", "a"),
        ("```python\nprint(1)\n```  \n", "print(1)"),
        ("\r\n```ts\r\na\r\n```\r\n", "a"),
        ("\n````md\n```\ninner\n```\n````\n", "```\ninner\n```"),
        ("\n```tsx\nno closing fence\n", "no closing fence"),
        ("\n```tsx\n```\n", ""),
        ("\n```tsx\n", "```tsx"),
        ("\nconst a = `x`;\n```\n", "const a = `x`;\n```"),
        ("\n```js\na\n```\nb\n", "a\n```\nb"),
    ],
)
def test_a_wrapping_code_fence_is_unwrapped(body: str, content: str) -> None:
    assert content_of(body) == content


def test_markdown_files_keep_their_fences() -> None:
    body = "\n```sh\nnpm install\n```\n"
    assert content_of(body, "README.md") == "```sh\nnpm install\n```"
    assert content_of(body, "docs/guide.MDX") == "```sh\nnpm install\n```"


def test_deltas_of_a_fenced_file_leave_the_fences_out() -> None:
    chunks = ['<tessera-file path="a.ts">\n``', "`ts\nline 1\n", "line 2\n`", "``\n</tessera-file>"]
    actions = streamed(chunks)
    assert actions[0] == FileStarted("a.ts")
    deltas = [action.delta for action in actions if isinstance(action, FileDelta)]
    assert "".join(deltas) == "line 1\nline 2"
    assert all("`" not in delta for delta in deltas)
    assert actions[-1] == FileEnded("a.ts", "line 1\nline 2")


def test_a_trailing_line_break_is_held_back_until_the_next_text() -> None:
    parser = StreamParser()
    parser.feed('<tessera-file path="a.ts">\n')
    assert parser.feed("one\n") == [FileDelta("a.ts", "one")]
    assert parser.feed("two\r") == [FileDelta("a.ts", "\ntwo")]
    assert parser.feed("\n") == []
    assert parser.feed("</tessera-file>") == [FileEnded("a.ts", "one\ntwo")]


def test_the_line_break_after_the_opening_tag_is_awaited() -> None:
    parser = StreamParser()
    parser.feed('<tessera-file path="a.ts">')
    assert parser.feed("\r") == []
    assert parser.feed("\nx") == [FileDelta("a.ts", "x")]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64])
def test_any_chunk_size_gives_the_same_actions(size: int) -> None:
    text = (
        "Intro <b>bold</b>\n"
        '<tessera-file path="src/App.tsx">\n```tsx\nconst a = "<tessera-fil";\n```\n'
        "</tessera-file>\n"
        '<tessera-file path="b.txt">\r\nb\r\n</tessera-file>'
    )
    whole = merge_actions(parse_all(text))
    pieces = merge_actions(streamed([text[i : i + size] for i in range(0, len(text), size)]))
    assert pieces == whole
    assert FileEnded("src/App.tsx", 'const a = "<tessera-fil";') in whole
    assert FileEnded("b.txt", "b") in whole


def test_a_5_mb_file_in_1_kb_chunks_parses_in_linear_time() -> None:
    line = "export const value = compute(a < b, `x`); // </tessera-fil\n"
    body = line * (5 * 1024 * 1024 // len(line))
    text = f'<tessera-file path="big.ts">\n```ts\n{body}```\n</tessera-file>'
    parser = StreamParser()
    started = time.perf_counter()
    actions = [a for i in range(0, len(text), 1024) for a in parser.feed(text[i : i + 1024])]
    actions += parser.close()
    elapsed = time.perf_counter() - started
    assert sum(isinstance(action, FileDelta) for action in actions) >= 5000  # streamed
    assert actions[-1] == FileEnded("big.ts", body.removesuffix("\n"))
    # A parser that re-scans its buffer on each feed takes minutes here; linear takes ~0.1 s.
    assert elapsed < 3.0


def test_a_5_mb_line_in_an_edit_parses_in_linear_time() -> None:
    text = '<tessera-edit path="a.ts">\n<<<<<<< SEARCH\n' + "x" * 5_000_000
    text += "\n=======\ny\n>>>>>>> REPLACE\n</tessera-edit>"
    parser = StreamParser()
    started = time.perf_counter()
    actions = [a for i in range(0, len(text), 1024) for a in parser.feed(text[i : i + 1024])]
    assert time.perf_counter() - started < 3.0
    assert len(actions) == 1
