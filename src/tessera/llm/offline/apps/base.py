"""What every generated app shares: its spec, its kind marker, and text escaping helpers."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Literal, get_args

from tessera.llm.offline.theme import Accent

AppKind = Literal[
    "todo",
    "counter",
    "notes",
    "calculator",
    "stopwatch",
    "contact",
    "kanban",
    "guestbook",
    "fullstack-todo",
]
KINDS: tuple[AppKind, ...] = get_args(AppKind)

MARKER_TEXT = "Made with Tessera's offline demo model (kind: "
_MARKER = re.compile(r"^(?://|#) Made with Tessera's offline demo model \(kind: ([a-z-]+)\)")


@dataclass(frozen=True, slots=True)
class Layout:
    """Where an app keeps what follow-ups change: the file starting with the kind marker,
    the page heading (``<h1>``), the page ``<title>``, and the stylesheet whose ``:root``
    holds the theme variables."""

    marker_file: str
    heading_file: str
    page_file: str
    css_file: str
    jinja_page: bool = False
    """The page is a Jinja template: braces in its text are written as entities."""


REACT_LAYOUT = Layout("src/App.tsx", "src/App.tsx", "index.html", "src/App.css")
FLASK_LAYOUT = Layout(
    "app.py", "templates/index.html", "templates/index.html", "static/style.css", jinja_page=True
)
MARKER_FILES = ("src/App.tsx", "app.py")
"""Where a generated app's marker may be, in the order they are read."""


@dataclass(frozen=True, slots=True)
class AppSpec:
    kind: AppKind
    title: str
    accent: Accent
    dark: bool = False
    variant: str | None = None
    """Kind-specific flavour, e.g. "countdown" for a timer rather than a stopwatch."""


@dataclass(frozen=True, slots=True)
class AppInfo:
    """How the offline model talks about one kind of app."""

    kind: AppKind
    default_title: str
    noun: str
    """"a todo list", used in chat sentences."""
    description: str
    category: str
    pitch: str
    """What the app does, after "I'll build {title}, {noun} ..."."""
    tweaks: str
    """Follow-up suggestions shown after the app is written."""
    layout: Layout = REACT_LAYOUT
    """Where follow-ups find what they change."""


def marker(kind: AppKind, *, comment: str = "//") -> str:
    """First line of every generated app's main file (``src/App.tsx``, or ``app.py`` with
    ``comment="#"``); follow-ups read the kind from it."""
    return f"{comment} {MARKER_TEXT}{kind})"


def read_marker(app_tsx: str) -> AppKind | None:
    match = _MARKER.match(app_tsx.lstrip("\ufeff"))
    if match is None:
        return None
    kind = match.group(1)
    for known in KINDS:
        if known == kind:
            return known
    return None


def jsx_text(text: str) -> str:
    """``text`` as JSX children, or as text in a Jinja template: HTML entities for the
    characters either gives a meaning (braces included)."""
    escaped = html.escape(text, quote=False)
    return escaped.replace("{", "&#123;").replace("}", "&#125;")


def html_text(text: str) -> str:
    return html.escape(text, quote=False)


def js_string(text: str) -> str:
    """A single-quoted JavaScript string literal."""
    body = json.dumps(text, ensure_ascii=False)[1:-1]
    return "'" + body.replace('\\"', '"').replace("'", "\\'") + "'"


def slug(text: str, *, default: str = "app") -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words)[:50].strip("-") or default
