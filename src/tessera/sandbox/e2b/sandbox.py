"""One E2B sandbox: a virtual machine in E2B's cloud (or a local sandbox serving E2B's
protocol, ``local_sdk``), reached through E2B's SDK.

Lifetime: E2B kills a sandbox when its timeout passes. Every use of ``files`` or
``commands`` counts as activity and pushes the timeout back to ``lifetime`` seconds (at
most once per ``refresh_every``), so a sandbox lives while its user works and goes away
``lifetime`` seconds after the last use. ``pause`` keeps the sandbox (files, memory,
running processes) without running it; its next use resumes it.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Mapping
from time import monotonic

from tessera.errors import SandboxNotFound
from tessera.sandbox.base import CommandResult, Commands, Files, OutputCallback, Terminal
from tessera.sandbox.e2b.commands import E2BCommands
from tessera.sandbox.e2b.errors import translated
from tessera.sandbox.e2b.files import E2BFiles
from tessera.sandbox.e2b.paths import PROJECT_DIR, sandbox_path
from tessera.sandbox.e2b.sdk import (
    E2BSdk,
    InstallingSdk,
    PortExposingSdk,
    PreviewingSdk,
    SdkSandbox,
)
from tessera.sandbox.e2b.terminal import E2BTerminal

INSTALL_TIMEOUT_SECONDS = 300.0


class E2BSandbox:
    """A sandbox of the ``e2b`` provider (implements ``Sandbox``).

    Built either around the SDK's sandbox object (``live``), or from a listing only
    (``paused`` as the listing says), in which case the first use connects to it, which
    resumes a paused one.
    """

    def __init__(
        self,
        sdk: E2BSdk,
        *,
        sandbox_id: str,
        template: str,
        metadata: Mapping[str, str],
        domain: str,
        lifetime: float,
        live: SdkSandbox | None = None,
        paused: bool = False,
        on_killed: Callable[[E2BSandbox], None] | None = None,
    ) -> None:
        self.sandbox_id = sandbox_id
        self.template = template
        self.lifetime = lifetime
        self._sdk = sdk
        self._metadata = dict(metadata)
        self._domain = domain
        self._live = live
        self._on_killed = on_killed
        self._killed = False
        self._paused = paused and live is None
        self._refreshed = monotonic() if live is not None else -math.inf
        self._connecting = asyncio.Lock()
        self._commands = E2BCommands(self._use)
        self.files: Files = E2BFiles(self._use)
        self.commands: Commands = self._commands

    @property
    def metadata(self) -> Mapping[str, str]:
        return dict(self._metadata)

    @property
    def refresh_every(self) -> float:
        """Activity pushes the timeout back at most this often."""
        return min(60.0, self.lifetime / 4)

    # --- addresses -----------------------------------------------------------------------
    def get_host(self, port: int) -> str:
        """``{port}-{sandbox_id}.{domain}``: served by E2B over HTTPS, or by Tessera's
        preview proxy for local sandboxes."""
        if self._live is not None:
            return self._live.get_host(port)
        return f"{port}-{self.sandbox_id}.{self._domain}"

    def upstream_url(self, port: int) -> str:
        return self._sdk.url(self.get_host(port))

    def preview_url(self, port: int) -> str:
        """The URL the browser opens, as the SDK says (``PreviewingSdk``: E2B's cloud serves
        previews itself, local sandboxes go through Tessera's preview proxy); else the URL
        Tessera reaches the port at."""
        if isinstance(self._sdk, PreviewingSdk):
            return self._sdk.preview_url(self.get_host(port))
        return f"{self.upstream_url(port)}/"

    async def allocate_port(self, preferred: int) -> int:
        """A sandbox has its own network: any port is free (made reachable first where the
        SDK needs it, ``PortExposingSdk``, the sandbox resumed for that)."""
        if isinstance(self._sdk, PortExposingSdk):
            await self._connected()
            return await self._sdk.expose_port(self.sandbox_id, preferred)
        return preferred

    # --- lifecycle -----------------------------------------------------------------------
    async def is_running(self) -> bool:
        """True while the sandbox exists: running, or paused (its next use resumes it)."""
        if self._killed:
            return False
        if self._paused:
            return True
        try:
            live = await self._connected()
        except SandboxNotFound:
            return False
        with translated(name=self.sandbox_id):
            return await live.is_running()

    async def set_timeout(self, seconds: float) -> None:
        """E2B kills the sandbox ``seconds`` from now (replacing an earlier timeout); later
        activity keeps it alive that long. E2B has no unlimited lifetime: 0 or less keeps
        the current one."""
        if seconds > 0:
            self.lifetime = seconds
        live = await self._connected()
        await self._push_back(live)

    async def keep_alive(self) -> None:
        """Pushes the timeout back to ``lifetime`` seconds from now."""
        await self._push_back(await self._connected())

    @property
    def paused(self) -> bool:
        return self._paused

    async def resume(self) -> None:
        """Resumes the sandbox if ``pause`` paused it (any use does so too)."""
        await self._connected()

    async def pause(self) -> bool:
        """Pauses the sandbox (E2B keeps its files, memory and processes); its next use
        resumes it. False if it was already paused."""
        if self._paused:
            return False
        live = await self._connected()
        with translated(name=self.sandbox_id):
            paused = await live.pause()
        self._paused = True
        return paused

    async def kill(self) -> None:
        """Kills the sandbox and everything running in it."""
        if self._killed:
            return
        self._killed = True
        try:
            with translated(name=self.sandbox_id):
                if self._live is not None and not self._paused:
                    await self._live.kill()
                else:
                    await self._sdk.kill(self.sandbox_id)
        except SandboxNotFound:
            pass  # already gone
        finally:
            if self._on_killed is not None:
                self._on_killed(self)

    async def install(
        self,
        cmd: str,
        on_output: OutputCallback | None = None,
        timeout: float = INSTALL_TIMEOUT_SECONDS,  # noqa: ASYNC109 (E2B's signature)
    ) -> CommandResult:
        """Installs dependencies with ``cmd`` (an E2B sandbox has internet access; an SDK
        whose sandboxes have none runs it its own way, ``InstallingSdk``)."""
        if isinstance(self._sdk, InstallingSdk):
            await self._use()
            return await self._sdk.install(
                self.sandbox_id, cmd, on_output=on_output, timeout=timeout
            )
        result = await self.commands.run(
            cmd, on_stdout=on_output, on_stderr=on_output, timeout=timeout
        )
        assert isinstance(result, CommandResult)
        return result

    async def open_terminal(
        self,
        *,
        cols: int,
        rows: int,
        cwd: str | None = None,
        envs: Mapping[str, str] | None = None,
    ) -> Terminal:
        """E2B's interactive shell (``bash -i -l``) with a pseudo-terminal, in the project
        folder (or ``cwd`` inside it)."""
        return await E2BTerminal.open(
            self._use,
            cols=cols,
            rows=rows,
            cwd=sandbox_path(cwd) if cwd else PROJECT_DIR,
            envs={"TERM": "xterm-256color", **(envs or {})},
        )

    def running_commands(self) -> list[int]:
        """Pids of the commands started through this object that have not ended."""
        return [handle.pid for handle in self._commands.running()]

    async def stop_processes(self) -> None:
        """Kills the commands started through this object; the sandbox stays."""
        await self._commands.kill_all()

    # --- the SDK's sandbox ---------------------------------------------------------------
    async def _use(self) -> SdkSandbox:
        """The SDK's sandbox for a request by the files or commands API: connected (and
        resumed), its timeout pushed back when due."""
        live = await self._connected()
        if monotonic() - self._refreshed >= self.refresh_every:
            await self._push_back(live)
        return live

    async def _connected(self) -> SdkSandbox:
        if self._killed:
            raise SandboxNotFound(
                f"The E2B sandbox {self.sandbox_id!r} was killed; deploy again to get a new one."
            )
        async with self._connecting:
            if self._live is None or self._paused:
                with translated(name=self.sandbox_id):
                    self._live = await self._sdk.connect(self.sandbox_id)
                self._paused = False
                self._refreshed = -math.inf
            return self._live

    async def _push_back(self, live: SdkSandbox) -> None:
        with translated(name=self.sandbox_id):
            await live.set_timeout(max(1, math.ceil(self.lifetime)))
        self._refreshed = monotonic()
