"""The part of E2B's SDK Tessera uses, as protocols, and its binding to E2B's cloud.

``E2BSdk`` creates, connects to, lists and kills sandboxes; what it returns follows the
SDK's ``AsyncSandbox`` (``files``, ``commands``, ``pty``, ``get_host``, ``set_timeout``, ``pause``,
``kill``). ``CloudSdk`` is the real thing (``e2b.AsyncSandbox``); ``fake.FakeE2BSdk`` is a
stand-in with the same semantics that runs on this machine, for tests;
``local_sdk.LocalEnvdSdk`` runs E2B's SDK against local sandboxes.

Where sandboxes differ from E2B's cloud, an SDK says so through optional protocols:
``PreviewingSdk`` (the URL a browser opens), ``PortExposingSdk`` (ports made reachable
first), ``InstallingSdk`` (installs that need the package registries run another way).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Literal, Protocol, overload, runtime_checkable

from e2b import AsyncSandbox, PtySize, SandboxQuery
from e2b.sandbox.filesystem.filesystem import WriteEntry

from tessera.sandbox.base import CommandResult, OutputCallback

ChunkHandler = Callable[[str], Awaitable[None]]
"""Receives output as it comes: decoded chunks, not lines."""

PtyDataHandler = Callable[[bytes], Awaitable[None]]
"""Receives a pseudo-terminal's output as it comes (raw bytes); E2B waits for it before it
delivers the next chunk."""


class SdkEntryInfo(Protocol):
    """``e2b.EntryInfo``."""

    @property
    def name(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def type(self) -> Any:
        """``e2b.FileType`` (``.value`` is "file", "dir" or "symlink") or None."""

    @property
    def size(self) -> int: ...


class SdkFiles(Protocol):
    """``AsyncSandbox.files``: paths are absolute paths in the sandbox."""

    async def write(self, path: str, data: str | bytes) -> object: ...

    async def write_files(self, files: list[WriteEntry]) -> Sequence[object]: ...

    @overload
    async def read(self, path: str, format: Literal["text"] = "text") -> str: ...

    @overload
    async def read(self, path: str, format: Literal["bytes"]) -> bytearray: ...

    async def list(self, path: str, depth: int | None = 1) -> Sequence[SdkEntryInfo]: ...

    async def exists(self, path: str) -> bool: ...

    async def remove(self, path: str) -> None: ...

    async def rename(self, old_path: str, new_path: str) -> SdkEntryInfo: ...


class SdkCommandHandle(Protocol):
    """``e2b.AsyncCommandHandle``: ``wait`` raises ``CommandExitException`` on a non-zero
    exit and ``TimeoutException`` when the command's time limit passed."""

    @property
    def pid(self) -> int: ...

    @property
    def exit_code(self) -> int | None: ...

    async def wait(self) -> object: ...

    async def kill(self) -> bool: ...


class SdkCommands(Protocol):
    """``AsyncSandbox.commands``; Tessera always starts commands in the background and
    waits on the handle, so that it knows the pid of a command it has to stop."""

    async def run(
        self,
        cmd: str,
        background: Literal[True],
        envs: dict[str, str] | None = None,
        user: Any = None,
        cwd: str | None = None,
        on_stdout: ChunkHandler | None = None,
        on_stderr: ChunkHandler | None = None,
        stdin: bool | None = None,
        timeout: float | None = 60,  # noqa: ASYNC109 (E2B's signature)
    ) -> SdkCommandHandle: ...


class SdkPty(Protocol):
    """``AsyncSandbox.pty``: interactive ``/bin/bash -i -l`` shells with a pseudo-terminal,
    known by pid. ``create``'s ``timeout`` bounds the whole session (0: no limit)."""

    async def create(
        self,
        size: PtySize,
        on_data: PtyDataHandler,
        user: Any = None,
        cwd: str | None = None,
        envs: dict[str, str] | None = None,
        timeout: float | None = 60,  # noqa: ASYNC109 (E2B's signature)
        request_timeout: float | None = None,
    ) -> SdkCommandHandle: ...

    async def send_stdin(
        self, pid: int, data: bytes, request_timeout: float | None = None
    ) -> None: ...

    async def resize(
        self, pid: int, size: PtySize, request_timeout: float | None = None
    ) -> None: ...

    async def kill(self, pid: int, request_timeout: float | None = None) -> bool: ...


class SdkSandboxInfo(Protocol):
    """``e2b.SandboxInfo``."""

    @property
    def sandbox_id(self) -> str: ...

    @property
    def metadata(self) -> Mapping[str, str]: ...

    @property
    def sandbox_domain(self) -> str | None: ...

    @property
    def state(self) -> str:
        """``running`` or ``paused`` (``e2b.SandboxState`` is a ``str`` enum)."""


