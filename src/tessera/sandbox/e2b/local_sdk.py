"""E2B's SDK on this machine: local isolated sandboxes that serve E2B's envd protocol.

``LocalEnvdSdk`` is an ``E2BSdk`` whose sandboxes are Tessera's isolated local sandboxes,
each running the envd daemon (``tessera.envd``) behind a relay on a ``127.0.0.1`` port;
everything inside a sandbox — files, commands, terminals — goes through the real
``e2b.AsyncSandbox`` (debug mode, pointed at that port). The lifecycle (create, list,
pause, kill, timeouts) is this module's: there is no cloud to ask. So
``E2BSandboxProvider`` over this SDK runs Tessera's E2B code path end to end on one
machine (``TESSERA_SANDBOX=local-e2b``, ``LocalEnvdProvider``), and the sandbox contract
suite runs through E2B's SDK and Tessera's daemon.

What differs from E2B's cloud, and why:

- **Addresses.** A sandbox's port is served by Tessera's preview proxy, as for the
  ``local`` provider: ``get_host`` is ``{port}-{id}.{preview domain}``, the browser opens
  ``http://{host}/`` (``preview_url``) and Tessera reaches the port through the local
  sandbox's unix socket (``url``; ``expose_port`` makes it reachable first).
- **Pause** freezes every process of the sandbox (its control group's freezer): memory,
  processes and files are kept, connections to the daemon are dropped (its relay closes),
  and ``connect`` thaws it — E2B's ``pause()`` (mode ``full``). Where there is no freezer
  (no control groups, or one that does not settle), pausing ends every process, daemon
  included, and ``connect`` starts the daemon again: E2B's mode ``filesystem`` (files
  kept, processes not).
- **Restarts.** The sandboxes' processes cannot outlive Tessera (bubblewrap's
  ``--die-with-parent``): ``shutdown`` ends them and keeps the folders. A new process
  lists them as ``paused``; ``connect`` ends what an earlier run may have left in the
  sandbox's control group (a frozen group keeps its processes) and starts the daemon.
- **Installs** need the package registries, which an isolated sandbox cannot reach:
  ``install`` runs them the local sandbox's way (a second sandbox with the host's network).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from e2b import AsyncSandbox

from tessera.errors import SandboxError, SandboxNotFound
from tessera.sandbox.base import CommandResult, OutputCallback
from tessera.sandbox.e2b.provider import DEFAULT_SANDBOX_TIMEOUT, E2BSandboxProvider
from tessera.sandbox.e2b.sdk import SdkCommands, SdkFiles, SdkPty, SdkSandbox, SdkSandboxInfo
from tessera.sandbox.local import LocalSandbox, LocalSandboxProvider
from tessera.sandbox.local.cgroups import SandboxCgroup, V1Cgroup, V2Cgroup
from tessera.sandbox.local.envd import EnvdServer, start_envd
from tessera.sandbox.local.envd_endpoint import EnvdEndpoint
from tessera.sandbox.local.isolated import IsolatedRuntime
from tessera.sandbox.templates.e2b_templates import default_template_ids

log = logging.getLogger(__name__)

_HOST = re.compile(r"(?P<port>\d+)-(?P<id>[^.]+)\.")
FREEZE_WAIT_SECONDS = 2.0
"""How long the freezer may take to stop every process before pausing falls back to
ending them (a process in uninterruptible sleep delays it)."""
_POLL_SECONDS = 0.005
_LEFTOVER_WAIT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class LocalSandboxInfo:
    """``e2b.SandboxInfo`` of a local sandbox: ``paused`` while its processes are frozen
    or not running (a sandbox an earlier run left), ``running`` otherwise."""

    sandbox_id: str
    metadata: Mapping[str, str]
    sandbox_domain: str | None
    state: str = "running"


@dataclass(eq=False)
class _Served:
    """A sandbox as this SDK runs it: its daemon, the relay in front of it, its state."""

    local: LocalSandbox
    envs: dict[str, str]
    server: EnvdServer | None = None
    endpoint: EnvdEndpoint | None = None
    port: int = 0
    """The relay's port (kept across a pause when it is free again)."""
    paused: bool = False
    frozen: bool = False
    timer: asyncio.TimerHandle | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def sandbox_id(self) -> str:
        return self.local.sandbox_id

    @property
    def daemon_alive(self) -> bool:
        return self.server is not None and self.server.process.exit_code is None

    def upstream(self) -> str:
        """Where the relay sends a connection; the relay answers 502 when this raises."""
        if self.paused or self.server is None:
            raise SandboxError(f"The sandbox {self.sandbox_id!r} is paused.")
        return self.server.upstream


