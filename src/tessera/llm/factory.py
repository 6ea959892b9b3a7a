"""Building model providers from a ``ModelConfig``: what the settings resolve to.

``build_provider`` is the one place a provider is made; ``create_provider(settings)``
builds the one the environment alone describes (``tessera.preferences`` layers the
settings page over it, ``llm.pool`` keeps one provider per distinct config).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from tessera.config import LLMProviderName, Settings
from tessera.errors import InvalidInput
from tessera.llm.base import Provider
from tessera.llm.defaults import ANTHROPIC_DEFAULT_MODEL, OPENAI_DEFAULT_MODEL
from tessera.llm.failures import host_of
from tessera.llm.offline import OfflineProvider

KEYLESS_API_KEY: Final = "not-needed"
"""Sent to OpenAI-compatible servers that need no key (Ollama, vLLM, LM Studio)."""

PROVIDER_NAMES: Final[tuple[LLMProviderName, ...]] = ("offline", "openai", "anthropic")


@dataclass(frozen=True, slots=True)
class ProviderInfo:
    """What the settings page says of a provider."""

    name: LLMProviderName
    label: str
    needs_key: bool
    default_model: str | None
    key_variable: str | None
    """The environment variable holding its key."""
    key_setting: str | None
    """The setting holding its key (``PUT /api/settings``)."""


PROVIDERS: Final[dict[LLMProviderName, ProviderInfo]] = {
    "offline": ProviderInfo(
        "offline", "Offline demo model", False, OfflineProvider.model, None, None
    ),
    "openai": ProviderInfo(
        "openai",
        "OpenAI (or an OpenAI-compatible server)",
        True,
        OPENAI_DEFAULT_MODEL,
        "OPENAI_API_KEY",
        "openai_api_key",
    ),
    "anthropic": ProviderInfo(
        "anthropic",
        "Anthropic",
        True,
        ANTHROPIC_DEFAULT_MODEL,
        "ANTHROPIC_API_KEY",
        "anthropic_api_key",
    ),
}


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """Which model to talk to, where, with which key. Equal configs can share one provider.

    ``model`` None means the provider's default model. ``api_key`` is left out of
    ``repr`` so that it never reaches a log line or an error message.
    """

    provider: LLMProviderName
    model: str | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)

    @property
    def model_name(self) -> str | None:
        """The model asked for: the configured one, else the provider's default."""
        return self.model or PROVIDERS[self.provider].default_model

    @property
    def label(self) -> str:
        """What the UI shows; the same text as the label of the provider it builds."""
        if self.provider == "offline":
            return OfflineProvider.label
        where = host_of(self.base_url) or ("OpenAI" if self.provider == "openai" else "Anthropic")
        return f"{self.model_name} via {where}"


def missing_key(config: ModelConfig) -> InvalidInput | None:
    """The error for a provider chosen without the key it needs, or None when it has one
    (or needs none: the offline model, an OpenAI-compatible server at a base URL)."""
    info = PROVIDERS[config.provider]
    if not info.needs_key or config.api_key:
        return None
    if config.provider == "openai":
        if config.base_url:
            return None
        return InvalidInput(
            "The openai provider needs an API key: set OPENAI_API_KEY or save an OpenAI key "
            "in the settings (openai_api_key), or set a base URL (TESSERA_LLM_BASE_URL or "
            "base_url in the settings) to an OpenAI-compatible server that needs none "
            "(e.g. Ollama at http://localhost:11434/v1)."
        )
    return InvalidInput(
        "The anthropic provider needs an API key (from https://console.anthropic.com): set "
        "ANTHROPIC_API_KEY or save an Anthropic key in the settings (anthropic_api_key)."
    )


def build_provider(config: ModelConfig, *, offline_pace: float = 1.0) -> Provider:
    """The provider ``config`` describes; ``InvalidInput`` when it lacks a needed key."""
    problem = missing_key(config)
    if problem is not None:
        raise problem
    if config.provider == "offline":
        return OfflineProvider(pace=offline_pace)
    # Each SDK is imported when its provider is first built: a Tessera that never uses it
    # does not pay the seconds its import takes (at every start, and in every test server).
    if config.provider == "anthropic":
        from tessera.llm.anthropic import AnthropicProvider

        return AnthropicProvider(
            api_key=config.api_key or "",
            base_url=config.base_url,
            model=config.model or ANTHROPIC_DEFAULT_MODEL,
        )
    from tessera.llm.openai import OpenAIProvider

    return OpenAIProvider(
        api_key=config.api_key or KEYLESS_API_KEY,
        base_url=config.base_url,
        model=config.model or OPENAI_DEFAULT_MODEL,
    )


def env_model_config(settings: Settings) -> ModelConfig:
    """The model the environment alone describes (``settings.effective_llm_provider``)."""
    choice = settings.effective_llm_provider
    if choice == "offline":
        return ModelConfig("offline")
    secret = settings.openai_api_key if choice == "openai" else settings.anthropic_api_key
    return ModelConfig(
        choice,
        model=settings.llm_model or None,
        base_url=settings.llm_base_url or None,
        api_key=(secret.get_secret_value() if secret is not None else None) or None,
    )


def create_provider(settings: Settings) -> Provider:
    """The provider ``settings.effective_llm_provider`` names, configured."""
    return build_provider(env_model_config(settings), offline_pace=settings.offline_pace)
