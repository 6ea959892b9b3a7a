"""E2B's SDK on this machine: local isolated sandboxes that serve E2B's envd protocol.

``LocalEnvdSdk`` is an ``E2BSdk`` whose sandboxes are Tessera's isolated local sandboxes,
each running the envd daemon (``tessera.envd``) behind a relay on a free ``127.0.0.1``
port; everything inside a sandbox — files, commands, terminals — goes through the real
``e2b.AsyncSandbox`` (debug mode, pointed at that port). The lifecycle (create, list, kill,
timeouts) is the local provider's: it has no cloud to ask. So ``E2BSandboxProvider`` over
this SDK runs Tessera's E2B code path end to end on one machine, and the sandbox contract
suite runs through E2B's SDK and Tessera's daemon.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from e2b import AsyncSandbox, SandboxException

from tessera.errors import SandboxNotFound
from tessera.sandbox.e2b.sdk import SdkCommands, SdkFiles, SdkPty, SdkSandbox, SdkSandboxInfo
from tessera.sandbox.local import LocalSandbox, LocalSandboxProvider
from tessera.sandbox.local.envd import EnvdServer, start_envd
from tessera.sandbox.local.envd_endpoint import EnvdEndpoint
from tessera.sandbox.templates.e2b_templates import default_template_ids

LOCAL_DOMAIN = "e2b.localhost"
_HOST = re.compile(r"(?P<port>\d+)-(?P<id>[^.]+)\.")


@dataclass(frozen=True, slots=True)
class LocalSandboxInfo:
    """``e2b.SandboxInfo`` of a local sandbox."""

    sandbox_id: str
    metadata: Mapping[str, str]
    sandbox_domain: str | None = LOCAL_DOMAIN
    state: str = "running"


@dataclass
class _Served:
    local: LocalSandbox
    server: EnvdServer
    endpoint: EnvdEndpoint
    url: str


class LocalSdkSandbox:
    """``e2b.AsyncSandbox`` of a local sandbox: its inside through E2B's SDK, its
    lifecycle through the local provider."""

    def __init__(self, owner: LocalEnvdSdk, served: _Served, live: AsyncSandbox) -> None:
        self._owner = owner
        self._served = served
        self._live = live

    @property
    def sandbox_id(self) -> str:
        return self._served.local.sandbox_id

    @property
    def files(self) -> SdkFiles:
        return self._live.files

    @property
    def commands(self) -> SdkCommands:
        return self._live.commands

    @property
    def pty(self) -> SdkPty:
        return self._live.pty

    def get_host(self, port: int) -> str:
        return f"{port}-{self.sandbox_id}.{LOCAL_DOMAIN}"

    async def is_running(self) -> bool:
        return await self._served.local.is_running()

    async def set_timeout(self, timeout: int) -> None:  # noqa: ASYNC109 (E2B's signature)
        await self._served.local.set_timeout(timeout)

    async def pause(self) -> bool:
        raise SandboxException("Local sandboxes cannot be paused through E2B's protocol.")

    async def kill(self) -> bool:
        return await self._owner.kill(self.sandbox_id)

    async def get_info(self) -> SdkSandboxInfo:
        return LocalSandboxInfo(self.sandbox_id, self._served.local.metadata)


class LocalEnvdSdk:
    """Local isolated sandboxes (of ``provider``) driven through E2B's SDK. Like E2B's
    cloud it outlives the ``E2BSandboxProvider`` instances over it; ``aclose`` kills its
    sandboxes."""

    def __init__(self, provider: LocalSandboxProvider, *, host: str = "127.0.0.1") -> None:
        self.provider = provider
        self.host = host
        self._templates = {e2b: name for name, e2b in default_template_ids().items()}
        self._served: dict[str, _Served] = {}
        self._lock = asyncio.Lock()

    async def create(
        self,
        template: str,
        *,
        timeout: int,  # noqa: ASYNC109 (E2B's signature)
        envs: Mapping[str, str] | None,
        metadata: Mapping[str, str],
    ) -> SdkSandbox:
        name = self._templates.get(template, template)
        local = await self.provider.create(name, envs=envs, timeout=timeout, metadata=metadata)
        try:
            served = await self._serve(local, envs)
        except BaseException:
            await local.kill()
            raise
        return await self._connect(served)

    async def connect(self, sandbox_id: str) -> SdkSandbox:
        async with self._lock:
            served = self._served.get(sandbox_id)
            if served is None:
                local = await self._local(sandbox_id)
                served = await self._serve(local, None)
        return await self._connect(served)

    async def list(self, metadata: Mapping[str, str] | None = None) -> Sequence[SdkSandboxInfo]:
        wanted = dict(metadata or {})
        found: list[SdkSandboxInfo] = []
        for sandbox in await self.provider.list():
            tags = sandbox.metadata
            if all(tags.get(key) == value for key, value in wanted.items()):
                found.append(LocalSandboxInfo(sandbox.sandbox_id, tags))
        return found

    async def kill(self, sandbox_id: str) -> bool:
        served = self._served.pop(sandbox_id, None)
        if served is not None:
            await served.endpoint.aclose()
            await served.local.kill()
            return True
        try:
            local = await self._local(sandbox_id)
        except SandboxNotFound:
            return False
        await local.kill()
        return True

    def url(self, host: str) -> str:
        """Where Tessera reaches a port of a sandbox (``{port}-{id}.e2b.localhost``): the
        unix socket (or host port) the local sandbox serves it on."""
        match = _HOST.match(host)
        served = None if match is None else self._served.get(match["id"])
        if match is None or served is None:
            return f"http://{host}"
        return served.local.upstream_url(int(match["port"])).rstrip("/")

    async def expose_port(self, sandbox_id: str, port: int) -> int:
        """Makes ``port`` of the sandbox reachable from Tessera (``url``)."""
        served = self._served.get(sandbox_id)
        if served is None:
            raise SandboxNotFound(f"There is no sandbox {sandbox_id!r}.")
        return await served.local.allocate_port(port)

    async def aclose(self) -> None:
        for sandbox_id in list(self._served):
            await self.kill(sandbox_id)

    async def _local(self, sandbox_id: str) -> LocalSandbox:
        sandbox = await self.provider.connect(sandbox_id)
        assert isinstance(sandbox, LocalSandbox)
        return sandbox

    async def _serve(self, local: LocalSandbox, envs: Mapping[str, str] | None) -> _Served:
        server = await start_envd(local, envs=dict(envs or {}))
        endpoint = EnvdEndpoint(lambda: server.upstream)
        port = await endpoint.start(self.host, 0)
        served = _Served(local, server, endpoint, f"http://{self.host}:{port}")
        self._served[local.sandbox_id] = served
        return served

    async def _connect(self, served: _Served) -> LocalSdkSandbox:
        live = await AsyncSandbox.connect(
            served.local.sandbox_id, debug=True, sandbox_url=served.url, api_key="local"
        )
        return LocalSdkSandbox(self, served, live)
