"""``OpenAIProvider``: any OpenAI-compatible chat-completions endpoint, streamed.

OpenAI itself, or a local server through ``TESSERA_LLM_BASE_URL`` (Ollama
``http://localhost:11434/v1``, vLLM ``http://localhost:8000/v1``, LM Studio, OpenRouter...).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator

import openai
from openai.types.chat import (
    ChatCompletionAssistantMessageParam,
    ChatCompletionMessageParam,
    ChatCompletionSystemMessageParam,
    ChatCompletionUserMessageParam,
)

from tessera.errors import ProviderError, ProviderStreamBroken
from tessera.llm.base import ChatMessage, CompletionRequest, StreamEnd, StreamItem, TextDelta, Usage
from tessera.llm.defaults import OPENAI_DEFAULT_MODEL
from tessera.llm.failures import (
    Retryable,
    RetryPolicy,
    broken_stream,
    connection_failure,
    host_of,
    is_transient,
    retry_after_seconds,
    status_failure,
    stream_with_retries,
    timeout_failure,
)

DEFAULT_MODEL = OPENAI_DEFAULT_MODEL
DEFAULT_TIMEOUT = 120.0
"""Seconds without an answer before a request is abandoned (a stream's pauses included)."""


def _message(message: ChatMessage) -> ChatCompletionMessageParam:
    if message.role == "system":
        return ChatCompletionSystemMessageParam(role="system", content=message.content)
    if message.role == "assistant":
        return ChatCompletionAssistantMessageParam(role="assistant", content=message.content)
    return ChatCompletionUserMessageParam(role="user", content=message.content)


def _detail(error: openai.APIStatusError) -> str:
    """The provider's own words from an error body, else the HTTP reason."""
    body = error.body
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, str) and message:
            return message
    elif isinstance(body, str) and body.strip():
        return body.strip()[:300]
    return error.response.reason_phrase or "no details"


class OpenAIProvider:
    """A model behind the OpenAI chat-completions API, streamed as ``TextDelta``s.

    A rate limit, a server error or a refused connection before any text has streamed is
    retried ``max_retries`` times (``failures.RetryPolicy``); the SDK's own retries are
    off, so that a long ``retry-after`` is reported rather than silently waited for.
    """

    name = "openai"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        model: str = DEFAULT_MODEL,
        max_retries: int = 2,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.model = model
        self.base_url = base_url
        self.label = f"{model} via {host_of(base_url) or 'OpenAI'}"
        self.retry_policy = RetryPolicy(retries=max_retries)
        self._client = openai.AsyncOpenAI(
            api_key=api_key,
            base_url=base_url or "https://api.openai.com/v1",
            max_retries=0,
            timeout=timeout,
        )

    @property
    def _where(self) -> str:
        return self.base_url or "OpenAI"

    def _status_failure(self, error: openai.APIStatusError, attempts: int) -> ProviderError:
        return status_failure(
            status=error.status_code,
            detail=_detail(error),
            retry_after=retry_after_seconds(error.response.headers),
            where=self._where,
            model=self.model,
            key_variable="OPENAI_API_KEY",
            attempts=attempts,
        )

    def _failure(self, error: openai.OpenAIError, *, opened: bool, text: bool) -> Exception:
        """What ``error`` means after the response was ``opened`` (or not) and ``text``
        streamed (or not): ``Retryable`` while nothing was written, else the user's error."""
        if isinstance(error, openai.APIStatusError):
            headers = error.response.headers
            if not text and is_transient(error.status_code, headers):
                return Retryable(
                    lambda attempts: self._status_failure(error, attempts),
                    retry_after=retry_after_seconds(headers),
                )
            return self._status_failure(error, 1)
        if isinstance(error, openai.APIConnectionError) and text:
            return self._broken()
        if isinstance(error, openai.APITimeoutError):
            return timeout_failure(self._where)  # not retried: each try costs the timeout
        if isinstance(error, openai.APIConnectionError):
            if opened:
                return Retryable(lambda _: self._broken())
            return Retryable(lambda attempts: connection_failure(self._where, attempts))
        return ProviderError(f"The model provider ({self._where}) reported an error: {error}")

    def stream(self, request: CompletionRequest) -> AsyncIterator[StreamItem]:
        return stream_with_retries(lambda: self._attempt(request), self.retry_policy)

    async def _attempt(self, request: CompletionRequest) -> AsyncGenerator[StreamItem, None]:
        try:
            chunks = await self._client.chat.completions.create(
                model=request.model or self.model,
                messages=[_message(message) for message in request.messages],
                stream=True,
                stream_options={"include_usage": True},
                max_tokens=request.max_tokens if request.max_tokens is not None else openai.omit,
                temperature=(
                    request.temperature if request.temperature is not None else openai.omit
                ),
            )
        except openai.OpenAIError as error:
            raise self._failure(error, opened=False, text=False) from error

        finish_reason: str | None = None
        usage: Usage | None = None
        streamed_text = False
        try:
            async with chunks:
                async for chunk in chunks:
                    if chunk.usage is not None:
                        usage = Usage(
                            input_tokens=chunk.usage.prompt_tokens,
                            output_tokens=chunk.usage.completion_tokens,
                        )
                    for choice in chunk.choices:
                        if choice.delta is not None and choice.delta.content:
                            streamed_text = True
                            yield TextDelta(choice.delta.content)
                        if choice.finish_reason:
                            finish_reason = choice.finish_reason
        except openai.OpenAIError as error:
            raise self._failure(error, opened=True, text=streamed_text) from error
        if finish_reason is None:
            raise self._broken()
        yield StreamEnd(finish_reason, usage)

    def _broken(self) -> ProviderStreamBroken:
        return broken_stream(self._where)

    async def aclose(self) -> None:
        await self._client.close()
