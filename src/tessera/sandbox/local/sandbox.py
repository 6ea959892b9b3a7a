"""One local sandbox: a folder on the host, its processes, and the ports they serve."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tessera.sandbox.base import CommandResult, Commands, Files, OutputCallback, Terminal
from tessera.sandbox.local.commands import LocalCommands
from tessera.sandbox.local.files import LocalFiles
from tessera.sandbox.local.isolation import SandboxRuntime

INSTALL_TIMEOUT_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class SandboxRecord:
    """What is kept on disk about a sandbox (``{root}/{sandbox_id}.json``)."""

    sandbox_id: str
    template: str
    created_at: str
    metadata: dict[str, str] = field(default_factory=dict)
    envs: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "sandbox_id": self.sandbox_id,
            "template": self.template,
            "created_at": self.created_at,
            "metadata": self.metadata,
            "envs": self.envs,
        }


RuntimeFactory = Callable[["LocalSandbox"], SandboxRuntime]


class LocalSandbox:
    """A sandbox of the ``local`` provider.

    ``is_running()`` is True while the sandbox exists (its folder and record are there)
    and it has not been killed — after a server restart too, when its processes are gone.
    Whether processes run in it is ``running_processes()``. Its processes run through its
    ``runtime`` (isolated or plain, see ``isolation``).
    """

    def __init__(
        self,
        record: SandboxRecord,
        *,
        folder: Path,
        record_path: Path,
        preview_domain: str,
        runtime: RuntimeFactory,
        on_killed: Callable[[LocalSandbox], None],
    ) -> None:
        self.sandbox_id = record.sandbox_id
        self.template = record.template
        self.created_at = record.created_at
        self.folder = folder
        self.runtime = runtime(self)
        self._commands = LocalCommands(folder, self.runtime, record.envs)
        self.files: Files = LocalFiles(
            folder, owner=self.runtime.file_owner(), shared=self.runtime.shared_dependencies
        )
        self.commands: Commands = self._commands
        self._metadata = dict(record.metadata)
        self._record_path = record_path
        self._preview_domain = preview_domain
        self._on_killed = on_killed
        self._killed = False
        self._killing: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._expiry: asyncio.Task[None] | None = None

    @property
    def metadata(self) -> Mapping[str, str]:
        return dict(self._metadata)

    def get_host(self, port: int) -> str:
        return f"{port}-{self.sandbox_id}.{self._preview_domain}"

    def upstream_url(self, port: int) -> str:
        """``http://127.0.0.1:PORT`` for a sandbox on the host's network, else the unix
        socket Tessera reaches the sandbox's ``127.0.0.1:PORT`` through."""
        return self.runtime.upstream_url(port)

    def preview_url(self, port: int) -> str:
        """Served by Tessera's preview proxy, which routes by host name."""
        return f"http://{self.get_host(port)}/"

    async def allocate_port(self, preferred: int) -> int:
        """``preferred`` in a sandbox with a network of its own; on the host's network a free
        port (``preferred`` when this sandbox was given it before and it is free again)."""
        return await self.runtime.allocate_port(preferred)

    async def install(
        self,
        cmd: str,
        *,
        on_output: OutputCallback | None = None,
        timeout: float | None = INSTALL_TIMEOUT_SECONDS,  # noqa: ASYNC109 (E2B's signature)
    ) -> CommandResult:
        """Runs the dependency install ``cmd`` in the project folder, with the package
        registries reachable (as no other command of an isolated sandbox has them); raises
        ``CommandFailed`` or ``CommandTimeout`` as ``commands.run`` does."""
        return await self._commands.install(cmd, on_output=on_output, timeout=timeout)

    async def open_terminal(
        self,
        *,
        cols: int,
        rows: int,
        cwd: str | None = None,
        envs: Mapping[str, str] | None = None,
    ) -> Terminal:
        """An interactive shell (bash, else sh) with a pseudo-terminal in the project folder
        (or ``cwd`` inside it), isolated as the sandbox's commands are."""
        return await self._commands.open_terminal(cols=cols, rows=rows, cwd=cwd, envs=envs)

    async def is_running(self) -> bool:
        if self._killed:
            return False
        return await asyncio.to_thread(lambda: self._record_path.exists() and self.folder.is_dir())

    async def set_timeout(self, seconds: float) -> None:
        """Kills the sandbox ``seconds`` from now (replacing an earlier timeout); 0 or less
        removes the timeout."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if seconds > 0 and not self._killed:
            self._timer = asyncio.get_running_loop().call_later(seconds, self._expire)

    def _expire(self) -> None:
        self._timer = None
        self._expiry = asyncio.create_task(self.kill())

    async def kill(self) -> None:
        """Ends every process, then removes the folder and the record. A second call waits
        for the first one's end."""
        if self._killing is None:
            self._killed = True
            self._killing = asyncio.ensure_future(self._kill())
        await asyncio.shield(self._killing)

    async def _kill(self) -> None:
        await self.set_timeout(0)
        self._on_killed(self)
        await self._commands.kill_all()
        await self.runtime.remove()
        await asyncio.to_thread(self._remove)

    def running_processes(self) -> list[int]:
        """Pids of the commands started through this object that have not ended."""
        return [process.pid for process in self._commands.running()]

    async def stop_processes(self, reason: str | None = None) -> None:
        """Ends every process of the sandbox; the folder stays (``connect`` finds it again).
        ``reason`` is added to the output of the commands still running."""
        await self.set_timeout(0)
        await self._commands.kill_all(reason)
        await self.runtime.remove()

    async def stop_for_limit(self, reason: str) -> None:
        """Ends every process of the sandbox because it went past a limit (``reason``, a
        sentence for the user, ends the output of each command that was running)."""
        await self._commands.kill_all(reason)

    def _remove(self) -> None:
        self._record_path.unlink(missing_ok=True)
        shutil.rmtree(self.folder, ignore_errors=True)
