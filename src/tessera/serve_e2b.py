"""``tessera sandbox serve-e2b``: one local sandbox served as E2B's SDK expects a sandbox.

The sandbox is an isolated local one (bubblewrap) from a Tessera template; its envd daemon
(``tessera.envd``) is reached at ``host:port`` (``localhost:49983``, where the SDK looks with
``E2B_DEBUG=true``). ``POST /tessera/reset`` there replaces it with a fresh one. The ports
its servers listen on are published at the same port of ``host`` (the SDK's
``get_host(port)`` in debug mode is ``localhost:{port}``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tessera.config import Settings
from tessera.envd import ENVD_PORT
from tessera.errors import SandboxError
from tessera.sandbox.local import LocalSandbox, LocalSandboxProvider
from tessera.sandbox.local.envd import EnvdServer, start_envd
from tessera.sandbox.local.envd_endpoint import RESET_PATH, EnvdEndpoint
from tessera.sandbox.local.isolation import Isolation
from tessera.sandbox.local.ports import PortPublisher
from tessera.sandbox.templates import TemplateCache

DEFAULT_HOST = "localhost"


@dataclass(frozen=True, slots=True)
class Served:
    """What ``serve_e2b`` tells its caller once the sandbox answers."""

    sandbox_id: str
    template: str
    url: str

    @property
    def reset_url(self) -> str:
        return f"{self.url}{RESET_PATH}"

    @property
    def sdk_environment(self) -> dict[str, str]:
        """What to set for E2B's SDK to use this sandbox."""
        if self.url == f"http://localhost:{ENVD_PORT}":
            return {"E2B_DEBUG": "true"}
        return {"E2B_DEBUG": "true", "E2B_SANDBOX_URL": self.url}


class ServedSandbox:
    """One sandbox and its daemon, replaceable by a fresh one (``reset``)."""

    def __init__(self, provider: LocalSandboxProvider, template: str) -> None:
        self.provider = provider
        self.template = template
        self._server: EnvdServer | None = None

    @property
    def sandbox(self) -> LocalSandbox:
        return self._current().sandbox

    @property
    def upstream(self) -> str:
        return self._current().upstream

    async def start(self) -> None:
        sandbox = await self.provider.create(self.template, timeout=None)
        try:
            self._server = await start_envd(sandbox)
        except BaseException:
            await sandbox.kill()
            raise

    async def reset(self) -> str:
        """A fresh sandbox from the template in place of this one; its id."""
        old = self._server
        self._server = None
        if old is not None:
            await old.sandbox.kill()
        await self.start()
        return self.sandbox.sandbox_id

    async def aclose(self) -> None:
        if self._server is not None:
            await self._server.sandbox.kill()
            self._server = None

    def _current(self) -> EnvdServer:
        if self._server is None:
            raise SandboxError("The sandbox is being replaced; try again in a moment.")
        return self._server


def local_provider(settings: Settings, root: Path | None = None) -> LocalSandboxProvider:
    """An isolated local provider of its own (``root``, default ``{data}/e2b-sandboxes``):
    these sandboxes are not projects' and Tessera's server leaves them alone."""
    isolation = Isolation.from_settings(settings)
    if isolation.mode != "bubblewrap":
        raise SandboxError(
            "serve-e2b needs isolated sandboxes (bubblewrap): the daemon serves the sandbox's "
            "own paths, which only the isolation keeps inside the sandbox."
        )
    return LocalSandboxProvider(
        root or settings.data_dir / "e2b-sandboxes",
        TemplateCache(settings.templates_cache_dir),
        preview_domain=settings.preview_base_domain,
        isolation=isolation,
    )


async def serve_e2b(
    settings: Settings,
    *,
    template: str = "react",
    host: str = DEFAULT_HOST,
    port: int = ENVD_PORT,
    on_ready: Callable[[Served], None] | None = None,
    say: Callable[[str], None] | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serves one sandbox until ``stop`` is set (or the task is cancelled). The ports its
    servers listen on are published at ``host`` too (``say`` hears of each)."""
    cache = TemplateCache(settings.templates_cache_dir)
    if not cache.is_ready(template):
        await cache.warm(template)
    provider = local_provider(settings)
    served = ServedSandbox(provider, template)
    endpoint = EnvdEndpoint(lambda: served.upstream, on_reset=served.reset)
    publisher: PortPublisher | None = None
    try:
        bound = await endpoint.start(host, port)  # a port in use fails before any sandbox
        await served.start()
        publisher = PortPublisher(
            lambda: served.sandbox, host, skip=frozenset({ENVD_PORT, bound}), say=say
        )
        publisher.start()
        if on_ready is not None:
            on_ready(Served(served.sandbox.sandbox_id, template, f"http://{host}:{bound}"))
        await (stop or asyncio.Event()).wait()
    finally:
        if publisher is not None:
            await publisher.aclose()
        with contextlib.suppress(Exception):
            await endpoint.aclose()
        await served.aclose()
        await provider.aclose()
