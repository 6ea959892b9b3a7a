"""One local sandbox: a folder on the host, its processes, and the ports they serve."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tessera.sandbox.base import Commands, Files
from tessera.sandbox.local.commands import LocalCommands
from tessera.sandbox.local.files import LocalFiles
from tessera.sandbox.sessions import kill_processes_with_env


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


class LocalSandbox:
    """A sandbox of the ``local`` provider.

    ``is_running()`` is True while the sandbox exists (its folder and record are there)
    and it has not been killed — after a server restart too, when its processes are gone.
    Whether processes run in it is ``running_processes()``.
    """

    def __init__(
        self,
        record: SandboxRecord,
        *,
        folder: Path,
        record_path: Path,
        preview_domain: str,
        on_killed: Callable[[LocalSandbox], None],
    ) -> None:
        self.sandbox_id = record.sandbox_id
        self.template = record.template
        self.created_at = record.created_at
        self.folder = folder
        self._commands = LocalCommands(folder, record.envs)
        self.files: Files = LocalFiles(folder)
        self.commands: Commands = self._commands
        self._metadata = dict(record.metadata)
        self._record_path = record_path
        self._preview_domain = preview_domain
        self._on_killed = on_killed
        self._killed = False
        self._ports: set[int] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._expiry: asyncio.Task[None] | None = None

    @property
    def metadata(self) -> Mapping[str, str]:
        return dict(self._metadata)

    def get_host(self, port: int) -> str:
        return f"{port}-{self.sandbox_id}.{self._preview_domain}"

    def upstream_url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}"

    async def allocate_port(self, preferred: int) -> int:
        """A free port on 127.0.0.1. ``preferred`` is honoured only when this sandbox was
        given it before and it is free again (a restarted server keeps its address);
        otherwise the system picks one."""
        if preferred in self._ports and _is_free(preferred):
            return preferred
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        self._ports.add(port)
        return port

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
        """Ends every process, then removes the folder and the record."""
        if self._killed:
            return
        self._killed = True
        await self.set_timeout(0)
        self._on_killed(self)
        await self._end_processes()
        await asyncio.to_thread(self._remove)

    def running_processes(self) -> list[int]:
        """Pids of the commands started through this object that have not ended."""
        return [process.pid for process in self._commands.running()]

    async def stop_processes(self) -> None:
        """Ends every process started here; the folder stays (``connect`` finds it again)."""
        await self.set_timeout(0)
        await self._end_processes()

    async def _end_processes(self) -> None:
        await self._commands.kill_all()
        # Processes that left their session are still known by their HOME.
        await kill_processes_with_env("HOME", str(self.folder))

    def _remove(self) -> None:
        self._record_path.unlink(missing_ok=True)
        shutil.rmtree(self.folder, ignore_errors=True)


def _is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Servers (node included) set SO_REUSEADDR, so a port in TIME_WAIT is free for them.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(OSError):
            sock.bind(("127.0.0.1", port))
            return True
    return False
