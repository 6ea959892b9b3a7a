"""Settings, read from the environment (prefix ``TESSERA_``) with working defaults.

Nothing here is created at import time: callers build a ``Settings`` (``Settings()`` reads
the environment) and pass it down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

LLMProviderName = Literal["offline", "openai"]
SandboxProviderName = Literal["local"]


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "tessera"


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "tessera"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TESSERA_", extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Field(default_factory=_default_data_dir)
    cache_dir: Path = Field(
        default_factory=_default_cache_dir,
        description="Machine-level caches (template dependencies), shared by every data dir.",
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy async URL; default: SQLite in the data dir."
    )
    preview_domain: str | None = Field(
        default=None,
        description="Domain under which previews are served as {port}-{sandbox}.{domain}; "
        "default localhost:{port}.",
    )

    llm_provider: LLMProviderName | None = None
    llm_model: str | None = None
    llm_base_url: str | None = None
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "TESSERA_OPENAI_API_KEY")
    )
    offline_pace: float = Field(
        default=1.0,
        ge=0.0,
        description="Speed factor of the offline demo model: 1.0 writes an app in a few "
        "seconds, 0 streams without pauses.",
    )

    sandbox: SandboxProviderName = "local"
    e2b_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("E2B_API_KEY", "TESSERA_E2B_API_KEY")
    )
    dev_server_timeout: float = Field(
        default=60.0, gt=0, description="Seconds a dev server may take to answer."
    )
    max_prompt_chars: int = 20_000

    @property
    def database(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'tessera.db'}"

    @property
    def preview_base_domain(self) -> str:
        return self.preview_domain or f"localhost:{self.port}"

    @property
    def sandboxes_dir(self) -> Path:
        return self.data_dir / "sandboxes"

    @property
    def templates_cache_dir(self) -> Path:
        return self.cache_dir / "templates"

    @property
    def effective_llm_provider(self) -> LLMProviderName:
        """An explicit choice wins; otherwise a configured key selects its provider."""
        if self.llm_provider:
            return self.llm_provider
        if self.openai_api_key is not None and self.openai_api_key.get_secret_value():
            return "openai"
        return "offline"
