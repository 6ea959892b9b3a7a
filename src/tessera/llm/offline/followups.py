"""Follow-up edits: SEARCH/REPLACE blocks computed against the project's current files.

Every edit finds its target by pattern in the file as it is now (the user may have
changed it by hand), replaces only that, and widens the SEARCH text line by line until
it occurs exactly once. Blocks are computed in order against a working copy, so each
SEARCH text is present in the file as the blocks before it left it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from tessera.llm.offline.apps import INFOS, AppKind, Layout
from tessera.llm.offline.apps.base import html_text, js_string, jsx_text, slug
from tessera.llm.offline.apps.contact import field_for
from tessera.llm.offline.apps.kanban import column_line
from tessera.llm.offline.intents import (
    APP_FILE,
    AddColumn,
    AddField,
    AddItem,
    Change,
    Recolour,
    Retitle,
    SetMode,
)
from tessera.llm.offline.theme import palette

_H1 = re.compile(r"<h1\b[^>]*>(?P<inner>.*?)</h1>", re.S)
_HTML_TITLE = re.compile(r"<title>(?P<inner>.*?)</title>", re.S)
_TAG = re.compile(r"<[^>]+>")


def _array(name: str) -> re.Pattern[str]:
    """A top-level ``const NAME = [`` array: one indented entry a line, ``]`` at line start."""
    return re.compile(
        rf"^const {name}\b[^=\n]*=[ \t]*\[[ \t]*\n(?P<body>(?:[ \t]+[^\n]*\n|\n)*?)\]", re.M
    )


_FIELDS = _array("FIELDS")
_COLUMNS = _array("COLUMNS")
_STARTERS = _array("STARTER_TODOS")
_SHOW_TAGS = re.compile(r"^const SHOW_TAGS\s*=\s*(?P<value>true|false)\b", re.M)


def _css_variable(name: str) -> re.Pattern[str]:
    return re.compile(rf"^[ \t]*{re.escape(name)}\s*:\s*(?P<value>[^;\n]+?)\s*;", re.M)


_COLOR_SCHEME = re.compile(r"^[ \t]*color-scheme\s*:\s*(?P<value>[^;\n]+?)\s*;", re.M)


@dataclass(frozen=True, slots=True)
class Block:
    search: str
    replace: str


@dataclass(slots=True)
class FollowUpResult:
    edits: dict[str, list[Block]] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)
    """What was changed, as phrases: "renamed it to “Groceries”"."""
    skipped: list[str] = field(default_factory=list)
    """Sentences about what could not be done, and why."""
    title: str | None = None
    """The project's new title, when it was renamed."""


def make_block(content: str, start: int, end: int, new: str) -> Block:
    """Replace ``content[start:end]`` by ``new``, as a block of whole, unique lines."""
    first = content.rfind("\n", 0, start) + 1
    last = content.find("\n", end)
    last = len(content) if last == -1 else last
    while content.count(content[first:last]) > 1:
        if first > 0:
            first = content.rfind("\n", 0, first - 1) + 1
        elif last < len(content):
            following = content.find("\n", last + 1)
            last = len(content) if following == -1 else following
        else:
            break
    return Block(content[first:last], content[first:start] + new + content[end:last])


