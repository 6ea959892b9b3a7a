"""The sandbox provider ``Settings.sandbox`` names.

The ``e2b`` provider (and E2B's SDK) is imported only when it is chosen.
"""

from __future__ import annotations

from tessera.config import Settings
from tessera.errors import SandboxError
from tessera.sandbox.base import SandboxProvider

E2B_KEYS_URL = "https://e2b.dev/dashboard?tab=keys"


def e2b_api_key(settings: Settings) -> str:
    """The E2B API key; raises ``SandboxError`` saying how to set it when there is none."""
    key = settings.e2b_api_key.get_secret_value().strip() if settings.e2b_api_key else ""
    if not key:
        raise SandboxError(
            f"TESSERA_SANDBOX=e2b needs E2B_API_KEY: set it to a key of your E2B account "
            f"({E2B_KEYS_URL}), or use the local sandbox (TESSERA_SANDBOX=local)."
        )
    return key


def check_sandbox_settings(settings: Settings) -> None:
    """Raises ``SandboxError`` when the chosen provider lacks its configuration."""
    if settings.sandbox == "e2b":
        e2b_api_key(settings)


def create_e2b_provider(settings: Settings) -> SandboxProvider:
    """The ``e2b`` provider for ``settings`` (E2B_API_KEY, E2B_DOMAIN)."""
    from tessera.sandbox.e2b import E2BSandboxProvider

    return E2BSandboxProvider(
        e2b_api_key(settings),
        domain=settings.e2b_domain,
        sandbox_timeout=settings.e2b_sandbox_timeout,
    )
