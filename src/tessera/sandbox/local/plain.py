"""Unisolated sandboxes (``TESSERA_SANDBOX_ISOLATION=none``): plain processes.

``bash -c CMD`` in the sandbox's folder (also its ``HOME``), in a session of its own, with a
cleared environment. Where ``setpriv`` exists the shell is also asked to die with Tessera's
event-loop thread, so a dev server does not outlive a crashed server. Servers listen on a
free port of the host's 127.0.0.1. Nothing else separates the sandbox from the machine:
only for trusted code, or machines where bubblewrap cannot run.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import shutil
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path

from tessera.sandbox.base import OutputCallback
from tessera.sandbox.local.isolation import host_path, sandbox_env, start
from tessera.sandbox.local.paths import resolve_inside
from tessera.sandbox.local.pty import PtyTerminal, open_host_pty, spawn_terminal
from tessera.sandbox.process import ManagedProcess
from tessera.sandbox.sessions import kill_processes_with_env

OWN_NODE_MODULES = (
    'if [ -L node_modules ]; then shared="$(readlink -f node_modules)" '
    '&& rm node_modules && cp -a "$shared" node_modules; fi'
)
"""A dependency folder shared through a symlink is copied before anything is installed into
it, so that an install never changes the shared cache."""


@functools.cache
def _die_with_parent() -> tuple[str, ...]:
    setpriv = shutil.which("setpriv")
    return (setpriv, "--pdeathsig", "KILL", "--") if setpriv else ()


class PlainRuntime:
    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._ports: set[int] = set()

    def env(self, *layers: Mapping[str, str] | None) -> dict[str, str]:
        return sandbox_env(str(self._folder), host_path(), *layers)

    async def run(
        self,
        cmd: str,
        *,
        workdir: str,
        env: Mapping[str, str],
        on_stdout: OutputCallback | None,
        on_stderr: OutputCallback | None,
        timeout: float | None,  # noqa: ASYNC109 (E2B's signature)
    ) -> ManagedProcess:
        cwd = resolve_inside(self._folder, workdir)
        process = await start([*_die_with_parent(), "bash", "-c", cmd], cwd=cwd, env=env)
        return ManagedProcess(
            process, cmd=cmd, on_stdout=on_stdout, on_stderr=on_stderr, timeout=timeout
        )

    async def install(
        self,
        cmd: str,
        *,
        env: Mapping[str, str],
        on_output: OutputCallback | None,
        timeout: float | None,  # noqa: ASYNC109 (E2B's signature)
    ) -> ManagedProcess:
        return await self.run(
            f"{OWN_NODE_MODULES} && {cmd}",
            workdir=".",
            env=env,
            on_stdout=on_output,
            on_stderr=on_output,
            timeout=timeout,
        )

    async def open_terminal(
        self,
        argv: Sequence[str],
        *,
        workdir: str,
        env: Mapping[str, str],
        cols: int,
        rows: int,
    ) -> PtyTerminal:
        cwd = resolve_inside(self._folder, workdir)
        return await spawn_terminal(
            [*_die_with_parent(), *argv],
            pty=open_host_pty(),
            cwd=cwd,
            env=env,
            cols=cols,
            rows=rows,
        )

    def upstream_url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}"

    async def allocate_port(self, preferred: int) -> int:
        """A free port on 127.0.0.1. ``preferred`` is honoured only when this sandbox was
        given it before and it is free again (a restarted server keeps its address);
        otherwise the system picks one."""
        if preferred in self._ports and is_free(preferred):
            return preferred
        port = free_port()
        self._ports.add(port)
        return port

    def shared_dependencies(self) -> Mapping[str, Path]:
        return {}

    def file_owner(self) -> tuple[int, int] | None:
        return None

    async def end_all(self, handles: Sequence[ManagedProcess]) -> None:
        await asyncio.gather(*(handle.kill() for handle in handles))
        # Processes that left their session are still known by their HOME.
        await kill_processes_with_env("HOME", str(self._folder))

    async def remove(self) -> None:
        return None


def free_port() -> int:
    """A port of 127.0.0.1 nothing listens on now (the system picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Servers (node included) set SO_REUSEADDR, so a port in TIME_WAIT is free for them.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(OSError):
            sock.bind(("127.0.0.1", port))
            return True
    return False
