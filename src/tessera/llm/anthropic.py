"""``AnthropicProvider``: Claude models through Anthropic's Messages API, streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anthropic
import httpx2
from anthropic.types import AssistantMessageParam, UserMessageParam

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

DEFAULT_MODEL = "claude-sonnet-5-5"
DEFAULT_MAX_TOKENS = 8192
"""The Messages API requires a limit; a whole app's files fit in it."""
DEFAULT_TIMEOUT = 120.0
"""Seconds without an answer before a request is abandoned (a stream's pauses included)."""

_FINISH_REASONS = {"end_turn": "stop", "max_tokens": "length"}


def _message(message: ChatMessage) -> UserMessageParam | AssistantMessageParam:
    if message.role == "assistant":
        return AssistantMessageParam(role="assistant", content=message.content)
    return UserMessageParam(role="user", content=message.content)


def _detail(error: anthropic.APIStatusError) -> str:
    """The provider's own words from an error body, else the HTTP reason."""
    if error.api_message:
        return error.api_message
    body = error.body
    if isinstance(body, str) and body.strip():
        return body.strip()[:300]
    return error.response.reason_phrase or "no details"


class AnthropicProvider:
    """A Claude model behind Anthropic's Messages API, streamed as ``TextDelta``s.

    System messages become the request's ``system`` text. ``CompletionRequest.temperature``
    is not sent: the Messages API of the ``anthropic`` 2.x SDK has no such setting.
    """

    name = "anthropic"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        model: str = DEFAULT_MODEL,
        max_retries: int = 2,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.model = model
        self.base_url = base_url
        self.max_tokens = max_tokens
        self.label = f"{model} via {host_of(base_url) or 'Anthropic'}"
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key,
            base_url=base_url or "https://api.anthropic.com",
            max_retries=max_retries,
            timeout=timeout,
        )

    @property
    def _where(self) -> str:
        return self.base_url or "Anthropic"

    def _translate(self, error: anthropic.AnthropicError) -> ProviderError:
        if isinstance(error, anthropic.APIStatusError):
            return status_failure(
                status=error.status_code,
                detail=_detail(error),
                retry_after=error.response.headers.get("retry-after"),
                where=self._where,
                model=self.model,
                key_variable="ANTHROPIC_API_KEY",
            )
        if isinstance(error, anthropic.APITimeoutError):
            return timeout_failure(self._where)
        if isinstance(error, anthropic.APIConnectionError):
            return connection_failure(self._where)
        return ProviderError(f"The model provider ({self._where}) reported an error: {error}")

    async def stream(self, request: CompletionRequest) -> AsyncIterator[StreamItem]:
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        messages = [_message(m) for m in request.messages if m.role != "system"]
        try:
            events = await self._client.messages.create(
                model=request.model or self.model,
                messages=messages,
                system=system or anthropic.omit,
                max_tokens=request.max_tokens
                if request.max_tokens is not None
                else self.max_tokens,
                stream=True,
            )
        except anthropic.AnthropicError as error:
            raise self._translate(error) from error

        stop_reason: str | None = None
        stopped = False
        input_tokens: int | None = None
        output_tokens: int | None = None
        try:
            async with events:
                async for event in events:
                    if event.type == "message_start":
                        input_tokens = event.message.usage.input_tokens
                        output_tokens = event.message.usage.output_tokens
                    elif event.type == "content_block_delta":
                        if event.delta.type == "text_delta" and event.delta.text:
                            yield TextDelta(event.delta.text)
                    elif event.type == "message_delta":
                        if event.delta.stop_reason:
                            stop_reason = event.delta.stop_reason
                        output_tokens = event.usage.output_tokens
                    elif event.type == "message_stop":
                        stopped = True
        except anthropic.APIStatusError as error:
            raise self._translate(error) from error
        except (anthropic.APIConnectionError, httpx2.TransportError) as error:
            # The SDK passes a connection cut mid-stream on as the transport's own error.
            raise self._broken() from error
        except anthropic.AnthropicError as error:
            raise self._translate(error) from error
        if not stopped:
            raise self._broken()
        usage = (
            Usage(input_tokens=input_tokens, output_tokens=output_tokens)
            if input_tokens is not None and output_tokens is not None
            else None
        )
        reason = stop_reason or "stop"
        yield StreamEnd(_FINISH_REASONS.get(reason, reason), usage)

    def _broken(self) -> ProviderStreamBroken:
        return ProviderStreamBroken(
            f"The connection to the model at {self._where} broke off before the answer was "
            "complete. Try again."
        )

    async def aclose(self) -> None:
        await self._client.close()
