"""The ``e2b`` sandbox provider: sandboxes in E2B's cloud (or a self-hosted E2B).

Each Tessera template (``react``, ``python``, ``fullstack``) maps to an E2B template built
from ``tessera.sandbox.templates.e2b_templates`` (``tessera templates build --provider
e2b``), whose image already holds the starter files and their installed dependencies in
``PROJECT_DIR``. A sandbox's metadata records its Tessera template, so ``connect`` and
``list`` find Tessera's sandboxes again after a restart (and only those).
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from tessera.errors import SandboxNotFound, TemplateNotFound
from tessera.sandbox.base import Sandbox, SandboxProvider
from tessera.sandbox.e2b.errors import translated
from tessera.sandbox.e2b.sandbox import E2BSandbox
from tessera.sandbox.e2b.sdk import CloudSdk, E2BSdk, SdkSandbox
from tessera.sandbox.templates.e2b_templates import default_template_ids

TEMPLATE_KEY = "tessera_template"
"""Sandbox metadata naming the Tessera template; marks the sandboxes Tessera created."""

DEFAULT_DOMAIN = "e2b.app"
DEFAULT_SANDBOX_TIMEOUT = 600.0

_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")


class E2BSandboxProvider:
    """Creates and finds Tessera's sandboxes in one E2B account (implements
    ``SandboxProvider``).

    ``templates`` maps Tessera template names to E2B template names or ids (default:
    ``tessera-react`` and so on). ``sandbox_timeout`` is how long a sandbox lives after its
    last use. ``sdk`` replaces E2B's cloud (tests pass ``fake.FakeE2BSdk``).
    """

    name = "e2b"

    def __init__(
        self,
        api_key: str,
        *,
        templates: Mapping[str, str] | None = None,
        domain: str | None = None,
        sandbox_timeout: float = DEFAULT_SANDBOX_TIMEOUT,
        sdk: E2BSdk | None = None,
    ) -> None:
        self.templates = dict(templates) if templates is not None else default_template_ids()
        self.domain = domain or DEFAULT_DOMAIN
        self.sandbox_timeout = sandbox_timeout
        self._sdk: E2BSdk = sdk if sdk is not None else CloudSdk(api_key, domain=domain)
        self._sandboxes: dict[str, E2BSandbox] = {}

    async def create(
        self,
        template: str,
        *,
        envs: Mapping[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (E2B's signature)
        metadata: Mapping[str, str] | None = None,
    ) -> E2BSandbox:
        e2b_template = self.e2b_template(template)
        lifetime = timeout or self.sandbox_timeout
        tags = {**(metadata or {}), TEMPLATE_KEY: template}
        with translated(subject="template", name=e2b_template):
            live = await self._sdk.create(
                e2b_template, timeout=max(1, math.ceil(lifetime)), envs=envs, metadata=tags
            )
        return self._adopt(live.sandbox_id, tags, lifetime=lifetime, live=live)

    async def connect(self, sandbox_id: str) -> E2BSandbox:
        """A Tessera sandbox by id (a paused one is resumed)."""
        known = self._sandboxes.get(sandbox_id)
        if known is not None:
            if known.paused:
                await known.resume()
            return known
        if not _ID_PATTERN.fullmatch(sandbox_id):
            raise SandboxNotFound(f"There is no sandbox {sandbox_id!r}.")
        with translated(name=sandbox_id):
            live = await self._sdk.connect(sandbox_id)
            info = await live.get_info()
        if TEMPLATE_KEY not in info.metadata:
            raise SandboxNotFound(f"The E2B sandbox {sandbox_id!r} was not created by Tessera.")
        return self._adopt(sandbox_id, info.metadata, lifetime=self.sandbox_timeout, live=live)

    async def list(self, metadata: Mapping[str, str] | None = None) -> list[Sandbox]:
        """Tessera's running and paused sandboxes, those whose metadata includes
        ``metadata`` when given (``{"project_id": ...}`` finds a project's). Nothing is
        resumed: a listed sandbox connects on its first use."""
        with translated():
            infos = await self._sdk.list(metadata)
        found: list[Sandbox] = []
        for info in infos:
            if TEMPLATE_KEY not in info.metadata:
                continue
            known = self._sandboxes.get(info.sandbox_id)
            if known is None:
                known = self._adopt(
                    info.sandbox_id,
                    info.metadata,
                    lifetime=self.sandbox_timeout,
                    domain=info.sandbox_domain,
                    paused=str(info.state) == "paused",
                )
            found.append(known)
        return found

    async def aclose(self) -> None:
        """Kills the commands started through this provider; the sandboxes stay (E2B ends
        each when its timeout passes) and ``connect`` finds them again."""
        sandboxes, self._sandboxes = list(self._sandboxes.values()), {}
        await asyncio.gather(*(s.stop_processes() for s in sandboxes))

    def e2b_template(self, template: str) -> str:
        """The E2B template of Tessera's template ``template``."""
        try:
            return self.templates[template]
        except KeyError:
            known = ", ".join(self.templates) or "none"
            raise TemplateNotFound(
                f"There is no template called {template!r}; known: {known}."
            ) from None

    def _adopt(
        self,
        sandbox_id: str,
        tags: Mapping[str, str],
        *,
        lifetime: float,
        live: SdkSandbox | None = None,
        domain: str | None = None,
        paused: bool = False,
    ) -> E2BSandbox:
        sandbox = E2BSandbox(
            self._sdk,
            sandbox_id=sandbox_id,
            template=tags.get(TEMPLATE_KEY, ""),
            metadata={k: v for k, v in tags.items() if k != TEMPLATE_KEY},
            domain=domain or self.domain,
            lifetime=lifetime,
            live=live,
            paused=paused,
            on_killed=self._forget,
        )
        self._sandboxes[sandbox_id] = sandbox
        return sandbox

    def _forget(self, sandbox: E2BSandbox) -> None:
        if self._sandboxes.get(sandbox.sandbox_id) is sandbox:
            del self._sandboxes[sandbox.sandbox_id]


if TYPE_CHECKING:

    def _implements_protocols(provider: E2BSandboxProvider, sandbox: E2BSandbox) -> None:
        _provider: SandboxProvider = provider
        _sandbox: Sandbox = sandbox
