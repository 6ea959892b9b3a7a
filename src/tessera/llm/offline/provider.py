"""``OfflineProvider``: streams the offline model's answer in token-sized pieces, paced."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable

from tessera.llm.base import CompletionRequest, StreamEnd, StreamItem, TextDelta, Usage
from tessera.llm.offline.intents import detect_intent
from tessera.llm.offline.purposes import chat_reply, enhance
from tessera.llm.offline.replies import reply

CHARS_PER_SECOND = 2_800.0
"""Writing speed at pace 1.0: an app (7 to 13 thousand characters) takes 3 to 5 s."""
MIN_SECONDS = 0.6
MAX_SECONDS = 5.0
FIRST_TOKEN_SECONDS = 0.25
"""The pause before the first piece, as a real model takes to start answering."""

MAX_PIECE = 12
_PIECE = re.compile(r"[ \t]*\n?[ \t]*(?:\w+|[^\w\s]{1,3})|\s+")


def pieces(text: str) -> list[str]:
    """``text`` cut like a model's tokens: a word or a few signs, with the space before it."""
    out: list[str] = []
    for match in _PIECE.finditer(text):
        piece = match.group()
        out.extend(piece[i : i + MAX_PIECE] for i in range(0, len(piece), MAX_PIECE))
    return out


def estimate_tokens(chars: int) -> int:
    return (chars + 3) // 4


def last_user_message(request: CompletionRequest) -> str:
    for message in reversed(request.messages):
        if message.role == "user":
            return message.content
    return ""


class OfflineProvider:
    """A built-in model that needs no network: it writes a few demo apps and edits them.

    ``pace`` scales the time it takes: 1.0 streams an app in about 3 to 5 seconds, 2.0
    twice as slowly, 0 with no pauses at all. ``sleep`` replaces ``asyncio.sleep`` (tests
    use it to see the planned pauses without waiting).
    """

    name = "offline"
    label = "offline demo model"
    model = "offline-demo"

    def __init__(
        self, pace: float = 1.0, *, sleep: Callable[[float], Awaitable[object]] | None = None
    ) -> None:
        if pace < 0:
            raise ValueError("pace must be 0 or more")
        self.pace = pace
        self._sleep = sleep or asyncio.sleep

    def answer(self, request: CompletionRequest) -> str:
        """The whole text ``stream`` sends for ``request``."""
        if request.purpose == "chat":
            return chat_reply(request.context.files)
        if request.purpose == "enhance":
            return enhance(last_user_message(request))
        intent = detect_intent(last_user_message(request), request.context.files)
        return reply(intent, request.context.files)

    async def stream(self, request: CompletionRequest) -> AsyncIterator[StreamItem]:
        text = self.answer(request)
        chunks = pieces(text)
        if self.pace > 0 and chunks:
            loop = asyncio.get_running_loop()
            writing = min(MAX_SECONDS, max(MIN_SECONDS, len(text) / CHARS_PER_SECOND))
            step = self.pace * writing / len(chunks)
            start = loop.time() + self.pace * FIRST_TOKEN_SECONDS
            await self._sleep(self.pace * FIRST_TOKEN_SECONDS)
            for index, chunk in enumerate(chunks):
                yield TextDelta(chunk)
                delay = start + (index + 1) * step - loop.time()
                if delay > 0:
                    await self._sleep(delay)
        else:
            for chunk in chunks:
                yield TextDelta(chunk)
        prompt_chars = sum(len(message.content) for message in request.messages)
        yield StreamEnd(
            "stop",
            Usage(
                input_tokens=estimate_tokens(prompt_chars), output_tokens=estimate_tokens(len(text))
            ),
        )

    async def aclose(self) -> None:
        return None
