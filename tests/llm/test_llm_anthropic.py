"""``AnthropicProvider`` against ``FakeAnthropicServer``: the real SDK, the real wire format."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import SecretStr

from tessera.config import Settings
from tessera.errors import (
    InvalidInput,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderStreamBroken,
)
from tessera.llm.anthropic import AnthropicProvider
from tessera.llm.base import ChatMessage, CompletionRequest, StreamEnd, TextDelta
from tessera.llm.factory import create_provider
from tessera.llm.failures import RetryPolicy
from tessera.llm.openai import OpenAIProvider
from tessera.llm.testing import FakeAnthropicServer, ScriptedError, ScriptedText

REQUEST = CompletionRequest(
    messages=[
        ChatMessage("system", "You write apps."),
        ChatMessage("system", "Answer with files."),
        ChatMessage("user", "a todo app"),
        ChatMessage("assistant", "ok"),
        ChatMessage("user", "more"),
    ]
)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeAnthropicServer]:
    with FakeAnthropicServer() as running:
        yield running


@pytest.fixture
def fake(server: FakeAnthropicServer) -> FakeAnthropicServer:
    server.reset()
    return server


@pytest.fixture
async def provider(fake: FakeAnthropicServer) -> AsyncIterator[AnthropicProvider]:
    model = AnthropicProvider(
        api_key="sk-ant-test", base_url=fake.base_url, model="claude-test", max_retries=0
    )
    yield model
    await model.aclose()


@pytest.fixture
async def retrying(fake: FakeAnthropicServer) -> AsyncIterator[AnthropicProvider]:
    """A provider with the default retries (two)."""
    model = AnthropicProvider(api_key="sk-ant-test", base_url=fake.base_url, model="claude-test")
    yield model
    await model.aclose()


async def collect(
    provider: AnthropicProvider, request: CompletionRequest = REQUEST
) -> list[object]:
    return [item async for item in provider.stream(request)]


def texts(items: list[object]) -> list[str]:
    return [item.text for item in items if isinstance(item, TextDelta)]


async def test_streamed_text_equals_the_script(
    fake: FakeAnthropicServer, provider: AnthropicProvider
) -> None:
    chunks = ["Hello", ", ", "world", "\n<tessera-file", ' path="a.ts">x</tessera-file>']
    fake.enqueue_text(chunks)
    items = await collect(provider)
    assert [item.text for item in items if isinstance(item, TextDelta)] == chunks
    end = items[-1]
    assert isinstance(end, StreamEnd) and end.finish_reason == "stop"
    assert end.usage is not None
    assert end.usage.input_tokens > 1
    assert end.usage.output_tokens == (len("".join(chunks)) + 3) // 4


async def test_max_tokens_maps_to_length_and_other_reasons_pass(
    fake: FakeAnthropicServer, provider: AnthropicProvider
) -> None:
    fake.enqueue_text(["cut"], stop_reason="max_tokens")
    fake.enqueue_text(["halt"], stop_reason="stop_sequence")
    first, second = (await collect(provider))[-1], (await collect(provider))[-1]
    assert isinstance(first, StreamEnd) and first.finish_reason == "length"
    assert isinstance(second, StreamEnd) and second.finish_reason == "stop_sequence"


async def test_the_request_is_a_streamed_message(
    fake: FakeAnthropicServer, provider: AnthropicProvider
) -> None:
    await collect(provider)
    (recorded,) = fake.requests
    assert recorded.method == "POST" and recorded.path == "/v1/messages"
    # The anthropic 2.x SDK sends the key as a bearer token (1.x sent x-api-key).
    assert recorded.headers["authorization"] == "Bearer sk-ant-test"
    assert recorded.headers["anthropic-version"]
    body = recorded.body
    assert body["model"] == "claude-test"
    assert body["stream"] is True
    assert body["max_tokens"] == 8192
    assert body["system"] == "You write apps.\n\nAnswer with files."
    assert body["messages"] == [
        {"role": "user", "content": "a todo app"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "more"},
    ]


async def test_the_request_model_and_max_tokens_win(
    fake: FakeAnthropicServer, provider: AnthropicProvider
) -> None:
    request = CompletionRequest([ChatMessage("user", "hi")], model="other", max_tokens=300)
    await collect(provider, request)
    body = fake.requests[0].body
    assert body["model"] == "other" and body["max_tokens"] == 300
    assert "system" not in body


@pytest.mark.parametrize("status", [401, 403])
async def test_a_rejected_key_is_an_auth_error(
    status: int, fake: FakeAnthropicServer, provider: AnthropicProvider
) -> None:
    fake.enqueue_error(status, "invalid x-api-key")
    with pytest.raises(ProviderAuthError) as caught:
        await collect(provider)
    assert "ANTHROPIC_API_KEY" in caught.value.message
    assert "invalid x-api-key" in caught.value.message


async def test_rate_limiting(fake: FakeAnthropicServer, provider: AnthropicProvider) -> None:
    fake.enqueue_error(429, "Number of request tokens has exceeded your rate limit", 7)
    with pytest.raises(ProviderRateLimited) as caught:
        await collect(provider)
    assert "exceeded your rate limit" in caught.value.message and "7" in caught.value.message
    assert caught.value.status_code == 429


async def test_a_server_error_names_status_and_message(
    fake: FakeAnthropicServer, provider: AnthropicProvider
) -> None:
    fake.enqueue_error(500, "Internal server error")
    with pytest.raises(ProviderError) as caught:
        await collect(provider)
    assert type(caught.value) is ProviderError
    assert "HTTP 500" in caught.value.message and "Internal server error" in caught.value.message


async def test_a_dropped_stream_is_broken(
    fake: FakeAnthropicServer, provider: AnthropicProvider
) -> None:
    fake.enqueue_drop(["one", "two", "three"], after=2)
    received: list[str] = []
    with pytest.raises(ProviderStreamBroken):
        async for item in provider.stream(REQUEST):
            assert isinstance(item, TextDelta)
            received.append(item.text)
    assert received == ["one", "two"]


async def test_usage_comes_from_message_start_and_message_delta(
    fake: FakeAnthropicServer, provider: AnthropicProvider
) -> None:
    fake.enqueue_text(["123456789", "0123456"])
    end = (await collect(provider))[-1]
    assert isinstance(end, StreamEnd) and end.usage is not None
    prompt_chars = sum(len(message.content) for message in REQUEST.messages)
    assert end.usage.input_tokens == (prompt_chars + 3) // 4  # message_start
    assert end.usage.output_tokens == (16 + 3) // 4  # message_delta, not message_start's 1


# --- retries ---------------------------------------------------------------------------------


async def test_a_rate_limit_is_retried_after_the_wait_it_names(
    fake: FakeAnthropicServer, retrying: AnthropicProvider
) -> None:
    fake.script(
        ScriptedError(429, "rate limited", retry_after=0.3), ScriptedText(["ok"], "end_turn")
    )
    started = time.monotonic()
    items = await collect(retrying)
    assert texts(items) == ["ok"]
    assert len(fake.requests) == 2
    assert fake.intervals()[0] >= 0.3
    assert 0.3 <= time.monotonic() - started < 5


async def test_an_overloaded_api_is_retried_with_backoff(
    fake: FakeAnthropicServer, retrying: AnthropicProvider
) -> None:
    fake.enqueue_error(529, "Overloaded")
    fake.enqueue_text(["ok"])
    assert texts(await collect(retrying)) == ["ok"]
    assert len(fake.requests) == 2
    assert fake.intervals()[0] >= RetryPolicy().first_backoff


async def test_an_overload_event_before_any_text_is_retried(
    fake: FakeAnthropicServer, retrying: AnthropicProvider
) -> None:
    fake.enqueue_stream_error("overloaded_error", "Overloaded")
    fake.enqueue_text(["after the overload"])
    assert texts(await collect(retrying)) == ["after the overload"]
    assert len(fake.requests) == 2


async def test_an_overload_event_mid_answer_is_not_retried(
    fake: FakeAnthropicServer, retrying: AnthropicProvider
) -> None:
    fake.enqueue_stream_error("overloaded_error", "Overloaded", chunks=["half", "way"], after=2)
    fake.enqueue_text(["never asked for"])
    received: list[str] = []
    with pytest.raises(ProviderError) as caught:
        async for item in retrying.stream(REQUEST):
            assert isinstance(item, TextDelta)
            received.append(item.text)
    assert received == ["half", "way"]
    assert "overloaded" in caught.value.message and "Overloaded" in caught.value.message
    assert len(fake.requests) == 1 and fake.pending == 1


async def test_retries_are_bounded_and_the_user_is_told_how_long_to_wait(
    fake: FakeAnthropicServer, retrying: AnthropicProvider
) -> None:
    for _ in range(3):
        fake.enqueue_error(429, "Number of requests has exceeded your rate limit", 0.1)
    fake.enqueue_text(["never asked for"])
    with pytest.raises(ProviderRateLimited) as caught:
        await collect(retrying)
    assert len(fake.requests) == 3
    assert fake.pending == 1
    assert "tried 3 times" in caught.value.message and "wait 0.1 s" in caught.value.message


async def test_a_long_retry_after_is_reported_at_once(
    fake: FakeAnthropicServer, retrying: AnthropicProvider
) -> None:
    fake.enqueue_error(429, "rate limited", retry_after=3600)
    started = time.monotonic()
    with pytest.raises(ProviderRateLimited, match="wait 60 min"):
        await collect(retrying)
    assert time.monotonic() - started < 5
    assert len(fake.requests) == 1


async def test_a_stream_dropped_mid_answer_is_not_retried(
    fake: FakeAnthropicServer, retrying: AnthropicProvider
) -> None:
    fake.enqueue_drop(["one", "two", "three"], after=1)
    fake.enqueue_text(["a second answer"])
    received: list[str] = []
    with pytest.raises(ProviderStreamBroken):
        async for item in retrying.stream(REQUEST):
            assert isinstance(item, TextDelta)
            received.append(item.text)
    assert received == ["one"]
    assert len(fake.requests) == 1 and fake.pending == 1


async def test_an_unreachable_server_is_named() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}"
    provider = AnthropicProvider(api_key="k", base_url=base_url, max_retries=0, timeout=5)
    try:
        with pytest.raises(ProviderError) as caught:
            await collect(provider)
    finally:
        await provider.aclose()
    assert base_url in caught.value.message
    assert provider.label == f"claude-sonnet-5-5 via 127.0.0.1:{port}"


# --- choosing the provider ---------------------------------------------------------------


@pytest.fixture
def clean_environment(model_environment_cleared: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    return model_environment_cleared


async def test_an_anthropic_key_alone_selects_anthropic(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("ANTHROPIC_API_KEY", "sk-ant-env")
    provider = create_provider(Settings())
    assert isinstance(provider, AnthropicProvider)
    assert provider.name == "anthropic"
    assert provider.label == "claude-sonnet-5-5 via Anthropic"
    assert provider._client.api_key == "sk-ant-env"
    await provider.aclose()


def test_the_prefixed_variable_works_too(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("TESSERA_ANTHROPIC_API_KEY", "sk-ant-prefixed")
    assert Settings().effective_llm_provider == "anthropic"


def test_an_openai_key_wins_when_both_are_set(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("ANTHROPIC_API_KEY", "sk-ant-env")
    clean_environment.setenv("OPENAI_API_KEY", "sk-openai-env")
    assert isinstance(create_provider(Settings()), OpenAIProvider)


def test_an_explicit_choice_wins_over_the_keys(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("OPENAI_API_KEY", "sk-openai-env")
    settings = Settings(llm_provider="anthropic", anthropic_api_key=SecretStr("sk-ant"))
    assert isinstance(create_provider(settings), AnthropicProvider)


def test_anthropic_without_a_key_says_what_to_set(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("TESSERA_LLM_PROVIDER", "anthropic")
    with pytest.raises(InvalidInput, match="ANTHROPIC_API_KEY"):
        create_provider(Settings())