class LocalSdkSandbox:
    """``e2b.AsyncSandbox`` of a local sandbox: its inside through E2B's SDK, its
    lifecycle through ``LocalEnvdSdk``."""

    def __init__(self, owner: LocalEnvdSdk, sandbox_id: str, live: AsyncSandbox) -> None:
        self._owner = owner
        self._id = sandbox_id
        self._live = live

    @property
    def sandbox_id(self) -> str:
        return self._id

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
        return self._owner.host_of(self._id, port)

    async def is_running(self) -> bool:
        return await self._owner.is_running(self._id)

    async def set_timeout(self, timeout: int) -> None:  # noqa: ASYNC109 (E2B's signature)
        self._owner.set_timeout(self._id, timeout)

    async def pause(self) -> bool:
        return await self._owner.pause(self._id)

    async def kill(self) -> bool:
        return await self._owner.kill(self._id)

    async def get_info(self) -> SdkSandboxInfo:
        return await self._owner.info(self._id)


class LocalEnvdSdk:
    """Local isolated sandboxes (of ``provider``) driven through E2B's SDK. Like E2B's
    cloud it outlives the ``E2BSandboxProvider`` instances over it. ``shutdown`` ends every
    process and keeps the sandboxes (Tessera stopping); ``aclose`` kills the sandboxes."""

    def __init__(self, provider: LocalSandboxProvider, *, host: str = "127.0.0.1") -> None:
        self.provider = provider
        self.host = host
        self._templates = {e2b: name for name, e2b in default_template_ids().items()}
        self._served: dict[str, _Served] = {}
        self._expiries: set[asyncio.Task[bool]] = set()

    @property
    def domain(self) -> str:
        """The domain of the sandboxes' hosts: the preview proxy's."""
        return self.provider.preview_domain

    # --- E2BSdk ----------------------------------------------------------------------------
    async def create(
        self,
        template: str,
        *,
        timeout: int,  # noqa: ASYNC109 (E2B's signature)
        envs: Mapping[str, str] | None,
        metadata: Mapping[str, str],
    ) -> SdkSandbox:
        name = self._templates.get(template, template)
        local = await self.provider.create(name, envs=envs, metadata=metadata)
        served = _Served(local, dict(envs or {}))
        try:
            await self._wake(served)
        except BaseException:
            await self._end(served)
            raise
        self._served[local.sandbox_id] = served
        self._arm(served, timeout)
        return await self._client(served)

    async def connect(self, sandbox_id: str) -> SdkSandbox:
        """The sandbox, resumed when it was paused (thawed, or its daemon started again)."""
        served = await self._known(sandbox_id)
        async with served.lock:
            await self._wake(served)
        return await self._client(served)

    async def list(self, metadata: Mapping[str, str] | None = None) -> Sequence[SdkSandboxInfo]:
        wanted = dict(metadata or {}).items()
        found: list[SdkSandboxInfo] = []
        for sandbox in await self.provider.list():
            if wanted <= dict(sandbox.metadata).items():
                found.append(self._info(sandbox.sandbox_id, sandbox.metadata))
        return found

    async def kill(self, sandbox_id: str) -> bool:
        served = self._served.pop(sandbox_id, None)
        if served is None:
            try:
                local = await self._local(sandbox_id)
            except SandboxNotFound:
                return False
            served = _Served(local, {})
        async with served.lock:
            await self._end(served)
        return True

    def url(self, host: str) -> str:
        """Where Tessera reaches a port of a sandbox (a host of ``get_host``): the unix
        socket (or host port) the local sandbox serves it on. Raises ``SandboxNotFound``
        for a sandbox this SDK does not run: never an address Tessera itself answers on."""
        match = _HOST.match(host)
        served = None if match is None else self._served.get(match["id"])
        if match is None or served is None:
            raise SandboxNotFound(f"No sandbox here serves {host!r}.")
        return served.local.upstream_url(int(match["port"])).rstrip("/")

    # --- the optional parts of E2BSdk (PreviewingSdk, PortExposingSdk, InstallingSdk) ------
    def preview_url(self, host: str) -> str:
        """Previews go through Tessera's preview proxy, which routes by host name."""
        return f"http://{host}/"

    async def expose_port(self, sandbox_id: str, port: int) -> int:
        """Makes ``port`` of the sandbox reachable from Tessera (``url``)."""
        served = self._served.get(sandbox_id)
        if served is None:
            raise SandboxNotFound(f"There is no sandbox {sandbox_id!r}.")
        return await served.local.allocate_port(port)

    async def install(
        self,
        sandbox_id: str,
        cmd: str,
        *,
        on_output: OutputCallback | None,
        timeout: float | None,  # noqa: ASYNC109 (E2B's signature)
    ) -> CommandResult:
        """Runs a dependency install with the package registries reachable (a sandbox of
        its own sharing the host's network, as the local provider installs), in the
        project folder; raises ``CommandFailed`` or ``CommandTimeout``."""
        served = self._served.get(sandbox_id)
        if served is None or served.paused:
            raise SandboxError(f"The sandbox {sandbox_id!r} is not running.")
        return await served.local.install(cmd, on_output=on_output, timeout=timeout)

    # --- what LocalSdkSandbox asks ---------------------------------------------------------
    def host_of(self, sandbox_id: str, port: int) -> str:
        return f"{port}-{sandbox_id}.{self.domain}"

    async def is_running(self, sandbox_id: str) -> bool:
        """True while the sandbox exists and can serve E2B's protocol: a daemon that died
        (a sandbox stopped for a limit ends every process in it) is started again."""
        served = self._served.get(sandbox_id)
        if served is None or not await served.local.is_running():
            return False
        async with served.lock:
            if served.paused or served.daemon_alive:
                return True
            try:
                await self._wake(served)
            except SandboxError as exc:
                log.warning("the daemon of sandbox %s cannot start: %s", sandbox_id, exc.message)
                return False
        return True

    def set_timeout(self, sandbox_id: str, seconds: int) -> None:
        """Kills the sandbox ``seconds`` from now (replacing an earlier timeout)."""
        served = self._served.get(sandbox_id)
        if served is not None and not served.paused:
            self._arm(served, seconds)

    async def pause(self, sandbox_id: str) -> bool:
        """Freezes the sandbox (see the module's docstring); False when it was paused."""
        served = self._served.get(sandbox_id)
        if served is None:
            await self._local(sandbox_id)  # SandboxNotFound when there is none
            return False  # not running here: an earlier run left it, paused
        async with served.lock:
            if served.paused:
                return False
            served.paused = True  # the relay refuses new connections from here on
            self._disarm(served)
            await self._close_relay(served)
            if not await self._freeze(served):
                log.info("sandbox %s has no freezer: pausing ends its processes", sandbox_id)
                await served.local.stop_processes()
                served.server = None
            return True

    async def info(self, sandbox_id: str) -> SdkSandboxInfo:
        served = self._served.get(sandbox_id)
        local = served.local if served is not None else await self._local(sandbox_id)
        return self._info(sandbox_id, local.metadata)

    # --- Tessera's own ---------------------------------------------------------------------
    async def shutdown(self) -> None:
        """Ends every process of every sandbox (their daemons too: nothing of a sandbox
        outlives Tessera) and closes the relays; the folders stay, and the next run lists
        the sandboxes as paused."""
        served, self._served = list(self._served.values()), {}
        for one in served:
            self._disarm(one)
            await self._close_relay(one)
        await self.provider.aclose()  # ends each sandbox's processes, frozen ones too
        for one in served:
            if one.server is not None:
                await one.server.stop()  # already ended: reaped only
        await self._settle_expiries()

    async def aclose(self) -> None:
        """Kills every sandbox this SDK runs."""
        for sandbox_id in list(self._served):
            await self.kill(sandbox_id)
        await self._settle_expiries()

    # --- internals -------------------------------------------------------------------------
    async def _known(self, sandbox_id: str) -> _Served:
        """The sandbox's record here; one left by an earlier run is taken over (paused)."""
        served = self._served.get(sandbox_id)
        if served is None:
            local = await self._local(sandbox_id)
            served = self._served.setdefault(sandbox_id, _Served(local, {}, paused=True))
        if not await served.local.is_running():  # killed meanwhile (its timeout)
            if self._served.get(sandbox_id) is served:
                del self._served[sandbox_id]
            raise SandboxNotFound(f"There is no sandbox {sandbox_id!r}.")
        return served

    async def _local(self, sandbox_id: str) -> LocalSandbox:
        sandbox = await self.provider.connect(sandbox_id)
        assert isinstance(sandbox, LocalSandbox)
        return sandbox

    def _info(self, sandbox_id: str, metadata: Mapping[str, str]) -> LocalSandboxInfo:
        served = self._served.get(sandbox_id)
        running = served is not None and not served.paused
        return LocalSandboxInfo(
            sandbox_id, dict(metadata), self.domain, "running" if running else "paused"
        )

    async def _wake(self, served: _Served) -> None:
        """Thaws a frozen sandbox, starts its daemon where none runs (a new sandbox, one
        paused without a freezer, one an earlier run left) and opens its relay."""
        if served.frozen:
            cgroup = _cgroup_of(served.local)
            if cgroup is not None:
                await asyncio.to_thread(cgroup.thaw)
            served.frozen = False
        if not served.daemon_alive:
            if served.server is None:
                await self._end_leftovers(served.local)
            else:
                await served.server.stop()  # reap what is left of the one that died
            served.server = None
            served.server = await start_envd(served.local, envs=served.envs)
        served.paused = False
        if served.endpoint is None:
            served.endpoint = EnvdEndpoint(served.upstream)
            served.port = await _listen(served.endpoint, self.host, served.port)

    async def _freeze(self, served: _Served) -> bool:
        cgroup = _cgroup_of(served.local)
        if cgroup is None or not await asyncio.to_thread(_freeze, cgroup):
            return False
        served.frozen = True
        return True

    async def _end(self, served: _Served) -> None:
        """Kills the sandbox: its processes (frozen ones too), folder and record."""
        self._disarm(served)
        await self._close_relay(served)
        if served.server is None:
            await self._end_leftovers(served.local)
        await served.local.kill()
        if served.server is not None:
            await served.server.stop()  # already ended with the sandbox: reaped only
        served.frozen = False

    async def _end_leftovers(self, local: LocalSandbox) -> None:
        """Ends what an earlier run of Tessera left in the sandbox's control group (its
        processes die with that run, but a frozen group keeps them until it is thawed),
        so that the sandbox's new processes do not join a frozen group."""
        runtime = local.runtime
        if not isinstance(runtime, IsolatedRuntime) or runtime.init_pid is not None:
            return
        backend = await self.provider.backend()
        if backend is None or backend.limiter is None:
            return
        await asyncio.to_thread(_empty, backend.limiter.group(local.sandbox_id))

    async def _close_relay(self, served: _Served) -> None:
        if served.endpoint is not None:
            endpoint, served.endpoint = served.endpoint, None
            await endpoint.aclose()

    async def _client(self, served: _Served) -> LocalSdkSandbox:
        url = f"http://{self.host}:{served.port}"
        live = await AsyncSandbox.connect(
            served.sandbox_id, debug=True, sandbox_url=url, api_key="local"
        )
        return LocalSdkSandbox(self, served.sandbox_id, live)

    def _arm(self, served: _Served, seconds: float) -> None:
        self._disarm(served)
        if seconds > 0:
            loop = asyncio.get_running_loop()
            served.timer = loop.call_later(seconds, self._expire, served.sandbox_id)

    def _disarm(self, served: _Served) -> None:
        if served.timer is not None:
            served.timer.cancel()
            served.timer = None

    def _expire(self, sandbox_id: str) -> None:
        task = asyncio.create_task(self.kill(sandbox_id))
        self._expiries.add(task)
        task.add_done_callback(self._expiries.discard)

    async def _settle_expiries(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._expiries, return_exceptions=True)


