"""The agent's configuration as the user chose it, in three layers.

The environment (``Settings``: ``TESSERA_LLM_*``, ``OPENAI_API_KEY``...) gives the
defaults, the global settings page overrides them, and a project's own settings override
both. Values are kept in the store's settings table (``Store.get_settings``), API keys
included: they are written there and read by the provider pool, but no view ever returns
more of a key than a masked hint.

A model name and a base URL belong to the provider chosen with them: a layer that
switches to another provider starts from that provider's defaults instead of inheriting
a model the new provider would not know. Keys belong to their provider, whichever layer
chose it: a provider's key is the project's own, else the global one, else the
environment's, so a project can run on its own account without changing anyone else's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from tessera.config import LLMProviderName, Settings
from tessera.errors import InvalidInput
from tessera.llm.factory import PROVIDER_NAMES, PROVIDERS, ModelConfig, missing_key
from tessera.protocol.paths import validate_path
from tessera.store import GLOBAL_SCOPE, Store
from tessera.store.projects import not_found

__all__ = ["AgentPreferences", "ModelConfig", "Preferences"]

MAX_AUTOFIX_ATTEMPTS: Final = 5
MAX_LOCKED_FILES: Final = 500
MAX_MODEL_CHARS: Final = 200
MAX_URL_CHARS: Final = 500
MAX_KEY_CHARS: Final = 500

KEY_SETTINGS: Final[dict[LLMProviderName, str]] = {
    "openai": "openai_api_key",
    "anthropic": "anthropic_api_key",
}
GLOBAL_SETTINGS: Final = (
    "provider",
    "model",
    "base_url",
    "autofix",
    "autofix_attempts",
    *KEY_SETTINGS.values(),
)
PROJECT_SETTINGS: Final = (
    "provider",
    "model",
    "base_url",
    "autofix_attempts",
    "locked_files",
    *KEY_SETTINGS.values(),
)
MODEL_SETTINGS: Final = frozenset({"provider", "model", "base_url", *KEY_SETTINGS.values()})
"""Settings that change which model is used: a change is checked for a missing key."""

KeySource = Literal["project", "settings", "env"] | None
"""The layer a key comes from, as views report it."""

_BLANK_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class AgentPreferences:
    """What one project's turns run with."""

    model: ModelConfig
    autofix: bool
    """Whether the agent repairs the app's errors on its own (``autofix_attempts`` > 0)."""
    autofix_attempts: int
    """Repair turns in a row for one error; 0 when ``autofix`` is off."""
    locked_files: frozenset[str]
    """Paths the model may not change."""

    @classmethod
    def defaults(cls) -> AgentPreferences:
        """The preferences of an installation nobody configured (the offline model)."""
        attempts = Settings.model_fields["autofix_attempts"].default
        enabled = bool(Settings.model_fields["autofix"].default) and attempts > 0
        return cls(ModelConfig("offline"), enabled, attempts if enabled else 0, frozenset())


# --- checking what a user sends ------------------------------------------------------------


def _provider(value: Any) -> LLMProviderName | None:
    if value is None:
        return None
    for name in PROVIDER_NAMES:
        if value == name:
            return name
    raise InvalidInput(
        f"Unknown provider {value!r}: choose one of {', '.join(PROVIDER_NAMES)} "
        "(or null to use the server's default)."
    )


def _model(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput("The model must be a name such as gpt-4o-mini (or null).")
    model = value.strip()
    if _BLANK_OR_CONTROL.search(model) or len(model) > MAX_MODEL_CHARS:
        raise InvalidInput(
            f"The model name {value[:MAX_MODEL_CHARS]!r} is not valid: use the provider's "
            f"name for it, without spaces and at most {MAX_MODEL_CHARS} characters "
            "(e.g. gpt-4o-mini, claude-sonnet-4-5, llama3.2:3b)."
        )
    return model or None


def _base_url(value: Any) -> str | None:
    if value is None or value == "":
        return None
    url = value.strip() if isinstance(value, str) else ""
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or len(url) > MAX_URL_CHARS
        or _BLANK_OR_CONTROL.search(url)
    ):
        raise InvalidInput(
            f"The base URL {str(value)[:MAX_URL_CHARS]!r} is not valid: give the http(s) "
            "address of an OpenAI-compatible or Anthropic server, such as "
            "http://localhost:11434/v1 (or null to use the provider's own)."
        )
    return url


def _autofix(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise InvalidInput("autofix must be true or false (or null for the server's default).")


def _attempts(value: Any) -> int | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 0 <= value <= MAX_AUTOFIX_ATTEMPTS
    ):
        raise InvalidInput(
            f"autofix_attempts must be a whole number from 0 to {MAX_AUTOFIX_ATTEMPTS} "
            f"(0 turns automatic fixing off); got {value!r}."
        )
    return value


