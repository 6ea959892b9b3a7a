"""Cost estimates from token usage and list prices."""

from __future__ import annotations

import pytest

from tessera.llm.base import Usage
from tessera.llm.pricing import PRICES, estimate_cost, is_local

MILLION = Usage(input_tokens=1_000_000, output_tokens=1_000_000)


@pytest.mark.parametrize(
    ("provider", "model", "input_price", "output_price"),
    [
        ("openai", "gpt-4o", 2.50, 10.00),
        ("openai", "gpt-4o-2024-08-06", 2.50, 10.00),
        ("openai", "gpt-4o-mini", 0.15, 0.60),
        ("openai", "gpt-4o-mini-2024-07-18", 0.15, 0.60),
        ("openai", "gpt-4.1", 2.00, 8.00),
        ("openai", "gpt-4.1-mini", 0.40, 1.60),
        ("openai", "gpt-4.1-nano-2025-04-14", 0.10, 0.40),
        ("openai", "o3-mini", 1.10, 4.40),
        ("openai", "o4-mini", 1.10, 4.40),
        ("openai", "o1", 15.00, 60.00),
        ("anthropic", "claude-sonnet-4-5-20250929", 3.00, 15.00),
        ("anthropic", "claude-3-5-sonnet-20241022", 3.00, 15.00),
        ("anthropic", "claude-haiku-4-5", 1.00, 5.00),
        ("anthropic", "claude-3-5-haiku-latest", 0.80, 4.00),
        ("anthropic", "claude-opus-4-1-20250805", 15.00, 75.00),
        ("anthropic", "claude-opus-4-20250514", 15.00, 75.00),
        ("anthropic", "claude-opus-4-5", 5.00, 25.00),
        ("openai", "openai/gpt-4o-mini", 0.15, 0.60),  # OpenRouter's vendor/model names
        ("openai", "anthropic/claude-sonnet-4", 3.00, 15.00),
    ],
)
def test_known_models_cost_their_list_price(
    provider: str, model: str, input_price: float, output_price: float
) -> None:
    only_input = Usage(input_tokens=1_000_000, output_tokens=0)
    only_output = Usage(input_tokens=0, output_tokens=1_000_000)
    assert estimate_cost(provider, model, only_input) == pytest.approx(input_price)
    assert estimate_cost(provider, model, only_output) == pytest.approx(output_price)


def test_a_small_turn_costs_a_fraction_of_a_cent() -> None:
    usage = Usage(input_tokens=12_000, output_tokens=3_000)
    expected = (12_000 * 2.50 + 3_000 * 10.00) / 1_000_000
    assert estimate_cost("openai", "gpt-4o", usage) == pytest.approx(expected)
    assert estimate_cost("openai", "gpt-4o", Usage(0, 0)) == 0.0


def test_model_names_match_whatever_their_case() -> None:
    assert estimate_cost("openai", "GPT-4o-Mini", MILLION) == pytest.approx(0.75)


def test_the_offline_model_and_local_servers_are_free() -> None:
    assert estimate_cost("offline", "offline-demo", MILLION) == 0.0
    for base_url in (
        "http://localhost:11434/v1",
        "http://127.0.0.1:8000/v1",
        "http://[::1]:1234/v1",
        "http://ollama.localhost/v1",
    ):
        assert estimate_cost("openai", "llama3.2", MILLION, base_url=base_url) == 0.0
        assert estimate_cost("openai", "gpt-4o", MILLION, base_url=base_url) == 0.0


def test_an_unknown_model_has_no_estimate() -> None:
    assert estimate_cost("openai", "llama3.2", MILLION) is None
    assert (
        estimate_cost("openai", "mistral-large", MILLION, base_url="https://api.example/v1") is None
    )
    assert estimate_cost("anthropic", "", MILLION) is None


def test_only_this_machine_is_local() -> None:
    assert is_local("http://localhost:1/v1") and is_local("http://127.0.0.2/")
    assert not is_local("https://api.openai.com/v1")
    assert not is_local("https://localhost.example.com/v1")
    assert not is_local("http://10.0.0.5:11434/v1")
    assert not is_local(None) and not is_local("")


def test_every_price_is_per_million_tokens_and_output_costs_more() -> None:
    for prefix, (input_price, output_price) in PRICES.items():
        assert 0 < input_price < output_price <= 100, prefix