class LocalEnvdProvider(E2BSandboxProvider):
    """``E2BSandboxProvider`` over ``LocalEnvdSdk``, as Tessera runs it with
    ``TESSERA_SANDBOX=local-e2b``. Closing it also ends the local sandboxes' processes
    (``LocalEnvdSdk.shutdown``): they could not outlive Tessera anyway, and a frozen one
    would otherwise be left behind frozen."""

    def __init__(
        self, sdk: LocalEnvdSdk, *, sandbox_timeout: float = DEFAULT_SANDBOX_TIMEOUT
    ) -> None:
        super().__init__("local", sdk=sdk, domain=sdk.domain, sandbox_timeout=sandbox_timeout)
        self.sdk = sdk

    async def aclose(self) -> None:
        try:
            await super().aclose()
        finally:
            await self.sdk.shutdown()


def _cgroup_of(local: LocalSandbox) -> SandboxCgroup | None:
    runtime = local.runtime
    return runtime.cgroup if isinstance(runtime, IsolatedRuntime) else None


async def _listen(endpoint: EnvdEndpoint, host: str, port: int) -> int:
    """Listens on ``port`` again after a pause when it is free (so that an address handed
    out before still leads to the sandbox), else on any free port."""
    if port:
        with contextlib.suppress(OSError):
            return await endpoint.start(host, port)
    return await endpoint.start(host, 0)


