"""Choosing the provider from the settings, and building one from a ``ModelConfig``."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from tessera.config import Settings
from tessera.errors import InvalidInput
from tessera.llm.anthropic import AnthropicProvider
from tessera.llm.factory import (
    KEYLESS_API_KEY,
    ModelConfig,
    build_provider,
    create_provider,
    env_model_config,
    missing_key,
)
from tessera.llm.offline import OfflineProvider
from tessera.llm.openai import OpenAIProvider


@pytest.fixture(autouse=True)
def clean_environment(model_environment_cleared: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    return model_environment_cleared


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


# --- building from a ModelConfig ---------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        ModelConfig("offline"),
        ModelConfig("openai", api_key="sk-abc"),
        ModelConfig("openai", "llama3.2", "http://localhost:11434/v1"),
        ModelConfig("anthropic", "claude-haiku-4-5", api_key="sk-ant-abc"),
        ModelConfig("anthropic", None, "http://127.0.0.1:9/", "sk-ant-abc"),
    ],
)
async def test_a_config_knows_the_label_of_the_provider_it_builds(config: ModelConfig) -> None:
    provider = build_provider(config)
    try:
        assert provider.name == config.provider
        assert provider.label == config.label
        assert getattr(provider, "model", None) == config.model_name
    finally:
        await provider.aclose()


async def test_a_built_provider_uses_the_configs_key_address_and_model() -> None:
    provider = build_provider(
        ModelConfig("anthropic", "claude-opus-4-1", "http://127.0.0.1:9", "sk-ant-secret")
    )
    try:
        assert isinstance(provider, AnthropicProvider)
        assert provider._client.api_key == "sk-ant-secret"
        assert str(provider._client.base_url).startswith("http://127.0.0.1:9")
        assert provider.model == "claude-opus-4-1"
    finally:
        await provider.aclose()


def test_the_offline_pace_is_passed_on() -> None:
    provider = build_provider(ModelConfig("offline"), offline_pace=0.5)
    assert isinstance(provider, OfflineProvider) and provider.pace == 0.5


def test_a_key_never_appears_in_the_config_s_text() -> None:
    config = ModelConfig("openai", "gpt-4o", None, "sk-very-secret-1234")
    assert "sk-very-secret" not in repr(config) and "sk-very-secret" not in str(config)
    assert config == ModelConfig("openai", "gpt-4o", None, "sk-very-secret-1234")
    assert config != ModelConfig("openai", "gpt-4o", None, "sk-other")


@pytest.mark.parametrize(
    ("config", "named"),
    [
        (ModelConfig("openai"), "OPENAI_API_KEY"),
        (ModelConfig("openai"), "openai_api_key"),
        (ModelConfig("anthropic", base_url="http://localhost:1"), "ANTHROPIC_API_KEY"),
        (ModelConfig("anthropic"), "anthropic_api_key"),
    ],
)
def test_a_missing_key_names_the_variable_and_the_setting(config: ModelConfig, named: str) -> None:
    problem = missing_key(config)
    assert problem is not None and named in problem.message
    with pytest.raises(InvalidInput, match=named):
        build_provider(config)


def test_keyless_choices_need_no_key() -> None:
    assert missing_key(ModelConfig("offline")) is None
    assert missing_key(ModelConfig("openai", base_url="http://localhost:11434/v1")) is None
    assert missing_key(ModelConfig("anthropic", api_key="k")) is None


def test_create_provider_builds_the_environment_s_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    settings = Settings(llm_model="gpt-4.1", llm_base_url="https://proxy.example/v1")
    assert env_model_config(settings) == ModelConfig(
        "openai", "gpt-4.1", "https://proxy.example/v1", "sk-from-env"
    )
    assert env_model_config(Settings(llm_provider="offline", llm_model="x")) == ModelConfig(
        "offline"
    )
