"""The offline model's answers to requests that are not builds: chat-mode questions and
"enhance this prompt". It understands keywords only, so it says what it can do honestly
rather than pretending to discuss code."""

from __future__ import annotations

from collections.abc import Mapping

from tessera.llm.offline.apps import INFOS
from tessera.llm.offline.intents import detect_kind

CHAT_REPLY = (
    "I'm Tessera's offline demo model: I can build and change a few demo apps in Build "
    "mode, but I cannot read or explain code. {files}Connect a real model to ask questions "
    "about your app: set OPENAI_API_KEY (or ANTHROPIC_API_KEY, or TESSERA_LLM_BASE_URL for "
    "Ollama, vLLM or another OpenAI-compatible server), or choose a provider in Settings."
)

GENERAL_WISHES = (
    "a clear header with the app's name",
    "a layout that works on phones and desktops",
    "friendly empty states and messages for invalid input",
    "plain CSS with one accent colour for buttons and highlights",
)


def chat_reply(files: Mapping[str, str]) -> str:
    listed = ""
    if files:
        names = ", ".join(sorted(files)[:8]) + (", …" if len(files) > 8 else "")
        listed = f"Your project has {len(files)} files ({names}). "
    return CHAT_REPLY.format(files=listed)


def enhance(prompt: str) -> str:
    """``prompt`` kept word for word (the offline model reads its keywords), then a fuller
    specification of the app it names."""
    request = " ".join(prompt.split()).rstrip(".")
    kind = detect_kind(prompt)
    lines = [f"{request[:1].upper()}{request[1:]}."]
    if kind is not None:
        info = INFOS[kind]
        lines.append(f"It should be {info.noun} {info.pitch}.")
    lines.append("Include:")
    lines.extend(f"- {wish}" for wish in GENERAL_WISHES)
    lines.append("- data that survives a page reload")
    return "\n".join(lines)
