"""``OpenAIProvider`` against ``FakeOpenAIServer``: the real SDK, the real wire format."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from email.utils import formatdate

import httpx
import pytest

from tessera.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderStreamBroken,
)
from tessera.llm.base import ChatMessage, CompletionRequest, StreamEnd, TextDelta
from tessera.llm.failures import RetryPolicy, describe_wait, retry_after_seconds
from tessera.llm.openai import OpenAIProvider
from tessera.llm.testing import FakeOpenAIServer, ScriptedError, ScriptedText

REQUEST = CompletionRequest(
    messages=[ChatMessage("system", "You write apps."), ChatMessage("user", "a todo app")]
)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as running:
        yield running


@pytest.fixture
def fake(server: FakeOpenAIServer) -> FakeOpenAIServer:
    server.reset()
    return server


@pytest.fixture
async def provider(fake: FakeOpenAIServer) -> AsyncIterator[OpenAIProvider]:
    model = OpenAIProvider(api_key="sk-test", base_url=fake.base_url, model="m1", max_retries=0)
    yield model
    await model.aclose()


@pytest.fixture
async def retrying(fake: FakeOpenAIServer) -> AsyncIterator[OpenAIProvider]:
    """A provider with the default retries (two)."""
    model = OpenAIProvider(api_key="sk-test", base_url=fake.base_url, model="m1")
    yield model
    await model.aclose()


async def collect(provider: OpenAIProvider, request: CompletionRequest = REQUEST) -> list[object]:
    return [item async for item in provider.stream(request)]


def texts(items: list[object]) -> list[str]:
    return [item.text for item in items if isinstance(item, TextDelta)]


async def test_streamed_text_equals_the_script(
    fake: FakeOpenAIServer, provider: OpenAIProvider
) -> None:
    chunks = ["Hello", ", ", "world", "\n<tessera-file", ' path="a.ts">x</tessera-file>']
    fake.enqueue_text(chunks)
    items = await collect(provider)
    assert [item.text for item in items if isinstance(item, TextDelta)] == chunks
    end = items[-1]
    assert isinstance(end, StreamEnd) and end.finish_reason == "stop"
    assert end.usage is not None and end.usage.output_tokens > 0 and end.usage.input_tokens > 0


async def test_the_request_is_a_streamed_chat_completion(
    fake: FakeOpenAIServer, provider: OpenAIProvider
) -> None:
    request = CompletionRequest(
        messages=[*REQUEST.messages, ChatMessage("assistant", "ok"), ChatMessage("user", "more")],
        max_tokens=300,
        temperature=0.2,
    )
    await collect(provider, request)
    (recorded,) = fake.requests
    assert recorded.path == "/v1/chat/completions"
    assert recorded.headers["authorization"] == "Bearer sk-test"
    body = recorded.body
    assert body["model"] == "m1"
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"] == [
        {"role": "system", "content": "You write apps."},
        {"role": "user", "content": "a todo app"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "more"},
    ]
    assert body["max_tokens"] == 300 and body["temperature"] == 0.2


async def test_unset_options_are_not_sent_and_the_request_model_wins(
    fake: FakeOpenAIServer, provider: OpenAIProvider
) -> None:
    await collect(provider, CompletionRequest(REQUEST.messages, model="other"))
    body = fake.requests[0].body
    assert body["model"] == "other"
    assert "max_tokens" not in body and "temperature" not in body


async def test_finish_reason_length_is_passed_on(
    fake: FakeOpenAIServer, provider: OpenAIProvider
) -> None:
    fake.enqueue_text(["cut"], finish_reason="length")
    end = (await collect(provider))[-1]
    assert isinstance(end, StreamEnd) and end.finish_reason == "length"


@pytest.mark.parametrize("status", [401, 403])
async def test_a_rejected_key_is_an_auth_error(
    status: int, fake: FakeOpenAIServer, provider: OpenAIProvider
) -> None:
    fake.enqueue_error(status, "Incorrect API key provided: sk-test.")
    with pytest.raises(ProviderAuthError) as caught:
        await collect(provider)
    assert "OPENAI_API_KEY" in caught.value.message
    assert "Incorrect API key provided" in caught.value.message


async def test_rate_limiting(fake: FakeOpenAIServer, provider: OpenAIProvider) -> None:
    fake.enqueue_error(429, "Rate limit reached for requests", retry_after=7)
    with pytest.raises(ProviderRateLimited) as caught:
        await collect(provider)
    assert "Rate limit reached" in caught.value.message and "7" in caught.value.message
    assert caught.value.status_code == 429


async def test_a_server_error_names_the_status_and_the_message(
    fake: FakeOpenAIServer, provider: OpenAIProvider
) -> None:
    fake.enqueue_error(500, "The server had an error while processing your request.")
    with pytest.raises(ProviderError) as caught:
        await collect(provider)
    assert type(caught.value) is ProviderError
    assert "500" in caught.value.message and "server had an error" in caught.value.message


async def test_an_unknown_model_says_which_setting_to_check(
    fake: FakeOpenAIServer, provider: OpenAIProvider
) -> None:
    fake.enqueue_error(404, "The model `m1` does not exist.")
    with pytest.raises(ProviderError, match="TESSERA_LLM_MODEL"):
        await collect(provider)


async def test_usage_is_read_from_the_stream(
    fake: FakeOpenAIServer, provider: OpenAIProvider
) -> None:
    fake.enqueue_text(["12345678", "9"])
    end = (await collect(provider))[-1]
    assert isinstance(end, StreamEnd) and end.usage is not None
    prompt_chars = len("You write apps.") + len("a todo app")
    assert end.usage.input_tokens == (prompt_chars + 3) // 4
    assert end.usage.output_tokens == (9 + 3) // 4
    assert fake.requests[0].body["stream_options"] == {"include_usage": True}


# --- retries ---------------------------------------------------------------------------------


async def test_a_rate_limit_is_retried_after_the_wait_it_names(
    fake: FakeOpenAIServer, retrying: OpenAIProvider
) -> None:
    fake.script(ScriptedError(429, "Rate limit reached", retry_after=0.3), ScriptedText(["ok"]))
    started = time.monotonic()
    items = await collect(retrying)
    elapsed = time.monotonic() - started
    assert texts(items) == ["ok"]
    assert len(fake.requests) == 2
    assert fake.intervals()[0] >= 0.3
    assert 0.3 <= elapsed < 5


async def test_retry_after_in_milliseconds_is_honoured(
    fake: FakeOpenAIServer, retrying: OpenAIProvider
) -> None:
    fake.enqueue_error(429, "slow down", headers={"retry-after-ms": "250"})
    fake.enqueue_text(["ok"])
    assert texts(await collect(retrying)) == ["ok"]
    assert len(fake.requests) == 2 and fake.intervals()[0] >= 0.25


async def test_a_server_error_is_retried_with_backoff(
    fake: FakeOpenAIServer, retrying: OpenAIProvider
) -> None:
    fake.enqueue_error(500, "The server had an error")
    fake.enqueue_error(503, "Service unavailable", retry_after=0.1)
    fake.enqueue_text(["third time lucky"])
    assert texts(await collect(retrying)) == ["third time lucky"]
    assert len(fake.requests) == 3
    first_wait, second_wait = fake.intervals()
    assert first_wait >= RetryPolicy().first_backoff  # no retry-after: the backoff
    assert second_wait >= 0.1
    assert fake.pending == 0


async def test_retries_are_bounded_and_the_user_is_told_how_long_to_wait(
    fake: FakeOpenAIServer, retrying: OpenAIProvider
) -> None:
    for _ in range(3):
        fake.enqueue_error(429, "Rate limit reached for requests", retry_after=0.1)
    fake.enqueue_text(["never asked for"])
    with pytest.raises(ProviderRateLimited) as caught:
        await collect(retrying)
    assert len(fake.requests) == 3  # the first try and two retries, no more
    assert fake.pending == 1
    message = caught.value.message
    assert "Rate limit reached for requests" in message
    assert "tried 3 times" in message and "wait 0.1 s" in message


async def test_a_long_retry_after_is_reported_at_once_not_waited_for(
    fake: FakeOpenAIServer, retrying: OpenAIProvider
) -> None:
    fake.enqueue_error(429, "Try again in a minute", retry_after=60)
    started = time.monotonic()
    with pytest.raises(ProviderRateLimited) as caught:
        await collect(retrying)
    assert time.monotonic() - started < 5
    assert len(fake.requests) == 1
    assert "wait 60 s" in caught.value.message


@pytest.mark.parametrize("status", [400, 401, 404])
async def test_a_client_error_is_not_retried(
    status: int, fake: FakeOpenAIServer, retrying: OpenAIProvider
) -> None:
    fake.enqueue_error(status, "no")
    with pytest.raises(ProviderError):
        await collect(retrying)
    assert len(fake.requests) == 1


async def test_the_server_can_forbid_a_retry(
    fake: FakeOpenAIServer, retrying: OpenAIProvider
) -> None:
    fake.enqueue_error(500, "do not repeat this", headers={"x-should-retry": "false"})
    with pytest.raises(ProviderError, match="do not repeat this"):
        await collect(retrying)
    assert len(fake.requests) == 1


async def test_a_stream_dropped_mid_answer_is_not_retried(
    fake: FakeOpenAIServer, retrying: OpenAIProvider
) -> None:
    fake.enqueue_drop(["one", "two", "three"], after=2)
    fake.enqueue_text(["a second answer"])
    received: list[str] = []
    with pytest.raises(ProviderStreamBroken):
        async for item in retrying.stream(REQUEST):
            assert isinstance(item, TextDelta)
            received.append(item.text)
    assert received == ["one", "two"]  # the partial answer reached the caller
    assert len(fake.requests) == 1
    assert fake.pending == 1


async def test_a_stream_dropped_before_any_text_is_retried(
    fake: FakeOpenAIServer, retrying: OpenAIProvider
) -> None:
    fake.enqueue_drop(["never sent"], after=0)
    fake.enqueue_text(["whole answer"])
    assert texts(await collect(retrying)) == ["whole answer"]
    assert len(fake.requests) == 2


def test_retry_after_is_read_in_every_form() -> None:
    assert retry_after_seconds({"retry-after": "7"}) == 7
    assert retry_after_seconds({"retry-after": "0.5"}) == 0.5
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    in_a_minute = retry_after_seconds({"retry-after": formatdate(time.time() + 60, usegmt=True)})
    assert in_a_minute is not None and 55 <= in_a_minute <= 61
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None


def test_the_policy_doubles_its_backoff_and_caps_retry_after() -> None:
    policy = RetryPolicy(retries=3, first_backoff=0.5, longest_backoff=1.5)
    assert [policy.wait(n, None) for n in (1, 2, 3, 4)] == [0.5, 1.0, 1.5, None]
    assert policy.wait(1, 12.0) == 12.0
    assert policy.wait(1, policy.longest_retry_after + 1) is None
    assert [describe_wait(s) for s in (0.25, 7, 59.2, 600)] == ["0.2 s", "7 s", "60 s", "10 min"]


async def test_a_dropped_stream_is_a_broken_stream(
    fake: FakeOpenAIServer, provider: OpenAIProvider
) -> None:
    fake.enqueue_drop(["one", "two", "three", "four"], after=2)
    received: list[str] = []
    with pytest.raises(ProviderStreamBroken):
        async for item in provider.stream(REQUEST):
            assert isinstance(item, TextDelta)
            received.append(item.text)
    assert received == ["one", "two"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_an_unreachable_server_is_a_provider_error() -> None:
    base_url = f"http://127.0.0.1:{closed_port()}/v1"
    model = OpenAIProvider(api_key="k", base_url=base_url, max_retries=0)
    try:
        with pytest.raises(ProviderError) as caught:
            await collect(model)
    finally:
        await model.aclose()
    assert type(caught.value) is ProviderError
    assert f"could not reach the model at {base_url}" in caught.value.message


async def test_an_unreachable_server_is_tried_again_before_giving_up() -> None:
    base_url = f"http://127.0.0.1:{closed_port()}/v1"
    model = OpenAIProvider(api_key="k", base_url=base_url, max_retries=1)
    started = time.monotonic()
    try:
        with pytest.raises(ProviderError, match="tried 2 times"):
            await collect(model)
    finally:
        await model.aclose()
    assert time.monotonic() - started >= RetryPolicy().first_backoff


def test_labels_name_the_model_and_the_host() -> None:
    assert OpenAIProvider(api_key="k").label == "gpt-4o-mini via OpenAI"
    local = OpenAIProvider(api_key="k", base_url="http://localhost:11434/v1", model="llama3.2")
    assert local.label == "llama3.2 via localhost:11434"
    assert local.name == "openai"


# --- the fake server's wire format, read directly --------------------------------------------


def sse_payloads(body: str) -> list[str]:
    return [line[len("data: ") :] for line in body.splitlines() if line.startswith("data: ")]


def test_the_fake_streams_openai_chunks(fake: FakeOpenAIServer) -> None:
    fake.enqueue_text(["a", "b"])
    response = httpx.post(
        f"{fake.base_url}/chat/completions",
        json={
            "model": "x",
            "messages": [{"role": "user", "content": "12345678"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    payloads = sse_payloads(response.text)
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(payload) for payload in payloads[:-1]]
    assert chunks[0]["object"] == "chat.completion.chunk" and chunks[0]["model"] == "x"
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert [c["choices"][0]["delta"].get("content") for c in chunks[1:3]] == ["a", "b"]
    assert chunks[3]["choices"][0]["finish_reason"] == "stop"
    assert chunks[4]["choices"] == [] and chunks[4]["usage"]["prompt_tokens"] == 2
    assert len({chunk["id"] for chunk in chunks}) == 1


def test_the_fake_answers_json_and_models_and_defaults(fake: FakeOpenAIServer) -> None:
    fake.set_default(["default answer"])
    response = httpx.post(f"{fake.base_url}/chat/completions", json={"model": "x", "messages": []})
    document = response.json()
    assert document["object"] == "chat.completion"
    assert document["choices"][0]["message"]["content"] == "default answer"
    assert document["usage"]["completion_tokens"] == 4
    models = httpx.get(f"{fake.base_url}/models").json()
    assert models["data"][0]["id"] == "fake-model"
    no_usage = httpx.post(
        f"{fake.base_url}/chat/completions",
        json={"model": "x", "messages": [], "stream": True},
    )
    assert all('"usage"' not in payload for payload in sse_payloads(no_usage.text))
    fake.set_default(["Hello", " from the", " fake model."])


def test_the_fake_sends_openai_error_bodies(fake: FakeOpenAIServer) -> None:
    fake.enqueue_error(429, "slow down", retry_after=2.5)
    response = httpx.post(f"{fake.base_url}/chat/completions", json={"model": "x"})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2.5"
    error = response.json()["error"]
    assert error["message"] == "slow down" and error["code"] == "rate_limit_exceeded"
    assert set(error) == {"message", "type", "param", "code"}


def test_the_fake_drops_a_connection_mid_stream(fake: FakeOpenAIServer) -> None:
    fake.enqueue_drop(["a", "b", "c"], after=2)
    received: list[str] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream(
            "POST",
            f"{fake.base_url}/chat/completions",
            json={"model": "x", "messages": [], "stream": True},
        ) as response,
    ):
        for line in response.iter_lines():
            received.append(line)
    payloads = [line for line in received if line.startswith("data: ")]
    assert len(payloads) == 3  # the role chunk and two content chunks, then nothing
    assert all("[DONE]" not in line and 'finish_reason": "stop' not in line for line in received)
