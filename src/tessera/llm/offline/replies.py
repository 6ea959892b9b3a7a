"""The offline model's whole answer to one request, as the text a real model would stream."""

from __future__ import annotations

from collections.abc import Mapping

from tessera.llm.offline.apps import INFOS, AppKind, AppSpec, app_files
from tessera.llm.offline.followups import Block, apply_changes
from tessera.llm.offline.intents import (
    DEFAULT_ACCENTS,
    FollowUp,
    Intent,
    NewApp,
    Unknown,
    current_kind,
)
from tessera.llm.offline.theme import ACCENTS
from tessera.protocol.format import render_delete, render_edit, render_file, render_meta

TEMPLATE_STYLESHEET = "src/index.css"
"""The react template's starter stylesheet; each app brings its own ``src/App.css``."""

KINDS_SENTENCE = (
    "a todo list, a counter, notes, a calculator, a stopwatch or timer, a contact form, "
    "a kanban board, a Flask guestbook (Python) and a full-stack todo list (React, a "
    "Flask API and SQLite)"
)
REAL_MODEL_HINT = (
    "For anything else, connect a real model: set OPENAI_API_KEY (and TESSERA_LLM_BASE_URL "
    "to use Ollama, vLLM or another OpenAI-compatible server) and restart Tessera."
)


def _join(phrases: list[str]) -> str:
    if len(phrases) <= 1:
        return "".join(phrases)
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _bare(noun: str) -> str:
    """ "a todo list" → "todo list"."""
    article, _, rest = noun.partition(" ")
    return rest if article in ("a", "an") else noun


def _new_app(spec: AppSpec, files: Mapping[str, str]) -> str:
    info = INFOS[spec.kind]
    styling: list[str] = []
    if spec.accent.name != DEFAULT_ACCENTS[spec.kind]:
        styling.append(f"a {spec.accent.name} accent")
    if spec.dark:
        styling.append("a dark theme")
    style = f", with {_join(styling)}" if styling else ""
    opening = f"I'll build “{spec.title}”, {info.noun} {info.pitch}{style}."
    previous = current_kind(files)
    written = app_files(spec)
    stale: list[str] = []
    if previous is not None:
        if previous != spec.kind:
            opening += f" It replaces the current {_bare(INFOS[previous].noun)}."
        old = app_files(AppSpec(previous, spec.title, ACCENTS[DEFAULT_ACCENTS[previous]]))
        stale = [path for path in old if path not in written and path in files]
    if TEMPLATE_STYLESHEET in files and TEMPLATE_STYLESHEET not in written:
        stale.append(TEMPLATE_STYLESHEET)
    parts = [
        opening + "\n\n",
        render_meta(title=spec.title, description=info.description, category=info.category),
        "\n",
    ]
    for path in stale:
        parts += [render_delete(path), "\n"]
    for path, content in written.items():
        parts += [render_file(path, content), "\n"]
    parts.append(f"\n“{spec.title}” is running in the preview. You can ask me to {info.tweaks}.")
    return "".join(parts)


def _edit(path: str, blocks: list[Block]) -> str:
    """Blocks hold whole lines without their last line break; the format wants it."""
    return render_edit(path, [(block.search + "\n", block.replace + "\n") for block in blocks])


def _follow_up(intent: FollowUp, files: Mapping[str, str]) -> str:
    result = apply_changes(intent.kind, intent.changes, files)
    sentences: list[str] = []
    if result.done:
        sentences.append(f"Done: I {_join(result.done)}.")
    sentences.extend(result.skipped)
    for clause in intent.not_understood:
        sentences.append(f"I didn't understand “{clause}”, so I left that out.")
    if not result.done:
        sentences.append("I haven't changed any file.")
    parts = [" ".join(sentences)]
    if result.edits:
        parts.append("\n\n")
        if result.title is not None:
            parts += [render_meta(title=result.title), "\n"]
        for path, blocks in result.edits.items():
            parts += [_edit(path, blocks), "\n"]
        parts.append(f"\nAnything else? I can also {INFOS[intent.kind].tweaks}.")
    return "".join(parts)


def _unknown(kind: AppKind | None) -> str:
    if kind is None:
        return (
            "I'm Tessera's offline demo model, so I can only build a few small apps: "
            f"{KINDS_SENTENCE}. Try “build a todo list called Groceries” or “make a kanban "
            "board with a purple theme”.\n\n" + REAL_MODEL_HINT
        )
    info = INFOS[kind]
    return (
        "I'm Tessera's offline demo model and I didn't understand that change. "
        f"For this app I can {info.tweaks}. I can also start over with another kind of app "
        f"({KINDS_SENTENCE}), for example “build a calculator”.\n\n" + REAL_MODEL_HINT
    )


def reply(intent: Intent, files: Mapping[str, str]) -> str:
    """Everything the offline model answers to ``intent``, tags included."""
    if isinstance(intent, NewApp):
        return _new_app(intent.spec, files)
    if isinstance(intent, FollowUp):
        return _follow_up(intent, files)
    assert isinstance(intent, Unknown)
    return _unknown(intent.kind)
