"""validate_path and safe_join: what a model may name as a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tessera.errors import InvalidInput, InvalidPath
from tessera.protocol.paths import safe_join, validate_path


@pytest.mark.parametrize(
    ("path", "normalised"),
    [
        ("src/App.tsx", "src/App.tsx"),
        ("./a/b", "a/b"),
        ("a//b", "a/b"),
        ("a/./b", "a/b"),
        ("  src/main.py  ", "src/main.py"),
        ("weird name/ünïcode 文件.txt", "weird name/ünïcode 文件.txt"),
        ("node_modules_notes/x.md", "node_modules_notes/x.md"),
        (".gitignore", ".gitignore"),
        ("docs/.github/ci.yml", "docs/.github/ci.yml"),
        ("a..", "a.."),
        ("x" * 255, "x" * 255),
    ],
)
def test_accepted_paths_are_normalised(path: str, normalised: str) -> None:
    assert validate_path(path) == normalised


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("/etc/passwd", "absolute"),
        ("C:\\Windows\\x", "absolute"),
        ("C:/Windows/x", "absolute"),
        ("c:x", "absolute"),
        ("\\\\server\\share\\x", "absolute"),
        ("\\x", "absolute"),
        ("../x", "'..'"),
        ("a/../b", "'..'"),
        ("a/..", "'..'"),
        ("src\\App.tsx", "backslash"),
        ("a\x00b", "U+0000"),
        ("a\nb", "U+000A"),
        ("a\x1bb", "U+001B"),
        ("a\x7fb", "U+007F"),
        ("a\u2028b", "U+2028"),
        (".git/config", ".git/"),
        ("a/.GIT/hooks/pre-commit", ".GIT/"),
        ("node_modules/x/index.js", "node_modules/"),
        ("web/Node_Modules/x.js", "Node_Modules/"),
        (".venv/lib/site.py", ".venv/"),
        ("api/__pycache__/app.cpython-311.pyc", "__pycache__/"),
        (".tessera-packages/flask/__init__.py", ".tessera-packages/"),
        ("src/", "folder"),
        ("src/components/", "folder"),
        (".", "project folder"),
        ("./", "folder"),
        ("x" * 256, "255 bytes"),
        ("é" * 128, "255 bytes"),  # 256 bytes in UTF-8
        ("/".join(["abcdefghi"] * 103), "1024"),
    ],
)
def test_refused_paths_name_the_path_and_the_reason(path: str, reason: str) -> None:
    with pytest.raises(InvalidPath) as caught:
        validate_path(path)
    assert reason in caught.value.message
    assert repr(path[:80]).strip("'\"")[:20] in caught.value.message
    assert isinstance(caught.value, InvalidInput)
    assert caught.value.code == "invalid_path"


def test_validated_paths_are_stable() -> None:
    for path in ["./a//b/./c.ts", "  x/y  ", "a"]:
        once = validate_path(path)
        assert validate_path(once) == once


def test_safe_join_joins_inside_the_root(tmp_path: Path) -> None:
    assert safe_join(tmp_path, "./src//App.tsx") == tmp_path.resolve() / "src" / "App.tsx"


def test_safe_join_validates_the_path(tmp_path: Path) -> None:
    with pytest.raises(InvalidPath, match=r"'\.\.'"):
        safe_join(tmp_path, "../outside.txt")


def test_safe_join_refuses_a_symlinked_folder_leading_outside(tmp_path: Path) -> None:
    root = tmp_path / "project"
    outside = tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "escape").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InvalidPath, match="symbolic link"):
        safe_join(root, "escape/secret.txt")


def test_safe_join_refuses_a_symlinked_file_leading_outside(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (tmp_path / "passwd").write_text("secret")
    (root / "notes.txt").symlink_to(tmp_path / "passwd")
    with pytest.raises(InvalidPath, match="symbolic link"):
        safe_join(root, "notes.txt")


def test_safe_join_refuses_a_link_to_the_root_itself(tmp_path: Path) -> None:
    (tmp_path / "self").symlink_to(tmp_path, target_is_directory=True)
    assert safe_join(tmp_path, "self/x.txt") == tmp_path.resolve() / "self" / "x.txt"
    with pytest.raises(InvalidPath, match="symbolic link"):
        safe_join(tmp_path, "self")


def test_safe_join_accepts_links_that_stay_inside(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)
    assert safe_join(tmp_path, "alias/a.ts") == tmp_path.resolve() / "alias" / "a.ts"


def test_safe_join_refuses_a_link_loop(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    with pytest.raises(InvalidPath):
        safe_join(tmp_path, "loop/x")


def test_safe_join_works_with_a_symlinked_root(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "root").symlink_to(tmp_path / "real", target_is_directory=True)
    assert safe_join(tmp_path / "root", "a.ts") == (tmp_path / "real").resolve() / "a.ts"
