from __future__ import annotations

import json

import pytest

from tessera.agent.workspace import MAX_FILE_BYTES, TurnWorkspace
from tessera.errors import (
    BinaryContent,
    EditNotApplied,
    FileLocked,
    FileNotFound,
    FileTooLarge,
    InvalidInput,
    ManifestInvalid,
    PlaceholderRefused,
)


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
    manifest = {"scripts": {"dev": "vite"}, "dependencies": {"react": "^19"}}
    ws = TurnWorkspace({"package.json": json.dumps(manifest)})
    ws.add_dependency("zustand", "^5")
    manifest = json.loads(ws.files["package.json"])
    assert manifest["dependencies"] == {"react": "^19", "zustand": "^5"}
    broken = TurnWorkspace({"package.json": "{nope"})
    with pytest.raises(InvalidInput, match="not valid JSON"):
        broken.add_dependency("zustand", None)


def test_locked_files_refuse_every_kind_of_change() -> None:
    ws = TurnWorkspace({"src/App.tsx": "a\n", "src/b.ts": "b\n"}, locked={"src/App.tsx"})
    for change in (
        lambda: ws.write("src/App.tsx", "x\n"),
        lambda: ws.edit("src/App.tsx", "a\n", "x\n"),
        lambda: ws.delete("src/App.tsx"),
        lambda: ws.rename("src/App.tsx", "src/c.tsx"),
        lambda: ws.rename("src/b.ts", "src/App.tsx"),
    ):
        with pytest.raises(FileLocked, match="locked"):
            change()
    assert ws.changes == {}
    ws.write("src/b.ts", "changed\n")
    assert ws.changes == {"src/b.ts": "changed\n"}


def test_read_only_workspace_changes_nothing() -> None:
    ws = TurnWorkspace({"a.txt": "one"}, read_only=True)
    with pytest.raises(InvalidInput, match="chat mode"):
        ws.write("a.txt", "two")
    with pytest.raises(InvalidInput, match="chat mode"):
        ws.write("new.txt", "two")
    assert ws.files == {"a.txt": "one"}
    assert ws.changes == {}


def test_oversized_and_binary_content_is_refused_and_the_old_file_kept() -> None:
    ws = TurnWorkspace({"data.txt": "old"})
    with pytest.raises(FileTooLarge, match="MB"):
        ws.write("data.txt", "x" * (MAX_FILE_BYTES + 1))
    with pytest.raises(BinaryContent, match="binary"):
        ws.write("data.txt", "PK\x03\x04\x00\x00garbage")
    assert ws.files == {"data.txt": "old"}
    assert ws.changes == {}


def test_a_placeholder_never_replaces_real_code() -> None:
    original = "export function App() {\n  const [n, setN] = useState(0)\n  return <p>{n}</p>\n}\n"
    ws = TurnWorkspace({"src/App.tsx": original})
    lazy = "export function App() {\n  // ... rest of the code stays the same\n}\n"
    with pytest.raises(PlaceholderRefused):
        ws.write("src/App.tsx", lazy)
    assert ws.files["src/App.tsx"] == original


def test_a_manifest_that_would_break_the_app_is_refused() -> None:
    good = json.dumps({"scripts": {"dev": "vite"}, "dependencies": {"react": "^19"}}) + "\n"
    ws = TurnWorkspace({"package.json": good})
    with pytest.raises(ManifestInvalid):
        ws.write("package.json", '{"dependencies": {"react": "^19",}}')
    assert ws.files["package.json"] == good


def test_patch_applies_a_unified_diff() -> None:
    ws = TurnWorkspace({"src/a.ts": "one\ntwo\nthree\n"})
    patch = "--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1,3 +1,3 @@\n one\n-two\n+deux\n three\n"
    assert ws.patch("src/a.ts", patch) == "one\ndeux\nthree\n"
    assert ws.changes == {"src/a.ts": "one\ndeux\nthree\n"}


def test_pip_dependencies_go_to_requirements_txt_for_python_apps() -> None:
    ws = TurnWorkspace({"app.py": "x", "requirements.txt": "flask\n"}, template="python")
    assert ws.add_dependency("requests", "2.32", None) == "requirements.txt"
    assert "requests==2.32" in ws.files["requirements.txt"]
    assert "flask" in ws.files["requirements.txt"]