def _freeze(cgroup: SandboxCgroup) -> bool:
    """Freezes every process of ``cgroup`` and waits until all are frozen. False where the
    group has no freezer, or it did not settle in time (the group is thawed again).
    Blocking."""
    control: Path
    value: str
    frozen: Callable[[], bool]
    if isinstance(cgroup, V1Cgroup):
        folder = cgroup.dirs.get("freezer")
        if folder is None:
            return False
        control, value = folder / "freezer.state", "FROZEN"
        state = control
        frozen = lambda: state.read_text().strip() == "FROZEN"  # noqa: E731
    elif isinstance(cgroup, V2Cgroup):
        control, value = cgroup.folder / "cgroup.freeze", "1"
        events = cgroup.folder / "cgroup.events"
        frozen = lambda: "frozen 1" in events.read_text().splitlines()  # noqa: E731
    else:
        return False
    try:
        control.write_text(value)
        deadline = time.monotonic() + FREEZE_WAIT_SECONDS
        while not frozen():
            if time.monotonic() >= deadline:
                cgroup.thaw()
                return False
            time.sleep(_POLL_SECONDS)
    except OSError:
        cgroup.thaw()
        return False
    return True


def _empty(cgroup: SandboxCgroup) -> None:
    """Kills whatever is in ``cgroup`` and thaws it. Blocking."""
    deadline = time.monotonic() + _LEFTOVER_WAIT_SECONDS
    while cgroup.pids() and time.monotonic() < deadline:
        try:
            cgroup.kill_all()
        finally:
            cgroup.thaw()
        time.sleep(_POLL_SECONDS * 4)
    cgroup.thaw()
