"""Sandbox protocols, modelled on E2B's SDK so that the E2B provider is a thin adapter.

A ``SandboxProvider`` creates sandboxes from templates; a ``Sandbox`` has ``files``
(paths relative to the sandbox's project folder, or absolute inside the sandbox) and
``commands``. Ports a sandbox serves are reached at ``get_host(port)``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

OutputCallback = Callable[[str], Awaitable[None] | None]


@dataclass(frozen=True, slots=True)
class EntryInfo:
    name: str
    path: str
    """Relative to the sandbox's project folder, with forward slashes."""
    type: Literal["file", "dir"]
    size: int


@dataclass(frozen=True, slots=True)
class WriteEntry:
    path: str
    data: str | bytes


@dataclass(frozen=True, slots=True)
class CommandResult:
    stdout: str
    stderr: str
    exit_code: int


class CommandHandle(Protocol):
    """A background command."""

    pid: int

    @property
    def exit_code(self) -> int | None:
        """``None`` while running."""

    async def wait(self) -> CommandResult:
        """Wait for the end; raises ``CommandFailed`` on a non-zero exit."""

    async def kill(self) -> bool:
        """Kill the command and its children; False if it had already ended."""

    def output_tail(self, lines: int = 40) -> str:
        """The last lines of stdout and stderr, interleaved as they came."""


class Files(Protocol):
    async def write(self, path: str, data: str | bytes) -> EntryInfo: ...

    async def write_files(self, files: list[WriteEntry]) -> list[EntryInfo]: ...

    async def read(self, path: str) -> str: ...

    async def read_bytes(self, path: str) -> bytes: ...

    async def list(self, path: str = ".", depth: int = 1) -> list[EntryInfo]: ...

    async def exists(self, path: str) -> bool: ...

    async def remove(self, path: str) -> None: ...

    async def rename(self, old_path: str, new_path: str) -> EntryInfo: ...


class Commands(Protocol):
    async def run(
        self,
        cmd: str,
        *,
        background: bool = False,
        cwd: str | None = None,
        envs: Mapping[str, str] | None = None,
        on_stdout: OutputCallback | None = None,
        on_stderr: OutputCallback | None = None,
        timeout: float | None = 60.0,  # noqa: ASYNC109 (E2B's signature)
    ) -> CommandResult | CommandHandle:
        """Run ``cmd`` with ``bash -c`` in the project folder (or ``cwd``).

        Foreground: returns ``CommandResult``; raises ``CommandFailed`` on a non-zero exit
        and ``CommandTimeout`` past ``timeout`` seconds. Background: returns a
        ``CommandHandle`` at once; ``timeout`` None or 0 means no limit.
        """


class Sandbox(Protocol):
    sandbox_id: str
    template: str
    files: Files
    commands: Commands

    @property
    def metadata(self) -> Mapping[str, str]:
        """The ``metadata`` given to ``create`` (kept across ``connect``)."""

    def get_host(self, port: int) -> str:
        """Public host name serving ``port``: ``{port}-{sandbox_id}.{domain}``."""

    def upstream_url(self, port: int) -> str:
        """Where Tessera itself reaches ``port`` (readiness probes, the preview proxy): an
        HTTP origin, or ``unix:/path/to.sock`` for a sandbox reached through a unix socket
        (``sandbox/upstream.py`` reads both)."""

    def preview_url(self, port: int) -> str:
        """The page a browser loads to see what ``port`` serves: through Tessera's preview
        proxy (``http://{get_host(port)}/``), or straight from the provider (E2B serves
        ``https://{get_host(port)}/``)."""

    async def allocate_port(self, preferred: int) -> int:
        """The port a server in this sandbox should listen on.

        Sandboxes with their own network (isolated local ones, E2B's) return
        ``preferred``; a local sandbox sharing the host's network returns a free host port.
        """

    async def install(
        self,
        cmd: str,
        *,
        on_output: OutputCallback | None = None,
        timeout: float = 300.0,  # noqa: ASYNC109 (E2B's signature)
    ) -> CommandResult:
        """Runs the dependency install ``cmd`` (``npm install …``, ``pip install …``) in the
        project folder, with the package registries reachable (an isolated local sandbox
        has no network otherwise); its output lines go to ``on_output``. Raises
        ``CommandFailed`` or ``CommandTimeout`` as a foreground ``commands.run`` does."""

    async def is_running(self) -> bool: ...

    async def set_timeout(self, seconds: float) -> None: ...

    async def kill(self) -> None: ...


class Terminal(Protocol):
    """An interactive shell with a pseudo-terminal in a sandbox (``open_terminal``)."""

    @property
    def exit_code(self) -> int | None:
        """``None`` while the shell runs."""

    async def write(self, data: bytes) -> None:
        """Types ``data`` (keystrokes, pasted text); ignored once the shell has ended."""

    async def resize(self, cols: int, rows: int) -> None:
        """Sets the terminal's size (the shell gets ``SIGWINCH``)."""

    def read(self) -> AsyncIterator[bytes]:
        """The terminal's output as it comes, until the shell ends or ``close``. Buffering
        is bounded: a slow reader slows the shell's output down."""

    async def close(self) -> None:
        """Ends the shell and everything started from it; idempotent."""


@runtime_checkable
class TerminalSandbox(Protocol):
    """A sandbox that can open terminals (an optional capability of ``Sandbox``)."""

    async def open_terminal(
        self,
        *,
        cols: int,
        rows: int,
        cwd: str | None = None,
        envs: Mapping[str, str] | None = None,
    ) -> Terminal:
        """Starts an interactive shell (bash, else sh) with a ``cols`` x ``rows``
        pseudo-terminal in the project folder (or ``cwd`` inside it), isolated as the
        sandbox's other commands are, with ``envs`` added to its environment."""


class SandboxProvider(Protocol):
    name: str

    async def create(
        self,
        template: str,
        *,
        envs: Mapping[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (E2B's signature)
        metadata: Mapping[str, str] | None = None,
    ) -> Sandbox:
        """A new sandbox whose project folder holds the template's starter files."""

    async def connect(self, sandbox_id: str) -> Sandbox:
        """An existing sandbox; raises ``SandboxNotFound``."""

    async def list(self) -> list[Sandbox]: ...

    async def aclose(self) -> None:
        """Kill every sandbox this provider started in this process."""
