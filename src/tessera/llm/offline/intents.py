"""Reading a request: which app to build, or which changes to make to the current one.

The offline model understands keywords, not prose. A message is cut into clauses
("call it Groceries and make it green" → two clauses) and each clause is matched
against a few patterns; see the package docstring for the full list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from tessera.llm.offline.apps import INFOS, MARKER_FILES, AppKind, AppSpec, read_marker
from tessera.llm.offline.theme import ACCENTS, Accent, find_accent

APP_FILE = "src/App.tsx"
MAX_TITLE = 60
MAX_NAME = 80

# --- what a request can ask for -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Retitle:
    title: str


@dataclass(frozen=True, slots=True)
class Recolour:
    accent: Accent


@dataclass(frozen=True, slots=True)
class SetMode:
    dark: bool


@dataclass(frozen=True, slots=True)
class AddField:
    name: str


@dataclass(frozen=True, slots=True)
class AddColumn:
    name: str


@dataclass(frozen=True, slots=True)
class AddItem:
    text: str


Change = Retitle | Recolour | SetMode | AddField | AddColumn | AddItem


@dataclass(frozen=True, slots=True)
class NewApp:
    spec: AppSpec


@dataclass(frozen=True, slots=True)
class FollowUp:
    kind: AppKind
    changes: tuple[Change, ...]
    not_understood: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Unknown:
    kind: AppKind | None = None
    """The kind of the project's current app, when the offline model wrote it."""


Intent = NewApp | FollowUp | Unknown

# --- patterns ------------------------------------------------------------------------------

_KIND_PATTERNS: tuple[tuple[AppKind, re.Pattern[str]], ...] = (
    ("kanban", re.compile(r"\bkanban\b|\bboard\b|\btrello\b|\bscrum\b", re.I)),
    (
        "todo",
        re.compile(
            r"\bto-?dos?\b|\bto[- ]do\b|\btask\s*(?:list|tracker|manager)s?\b|\bchecklists?\b"
            r"|\bshopping\s+list\b|\bgrocery\s+list\b",
            re.I,
        ),
    ),
    (
        "stopwatch",
        re.compile(r"\bstop-?watch(?:es)?\b|\btimers?\b|\bcount-?down\b|\bpomodoro\b", re.I),
    ),
    ("calculator", re.compile(r"\bcalculators?\b|\bcalc\b", re.I)),
    ("notes", re.compile(r"\bnotes?\b|\bnotepads?\b|\bnotebooks?\b|\bjournal\b|\bdiary\b", re.I)),
    (
        "contact",
        re.compile(r"\bcontact\b|\bforms?\b|\bsign-?\s?up\b|\bregistration\b|\bnewsletter\b", re.I),
    ),
    ("counter", re.compile(r"\bcounter\b|\bclicker\b|\btally\b|\bclick\s+count", re.I)),
    ("guestbook", re.compile(r"\bguest\s?books?\b|\bflask\b|\bpython\b", re.I)),
    ("fullstack-todo", re.compile(r"\bfull[- ]?stack\b", re.I)),
)

_TODO = dict(_KIND_PATTERNS)["todo"]
_GUESTBOOK = re.compile(r"\bguest\s?books?\b", re.I)
_BACKEND = re.compile(
    r"\bfull[- ]?stack\b|\bback[- ]?end\b|\bdatabases?\b|\bsqlite\b|\bapis?\b|\bflask\b"
    r"|\bpython\b",
    re.I,
)
_LOCAL_STORAGE = re.compile(r"\blocal\s?storage\b", re.I)

_COUNTDOWN = re.compile(r"\btimers?\b|\bcount-?down\b|\bpomodoro\b", re.I)
_STOPWATCH = re.compile(r"\bstop-?watch", re.I)

_CREATE = re.compile(
    r"\b(?:build|create|make|generate|write|design|code|give\s+me|i\s+want|i\s+need|"
    r"i'd\s+like|let's\s+(?:build|make)|how\s+about|start|switch\s+to)\s+"
    r"(?:me\s+|us\s+)?(?:a|an|another|one|some|new)\b",
    re.I,
)

