"""Which template a project's files call for."""

from __future__ import annotations

import pytest

from tessera.sandbox.detect import detect_app_type


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        ([], "react"),
        (["package.json", "src/App.tsx"], "react"),
        (["./package.json", "app.py"], "fullstack"),
        (["package.json", "src/App.tsx", "api/app.py", "api/requirements.txt"], "fullstack"),
        (["package.json", "api/requirements.txt"], "fullstack"),
        (["package.json", "requirements.txt"], "fullstack"),
        (["package.json", "tools/requirements.txt"], "react"),
        (["requirements.txt"], "python"),
        (["api/requirements.txt"], "python"),
        (["app.py", "templates/index.html"], "python"),
        (["api/server.py", "README.md"], "python"),
        (["web/package.json", "main.py"], "python"),
        (["index.html", "style.css"], "react"),
        (["notes/requirements.txt.bak"], "react"),
        (["package.json.bak", "main.py"], "python"),
    ],
)
def test_detect_app_type(paths: list[str], expected: str) -> None:
    assert detect_app_type(paths) == expected


def test_accepts_any_iterable() -> None:
    assert detect_app_type({"main.py": "print()"}) == "python"
    assert detect_app_type(p for p in ["package.json"]) == "react"
    assert detect_app_type(iter(["app.py", "package.json"])) == "fullstack"  # any order