def _api_key(setting: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if value is None or value == "":
            return None
        key = value.strip() if isinstance(value, str) else ""
        if not key or _BLANK_OR_CONTROL.search(key) or len(key) > MAX_KEY_CHARS:
            raise InvalidInput(
                f"{setting} does not look like an API key: paste the key itself, one line "
                "without spaces (or an empty text to remove the saved key)."
            )
        return key

    return check


def _locked_files(value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(path, str) for path in value):
        raise InvalidInput('locked_files must be a list of file paths, like ["src/App.tsx"].')
    paths = sorted({validate_path(path) for path in value})
    if len(paths) > MAX_LOCKED_FILES:
        raise InvalidInput(f"At most {MAX_LOCKED_FILES} files can be locked in one project.")
    return paths or None


_CHECKS: Final[dict[str, Callable[[Any], Any]]] = {
    "provider": _provider,
    "model": _model,
    "base_url": _base_url,
    "autofix": _autofix,
    "autofix_attempts": _attempts,
    "locked_files": _locked_files,
    **{setting: _api_key(setting) for setting in KEY_SETTINGS.values()},
}


def _changes(patch: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> dict[str, Any]:
    """``patch`` checked and normalised; a None value removes the setting."""
    unknown = sorted(set(patch) - set(allowed))
    if unknown:
        raise InvalidInput(
            f"Unknown {where} setting {', '.join(map(repr, unknown))}; "
            f"the {where} settings are: {', '.join(allowed)}."
        )
    return {name: _CHECKS[name](value) for name, value in patch.items()}


def _merged(stored: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**stored, **changes}
    return {name: value for name, value in merged.items() if value is not None}


def _stored(stored: Mapping[str, Any], name: str) -> Any:
    """A stored value, or None when it is absent or no longer valid."""
    try:
        return _CHECKS[name](stored.get(name))
    except InvalidInput:
        return None


def mask_key(key: str) -> str:
    """A hint of a key that reveals at most its last 4 characters: "sk-…abcd"."""
    if len(key) < 12:
        return "…"
    head = key[:3] if len(key) >= 20 else ""
    return f"{head}…{key[-4:]}"


# --- layering ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Choice:
    provider: LLMProviderName
    model: str | None = None
    base_url: str | None = None

    def over(
        self, provider: LLMProviderName | None, model: str | None, base_url: str | None = None
    ) -> _Choice:
        """This choice overridden by a higher layer's values (None: not set there)."""
        base = self if provider in (None, self.provider) else _Choice(provider or self.provider)
        return _Choice(base.provider, model or base.model, base_url or base.base_url)


class Preferences:
    """Reads and changes the settings, and resolves what a project's turns run with."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings

    # --- the global settings -------------------------------------------------------------

    async def global_view(self) -> dict[str, Any]:
        stored = await self._store.get_settings(GLOBAL_SCOPE)
        config = self._model_config(stored)
        return {
            "provider": _stored(stored, "provider"),
            "model": _stored(stored, "model"),
            "base_url": _stored(stored, "base_url"),
            "autofix": self._autofix(stored),
            "autofix_attempts": self._attempts(stored),
            "keys": {name: self._key_view(name, stored) for name in KEY_SETTINGS},
            "providers": [
                {"name": info.name, "label": info.label, "needs_key": info.needs_key}
                for info in PROVIDERS.values()
            ],
            "defaults": self._defaults_view(stored),
            "effective": {
                "provider": config.provider,
                "model": config.model_name,
                "label": config.label,
            },
        }

    async def update_global(self, patch: Mapping[str, Any]) -> dict[str, Any]:
        """Apply ``patch`` (any of ``GLOBAL_SETTINGS``; None or "" clears one) and return
        the new view. A model choice that lacks its key is refused, naming what to set."""
        changes = _changes(patch, GLOBAL_SETTINGS, "global")
        stored = await self._store.get_settings(GLOBAL_SCOPE)
        if MODEL_SETTINGS & changes.keys():
            self._require_key(self._model_config(_merged(stored, changes)))
        await self._store.put_settings(GLOBAL_SCOPE, changes)
        return await self.global_view()

    async def global_model(self) -> ModelConfig:
        """The model used where no project's settings apply."""
        return self._model_config(await self._store.get_settings(GLOBAL_SCOPE))

    # --- a project's settings ------------------------------------------------------------

    async def project_view(self, project_id: str) -> dict[str, Any]:
        own = await self._project_settings(project_id)
        stored = await self._store.get_settings(GLOBAL_SCOPE)
        preferences = self._resolve(stored, own)
        return {
            "provider": _stored(own, "provider"),
            "model": _stored(own, "model"),
            "base_url": _stored(own, "base_url"),
            "autofix_attempts": _stored(own, "autofix_attempts"),
            "locked_files": sorted(preferences.locked_files),
            "keys": {name: self._key_view(name, stored, own) for name in KEY_SETTINGS},
            "effective": {
                "provider": preferences.model.provider,
                "model": preferences.model.model_name,
                "label": preferences.model.label,
                "autofix": preferences.autofix,
                "autofix_attempts": preferences.autofix_attempts,
            },
        }

    async def update_project(self, project_id: str, patch: Mapping[str, Any]) -> dict[str, Any]:
        """Apply ``patch`` (any of ``PROJECT_SETTINGS``; None or "" clears an override)
        and return the new view. As globally, a model choice that lacks its key is refused,
        so clearing the project's key in use only works when another layer has one."""
        changes = _changes(patch, PROJECT_SETTINGS, "project")
        own = await self._project_settings(project_id)
        if MODEL_SETTINGS & changes.keys():
            stored = await self._store.get_settings(GLOBAL_SCOPE)
            self._require_key(self._resolve(stored, _merged(own, changes)).model)
        await self._store.put_settings(project_id, changes)
        return await self.project_view(project_id)

    async def for_project(self, project_id: str) -> AgentPreferences:
        own = await self._project_settings(project_id)
        return self._resolve(await self._store.get_settings(GLOBAL_SCOPE), own)

    async def _project_settings(self, project_id: str) -> dict[str, Any]:
        if project_id == GLOBAL_SCOPE:  # the store's name for the global scope, no project's
            raise not_found(project_id)
        return await self._store.get_settings(project_id)

    # --- resolving -----------------------------------------------------------------------

    def _resolve(self, stored: Mapping[str, Any], own: Mapping[str, Any]) -> AgentPreferences:
        """The global values ``stored`` overridden by a project's ``own``.

        A project's own ``autofix_attempts`` decides for it (0 is off); otherwise the
        global switch and number apply."""
        own_attempts = _stored(own, "autofix_attempts")
        if own_attempts is not None:
            attempts: int = own_attempts
        else:
            attempts = self._attempts(stored) if self._autofix(stored) else 0
        locked = _stored(own, "locked_files") or []
        return AgentPreferences(
            model=self._model_config(stored, own),
            autofix=attempts > 0,
            autofix_attempts=attempts,
            locked_files=frozenset(locked),
        )

    def _model_config(
        self, stored: Mapping[str, Any], own: Mapping[str, Any] | None = None
    ) -> ModelConfig:
        env = self._settings
        choice = _Choice(
            self._implied(stored, own), env.llm_model or None, env.llm_base_url or None
        )
        choice = choice.over(
            _stored(stored, "provider"), _stored(stored, "model"), _stored(stored, "base_url")
        )
        if own is not None:
            choice = choice.over(
                _stored(own, "provider"), _stored(own, "model"), _stored(own, "base_url")
            )
        if choice.provider == "offline":
            return ModelConfig("offline")
        key, _ = self._key(choice.provider, stored, own)
        return ModelConfig(choice.provider, choice.model, choice.base_url, key)

    def _implied(self, stored: Mapping[str, Any], own: Mapping[str, Any] | None) -> LLMProviderName:
        """The provider used when no layer names one: the environment's, else that of a
        key the project saved (saving one is choosing that account), else that of a global
        or environment key, else the offline model."""
        if self._settings.llm_provider is not None:
            return self._settings.llm_provider
        if own is not None:
            for name, setting in KEY_SETTINGS.items():
                if _stored(own, setting):
                    return name
        with_key = [name for name in KEY_SETTINGS if self._key(name, stored)[0]]
        return with_key[0] if with_key else "offline"

    def _key(
        self,
        provider: LLMProviderName,
        stored: Mapping[str, Any],
        own: Mapping[str, Any] | None = None,
    ) -> tuple[str | None, KeySource]:
        """A provider's key and the layer it comes from: the project's own, the global
        settings, the environment, or none."""
        setting = KEY_SETTINGS[provider]
        if own is not None and (mine := _stored(own, setting)):
            return mine, "project"
        if saved := _stored(stored, setting):
            return saved, "settings"
        from_env = self._env_key(provider)
        return (from_env, "env") if from_env else (None, None)

    def _env_key(self, provider: LLMProviderName) -> str | None:
        env = self._settings
        secret = env.openai_api_key if provider == "openai" else env.anthropic_api_key
        return (secret.get_secret_value().strip() if secret is not None else "") or None

    def _key_view(
        self,
        provider: LLMProviderName,
        stored: Mapping[str, Any],
        own: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Whether the provider has a key here, its masked hint, and which layer it is
        from; never the key."""
        key, source = self._key(provider, stored, own)
        return {"set": key is not None, "hint": mask_key(key) if key else None, "source": source}

    def _autofix(self, stored: Mapping[str, Any]) -> bool:
        saved = _stored(stored, "autofix")
        return self._settings.autofix if saved is None else bool(saved)

    def _attempts(self, stored: Mapping[str, Any]) -> int:
        saved = _stored(stored, "autofix_attempts")
        return self._settings.autofix_attempts if saved is None else int(saved)

    def _defaults_view(self, stored: Mapping[str, Any]) -> dict[str, Any]:
        """What cleared global settings fall back to: the environment's choice (or the
        provider of a saved key, when the environment names none)."""
        env = self._settings
        keys_only = {name: stored[name] for name in KEY_SETTINGS.values() if name in stored}
        fallback = self._model_config(keys_only)
        return {
            "provider": fallback.provider,
            "model": fallback.model_name,
            "base_url": fallback.base_url,
            "autofix": env.autofix,
            "autofix_attempts": env.autofix_attempts,
        }

    @staticmethod
    def _require_key(config: ModelConfig) -> None:
        problem = missing_key(config)
        if problem is not None:
            raise problem