class _Editor:
    """The working copy of the files a follow-up touches, and the blocks made so far;
    ``layout`` says where the app keeps its heading, page title and theme."""

    def __init__(self, files: Mapping[str, str], layout: Layout) -> None:
        self.files = dict(files)
        self.layout = layout
        self.result = FollowUpResult()

    def replace(self, path: str, start: int, end: int, new: str) -> None:
        content = self.files[path]
        block = make_block(content, start, end, new)
        at = content.index(block.search)
        self.files[path] = content[:at] + block.replace + content[at + len(block.search) :]
        self.result.edits.setdefault(path, []).append(block)

    def insert_line_before(self, path: str, position: int, line: str) -> None:
        """Insert ``line`` above the line that contains ``position``."""
        content = self.files[path]
        line_start = content.rfind("\n", 0, position) + 1
        self.replace(path, line_start, line_start, line + "\n")

    # --- changes ---------------------------------------------------------------------------

    def retitle(self, title: str) -> None:
        heading_file = self.layout.heading_file
        heading = _H1.search(self.files.get(heading_file, ""))
        if heading is None:
            self.result.skipped.append(
                f"I couldn't find the page heading (<h1>) in {heading_file} any more, so I "
                f"left the title alone; add an <h1> back and ask again to rename it to "
                f"“{title}”."
            )
            return
        inner = heading.group("inner")
        current = _TAG.sub("", inner).strip()
        if current == jsx_text(title) or current == title:
            self.result.skipped.append(f"It's already called “{title}”.")
            return
        start = heading.start("inner")
        stripped = inner.strip()
        offset = inner.index(stripped) if stripped else 0
        self.replace(heading_file, start + offset, start + offset + len(stripped), jsx_text(title))
        page_file = self.layout.page_file
        page = self.files.get(page_file)
        page_title = _HTML_TITLE.search(page) if page is not None else None
        text = jsx_text(title) if self.layout.jinja_page else html_text(title)
        if page_title is not None and page_title.group("inner") != text:
            self.replace(page_file, *page_title.span("inner"), text)
        self.result.title = title
        self.result.done.append(f"renamed it to “{title}”")

    def recolour(self, change: Recolour) -> None:
        css_file = self.layout.css_file
        accent = _css_variable("--accent").search(self.files.get(css_file, ""))
        if accent is None:
            self.result.skipped.append(
                f"{css_file} no longer defines the --accent colour variable, so I couldn't "
                f"make it {change.accent.name}."
            )
            return
        if accent.group("value").lower() == change.accent.color:
            self.result.skipped.append(f"It's already {change.accent.name}.")
            return
        self.replace(css_file, *accent.span("value"), change.accent.color)
        contrast = _css_variable("--accent-contrast").search(self.files[css_file])
        if contrast is not None and contrast.group("value").lower() != change.accent.contrast:
            self.replace(css_file, *contrast.span("value"), change.accent.contrast)
        self.result.done.append(
            f"made the accent colour {change.accent.name} ({change.accent.color})"
        )

    def set_mode(self, dark: bool) -> None:
        mode = "dark" if dark else "light"
        colours = palette(dark)
        found = False
        changed = False
        targets = [(_COLOR_SCHEME, colours.scheme)] + [
            (_css_variable(name), value) for name, value in colours.variables().items()
        ]
        css_file = self.layout.css_file
        for pattern, value in targets:
            match = pattern.search(self.files.get(css_file, ""))
            if match is None:
                continue
            found = True
            if match.group("value").lower() != value:
                self.replace(css_file, *match.span("value"), value)
                changed = True
        if not found:
            self.result.skipped.append(
                f"{css_file} no longer has its background and text colour variables "
                f"(--bg, --text, ...), so I couldn't switch to {mode} mode."
            )
        elif not changed:
            self.result.skipped.append(f"It's already in {mode} mode.")
        else:
            self.result.done.append(f"switched to {mode} mode")

    def add_field(self, kind: AppKind, name: str) -> None:
        if kind == "notes":
            self._show_tags(name)
            return
        if kind == "guestbook":
            self.result.skipped.append(
                f"The guestbook's form keeps its two fields (name and message), so I didn't "
                f"add a “{name}” field; a real model can change the form."
            )
            return
        if kind != "contact":
            self.result.skipped.append(
                f"{_capital(INFOS[kind].noun)} has no form to add a “{name}” field to."
            )
            return
        new = field_for(name)
        app = self.files.get(APP_FILE, "")
        fields = _FIELDS.search(app)
        if new is None or fields is None:
            self.result.skipped.append(
                f"I couldn't find the FIELDS list in {APP_FILE} any more, so I didn't add "
                f"a “{name}” field."
                if fields is None
                else f"“{name}” isn't a name I can make a field of."
            )
            return
        body = fields.group("body")
        if re.search(rf"\bname:\s*{re.escape(js_string(new.name))}", body):
            self.result.skipped.append(f"The form already has a “{new.label}” field.")
            return
        message = re.search(r"^.*\bname:\s*'message'.*$", body, re.M)
        position = fields.start("body") + message.start() if message else fields.end() - 1
        self.insert_line_before(APP_FILE, position, new.line())
        self.result.done.append(f"added an optional “{new.label}” field ({new.type})")

    def _show_tags(self, name: str) -> None:
        if name.lower() not in {"tag", "tags", "label", "labels"}:
            self.result.skipped.append(
                f"The notes app can add a tags field, but not a “{name}” field."
            )
            return
        flag = _SHOW_TAGS.search(self.files.get(APP_FILE, ""))
        if flag is None:
            self.result.skipped.append(
                f"I couldn't find the SHOW_TAGS switch in {APP_FILE} any more, so I didn't "
                "add tags."
            )
        elif flag.group("value") == "true":
            self.result.skipped.append("Notes already have a tags field.")
        else:
            self.replace(APP_FILE, *flag.span("value"), "true")
            self.result.done.append("added a tags field to every note")

    def add_column(self, kind: AppKind, name: str) -> None:
        if kind != "kanban":
            self.result.skipped.append(
                f"{_capital(INFOS[kind].noun)} has no columns to add “{name}” to."
            )
            return
        app = self.files.get(APP_FILE, "")
        columns = _COLUMNS.search(app)
        if columns is None:
            self.result.skipped.append(
                f"I couldn't find the COLUMNS list in {APP_FILE} any more, so I didn't add "
                f"the “{name}” column."
            )
            return
        title = name[:1].upper() + name[1:]
        column_id = slug(name, default="column")
        body = columns.group("body")
        taken = re.search(rf"\bid:\s*{re.escape(js_string(column_id))}", body) or re.search(
            rf"\btitle:\s*{re.escape(js_string(title))}", body, re.I
        )
        if taken:
            self.result.skipped.append(f"The board already has a “{title}” column.")
            return
        done = re.search(r"^.*\bid:\s*'done'.*$", body, re.M)
        position = columns.start("body") + done.start() if done else columns.end() - 1
        self.insert_line_before(APP_FILE, position, column_line(column_id, title))
        where = "before Done" if done else "at the end"
        self.result.done.append(f"added a “{title}” column {where}")

    def add_item(self, kind: AppKind, text: str) -> None:
        if kind == "fullstack-todo":
            self.result.skipped.append(
                f"This list's todos live in the app's database, not in its code: type "
                f"“{text}” into “What needs to be done?” in the preview."
            )
            return
        if kind != "todo":
            hint = " Type it into “Add a card…” in the preview instead." if kind == "kanban" else ""
            self.result.skipped.append(
                f"I can only add items to a todo list, not to {INFOS[kind].noun}.{hint}"
            )
            return
        starters = _STARTERS.search(self.files.get(APP_FILE, ""))
        if starters is None:
            self.result.skipped.append(
                f"I couldn't find the STARTER_TODOS list in {APP_FILE} any more, so I didn't "
                f"add “{text}”."
            )
            return
        if js_string(text) in starters.group("body"):
            self.result.skipped.append(f"“{text}” is already on the list.")
            return
        self.insert_line_before(APP_FILE, starters.end() - 1, f"  {js_string(text)},")
        self.result.done.append(f"added “{text}” to the list")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def apply_changes(
    kind: AppKind, changes: tuple[Change, ...], files: Mapping[str, str]
) -> FollowUpResult:
    """The edits (and chat notes) for ``changes`` to an app of ``kind`` made of ``files``."""
    editor = _Editor(files, INFOS[kind].layout)
    for change in changes:
        if isinstance(change, Retitle):
            editor.retitle(change.title)
        elif isinstance(change, Recolour):
            editor.recolour(change)
        elif isinstance(change, SetMode):
            editor.set_mode(change.dark)
        elif isinstance(change, AddField):
            editor.add_field(kind, change.name)
        elif isinstance(change, AddColumn):
            editor.add_column(kind, change.name)
        elif isinstance(change, AddItem):
            editor.add_item(kind, change.text)
    return editor.result