class SdkSandbox(Protocol):
    """``e2b.AsyncSandbox``."""

    @property
    def sandbox_id(self) -> str: ...

    @property
    def files(self) -> SdkFiles: ...

    @property
    def commands(self) -> SdkCommands: ...

    @property
    def pty(self) -> SdkPty: ...

    def get_host(self, port: int) -> str: ...

    async def is_running(self) -> bool: ...

    async def set_timeout(self, timeout: int) -> None: ...  # noqa: ASYNC109 (E2B's signature)

    async def pause(self) -> bool: ...

    async def kill(self) -> bool: ...

    async def get_info(self) -> SdkSandboxInfo: ...


class E2BSdk(Protocol):
    """Sandboxes of one E2B account."""

    async def create(
        self,
        template: str,
        *,
        timeout: int,  # noqa: ASYNC109 (E2B's signature)
        envs: Mapping[str, str] | None,
        metadata: Mapping[str, str],
    ) -> SdkSandbox:
        """A new sandbox from the E2B template ``template`` (id or name), alive for
        ``timeout`` seconds unless ``set_timeout`` extends it."""

    async def connect(self, sandbox_id: str) -> SdkSandbox:
        """A running sandbox, or a paused one, which this resumes."""

    async def list(self, metadata: Mapping[str, str] | None = None) -> Sequence[SdkSandboxInfo]:
        """Running and paused sandboxes whose metadata includes ``metadata``."""

    async def kill(self, sandbox_id: str) -> bool:
        """Kills a sandbox by id; False when there was none."""

    def url(self, host: str) -> str:
        """The URL (no trailing slash) at which a host from ``get_host`` is reached."""


@runtime_checkable
class PreviewingSdk(Protocol):
    """An ``E2BSdk`` that says which URL a browser opens for a host of ``get_host``. E2B's
    cloud serves every port itself over HTTPS; local sandboxes are served by Tessera's
    preview proxy. Without it, the browser opens ``url(host)``."""

    def preview_url(self, host: str) -> str:
        """The browser's URL of ``host`` (with a trailing slash)."""


@runtime_checkable
class InstallingSdk(Protocol):
    """An ``E2BSdk`` whose sandboxes cannot reach the package registries from inside (local
    sandboxes have no network): it runs dependency installs itself. E2B's sandboxes have
    internet access and install with a plain command."""

    async def install(
        self,
        sandbox_id: str,
        cmd: str,
        *,
        on_output: OutputCallback | None,
        timeout: float | None,  # noqa: ASYNC109 (E2B's signature)
    ) -> CommandResult:
        """Runs ``cmd`` in the project folder; raises ``CommandFailed`` or
        ``CommandTimeout`` as ``commands.run`` does."""


@runtime_checkable
class PortExposingSdk(Protocol):
    """An ``E2BSdk`` whose sandboxes' ports must be made reachable before use (local
    sandboxes with a network of their own); E2B's cloud serves every port as it is."""

    async def expose_port(self, sandbox_id: str, port: int) -> int: ...


class CloudSdk:
    """E2B's cloud (or a self-hosted E2B at ``domain``) through ``e2b.AsyncSandbox``."""

    def __init__(self, api_key: str, *, domain: str | None = None) -> None:
        self._api_key = api_key
        self._domain = domain

    def _params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"api_key": self._api_key}
        if self._domain:
            params["domain"] = self._domain
        return params

    async def create(
        self,
        template: str,
        *,
        timeout: int,  # noqa: ASYNC109 (E2B's signature)
        envs: Mapping[str, str] | None,
        metadata: Mapping[str, str],
    ) -> SdkSandbox:
        sandbox: SdkSandbox = await AsyncSandbox.create(
            template=template,
            timeout=timeout,
            envs=dict(envs) if envs else None,
            metadata=dict(metadata),
            **self._params(),
        )
        return sandbox

    async def connect(self, sandbox_id: str) -> SdkSandbox:
        sandbox: SdkSandbox = await AsyncSandbox.connect(sandbox_id, **self._params())
        return sandbox

    async def list(self, metadata: Mapping[str, str] | None = None) -> Sequence[SdkSandboxInfo]:
        query = SandboxQuery(metadata=dict(metadata)) if metadata else None
        paginator = AsyncSandbox.list(query=query, **self._params())
        found: list[SdkSandboxInfo] = []
        while paginator.has_next:
            found.extend(await paginator.next_items())
        return found

    async def kill(self, sandbox_id: str) -> bool:
        killed: bool = await AsyncSandbox.kill(sandbox_id, **self._params())
        return killed

    def url(self, host: str) -> str:
        return f"https://{host}"

    def preview_url(self, host: str) -> str:
        """E2B serves every port of a sandbox itself, over HTTPS."""
        return f"https://{host}/"
