"""What a model provider's failure means to a user, and which failures deserve another try.

One wording for every provider. Retrying is Tessera's own, not the SDKs': the ``openai``
SDK waits up to two minutes on a ``retry-after`` and the ``anthropic`` SDK as long as the
server asks, silently, while a user watches an empty chat. Tessera waits at most
``RetryPolicy.longest_retry_after`` and otherwise reports the wait at once. Only a
failure before any text has streamed is retried: an answer cut off half-way is kept by
the agent, and asking again would write it twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import math
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from tessera.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderStreamBroken,
)
from tessera.llm.base import StreamItem

TRANSIENT_STATUSES: Final = frozenset({408, 409, 429})
"""Statuses below 500 that another attempt may not meet (timeout, lock, rate limit);
every 5xx (529 "overloaded" included) is transient too."""


def host_of(base_url: str | None) -> str | None:
    """``host[:port]`` of a base URL, for labels and messages."""
    if not base_url:
        return None
    parts = urlsplit(base_url)
    return parts.hostname and (f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname)


def is_transient(status: int, headers: Mapping[str, str]) -> bool:
    """Whether an HTTP error status may go away on its own (the server's
    ``x-should-retry`` header, when present, decides)."""
    should_retry = headers.get("x-should-retry")
    if should_retry in ("true", "false"):
        return should_retry == "true"
    return status in TRANSIENT_STATUSES or status >= 500


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The wait a server asks for: ``retry-after-ms``, ``retry-after`` in seconds (a float
    is accepted) or as an HTTP date; None when absent or unreadable."""
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue
        if math.isfinite(seconds):
            return max(seconds, 0.0)
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        date = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(date.timestamp() - time.time(), 0.0)


def describe_wait(seconds: float) -> str:
    """A wait as a person reads it: "0.2 s", "7 s", "3 min"."""
    if seconds < 1:
        return f"{max(seconds, 0.1):.1f} s"
    if seconds < 120:
        return f"{math.ceil(seconds)} s"
    return f"{math.ceil(seconds / 60)} min"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to wait before asking a provider again."""

    retries: int = 2
    """Attempts after the first."""
    first_backoff: float = 0.5
    """Seconds before the first retry when the server names no wait; doubled each time."""
    longest_backoff: float = 8.0
    longest_retry_after: float = 20.0
    """The longest ``retry-after`` honoured; a longer one is reported to the user instead."""

    def wait(self, failed_attempts: int, retry_after: float | None) -> float | None:
        """Seconds to wait after ``failed_attempts`` attempts failed, or None: give up."""
        if failed_attempts > self.retries:
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.longest_retry_after else None
        return min(self.first_backoff * 2.0 ** (failed_attempts - 1), self.longest_backoff)


class Retryable(Exception):
    """Raised by one attempt of a stream for a failure before any text, that another
    attempt may not meet. Never reaches a user: ``stream_with_retries`` either tries again
    or raises ``error(attempts)``."""

    def __init__(
        self, error: Callable[[int], ProviderError], *, retry_after: float | None = None
    ) -> None:
        super().__init__("retryable provider failure")
        self.error = error
        """The failure to report after the given number of attempts."""
        self.retry_after = retry_after


async def stream_with_retries(
    attempt: Callable[[], AsyncGenerator[StreamItem, None]], policy: RetryPolicy
) -> AsyncIterator[StreamItem]:
    """The items of ``attempt()``, started again after a ``Retryable`` failure while the
    policy allows; any other failure passes through unchanged."""
    attempts = 0
    while True:
        attempts += 1
        try:
            async with contextlib.aclosing(attempt()) as items:
                async for item in items:
                    yield item
            return
        except Retryable as failure:
            wait = policy.wait(attempts, failure.retry_after)
            if wait is None:
                raise failure.error(attempts) from failure.__cause__
        await asyncio.sleep(wait)


def _tried(attempts: int) -> str:
    return f" Tessera tried {attempts} times." if attempts > 1 else ""


def status_failure(
    *,
    status: int,
    detail: str,
    retry_after: float | None,
    where: str,
    model: str,
    key_variable: str,
    attempts: int = 1,
) -> ProviderError:
    """An HTTP error status from the provider at ``where``, after ``attempts`` attempts."""
    if status in (401, 403):
        return ProviderAuthError(
            f"The model provider ({where}) rejected the API key (HTTP {status}: {detail}). "
            f"Set {key_variable} (or the key in Tessera's settings) to a valid key for it."
        )
    if status == 429:
        wait = f"wait {describe_wait(retry_after)}" if retry_after is not None else "wait a minute"
        return ProviderRateLimited(
            f"The model provider ({where}) is limiting requests (HTTP 429: {detail})."
            f"{_tried(attempts)} Please {wait} and try again, or check your plan's limits."
        )
    if status in (503, 529):
        return ProviderError(
            f"The model provider ({where}) is overloaded (HTTP {status}: {detail})."
            f"{_tried(attempts)} Try again in a minute."
        )
    hint = (
        f" Check that the model “{model}” exists there (TESSERA_LLM_MODEL or the model "
        "in Tessera's settings)."
        if status == 404
        else ""
    )
    return ProviderError(
        f"The model provider ({where}) answered HTTP {status}: {detail}.{_tried(attempts)}{hint}"
    )


def timeout_failure(where: str) -> ProviderError:
    return ProviderError(
        f"The model at {where} did not answer in time. Try again; if it keeps happening, "
        "the model may be overloaded or too slow for this machine."
    )


def connection_failure(where: str, attempts: int = 1) -> ProviderError:
    return ProviderError(
        f"Tessera could not reach the model at {where}.{_tried(attempts)} Check the network, "
        "and that the base URL (TESSERA_LLM_BASE_URL or Tessera's settings), when set, "
        "points at a running server."
    )


def broken_stream(where: str) -> ProviderStreamBroken:
    """A stream that stopped before its end (the agent keeps what it wrote)."""
    return ProviderStreamBroken(
        f"The connection to the model at {where} broke off before the answer was "
        "complete. Try again."
    )
