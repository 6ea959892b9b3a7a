"""The context window and longest answer of known models, and safe limits for others."""

from __future__ import annotations

import pytest

from tessera.llm.models import (
    DEFAULT_CONTEXT_WINDOW,
    DEFAULT_MAX_OUTPUT_TOKENS,
    context_window,
    lookup_by_prefix,
    max_output_tokens,
)


@pytest.mark.parametrize(
    ("provider", "model", "window", "output"),
    [
        ("openai", "gpt-4o", 128_000, 16_384),
        ("openai", "gpt-4o-mini-2024-07-18", 128_000, 16_384),
        ("openai", "gpt-4.1-mini", 1_047_576, 32_768),
        ("openai", "gpt-4-0613", 8_192, 8_192),
        ("openai", "o3-mini", 200_000, 100_000),
        ("openai", "o1-mini", 128_000, 65_536),
        ("anthropic", "claude-3-5-sonnet-20241022", 200_000, 8_192),
        ("anthropic", "claude-3-7-sonnet-latest", 200_000, 64_000),
        ("anthropic", "claude-sonnet-4-5", 200_000, 64_000),
        ("anthropic", "claude-opus-4-1-20250805", 200_000, 32_000),
        ("anthropic", "claude-opus-4-5", 200_000, 64_000),
        ("anthropic", "claude-3-haiku-20240307", 200_000, 4_096),
        ("openai", "openai/gpt-4o", 128_000, 16_384),
    ],
)
def test_known_models(provider: str, model: str, window: int, output: int) -> None:
    assert context_window(provider, model) == window
    assert max_output_tokens(provider, model) == output


def test_unknown_models_get_conservative_limits() -> None:
    for model in ("llama3.2:3b", "qwen2.5-coder", ""):
        assert context_window("openai", model) == DEFAULT_CONTEXT_WINDOW == 32_000
        assert max_output_tokens("openai", model) == DEFAULT_MAX_OUTPUT_TOKENS == 4_096


def test_the_offline_model_has_room_for_anything() -> None:
    assert context_window("offline", "offline-demo") >= 1_000_000
    assert max_output_tokens("offline", "offline-demo") >= 1_000_000


def test_every_model_can_answer_within_its_window() -> None:
    for model in ("gpt-4o", "gpt-4.1", "o3", "claude-sonnet-4", "claude-opus-4", "mystery"):
        assert max_output_tokens("openai", model) < context_window("openai", model)


def test_the_longest_prefix_wins() -> None:
    table = {"gpt-4": 1, "gpt-4o": 2, "gpt-4o-mini": 3}
    assert lookup_by_prefix(table, "gpt-4o-mini-2024") == 3
    assert lookup_by_prefix(table, "gpt-4o-2024") == 2
    assert lookup_by_prefix(table, "gpt-4-turbo") == 1
    assert lookup_by_prefix(table, "vendor/GPT-4o") == 2
    assert lookup_by_prefix(table, "gpt-3.5") is None
