"""``AnthropicProvider``: Claude models through Anthropic's Messages API, streamed."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator

import anthropic
import httpx2
from anthropic.types import AssistantMessageParam, UserMessageParam

from tessera.errors import ProviderError, ProviderStreamBroken
from tessera.llm.base import ChatMessage, CompletionRequest, StreamEnd, StreamItem, TextDelta, Usage
from tessera.llm.defaults import ANTHROPIC_DEFAULT_MODEL
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

DEFAULT_MODEL = ANTHROPIC_DEFAULT_MODEL
DEFAULT_MAX_TOKENS = 8192
"""The Messages API requires a limit; a whole app's files fit in it."""
DEFAULT_TIMEOUT = 120.0
"""Seconds without an answer before a request is abandoned (a stream's pauses included)."""

_FINISH_REASONS = {"end_turn": "stop", "max_tokens": "length"}
_ERROR_TYPE_STATUSES = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}
"""The HTTP status each error type stands for: an error event inside a stream arrives
with the stream's own status, 200."""


def _message(message: ChatMessage) -> UserMessageParam | AssistantMessageParam:
    if message.role == "assistant":
        return AssistantMessageParam(role="assistant", content=message.content)
    return UserMessageParam(role="user", content=message.content)


def _status(error: anthropic.APIStatusError) -> int:
    """The failure's HTTP status, read from its type for an error event inside a stream."""
    if error.status_code >= 400:
        return error.status_code
    return _ERROR_TYPE_STATUSES.get(str(error.type), 500)


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
    A rate limit, an overload or a refused connection before any text has streamed is
    retried ``max_retries`` times (``failures.RetryPolicy``); the SDK's own retries are
    off, so that a long ``retry-after`` is reported rather than silently waited for.
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
        self.retry_policy = RetryPolicy(retries=max_retries)
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key,
            base_url=base_url or "https://api.anthropic.com",
            max_retries=0,
            timeout=timeout,
        )

    @property
    def _where(self) -> str:
        return self.base_url or "Anthropic"

    def _status_failure(self, error: anthropic.APIStatusError, attempts: int) -> ProviderError:
        return status_failure(
            status=_status(error),
            detail=_detail(error),
            retry_after=retry_after_seconds(error.response.headers),
            where=self._where,
            model=self.model,
            key_variable="ANTHROPIC_API_KEY",
            attempts=attempts,
        )

    def _failure(self, error: Exception, *, opened: bool, text: bool) -> Exception:
        """What ``error`` means after the response was ``opened`` (or not) and ``text``
        streamed (or not): ``Retryable`` while nothing was written, else the user's error.

        The SDK passes a connection cut mid-stream on as the transport's own error."""
        if isinstance(error, anthropic.APIStatusError):
            headers = error.response.headers
            if not text and is_transient(_status(error), headers):
                return Retryable(
                    lambda attempts: self._status_failure(error, attempts),
                    retry_after=retry_after_seconds(headers),
                )
            return self._status_failure(error, 1)
        cut = isinstance(error, (anthropic.APIConnectionError, httpx2.TransportError))
        if cut and text:
            return self._broken()
        if isinstance(error, (anthropic.APITimeoutError, httpx2.TimeoutException)):
            return timeout_failure(self._where)  # not retried: each try costs the timeout
        if cut:
            if opened:
                return Retryable(lambda _: self._broken())
            return Retryable(lambda attempts: connection_failure(self._where, attempts))
        return ProviderError(f"The model provider ({self._where}) reported an error: {error}")

    def stream(self, request: CompletionRequest) -> AsyncIterator[StreamItem]:
        return stream_with_retries(lambda: self._attempt(request), self.retry_policy)

    async def _attempt(self, request: CompletionRequest) -> AsyncGenerator[StreamItem, None]:
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
            raise self._failure(error, opened=False, text=False) from error

        stop_reason: str | None = None
        stopped = False
        streamed_text = False
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
                            streamed_text = True
                            yield TextDelta(event.delta.text)
                    elif event.type == "message_delta":
                        if event.delta.stop_reason:
                            stop_reason = event.delta.stop_reason
                        output_tokens = event.usage.output_tokens
                    elif event.type == "message_stop":
                        stopped = True
        except (anthropic.AnthropicError, httpx2.TransportError) as error:
            raise self._failure(error, opened=True, text=streamed_text) from error
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
        return broken_stream(self._where)

    async def aclose(self) -> None:
        await self._client.close()
