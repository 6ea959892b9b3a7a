"""``ProviderPool``: the provider each project's turns talk to, as its settings choose.

Building a provider opens an HTTP client, so the pool keeps one per distinct
``ModelConfig`` (projects on the same model share it) and closes them all at shutdown.
A provider whose config nobody uses any more stays open until then: a turn may still be
streaming from it, and there are only as many as configs were ever chosen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tessera.config import Settings
from tessera.llm.base import Provider
from tessera.llm.factory import ModelConfig, build_provider

if TYPE_CHECKING:  # the pool reads preferences; loading it must not load the store
    from tessera.preferences import Preferences


class ProviderPool:
    """Providers by project. ``fixed`` (a fake, in tests) answers every project."""

    def __init__(
        self, settings: Settings, preferences: Preferences, *, fixed: Provider | None = None
    ) -> None:
        self._settings = settings
        self._preferences = preferences
        self._fixed = fixed
        self._built: dict[ModelConfig, Provider] = {}

    async def for_project(self, project_id: str) -> Provider:
        """The provider of the project's effective model (``ProjectNotFound`` for an
        unknown project; ``InvalidInput`` when the chosen provider lacks its key)."""
        if self._fixed is not None:
            return self._fixed
        return self._provider(await self._config(project_id))

    async def for_global(self) -> Provider:
        """The provider of the global settings, for work that belongs to no project."""
        if self._fixed is not None:
            return self._fixed
        return self._provider(await self._preferences.global_model())

    async def label_for(self, project_id: str) -> dict[str, Any]:
        """What the UI shows of the project's model: provider, model and label."""
        if self._fixed is not None:
            fixed = self._fixed
            return {
                "provider": fixed.name,
                "model": getattr(fixed, "model", None),
                "label": fixed.label,
            }
        config = await self._config(project_id)
        return {"provider": config.provider, "model": config.model_name, "label": config.label}

    async def aclose(self) -> None:
        """Close every provider the pool built (never the ``fixed`` one: its owner does)."""
        built, self._built = list(self._built.values()), {}
        for provider in built:
            await provider.aclose()

    async def _config(self, project_id: str) -> ModelConfig:
        return (await self._preferences.for_project(project_id)).model

    def _provider(self, config: ModelConfig) -> Provider:
        # No await between the lookup and the insert: two callers cannot build twice.
        provider = self._built.get(config)
        if provider is None:
            provider = build_provider(config, offline_pace=self._settings.offline_pace)
            self._built[config] = provider
        return provider
