from __future__ import annotations

import json

import pytest

from tessera.agent.workspace import TurnWorkspace
from tessera.errors import EditNotApplied, FileNotFound, InvalidInput


def test_changes_record_writes_and_deletes_against_the_original() -> None:
    ws = TurnWorkspace({"a.txt": "one", "b.txt": "two"})
    ws.write("a.txt", "uno")
    ws.write("c.txt", "new")
    ws.delete("b.txt")
    assert ws.changes == {"a.txt": "uno", "c.txt": "new", "b.txt": None}
    assert ws.files == {"a.txt": "uno", "c.txt": "new"}


def test_writing_back_the_original_content_is_no_change() -> None:
    ws = TurnWorkspace({"a.txt": "one"})
    ws.write("a.txt", "two")
    ws.write("a.txt", "one")
    assert ws.changes == {}


def test_edit_applies_search_replace_and_reports_a_miss() -> None:
    ws = TurnWorkspace({"src/App.tsx": "<h1>Old</h1>\n"})
    assert ws.edit("src/App.tsx", "<h1>Old</h1>", "<h1>New</h1>") == "<h1>New</h1>\n"
    with pytest.raises(EditNotApplied):
        ws.edit("src/App.tsx", "<h2>absent</h2>", "x")
    assert ws.files["src/App.tsx"] == "<h1>New</h1>\n"


def test_edit_of_a_missing_file_with_empty_search_creates_it() -> None:
    ws = TurnWorkspace({})
    ws.edit("notes.md", "", "hello")
    assert ws.changes == {"notes.md": "hello"}
    with pytest.raises(FileNotFound):
        ws.edit("absent.md", "something", "x")


def test_rename_moves_content_and_refuses_to_overwrite() -> None:
    ws = TurnWorkspace({"a.ts": "A", "b.ts": "B"})
    with pytest.raises(InvalidInput):
        ws.rename("a.ts", "b.ts")
    ws.rename("a.ts", "c.ts")
    assert ws.changes == {"a.ts": None, "c.ts": "A"}
    with pytest.raises(FileNotFound):
        ws.rename("zzz.ts", "y.ts")


def test_add_dependency_updates_package_json() -> None:
    ws = TurnWorkspace({"package.json": json.dumps({"dependencies": {"react": "^19"}})})
    ws.add_dependency("zustand", "^5")
    manifest = json.loads(ws.files["package.json"])
    assert manifest["dependencies"] == {"react": "^19", "zustand": "^5"}
    broken = TurnWorkspace({"package.json": "{nope"})
    with pytest.raises(InvalidInput, match="not valid JSON"):
        broken.add_dependency("zustand", None)
