"""The sandbox provider ``Settings.sandbox`` names.

- ``local``: sandboxes on this machine (``LocalSandboxProvider``), isolated with bubblewrap
  unless ``TESSERA_SANDBOX_ISOLATION=none``;
- ``e2b``: sandboxes in E2B's cloud (``E2BSandboxProvider`` over ``CloudSdk``);
- ``local-e2b``: the same isolated local sandboxes, driven through E2B's SDK and Tessera's
  E2B code path (``E2BSandboxProvider`` over ``LocalEnvdSdk``: each sandbox serves E2B's
  protocol), so that the local and E2B providers share one client code path.

The E2B provider (and E2B's SDK) is imported only when one of the last two is chosen.
"""

from __future__ import annotations

from tessera.config import Settings
from tessera.errors import SandboxError
from tessera.sandbox.base import SandboxProvider
from tessera.sandbox.local import LocalSandboxProvider
from tessera.sandbox.local.isolation import Isolation
from tessera.sandbox.templates import TemplateCache

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
    if settings.sandbox == "local-e2b" and settings.sandbox_isolation != "bubblewrap":
        raise SandboxError(
            "TESSERA_SANDBOX=local-e2b needs isolated sandboxes (E2B's protocol is served "
            "from inside each sandbox's namespaces): unset TESSERA_SANDBOX_ISOLATION, or use "
            "TESSERA_SANDBOX=local."
        )


def create_sandbox_provider(settings: Settings) -> SandboxProvider:
    """The provider ``settings.sandbox`` names (``check_sandbox_settings`` first)."""
    check_sandbox_settings(settings)
    if settings.sandbox == "e2b":
        return create_e2b_provider(settings)
    local = create_local_provider(settings)
    if settings.sandbox == "local-e2b":
        return create_local_e2b_provider(settings, local)
    return local


def create_local_provider(settings: Settings) -> LocalSandboxProvider:
    """The ``local`` provider: sandboxes under the data folder, previews under
    ``preview_base_domain``, isolated as the settings say."""
    return LocalSandboxProvider(
        settings.sandboxes_dir,
        TemplateCache(settings.templates_cache_dir),
        preview_domain=settings.preview_base_domain,
        isolation=Isolation.from_settings(settings),
    )


def create_e2b_provider(settings: Settings) -> SandboxProvider:
    """The ``e2b`` provider for ``settings`` (E2B_API_KEY, E2B_DOMAIN)."""
    from tessera.sandbox.e2b import E2BSandboxProvider

    return E2BSandboxProvider(
        e2b_api_key(settings),
        domain=settings.e2b_domain,
        sandbox_timeout=settings.e2b_sandbox_timeout,
    )


def create_local_e2b_provider(
    settings: Settings, local: LocalSandboxProvider | None = None
) -> SandboxProvider:
    """The ``local-e2b`` provider: ``E2BSandboxProvider`` over ``LocalEnvdSdk`` over the
    isolated ``local`` provider (``local``, or one made from ``settings``). Sandboxes live
    ``e2b_sandbox_timeout`` seconds after their last use, as E2B's do."""
    from tessera.sandbox.e2b.local_sdk import LocalEnvdProvider, LocalEnvdSdk

    sdk = LocalEnvdSdk(local if local is not None else create_local_provider(settings))
    return LocalEnvdProvider(sdk, sandbox_timeout=settings.e2b_sandbox_timeout)
