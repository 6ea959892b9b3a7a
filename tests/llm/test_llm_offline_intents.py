"""Reading requests: kinds, titles, clauses, colours."""

from __future__ import annotations

import pytest

from tessera.llm.offline.intents import (
    AddColumn,
    AddField,
    AddItem,
    FollowUp,
    NewApp,
    Recolour,
    Retitle,
    SetMode,
    Unknown,
    detect_intent,
    detect_kind,
    parse_changes,
    split_clauses,
)
from tessera.llm.offline.theme import ACCENTS, find_accent

TODO_APP = {"src/App.tsx": "// Made with Tessera's offline demo model (kind: todo)\n"}


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("a todo app", "todo"),
        ("a to-do list", "todo"),
        ("my task list", "todo"),
        ("a packing checklist", "todo"),
        ("kanban", "kanban"),
        ("a board for my team", "kanban"),
        ("something like Trello", "kanban"),
        ("a stopwatch", "stopwatch"),
        ("an egg timer", "stopwatch"),
        ("a countdown to launch", "stopwatch"),
        ("a calculator", "calculator"),
        ("notes", "notes"),
        ("a notepad", "notes"),
        ("my journal", "notes"),
        ("a contact form", "contact"),
        ("a signup form", "contact"),
        ("a feedback form", "contact"),
        ("a counter", "counter"),
        ("a click counter", "counter"),
        ("a kanban board for my todo items", "kanban"),
        ("a todo list on a board", "todo"),
        ("an operating system", None),
        ("a keyboard shortcut cheat sheet", None),
        ("a platform", None),
    ],
)
def test_kinds_are_recognised_by_keyword(text: str, kind: str | None) -> None:
    assert detect_kind(text) == kind


def test_clauses_are_cut_at_requests_not_inside_names_or_quotes() -> None:
    assert split_clauses("call it Groceries and make it green") == [
        "call it Groceries",
        "make it green",
    ]
    assert split_clauses("rename it to Salt and Pepper") == ["rename it to Salt and Pepper"]
    assert split_clauses('call it "Stop. And go, then make" please') == [
        'call it "Stop. And go, then make" please'
    ]
    assert split_clauses("use a blue theme, dark mode; add a todo x") == [
        "use a blue theme",
        "dark mode",
        "add a todo x",
    ]


@pytest.mark.parametrize(
    ("text", "changes"),
    [
        ("call it Groceries", [Retitle("Groceries")]),
        ("rename it to my errands", [Retitle("My Errands")]),
        ('title: "lower case on purpose"', [Retitle("lower case on purpose")]),
        ("change the heading to Hello World!", [Retitle("Hello World")]),
        ("make the buttons green", [Recolour(ACCENTS["green"])]),
        ("use a dark blue theme", [Recolour(ACCENTS["blue"])]),
        ("dark mode", [SetMode(dark=True)]),
        ("make it dark", [SetMode(dark=True)]),
        ("go back to light mode", [SetMode(dark=False)]),
        ("dark mode with purple buttons", [SetMode(dark=True), Recolour(ACCENTS["purple"])]),
        ("add a phone field", [AddField("phone")]),
        ("add a field for company name", [AddField("company name")]),
        ("add tags", [AddField("tags")]),
        ("add a column Review", [AddColumn("Review")]),
        ("add a Blocked column", [AddColumn("Blocked")]),
        ("add a todo buy milk", [AddItem("buy milk")]),
        ("add an item: call mum", [AddItem("call mum")]),
        ("add 'water the plants' to the list", [AddItem("water the plants")]),
        ("add water the plants to my list", [AddItem("water the plants")]),
        (
            "call it Groceries and make it green",
            [Retitle("Groceries"), Recolour(ACCENTS["green"])],
        ),
        ("call it Green Garden", [Retitle("Green Garden")]),
        ("add a todo paint the fence red", [AddItem("paint the fence red")]),
    ],
)
def test_follow_up_requests(text: str, changes: list[object]) -> None:
    found, leftovers = parse_changes(text)
    assert found == changes
    assert leftovers == []


def test_renaming_something_else_is_not_a_new_title() -> None:
    assert parse_changes("rename the Done column to Finished") == (
        [],
        ["rename the Done column to Finished"],
    )
    assert parse_changes("rename it Groceries")[0] == [Retitle("Groceries")]
    assert parse_changes("rename to Groceries")[0] == [Retitle("Groceries")]


def test_what_is_not_understood_is_kept_for_the_answer() -> None:
    found, leftovers = parse_changes("make it red. Also add a login page. Thanks!")
    assert found == [Recolour(ACCENTS["red"])]
    assert leftovers == ["Also add a login page"]


def test_every_colour_name_has_a_shade() -> None:
    names = "red orange amber yellow green teal cyan blue indigo purple violet pink gray grey black"
    for name in names.split():
        accent = find_accent(f"make it {name.upper()}")
        assert accent is not None and accent.color.startswith("#"), name
    assert find_accent("make it bigger") is None
    assert find_accent("a bluebird") is None


def test_intents_with_and_without_an_app() -> None:
    assert isinstance(detect_intent("a calculator", {}), NewApp)
    assert detect_intent("make it green", {}) == Unknown(None)
    assert detect_intent("what's the weather", TODO_APP) == Unknown("todo")
    follow_up = detect_intent("make it green", TODO_APP)
    assert isinstance(follow_up, FollowUp) and follow_up.kind == "todo"
    assert isinstance(detect_intent("now build me a kanban board", TODO_APP), NewApp)
    # "add a todo" names the kind, but it is a follow-up, not a new app.
    assert isinstance(detect_intent("add a todo called Make a board", TODO_APP), FollowUp)
    # Naming a kind without asking to build it never throws the current app away.
    assert detect_intent("the todo list is great", TODO_APP) == Unknown("todo")
