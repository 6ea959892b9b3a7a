"""A provider answering each request with the next scripted answer (tests of multi-call
turns: continuations, edit repairs, autofix)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from tessera.llm.base import CompletionRequest, StreamEnd, StreamItem, TextDelta, Usage


@dataclass(frozen=True)
class Answer:
    text: str
    finish_reason: str = "stop"


class SequenceProvider:
    name = "scripted"
    label = "scripted model"
    model = "scripted-1"

    def __init__(self, *answers: Answer | str, chunk: int = 7) -> None:
        self.answers = [a if isinstance(a, Answer) else Answer(a) for a in answers]
        self.chunk = chunk
        self.requests: list[CompletionRequest] = []

    async def stream(self, request: CompletionRequest) -> AsyncIterator[StreamItem]:
        self.requests.append(request)
        if len(self.requests) > len(self.answers):
            raise AssertionError(f"unexpected request #{len(self.requests)}")
        answer = self.answers[len(self.requests) - 1]
        for start in range(0, len(answer.text), self.chunk):
            yield TextDelta(answer.text[start : start + self.chunk])
        yield StreamEnd(answer.finish_reason, Usage(100, len(answer.text) // 4))

    async def aclose(self) -> None:
        return None
