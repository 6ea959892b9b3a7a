"""``OpenAIProvider``: any OpenAI-compatible chat-completions endpoint, streamed.

OpenAI itself, or a local server through ``TESSERA_LLM_BASE_URL`` (Ollama
``http://localhost:11434/v1``, vLLM ``http://localhost:8000/v1``, LM Studio, OpenRouter...).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai
from openai.types.chat import (
    ChatCompletionAssistantMessageParam,
    ChatCompletionMessageParam,
    ChatCompletionSystemMessageParam,
    ChatCompletionUserMessageParam,
)

from tessera.errors import (
    ProviderError,
    ProviderStreamBroken,
)
from tessera.llm.base import ChatMessage, CompletionRequest, StreamEnd, StreamItem, TextDelta, Usage
from tessera.llm.failures import (
    connection_failure,
    host_of,
    status_failure,
    timeout_failure,
)

DEFAULT_MODEL = "gpt-4o-mini"
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
    """A model behind the OpenAI chat-completions API, streamed as ``TextDelta``s."""

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
        self._client = openai.AsyncOpenAI(
            api_key=api_key,
            base_url=base_url or "https://api.openai.com/v1",
            max_retries=max_retries,
            timeout=timeout,
        )

    @property
    def _where(self) -> str:
        return self.base_url or "OpenAI"

    def _translate(self, error: openai.OpenAIError) -> ProviderError:
        if isinstance(error, openai.APIStatusError):
            return status_failure(
                status=error.status_code,
                detail=_detail(error),
                retry_after=error.response.headers.get("retry-after"),
                where=self._where,
                model=self.model,
                key_variable="OPENAI_API_KEY",
            )
        if isinstance(error, openai.APITimeoutError):
            return timeout_failure(self._where)
        if isinstance(error, openai.APIConnectionError):
            return connection_failure(self._where)
        return ProviderError(f"The model provider ({self._where}) reported an error: {error}")

    async def stream(self, request: CompletionRequest) -> AsyncIterator[StreamItem]:
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
            raise self._translate(error) from error

        finish_reason: str | None = None
        usage: Usage | None = None
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
                            yield TextDelta(choice.delta.content)
                        if choice.finish_reason:
                            finish_reason = choice.finish_reason
        except openai.APIStatusError as error:
            raise self._translate(error) from error
        except openai.APIConnectionError as error:
            raise self._broken() from error
        except openai.OpenAIError as error:
            raise self._translate(error) from error
        if finish_reason is None:
            raise self._broken()
        yield StreamEnd(finish_reason, usage)

    def _broken(self) -> ProviderStreamBroken:
        return ProviderStreamBroken(
            f"The connection to the model at {self._where} broke off before the answer was "
            "complete. Try again."
        )

    async def aclose(self) -> None:
        await self._client.close()
