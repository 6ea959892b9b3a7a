"""What a completion cost, estimated from its token usage and public list prices.

Prices are USD per million tokens (input, output) as published by OpenAI and Anthropic
for their standard tier; cached input, batch discounts and long-context surcharges are
not counted, so the figure is an estimate. Models match by name prefix, the longest
known prefix winning (``gpt-4o-mini`` before ``gpt-4o``). The offline demo model and a
model served from this machine cost nothing; an unknown model has no estimate.
"""

from __future__ import annotations

import ipaddress
from typing import Final
from urllib.parse import urlsplit

from tessera.llm.base import Usage
from tessera.llm.models import lookup_by_prefix

PER_MILLION: Final = 1_000_000

PRICES: Final[dict[str, tuple[float, float]]] = {
    # model-name prefix: (USD per million input tokens, USD per million output tokens)
    "gpt-3.5-turbo": (0.50, 1.50),
    "gpt-4": (30.00, 60.00),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "chatgpt-4o": (5.00, 15.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
    "o1": (15.00, 60.00),
    "o1-mini": (1.10, 4.40),
    "o3": (2.00, 8.00),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    "claude-3-haiku": (0.25, 1.25),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-haiku-4": (1.00, 5.00),
    "claude-haiku": (1.00, 5.00),
    "claude-3-sonnet": (3.00, 15.00),
    "claude-3-5-sonnet": (3.00, 15.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-sonnet": (3.00, 15.00),
    "claude-3-opus": (15.00, 75.00),
    "claude-opus-4-0": (15.00, 75.00),
    "claude-opus-4-1": (15.00, 75.00),
    "claude-opus-4-2025": (15.00, 75.00),
    "claude-opus": (5.00, 25.00),
}
"""Opus 4 and 4.1 (ids ``claude-opus-4-20250514``, ``claude-opus-4-1-…``) cost three
times what Opus 4.5 and later do; any other ``claude-opus`` is priced as the later ones."""


def is_local(base_url: str | None) -> bool:
    """Whether ``base_url`` names this machine (Ollama, vLLM, LM Studio running here)."""
    host = urlsplit(base_url).hostname if base_url else None
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def estimate_cost(
    provider: str, model: str, usage: Usage, *, base_url: str | None = None
) -> float | None:
    """USD the completion cost: 0.0 for the offline model or a server on this machine
    (``base_url``), None for a model without a known price."""
    if provider == "offline" or is_local(base_url):
        return 0.0
    price = lookup_by_prefix(PRICES, model)
    if price is None:
        return None
    input_price, output_price = price
    return (usage.input_tokens * input_price + usage.output_tokens * output_price) / PER_MILLION
