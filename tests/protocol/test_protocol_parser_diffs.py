"""Diff tags, fenced diff blocks and the dependency manager attribute."""

from __future__ import annotations

import pytest

from tessera.protocol.actions import (
    Action,
    ActionRefused,
    ChatText,
    DependencyAdded,
    FileEdit,
    FilePatch,
    FileStarted,
)
from tessera.protocol.parser import StreamParser, merge_actions, parse_all

PATCH = "--- a/src/App.tsx\n+++ b/src/App.tsx\n@@ -1,2 +1,2 @@\n-<h1>Old</h1>\n+<h1>New</h1>\n a\n"
TAGGED = f'Changing the title.\n<tessera-diff path="src/App.tsx">\n{PATCH}</tessera-diff>\nDone.'


def parse(text: str) -> list[Action]:
    return merge_actions(parse_all(text))


def one_char_at_a_time(text: str) -> list[Action]:
    parser = StreamParser()
    return merge_actions([a for char in text for a in parser.feed(char)] + parser.close())


def test_a_diff_tag_is_one_file_patch() -> None:
    assert parse(TAGGED) == [
        ChatText("Changing the title.\n"),
        FilePatch("src/App.tsx", PATCH.removesuffix("\n")),
        ChatText("\nDone."),
    ]


def test_the_patch_comes_only_when_the_closing_tag_arrives() -> None:
    parser = StreamParser()
    cut = TAGGED.index("</tessera-diff>") + len("</tessera-diff")
    before = parser.feed(TAGGED[:cut])
    assert not any(isinstance(action, FilePatch) for action in before)
    after = parser.feed(TAGGED[cut:])
    assert [type(action) for action in after] == [FilePatch, ChatText]


def test_a_diff_tag_parses_the_same_one_character_at_a_time() -> None:
    assert one_char_at_a_time(TAGGED) == parse(TAGGED)


def test_a_fence_around_the_patch_is_not_part_of_it() -> None:
    text = f'<tessera-diff path="src/App.tsx">\n```diff\n{PATCH}```\n</tessera-diff>'
    assert parse(text) == [FilePatch("src/App.tsx", PATCH.removesuffix("\n"))]


def test_a_diff_tag_with_a_bad_path_is_refused_and_its_body_dropped() -> None:
    actions = parse(f'<tessera-diff path="../etc/passwd">\n{PATCH}</tessera-diff>after')
    assert isinstance(actions[0], ActionRefused)
    assert actions[0].path == "../etc/passwd"
    assert actions[1:] == [ChatText("after")]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('<tessera-diff path="a.ts">\n\n</tessera-diff>', "was empty"),
        ('<tessera-diff path="a.ts"/>', "was empty"),
        (f'<tessera-diff path="a.ts">\n{PATCH}', "stopped in the middle of a diff of a.ts"),
        (f"<tessera-diff>\n{PATCH}</tessera-diff>", "no path attribute"),
    ],
)
def test_unusable_diff_tags_are_refused(text: str, reason: str) -> None:
    refusals = [action for action in parse(text) if isinstance(action, ActionRefused)]
    assert len(refusals) == 1
    assert reason in refusals[0].reason


def test_diff_tags_mix_with_other_tags() -> None:
    text = (
        f'<tessera-diff path="a.ts">{PATCH}</tessera-diff>'
        '<tessera-edit path="b.ts">\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n'
        "</tessera-edit>"
    )
    assert parse(text) == [
        FilePatch("a.ts", PATCH.removesuffix("\n")),
        FileEdit("b.ts", "x\n", "y\n"),
    ]


# --- fenced diffs (answers without tags) ---------------------------------------------------
def test_a_fenced_diff_names_its_file_in_the_plus_header() -> None:
    text = f"Here is the change:\n\n```diff\n{PATCH}```\n"
    actions = parse(text)
    assert actions[-1] == FilePatch("src/App.tsx", PATCH)
    assert not any(isinstance(action, FileStarted) for action in actions)


def test_a_fenced_diff_of_several_files_is_one_patch_per_file() -> None:
    second = "--- a/src/x.css\n+++ b/src/x.css\n@@ -1 +1 @@\n-a\n+b\n"
    git_app = "diff --git a/src/App.tsx b/src/App.tsx\n"
    git_css = "diff --git a/src/x.css b/src/x.css\n"
    text = f"```diff\n{git_app}{PATCH}{git_css}{second}```\n"
    patches = [action for action in parse(text) if isinstance(action, FilePatch)]
    assert [patch.path for patch in patches] == ["src/App.tsx", "src/x.css"]
    assert patches[0].patch == git_app + PATCH
    assert patches[1].patch == git_css + second


def test_a_fenced_diff_deleting_lines_of_a_file_named_only_in_the_minus_header() -> None:
    text = "```diff\n--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-gone\n```\n"
    (patch,) = [action for action in parse(text) if isinstance(action, FilePatch)]
    assert patch.path == "old.txt"


def test_a_headerless_fenced_diff_takes_the_path_the_fence_names() -> None:
    text = "src/main.ts\n```diff\n@@ ... @@\n-q\n+r\n```\n"
    assert parse(text)[-1] == FilePatch("src/main.ts", "@@ ... @@\n-q\n+r\n")


def test_a_fenced_diff_naming_no_file_is_only_chat() -> None:
    text = "```diff\n@@ ... @@\n-q\n+r\n```\n"
    assert parse(text) == [ChatText(text)]


def test_an_unfinished_fenced_diff_is_refused() -> None:
    text = f"```diff\n{PATCH}"
    refusals = [action for action in parse(text) if isinstance(action, ActionRefused)]
    assert [refusal.path for refusal in refusals] == ["src/App.tsx"]
    assert "stopped in the middle of a diff" in refusals[0].reason


@pytest.mark.parametrize(
    "header", ["+++ b/../../etc/passwd", "+++ /etc/passwd", "+++ b/.git/config"]
)
def test_a_fenced_diff_naming_a_path_outside_the_project_is_refused(header: str) -> None:
    text = f"```diff\n--- a/x\n{header}\n@@ -1 +1 @@\n-a\n+b\n```\n"
    actions = parse(text)
    assert not any(isinstance(action, FilePatch) for action in actions)
    assert any(isinstance(action, ActionRefused) for action in actions)


def test_fenced_diffs_are_not_read_when_the_answer_used_tags() -> None:
    text = f'<tessera-delete path="a.ts"/>\n```diff\n{PATCH}```\n'
    assert not any(isinstance(action, FilePatch) for action in parse(text))


def test_a_fenced_diff_parses_the_same_one_character_at_a_time() -> None:
    text = f"Change:\n```diff\n{PATCH}```\nok"
    assert one_char_at_a_time(text) == parse(text)


# --- dependency manager --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ('name="flask" version="3.0" manager="pip"', DependencyAdded("flask", "3.0", "pip")),
        ('name="zustand" manager=" NPM "', DependencyAdded("zustand", None, "npm")),
        ('name="zustand"', DependencyAdded("zustand", None, None)),
        ('name="zustand" manager=""', DependencyAdded("zustand", None, None)),
    ],
)
def test_the_manager_attribute_fills_the_action(attributes: str, expected: Action) -> None:
    assert parse(f"<tessera-dependency {attributes}/>") == [expected]


def test_an_unknown_manager_is_refused() -> None:
    (refused,) = parse('<tessera-dependency name="serde" manager="cargo"/>')
    assert isinstance(refused, ActionRefused)
    assert "'cargo'" in refused.reason and 'manager="pip"' in refused.reason
