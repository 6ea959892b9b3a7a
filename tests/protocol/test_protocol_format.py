"""Renderers: the tag format written, and parsed back."""

from __future__ import annotations

import pytest

from tessera.protocol.actions import (
    DependencyAdded,
    FileDeleted,
    FileDelta,
    FileEdit,
    FileEnded,
    FileRenamed,
    FileStarted,
    ProjectMeta,
)
from tessera.protocol.format import (
    render_delete,
    render_dependency,
    render_edit,
    render_file,
    render_meta,
    render_rename,
)
from tessera.protocol.parser import merge_actions, parse_all


def test_render_file_adds_one_line_break_on_each_side() -> None:
    assert render_file("src/a.ts", "x") == '<tessera-file path="src/a.ts">\nx\n</tessera-file>'


@pytest.mark.parametrize(
    "content",
    [
        "",
        "\n",
        "\nx\n",
        "\n\n",
        "a < b && </tessera-fil",
        "<tessera-file path='x'>",
        "ünïcødé ✓ 文件 🎉",
        "crlf\r\nlines\r\n",
        "\r",
        "ends with cr\r",
        "\r\nstarts with crlf",
        "```tsx\nlooks fenced\n```",
        "```\n",
        "```python\nno closing fence",
        "```ts\r\ncrlf fenced\r\n```\r",
    ],
)
def test_render_file_round_trips(content: str) -> None:
    actions = merge_actions(parse_all(render_file("src/App.tsx", content)))
    delta = [FileDelta("src/App.tsx", content)] if content else []
    assert actions == [FileStarted("src/App.tsx"), *delta, FileEnded("src/App.tsx", content)]


def test_fenced_markdown_content_is_written_as_is() -> None:
    content = "```sh\nls\n```"
    assert (
        render_file("README.md", content)
        == f'<tessera-file path="README.md">\n{content}\n</tessera-file>'
    )
    assert parse_all(render_file("README.md", content))[-1] == FileEnded("README.md", content)


def test_render_edit_round_trips() -> None:
    blocks = [("old\n", "new\n"), ("gone\n", ""), ("", "fresh\n")]
    assert merge_actions(parse_all(render_edit("a.ts", blocks))) == [
        FileEdit("a.ts", search, replace) for search, replace in blocks
    ]


def test_render_edit_ends_sections_with_a_line_break() -> None:
    text = render_edit("a.ts", [("old", "new")])
    assert text == (
        '<tessera-edit path="a.ts">\n<<<<<<< SEARCH\nold\n=======\nnew\n>>>>>>> REPLACE\n'
        "</tessera-edit>"
    )


def test_body_less_renderers_round_trip_with_escaped_attributes() -> None:
    text = "".join(
        [
            render_delete('we"ird & <odd>.ts'),
            render_rename("a b.ts", "c'd.ts"),
            render_dependency("zustand", "^5 || >=6"),
            render_dependency("react"),
            render_meta(title='Tom & "Jerry"', category="games"),
            render_meta(),
        ]
    )
    assert '"we&quot;ird &amp; &lt;odd&gt;.ts"' in text
    assert parse_all(text) == [
        FileDeleted('we"ird & <odd>.ts'),
        FileRenamed("a b.ts", "c'd.ts"),
        DependencyAdded("zustand", "^5 || >=6"),
        DependencyAdded("react", None),
        ProjectMeta(title='Tom & "Jerry"', category="games"),
    ]


def test_render_meta_writes_only_given_attributes() -> None:
    assert render_meta(description="d") == '<tessera-meta description="d"/>'
