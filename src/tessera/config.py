"""Settings, read from the environment (prefix ``TESSERA_``) with working defaults.

Nothing here is created at import time: callers build a ``Settings`` (``Settings()`` reads
the environment) and pass it down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

LLMProviderName = Literal["offline", "openai", "anthropic"]
SandboxProviderName = Literal["local", "e2b", "local-e2b"]
SandboxIsolation = Literal["bubblewrap", "none"]


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
    anthropic_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("ANTHROPIC_API_KEY", "TESSERA_ANTHROPIC_API_KEY"),
    )
    autofix: bool = Field(
        default=True,
        description="Whether the agent tries to repair build and runtime errors of the app "
        "on its own after a turn (the default of the settings page).",
    )
    autofix_attempts: int = Field(
        default=2,
        ge=0,
        le=5,
        description="Repair turns the agent may take in a row for one error (0 to 5).",
    )
    thumbnails: bool = Field(
        default=True,
        description="Take a screenshot of each project's preview for the home page "
        "(headless Chromium, when installed).",
    )
    autofix_window: float = Field(
        default=2.5,
        ge=0.0,
        description="Seconds to wait after a deploy for the running app (and its preview "
        "page) to report errors before a run is done.",
    )
    offline_pace: float = Field(
        default=1.0,
        ge=0.0,
        description="Speed factor of the offline demo model: 1.0 writes an app in a few "
        "seconds, 0 streams without pauses.",
    )

    sandbox: SandboxProviderName = Field(
        default="local",
        description="Where apps run: local (sandboxes on this machine), e2b (E2B's cloud; "
        "needs E2B_API_KEY) or local-e2b (local isolated sandboxes driven through E2B's "
        "SDK and protocol: the e2b provider's code path without a cloud).",
    )
    e2b_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("E2B_API_KEY", "TESSERA_E2B_API_KEY")
    )
    e2b_domain: str | None = Field(
        default=None,
        validation_alias=AliasChoices("E2B_DOMAIN", "TESSERA_E2B_DOMAIN"),
        description="Domain of the E2B deployment (self-hosted E2B); default E2B's cloud.",
    )
    e2b_sandbox_timeout: float = Field(
        default=1200.0,
        gt=0,
        description="Seconds an E2B sandbox lives after its last use (E2B kills it then); "
        "longer than the idle timeout, so that idle sandboxes are paused, not killed.",
    )
    dev_server_timeout: float = Field(
        default=60.0, gt=0, description="Seconds a dev server may take to answer."
    )
    sandbox_idle_timeout: float = Field(
        default=900.0,
        gt=0,
        description="Seconds without a deploy, preview request or edit after which a "
        "sandbox is paused (processes stopped, files kept; the next request resumes it).",
    )
    sandbox_sweep_interval: float = Field(
        default=30.0, gt=0, description="Seconds between two looks for idle sandboxes."
    )
    max_running_sandboxes: int = Field(
        default=8,
        ge=1,
        description="Sandboxes running at once; starting one more pauses the least recently used.",
    )
    sandbox_isolation: SandboxIsolation = Field(
        default="bubblewrap",
        description="How local sandboxes are isolated: bubblewrap (an unprivileged user, "
        "its own namespaces, no network, resource limits) or none (plain processes: only "
        "for trusted code on machines where bubblewrap cannot run).",
    )
    sandbox_memory_mb: int = Field(
        default=1024, ge=16, description="Memory of one local sandbox (all its processes)."
    )
    sandbox_max_processes: int = Field(
        default=256, ge=8, description="Processes and threads one local sandbox may run."
    )
    sandbox_cpus: float = Field(
        default=1.0, gt=0, description="CPU cores one local sandbox may use (1.0 = one core)."
    )
    sandbox_disk_mb: int = Field(
        default=1024, ge=1, description="Disk the files of one local sandbox may take."
    )
    sandbox_user: str = Field(
        default="tessera-sandbox",
        pattern=r"^[a-z_][a-z0-9_-]*$",
        description="The unprivileged user local sandboxes run as (created when missing).",
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
        if self.anthropic_api_key is not None and self.anthropic_api_key.get_secret_value():
            return "anthropic"
        return "offline"