_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|‘([^’]+)’|(?<![\w'])'([^']+)'(?![\w'])")  # noqa: RUF001
_PLACEHOLDER = re.compile(r"\x00(\d+)\x00")

_CLAUSE_START = (
    r"(?:make|use|set|change|rename|call|add|switch|turn|give|title|put|enable|paint|"
    r"colou?r|go|also|please|dark|light|can|could|i'd|let's|update)"
)
_SPLIT = re.compile(
    r"[;\n]+"
    r"|[.!?]+(?:\s+|$)"
    rf"|,\s*(?:and\s+|then\s+)?(?={_CLAUSE_START}\b)"
    rf"|\s+(?:and|then|also|plus)\s+(?={_CLAUSE_START}\b)"
    r"|\s+and\s+then\s+",
    re.I,
)

_TITLE_END = re.compile(
    r"\s+(?:with|that|which|where|using|featuring|having"
    rf"|in\s+(?:an?\s+)?(?:dark|light|night|{'|'.join(ACCENTS)}|grey)\b).*$",
    re.I | re.S,
)
_NAMED = re.compile(r"\b(?:called|named|titled|entitled)\s+(?P<title>.+)$", re.I | re.S)
_RETITLE = (
    re.compile(
        r"\b(?:change|set|update|make|switch)\s+(?:the\s+)?(?:app'?s?\s+|page\s+)?"
        r"(?:title|name|heading|header)\s+(?:to|into|as)\s+(?P<title>.+)$",
        re.I | re.S,
    ),
    re.compile(
        r"\brename\s+(?:it|this|the\s+(?:app|page|title|heading))\s+(?:(?:to|as|into)\s+)?"
        r"(?P<title>.+)$",
        re.I | re.S,
    ),
    re.compile(r"\brename\s+(?:to|as)\s+(?P<title>.+)$", re.I | re.S),
    re.compile(r"\bcall\s+(?:it|this|the\s+app)\s+(?P<title>.+)$", re.I | re.S),
    re.compile(r"\b(?:title|heading|name)\s*[:=]\s*(?P<title>.+)$", re.I | re.S),
    re.compile(
        r"\b(?:the\s+)?(?:title|heading|name)\s+should\s+(?:be|say|read)\s+(?P<title>.+)$",
        re.I | re.S,
    ),
)

_LIGHT = re.compile(
    r"\blight\s*(?:mode|theme|background|colou?rs|look|ui)\b|\bmake\s+it\s+light(?:er)?\b"
    r"|\b(?:turn|switch)\s+off\s+(?:the\s+)?dark|\bdisable\s+(?:the\s+)?dark|\bno\s+(?:more\s+)?dark"
    r"|\bremove\s+(?:the\s+)?dark|\bwhite\s+background\b",
    re.I,
)
_DARK = re.compile(
    r"\b(?:dark|night)\s*(?:mode|theme|background|colou?rs|look|ui|style)\b"
    r"|\bmake\s+it\s+dark(?:er)?\b|\bgo\s+dark\b|\bdarken\b|\bblack\s+background\b",
    re.I,
)

_ADD = re.compile(
    r"\b(?:add|create|insert|append|include)"
    r"(?:\s+(?:a|an|another|new|the|one|optional|extra|more|some))*\s+(?P<rest>.+)$",
    re.I | re.S,
)
_FIELD_NOUNS = {"field", "fields", "input", "inputs"}
_COLUMN_NOUNS = {"column", "columns", "col", "lane", "lanes", "stage", "list"}
_ITEM_NOUNS = {"todo", "todos", "to-do", "task", "tasks", "item", "items", "entry", "reminder"}
_TAG_NOUNS = {"tag", "tags", "label", "labels"}
_NAME_LEAD = re.compile(r"^(?:for|called|named|titled|saying|:|-|–|with\s+the\s+text)\s*", re.I)  # noqa: RUF001
_FIELD_SUFFIX = re.compile(r"^(?P<name>.+?)\s+(?:field|input|box)s?$", re.I | re.S)
_COLUMN_SUFFIX = re.compile(r"^(?P<name>.+?)\s+(?:column|lane|stage)s?$", re.I | re.S)
_TO_LIST = re.compile(
    r"^(?P<name>.+?)\s+to\s+(?:the|my|this)\s+(?:list|todos?|to-do\s+list|todo\s+list|tasks)$",
    re.I | re.S,
)
_TRAILING_POLITE = re.compile(r"[\s,]*(?:please|thanks|thank\s+you|for\s+me)[\s.!]*$", re.I)


# --- text helpers --------------------------------------------------------------------------


def _protect_quotes(text: str) -> tuple[str, list[tuple[str, str]]]:
    """``text`` with each quoted part replaced by a placeholder; the parts (whole, inner)."""
    quoted: list[tuple[str, str]] = []

    def keep(match: re.Match[str]) -> str:
        inner = next(group for group in match.groups() if group is not None)
        quoted.append((match.group(), inner))
        return f"\x00{len(quoted) - 1}\x00"

    return _QUOTED.sub(keep, text), quoted


def _restore(text: str, quoted: list[tuple[str, str]], *, marks: bool = False) -> str:
    """Put the quoted parts back: without their quotation marks unless ``marks``."""
    return _PLACEHOLDER.sub(lambda match: quoted[int(match.group(1))][0 if marks else 1], text)


def _is_quoted(text: str) -> bool:
    return _PLACEHOLDER.fullmatch(text.strip()) is not None


def split_clauses(text: str) -> list[str]:
    """Cut a message into requests; quoted text is never cut."""
    protected, quoted = _protect_quotes(text)
    clauses = (_restore(part, quoted, marks=True).strip() for part in _SPLIT.split(protected))
    return [clause for clause in clauses if clause]


def _one_line(text: str, limit: int) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[\x00-\x1f]", " ", text)).strip()[:limit].strip()


def clean_name(raw: str, *, limit: int = MAX_NAME) -> str:
    """A name or title as the user meant it: no quotes, trailing punctuation or "please".

    A name given in quotes is taken exactly as quoted.
    """
    protected, quoted = _protect_quotes(raw.strip())
    protected = _TRAILING_POLITE.sub("", protected).strip()
    if _is_quoted(protected):
        return _one_line(_restore(protected, quoted), limit)
    text = _one_line(_restore(protected, quoted), limit * 2)
    text = text.strip("\"'“”‘’`").strip().rstrip(".,;:!?").strip()  # noqa: RUF001
    return text[:limit].strip()


def clean_title(raw: str) -> str:
    """Like ``clean_name``, also cut at "with ...", and capitalised when all lower case."""
    protected, quoted = _protect_quotes(raw.strip())
    exact = _is_quoted(_TRAILING_POLITE.sub("", protected).strip())
    if not exact:
        protected = _TITLE_END.sub("", protected)
    title = clean_name(_restore(protected, quoted, marks=True), limit=MAX_TITLE)
    if not exact and title == title.lower():
        title = " ".join(word[:1].upper() + word[1:] for word in title.split(" "))
    return title


def detect_kind(text: str) -> AppKind | None:
    """The kind of app a message asks for: the one whose keyword comes first.

    A todo list with a server side ("full stack", "backend", "database", "sqlite", "api",
    "flask", "python") is the full-stack todo list, unless it should keep its items in
    local storage; Flask or Python alone is the guestbook.
    """
    found: list[tuple[int, int, AppKind]] = []
    for priority, (kind, pattern) in enumerate(_KIND_PATTERNS):
        match = pattern.search(text)
        if match is not None:
            found.append((match.start(), priority, kind))
    if not found:
        return None
    kind = min(found)[2]
    if kind in ("todo", "guestbook", "fullstack-todo"):
        todo = _TODO.search(text) is not None
        guestbook = _GUESTBOOK.search(text) is not None
        if guestbook and not todo:
            return "guestbook"
        if todo and not guestbook and _BACKEND.search(text) and not _LOCAL_STORAGE.search(text):
            return "fullstack-todo"
    return kind


def named_title(text: str) -> tuple[str, str] | None:
    """("Groceries", the text without it) when the text says "called Groceries"."""
    protected, quoted = _protect_quotes(text)
    match = _NAMED.search(protected)
    if match is None:
        return None
    raw = match.group("title")
    first = raw.split(" ")[0]
    raw = first if _is_quoted(first) else _TITLE_END.sub("", raw)
    raw = _SPLIT.split(raw)[0]
    title = clean_title(_restore(raw, quoted, marks=True))
    if not title:
        return None
    rest = protected[: match.start()] + protected[match.start("title") + len(raw) :]
    return title, _restore(rest, quoted, marks=True)


# --- one clause ----------------------------------------------------------------------------


def _parse_add(clause: str) -> Change | None:
    protected, quoted = _protect_quotes(clause)
    match = _ADD.search(protected)
    if match is None:
        return None
    rest = match.group("rest").strip()
    first, _, tail = rest.partition(" ")
    noun = first.lower().rstrip(":")

    def name(raw: str) -> str:
        return clean_name(_restore(_NAME_LEAD.sub("", raw.strip()), quoted, marks=True))

    if noun in _FIELD_NOUNS and tail:
        return AddField(name(tail)) if name(tail) else None
    if noun in _COLUMN_NOUNS and tail:
        return AddColumn(name(tail)) if name(tail) else None
    if noun in _ITEM_NOUNS and tail:
        return AddItem(name(tail)) if name(tail) else None
    if noun in _TAG_NOUNS:
        return AddField("tags")
    for pattern, build in (
        (_FIELD_SUFFIX, AddField),
        (_COLUMN_SUFFIX, AddColumn),
        (_TO_LIST, AddItem),
    ):
        suffix = pattern.match(_TRAILING_POLITE.sub("", rest))
        if suffix is not None and name(suffix.group("name")):
            return build(name(suffix.group("name")))
    if _is_quoted(_TRAILING_POLITE.sub("", rest)):
        return AddItem(name(rest))
    return None


def _parse_title(clause: str) -> Retitle | None:
    protected, quoted = _protect_quotes(clause)
    for pattern in _RETITLE:
        match = pattern.search(protected)
        if match is not None:
            title = clean_title(_restore(match.group("title"), quoted, marks=True))
            if title:
                return Retitle(title)
    return None


def _parse_style(clause: str) -> list[Change]:
    changes: list[Change] = []
    if _LIGHT.search(clause):
        changes.append(SetMode(dark=False))
    elif _DARK.search(clause):
        changes.append(SetMode(dark=True))
    without_modes = _DARK.sub(" ", _LIGHT.sub(" ", clause))
    accent = find_accent(without_modes)
    if accent is not None:
        changes.append(Recolour(accent))
    return changes


def parse_changes(text: str) -> tuple[list[Change], list[str]]:
    """The changes a follow-up message asks for, and the clauses nobody understood."""
    changes: list[Change] = []
    leftovers: list[str] = []
    for clause in split_clauses(text):
        title = _parse_title(clause)
        if title is not None:
            changes.append(title)
            continue
        added = _parse_add(clause)
        if added is not None:
            changes.append(added)
            continue
        style = _parse_style(clause)
        if style:
            changes.extend(style)
        elif re.search(r"\w", clause) and not _TRAILING_POLITE.fullmatch(clause):
            leftovers.append(clause)
    return changes, leftovers


# --- a whole request -----------------------------------------------------------------------


DEFAULT_ACCENTS: dict[AppKind, str] = {
    "todo": "indigo",
    "counter": "violet",
    "notes": "amber",
    "calculator": "orange",
    "stopwatch": "teal",
    "contact": "blue",
    "kanban": "purple",
    "guestbook": "pink",
    "fullstack-todo": "green",
}


def new_app_spec(text: str, kind: AppKind) -> AppSpec:
    info = INFOS[kind]
    named = named_title(text)
    rest = text
    variant: str | None = None
    if kind == "stopwatch" and _COUNTDOWN.search(text) and not _STOPWATCH.search(text):
        variant = "countdown"
    if named is not None:
        title, rest = named
    elif variant == "countdown":
        title = "Countdown Timer"
    else:
        title = info.default_title
    accent = find_accent(_DARK.sub(" ", _LIGHT.sub(" ", rest))) or ACCENTS[DEFAULT_ACCENTS[kind]]
    dark = _DARK.search(rest) is not None and _LIGHT.search(rest) is None
    return AppSpec(kind=kind, title=title, accent=accent, dark=dark, variant=variant)


def _asks_for_new_app(text: str) -> AppKind | None:
    for clause in split_clauses(text):
        match = _CREATE.search(clause)
        if match is not None and _ADD.search(clause[: match.start()]) is None:
            kind = detect_kind(clause[match.start() :])
            if kind is not None:
                return kind
    return None


def current_kind(files: Mapping[str, str]) -> AppKind | None:
    """The kind of app the offline model wrote in this project, read from its marker."""
    for path in MARKER_FILES:
        content = files.get(path)
        kind = read_marker(content) if content is not None else None
        if kind is not None and INFOS[kind].layout.marker_file == path:
            return kind
    return None


def detect_intent(text: str, files: Mapping[str, str]) -> Intent:
    existing = current_kind(files)
    if existing is None:
        kind = detect_kind(text)
        return NewApp(new_app_spec(text, kind)) if kind is not None else Unknown()
    wanted = _asks_for_new_app(text)
    if wanted is not None:
        return NewApp(new_app_spec(text, wanted))
    changes, leftovers = parse_changes(text)
    if changes:
        return FollowUp(existing, tuple(changes), tuple(leftovers))
    return Unknown(existing)
