"""Terminals into projects' sandboxes: a shell the user types into from the workspace.

``TerminalService.open`` brings the project's sandbox up the way an edit does — created,
or resumed when paused, with the project's files from the store — without waiting for the
app's server (a terminal is most useful when the app does not start), then opens an
interactive shell there with a pseudo-terminal, in the project folder, isolated as the
sandbox's other commands are. Typing counts as activity of the project, so a terminal in
use keeps its sandbox from being paused as idle. Files changed from the terminal stay in
the sandbox: the store, not the sandbox, holds the project.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from tessera.errors import DevServerFailed, InvalidInput, SandboxError
from tessera.lockfiles import keep_lockfiles
from tessera.sandbox.base import Sandbox, Terminal, TerminalSandbox
from tessera.sandbox.manager import SandboxManager
from tessera.store import Store

MAX_COLS = 1000
MAX_ROWS = 500
TERMINAL_ENV = {"TERM": "xterm-256color"}


class TerminalUnavailable(SandboxError):
    """The sandbox provider has no terminals."""

    status_code = 501
    code = "terminal_unavailable"


@dataclass(frozen=True, slots=True)
class TerminalSize:
    cols: int
    rows: int

    @classmethod
    def checked(cls, cols: int, rows: int) -> TerminalSize:
        """Raises ``InvalidInput`` unless 1 <= cols <= 1000 and 1 <= rows <= 500."""
        if not (1 <= cols <= MAX_COLS and 1 <= rows <= MAX_ROWS):
            raise InvalidInput(
                f"A terminal of {cols}x{rows} characters cannot be opened; use 1 to "
                f"{MAX_COLS} columns and 1 to {MAX_ROWS} rows."
            )
        return cls(cols, rows)


class ProjectTerminal:
    """A shell in a project's sandbox (implements ``Terminal``); typing records activity."""

    def __init__(self, terminal: Terminal, *, on_input: Callable[[], None]) -> None:
        self._terminal = terminal
        self._on_input = on_input

    @property
    def exit_code(self) -> int | None:
        return self._terminal.exit_code

    async def write(self, data: bytes) -> None:
        self._on_input()
        await self._terminal.write(data)

    async def resize(self, cols: int, rows: int) -> None:
        size = TerminalSize.checked(cols, rows)
        await self._terminal.resize(size.cols, size.rows)

    def read(self) -> AsyncIterator[bytes]:
        return self._terminal.read()

    async def close(self) -> None:
        await self._terminal.close()


class TerminalService:
    def __init__(self, *, store: Store, sandboxes: SandboxManager) -> None:
        self._store = store
        self._sandboxes = sandboxes

    async def open(self, project_id: str, *, cols: int = 80, rows: int = 24) -> ProjectTerminal:
        """A new shell in the project's sandbox (started or resumed first). Raises
        ``ProjectNotFound``, ``InvalidInput`` for an impossible size, ``TerminalUnavailable``
        when the sandbox provider has no terminals, ``SandboxError`` when the sandbox
        cannot be started."""
        size = TerminalSize.checked(cols, rows)
        await self._store.get_project(project_id)
        sandbox = await self._sandbox(project_id)
        if not isinstance(sandbox, TerminalSandbox):
            raise TerminalUnavailable(
                "This server's sandboxes have no terminal; use the local or the E2B sandbox "
                "provider (TESSERA_SANDBOX) to open one."
            )
        terminal = await sandbox.open_terminal(cols=size.cols, rows=size.rows, envs=TERMINAL_ENV)
        return ProjectTerminal(terminal, on_input=lambda: self._sandboxes.touch(project_id))

    async def _sandbox(self, project_id: str) -> Sandbox:
        files = await self._store.read_files(project_id)
        try:
            deployment = await self._sandboxes.deploy(project_id, files, wait=False)
        except DevServerFailed:
            # The app does not start (or its dependencies did not install): its sandbox is
            # there all the same, and a terminal is how one finds out why.
            current = await self._sandboxes.status(project_id)
            if current is None:
                raise
            deployment = current
        else:
            await keep_lockfiles(self._store, project_id, deployment)
        return await self._sandboxes.provider.connect(deployment.sandbox_id)


__all__ = [
    "ProjectTerminal",
    "TerminalService",
    "TerminalSize",
    "TerminalUnavailable",
]
