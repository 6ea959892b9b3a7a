"""Helpers for the offline model's tests: run it, read its answer, apply its edits, build."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import tessera
from tessera.llm.base import ChatMessage, CompletionRequest, ProjectContext, StreamEnd, TextDelta
from tessera.llm.offline import OfflineProvider
from tessera.protocol.actions import (
    ActionRefused,
    ChatText,
    FileDeleted,
    FileEdit,
    FileEnded,
    ProjectMeta,
)
from tessera.protocol.parser import parse_all

TEMPLATE_DIR = Path(tessera.__file__).parent / "sandbox" / "templates" / "react" / "files"
KINDS = ["todo", "counter", "notes", "calculator", "stopwatch", "contact", "kanban"]
PROMPTS = {
    "todo": "Create a React todo app with local storage",
    "counter": "build a click counter",
    "notes": "I want a notes app",
    "calculator": "make me a calculator",
    "stopwatch": "a stopwatch please",
    "contact": "build a contact form with validation",
    "kanban": "create a kanban board like trello",
}
DEFAULT_TITLES = {
    "todo": "Todo List",
    "counter": "Counter",
    "notes": "Notes",
    "calculator": "Calculator",
    "stopwatch": "Stopwatch",
    "contact": "Contact Us",
    "kanban": "Kanban Board",
}


@dataclass
class Answer:
    text: str
    deltas: list[str]
    end: StreamEnd

    @property
    def chat(self) -> str:
        return "".join(a.text for a in parse_all(self.text) if isinstance(a, ChatText))

    @property
    def files(self) -> dict[str, str]:
        return {a.path: a.content for a in parse_all(self.text) if isinstance(a, FileEnded)}

    @property
    def edits(self) -> list[FileEdit]:
        return [a for a in parse_all(self.text) if isinstance(a, FileEdit)]

    @property
    def meta(self) -> list[ProjectMeta]:
        return [a for a in parse_all(self.text) if isinstance(a, ProjectMeta)]


async def ask(
    prompt: str,
    files: dict[str, str] | None = None,
    *,
    pace: float = 0.0,
    history: list[ChatMessage] | None = None,
    sleep: Callable[[float], Awaitable[object]] | None = None,
) -> Answer:
    provider = OfflineProvider(pace=pace, sleep=sleep)
    request = CompletionRequest(
        messages=[*(history or []), ChatMessage("user", prompt)],
        context=ProjectContext(files=dict(files or {})),
    )
    deltas: list[str] = []
    ends: list[StreamEnd] = []
    async for item in provider.stream(request):
        assert not ends, "nothing may follow StreamEnd"
        if isinstance(item, TextDelta):
            deltas.append(item.text)
        else:
            ends.append(item)
    await provider.aclose()
    assert len(ends) == 1
    return Answer("".join(deltas), deltas, ends[0])


def apply_answer(files: dict[str, str], answer: Answer) -> dict[str, str]:
    """The project after the answer, applying each edit's SEARCH text exactly as found."""
    result = dict(files)
    for action in parse_all(answer.text):
        assert not isinstance(action, ActionRefused), action
        if isinstance(action, FileEnded):
            result[action.path] = action.content
        elif isinstance(action, FileDeleted):
            del result[action.path]
        elif isinstance(action, FileEdit):
            content = result[action.path]
            assert action.search in content, f"SEARCH text not in {action.path}:\n{action.search}"
            assert content.count(action.search) == 1, f"SEARCH text not unique:\n{action.search}"
            result[action.path] = content.replace(action.search, action.replace, 1)
    return result


def template_files() -> dict[str, str]:
    return {
        str(path.relative_to(TEMPLATE_DIR)): path.read_text()
        for path in TEMPLATE_DIR.rglob("*")
        if path.is_file()
    }


def write_files(root: Path, files: dict[str, str]) -> None:
    for path, content in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)


# --- node ----------------------------------------------------------------------------------


def cache_root() -> Path:
    configured = os.environ.get("TESSERA_TEST_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "tessera-test"


def npm_install(folder: Path, manifest: str) -> Path:
    """``folder/node_modules`` installed from ``manifest``, reused while it is unchanged."""
    ready = folder / "node_modules" / ".tessera-ready"
    manifest_path = folder / "package.json"
    if ready.exists() and manifest_path.exists() and manifest_path.read_text() == manifest:
        return folder / "node_modules"
    shutil.rmtree(folder / "node_modules", ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(manifest)
    (folder / "package-lock.json").unlink(missing_ok=True)
    result = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"npm install failed:\n{result.stdout}\n{result.stderr}"
    ready.write_text("ok\n")
    return folder / "node_modules"


def link_tree(source: Path, target: Path) -> None:
    """A hard-linked copy of ``source`` (fast; the copy's own new files stay its own)."""
    subprocess.run(["cp", "-al", str(source), str(target)], check=True)


def vite_build(root: Path, node_modules: Path) -> None:
    link_tree(node_modules, root / "node_modules")
    result = subprocess.run(
        ["node", "node_modules/vite/bin/vite.js", "build", "--logLevel", "warn"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, f"vite build failed:\n{result.stdout}\n{result.stderr}"
    assert (root / "dist" / "index.html").is_file()


def package(files: dict[str, str]) -> dict[str, object]:
    manifest: dict[str, object] = json.loads(files["package.json"])
    return manifest
