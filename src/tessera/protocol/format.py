"""Writing the tag format: the inverse of the parser.

Used for prompts (showing a model the files and the format it should answer in), for the
offline provider and for tests. ``parse_all(render_file(path, content))`` answers
``FileStarted(path)``, ``FileDelta``s joining to ``content`` and ``FileEnded(path, content)``
for every valid path and every content, with one limitation: the content must not contain
the literal closing tag ``</tessera-file>`` (the format has no escape for it).
"""

from __future__ import annotations

from tessera.protocol.fences import file_content
from tessera.protocol.markup import escape_attribute


def render_file(path: str, content: str) -> str:
    """A whole file: one line break after the opening tag and one before the closing tag.

    Content that the parser would take for a fenced block is wrapped in one more fence
    (which the parser removes), so it comes back unchanged.
    """
    if file_content(_body(content), path) != content:
        inner_break = "\r\n" if content.endswith("\r") else "\n"
        content = f"```\n{content}{inner_break}```"
    return f'<tessera-file path="{escape_attribute(path)}">{_body(content)}</tessera-file>'


def _body(content: str) -> str:
    # A content ending with "\r" needs "\r\n" before the closing tag: the parser drops a
    # "\r\n" there as one line break, where "\n" would leave "\r\n" inside the content.
    closing_break = "\r\n" if content.endswith("\r") else "\n"
    return f"\n{content}{closing_break}"


def render_edit(path: str, blocks: list[tuple[str, str]]) -> str:
    """SEARCH/REPLACE blocks; each section gets a final line break if it lacks one.

    Sections round-trip when they are empty or end with a line break and no line of them
    is a block marker.
    """
    parts = [f'<tessera-edit path="{escape_attribute(path)}">\n']
    for search, replace in blocks:
        parts.append(f"<<<<<<< SEARCH\n{_lines(search)}=======\n{_lines(replace)}>>>>>>> REPLACE\n")
    parts.append("</tessera-edit>")
    return "".join(parts)


def _lines(section: str) -> str:
    return section if not section or section.endswith("\n") else section + "\n"


def render_delete(path: str) -> str:
    return f'<tessera-delete path="{escape_attribute(path)}"/>'


def render_rename(source: str, target: str) -> str:
    return f'<tessera-rename from="{escape_attribute(source)}" to="{escape_attribute(target)}"/>'


def render_dependency(name: str, version: str | None = None) -> str:
    version_attribute = "" if version is None else f' version="{escape_attribute(version)}"'
    return f'<tessera-dependency name="{escape_attribute(name)}"{version_attribute}/>'


def render_meta(
    title: str | None = None, description: str | None = None, category: str | None = None
) -> str:
    """Only the given attributes are written."""
    attributes = "".join(
        f' {name}="{escape_attribute(value)}"'
        for name, value in (("title", title), ("description", description), ("category", category))
        if value is not None
    )
    return f"<tessera-meta{attributes}/>"
