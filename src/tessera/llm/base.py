"""The ``Provider`` protocol: a language model as an async stream of text deltas."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

Role = Literal["system", "user", "assistant"]
Purpose = Literal["build", "chat", "enhance", "summary"]
"""Why a completion is asked for: "build" edits the app, "chat" only answers, "enhance"
rewrites a short request into a fuller one, "summary" condenses old chat history."""


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class ProjectContext:
    """What the agent knows of the project, beside the rendered prompt.

    Real models read the files from the prompt text; the offline demo model reads them
    from here (it understands no prose).
    """

    files: dict[str, str] = field(default_factory=dict)
    title: str | None = None
    template: str = "react"


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    messages: list[ChatMessage]
    context: ProjectContext = field(default_factory=ProjectContext)
    model: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    purpose: Purpose = "build"


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True, slots=True)
class StreamEnd:
    """Last item of a complete stream. ``finish_reason``: "stop", "length", ..."""

    finish_reason: str
    usage: Usage | None = None


StreamItem = TextDelta | StreamEnd


class Provider(Protocol):
    """A language model. ``stream`` yields ``TextDelta``s and ends with one ``StreamEnd``.

    A stream that stops without ``StreamEnd`` was broken off; providers raise
    ``ProviderStreamBroken`` (or another ``ProviderError``) instead of ending silently.
    """

    name: str
    label: str
    """What the UI shows, e.g. "offline demo model" or "gpt-4o-mini via OpenAI"."""

    def stream(self, request: CompletionRequest) -> AsyncIterator[StreamItem]: ...

    async def aclose(self) -> None: ...
