"""The lexical side of the tag format: tag names, attributes and XML entities."""

from __future__ import annotations

import re

TAG_PREFIX = "<tessera-"
CLOSE_TAG_PREFIX = "</tessera-"
FILE_CLOSE = "</tessera-file>"
EDIT_CLOSE = "</tessera-edit>"
DIFF_CLOSE = "</tessera-diff>"

MAX_TAG_CHARS = 8192
"""An opening tag longer than this (usually an unclosed quote) is cut at its first ``>``."""

KNOWN_TAGS = ("file", "edit", "diff", "delete", "rename", "dependency", "meta")

# Where a tag may start in chat text.
TAG_START_RE = re.compile(r"</?tessera-")
# ``<tessera-name`` followed by what may follow a tag name.
OPEN_NAME_RE = re.compile(r"<tessera-([a-z][a-z0-9_-]{0,63})(?=[\s/>])")
# A prefix of the above that more text could still complete.
OPEN_NAME_PARTIAL_RE = re.compile(r"<tessera-[a-z0-9_-]{0,64}")
# The rest of an opening tag after its name: ``>`` outside quotes ends it.
TAG_REST_RE = re.compile(r"""(?:[^"'>]|"[^"]*+"|'[^']*+')*+>""")
CLOSE_TAG_RE = re.compile(r"</tessera-([a-z][a-z0-9_-]{0,63})\s*>")
CLOSE_TAG_PARTIAL_RE = re.compile(r"</tessera-(?:[a-z][a-z0-9_-]{0,63}\s{0,16})?")

_ATTRIBUTE_RE = re.compile(
    r"""([^\s"'=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|((?:[^\s"'>/]|/(?!>))+))"""
)
_ENTITY_RE = re.compile(r"&(quot|amp|lt|gt|apos|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_NAMED_ENTITIES = {"quot": '"', "amp": "&", "lt": "<", "gt": ">", "apos": "'"}


def _decode_entity(match: re.Match[str]) -> str:
    name = match.group(1)
    if not name.startswith("#"):
        return _NAMED_ENTITIES[name]
    number = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
    if number > 0x10FFFF or 0xD800 <= number <= 0xDFFF:
        return match.group()
    return chr(number)


def decode_entities(text: str) -> str:
    """Decode ``&quot; &amp; &lt; &gt; &apos;`` and numeric references; leave others as is."""
    if "&" not in text:
        return text
    return _ENTITY_RE.sub(_decode_entity, text)


def escape_attribute(text: str) -> str:
    """Escape a value for a double-quoted attribute."""
    return (
        text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def parse_attributes(text: str) -> dict[str, str]:
    """Attributes of a tag (names lower-cased, values decoded); the first of duplicates wins."""
    attributes: dict[str, str] = {}
    for match in _ATTRIBUTE_RE.finditer(text):
        name = match.group(1).lower()
        value = next(group for group in match.groups()[1:] if group is not None)
        attributes.setdefault(name, decode_entities(value))
    return attributes


def held_suffix(text: str, needles: tuple[str, ...]) -> int:
    """Length of the longest end of ``text`` that could begin one of ``needles``.

    Every needle starts with ``<`` and contains no other ``<``, so only the last ``<``
    near the end can start one; the answer is always shorter than the longest needle.
    """
    start = max(0, len(text) - max(len(needle) for needle in needles) + 1)
    at = text.rfind("<", start)
    if at < 0:
        return 0
    tail = text[at:]
    if any(needle.startswith(tail) and needle != tail for needle in needles):
        return len(text) - at
    return 0
