"""Choosing the provider from the settings."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from tessera.config import Settings
from tessera.errors import InvalidInput
from tessera.llm.factory import KEYLESS_API_KEY, create_provider
from tessera.llm.offline import OfflineProvider
from tessera.llm.openai import OpenAIProvider


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "OPENAI_API_KEY",
        "TESSERA_OPENAI_API_KEY",
        "TESSERA_LLM_PROVIDER",
        "TESSERA_LLM_MODEL",
        "TESSERA_LLM_BASE_URL",
        "TESSERA_OFFLINE_PACE",
    ):
        monkeypatch.delenv(name, raising=False)


def test_no_key_means_the_offline_model_at_the_configured_pace() -> None:
    provider = create_provider(Settings(offline_pace=0.25))
    assert isinstance(provider, OfflineProvider)
    assert provider.pace == 0.25


def test_a_key_selects_openai(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    provider = create_provider(Settings())
    assert isinstance(provider, OpenAIProvider)
    assert provider.label == "gpt-4o-mini via OpenAI"
    assert provider._client.api_key == "sk-from-env"


def test_an_explicit_offline_choice_wins_over_a_key() -> None:
    settings = Settings(llm_provider="offline", openai_api_key=SecretStr("sk-x"))
    assert isinstance(create_provider(settings), OfflineProvider)


def test_a_local_server_needs_no_key() -> None:
    settings = Settings(
        llm_provider="openai", llm_base_url="http://localhost:11434/v1", llm_model="llama3.2"
    )
    provider = create_provider(settings)
    assert isinstance(provider, OpenAIProvider)
    assert provider.label == "llama3.2 via localhost:11434"
    assert provider._client.api_key == KEYLESS_API_KEY
    assert str(provider._client.base_url).startswith("http://localhost:11434/v1")


def test_openai_without_key_or_server_says_what_to_set() -> None:
    with pytest.raises(InvalidInput, match="OPENAI_API_KEY"):
        create_provider(Settings(llm_provider="openai"))
