"""Every app the offline model writes really builds, before and after follow-ups.

``vite build`` bundles each app with the react template's own dependencies; one ``tsc``
run type-checks all of them under the template's strict tsconfig.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest
from offline_support import (
    KINDS,
    PROMPTS,
    apply_answer,
    ask,
    link_tree,
    vite_build,
    write_files,
)

FOLLOW_UPS = [
    ("todo", "change the title to Groceries and make the buttons green"),
    ("todo", 'add a todo buy milk, then add an item called "it\'s {fine} & <ok>"'),
    ("contact", "add a phone field and add a field for website, dark mode"),
    ("kanban", "add a column Review and use a teal theme"),
    ("notes", "add a tags field and switch to dark mode"),
    ("stopwatch", "rename it to 'Egg {timer} <3' and make it amber"),
    ("calculator", "make it black"),
    ("counter", "call it Clicks & Co and go dark"),
]


def new_app(prompt: str) -> dict[str, str]:
    return asyncio.run(ask(prompt)).files


def followed_up(kind: str, request: str) -> dict[str, str]:
    files = new_app(PROMPTS[kind])
    answer = asyncio.run(ask(request, files))
    assert answer.edits, answer.chat
    return apply_answer(files, answer)  # asserts each SEARCH text is in the file


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_builds(kind: str, node_modules: Path, tmp_path: Path) -> None:
    files = new_app(PROMPTS[kind])
    write_files(tmp_path, files)
    vite_build(tmp_path, node_modules)
    title = {"todo": "Todo List", "contact": "Contact Us"}.get(kind, "")
    assert f"<title>{title}" in (tmp_path / "dist" / "index.html").read_text()


@pytest.mark.parametrize(("kind", "request_text"), FOLLOW_UPS)
def test_apps_still_build_after_follow_ups(
    kind: str, request_text: str, node_modules: Path, tmp_path: Path
) -> None:
    files = followed_up(kind, request_text)
    write_files(tmp_path, files)
    vite_build(tmp_path, node_modules)


def test_every_app_type_checks(typecheck_modules: Path, tmp_path: Path) -> None:
    variants: dict[str, dict[str, str]] = {}
    for kind in KINDS:
        variants[kind] = new_app(PROMPTS[kind])
    for index, (kind, request_text) in enumerate(FOLLOW_UPS):
        variants[f"{kind}-followup-{index}"] = followed_up(kind, request_text)
    for name, files in variants.items():
        write_files(tmp_path / name, files)
    link_tree(typecheck_modules, tmp_path / "node_modules")
    options = json.loads(variants["todo"]["tsconfig.json"])["compilerOptions"]
    (tmp_path / "tsconfig.json").write_text(
        json.dumps({"compilerOptions": options, "include": ["*/src"]})
    )
    result = subprocess.run(
        ["node", "node_modules/typescript/bin/tsc", "-p", ".", "--listFilesOnly"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    checked = [line for line in result.stdout.splitlines() if "/src/" in line]
    assert len(checked) >= 4 * len(variants)
    result = subprocess.run(
        ["node", "node_modules/typescript/bin/tsc", "-p", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"type errors:\n{result.stdout}\n{result.stderr}"
