"""``ScriptedProvider``: the fake for code that consumes providers."""

from __future__ import annotations

import pytest

from tessera.errors import ProviderStreamBroken
from tessera.llm.base import ChatMessage, CompletionRequest, StreamEnd, TextDelta, Usage
from tessera.llm.testing import ScriptedProvider

REQUEST = CompletionRequest([ChatMessage("user", "12345678")])


async def test_it_streams_its_script_and_records_requests() -> None:
    provider = ScriptedProvider(["ab", "cd"], finish_reason="length", label="mine")
    items = [item async for item in provider.stream(REQUEST)]
    assert items == [TextDelta("ab"), TextDelta("cd"), StreamEnd("length", Usage(2, 1))]
    assert provider.requests == [REQUEST]
    assert provider.label == "mine"
    await provider.aclose()
    assert provider.closed


@pytest.mark.parametrize("after", [0, 1, 3])
async def test_break_after_raises_instead_of_ending(after: int) -> None:
    provider = ScriptedProvider(["a", "b"], break_after=after)
    received: list[str] = []
    with pytest.raises(ProviderStreamBroken):
        async for item in provider.stream(REQUEST):
            assert isinstance(item, TextDelta)
            received.append(item.text)
    assert received == ["a", "b"][:after]
