"""Choosing the model provider from the settings."""

from __future__ import annotations

from tessera.config import Settings
from tessera.errors import InvalidInput
from tessera.llm.anthropic import DEFAULT_MODEL as ANTHROPIC_DEFAULT_MODEL
from tessera.llm.anthropic import AnthropicProvider
from tessera.llm.base import Provider
from tessera.llm.offline import OfflineProvider
from tessera.llm.openai import DEFAULT_MODEL, OpenAIProvider

KEYLESS_API_KEY = "not-needed"
"""Sent to OpenAI-compatible servers that need no key (Ollama, vLLM, LM Studio)."""


def create_provider(settings: Settings) -> Provider:
    """The provider ``settings.effective_llm_provider`` names, configured."""
    choice = settings.effective_llm_provider
    if choice == "offline":
        return OfflineProvider(pace=settings.offline_pace)
    if choice == "anthropic":
        return _anthropic(settings)
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    if not key:
        if not settings.llm_base_url:
            raise InvalidInput(
                "The openai provider needs an API key: set OPENAI_API_KEY, or set "
                "TESSERA_LLM_BASE_URL to an OpenAI-compatible server that needs none "
                "(e.g. Ollama at http://localhost:11434/v1)."
            )
        key = KEYLESS_API_KEY
    return OpenAIProvider(
        api_key=key,
        base_url=settings.llm_base_url,
        model=settings.llm_model or DEFAULT_MODEL,
    )


def _anthropic(settings: Settings) -> AnthropicProvider:
    key = settings.anthropic_api_key.get_secret_value() if settings.anthropic_api_key else ""
    if not key:
        raise InvalidInput(
            "The anthropic provider needs an API key: set ANTHROPIC_API_KEY "
            "(from https://console.anthropic.com)."
        )
    return AnthropicProvider(
        api_key=key,
        base_url=settings.llm_base_url,
        model=settings.llm_model or ANTHROPIC_DEFAULT_MODEL,
    )
