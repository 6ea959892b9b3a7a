"""How much a model reads and writes at most, for fitting a prompt and an answer.

Known models are matched by name prefix (the longest known prefix wins, so dated
snapshots such as ``gpt-4o-2024-08-06`` and ``claude-sonnet-4-5-20250929`` match their
family); a ``vendor/`` part (OpenRouter's ``openai/gpt-4o``) is ignored. An unknown model
gets conservative limits: a prompt cut too short costs some context, one too long fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, TypeVar

T = TypeVar("T")

DEFAULT_CONTEXT_WINDOW: Final = 32_000
DEFAULT_MAX_OUTPUT_TOKENS: Final = 4_096
OFFLINE_LIMIT: Final = 1_000_000
"""The offline demo model has no limit of its own."""


def lookup_by_prefix(table: Mapping[str, T], model: str) -> T | None:
    """The entry of the longest prefix of ``model`` (lower-cased, without a ``vendor/``
    part) in ``table``, or None."""
    name = model.strip().lower().rsplit("/", 1)[-1]
    best: str | None = None
    for prefix in table:
        if name.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return None if best is None else table[best]


_LIMITS: Final[dict[str, tuple[int, int]]] = {
    # model-name prefix: (context window, most output tokens)
    "gpt-3.5-turbo": (16_385, 4_096),
    "gpt-4": (8_192, 8_192),
    "gpt-4-turbo": (128_000, 4_096),
    "gpt-4o": (128_000, 16_384),
    "chatgpt-4o": (128_000, 16_384),
    "gpt-4.1": (1_047_576, 32_768),
    "gpt-4.5": (128_000, 16_384),
    "gpt-5": (400_000, 128_000),
    "o1": (200_000, 100_000),
    "o1-mini": (128_000, 65_536),
    "o1-preview": (128_000, 32_768),
    "o3": (200_000, 100_000),
    "o3-mini": (200_000, 100_000),
    "o4-mini": (200_000, 100_000),
    "claude-3-haiku": (200_000, 4_096),
    "claude-3-opus": (200_000, 4_096),
    "claude-3-sonnet": (200_000, 4_096),
    "claude-3-5-haiku": (200_000, 8_192),
    "claude-3-5-sonnet": (200_000, 8_192),
    "claude-3-7-sonnet": (200_000, 64_000),
    "claude-haiku-4": (200_000, 64_000),
    "claude-sonnet-4": (200_000, 64_000),
    "claude-opus-4": (200_000, 32_000),
    "claude-opus-4-5": (200_000, 64_000),
    "claude-haiku": (200_000, 64_000),
    "claude-sonnet": (200_000, 64_000),
    "claude-opus": (200_000, 32_000),
    "claude": (200_000, 8_192),
}


def _limits(provider: str, model: str) -> tuple[int, int]:
    if provider == "offline":
        return OFFLINE_LIMIT, OFFLINE_LIMIT
    return lookup_by_prefix(_LIMITS, model) or (DEFAULT_CONTEXT_WINDOW, DEFAULT_MAX_OUTPUT_TOKENS)


def context_window(provider: str, model: str) -> int:
    """Tokens the model reads at most: prompt and answer together."""
    return _limits(provider, model)[0]


def max_output_tokens(provider: str, model: str) -> int:
    """Tokens the model writes at most in one answer."""
    return _limits(provider, model)[1]
