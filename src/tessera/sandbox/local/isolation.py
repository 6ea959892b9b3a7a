"""How a local sandbox's processes are started: the one place every one of them starts.

A local sandbox runs its commands through a ``SandboxRuntime``:

- ``isolated.IsolatedRuntime`` (``bubblewrap``, the default): every process runs inside
  the sandbox's namespaces as an unprivileged user, under memory, process, CPU and disk
  limits, with no network (see ``isolated`` and ``layout``);
- ``plain.PlainRuntime`` (``none``, for machines where bubblewrap cannot run): plain
  processes in the sandbox's folder, with a cleared environment only.

Both start processes with ``start`` below, in a session of their own and with exactly the
environment given (no host variables, hence no API keys).
"""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from tessera.config import Settings
from tessera.sandbox.base import OutputCallback
from tessera.sandbox.local.cgroups import DEFAULT_PARENT
from tessera.sandbox.local.limits import MIB, SandboxLimits
from tessera.sandbox.local.pty import PtyTerminal
from tessera.sandbox.local.users import DEFAULT_USER
from tessera.sandbox.process import ManagedProcess, spawn

LANG = "C.UTF-8"
IsolationMode = Literal["bubblewrap", "none"]
NETWORK_KEY = "network"
"""Sandbox metadata: ``{"network": "allow"}`` gives the sandbox the host's network."""

_SYSTEM_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
_QUIET_TOOLS = {"npm_config_update_notifier": "false"}


@dataclass(frozen=True, slots=True)
class Isolation:
    """How a local provider isolates its sandboxes.

    ``check_interval`` and ``disk_interval`` pace the watch of limits the kernel does not
    enforce by itself (see ``monitor``); ``cgroup_parent`` names the control group all
    sandboxes' groups go under; ``socket_dir`` holds the sockets Tessera reaches sandbox
    servers through (default ``/run/tessera`` as root).
    """

    mode: IsolationMode = "bubblewrap"
    limits: SandboxLimits = field(default_factory=SandboxLimits)
    user: str = DEFAULT_USER
    cgroup_parent: str = DEFAULT_PARENT
    socket_dir: Path | None = None
    check_interval: float = 0.25
    disk_interval: float = 2.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Isolation:
        return cls(
            mode=settings.sandbox_isolation,
            limits=SandboxLimits(
                memory_bytes=settings.sandbox_memory_mb * MIB,
                processes=settings.sandbox_max_processes,
                cpus=settings.sandbox_cpus,
                disk_bytes=settings.sandbox_disk_mb * MIB,
            ),
            user=settings.sandbox_user,
        )


class SandboxRuntime(Protocol):
    """The processes side of one local sandbox."""

    def env(self, *layers: Mapping[str, str] | None) -> dict[str, str]:
        """The whole environment of a process of the sandbox, ``layers`` last."""

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
        """Starts ``bash -c cmd`` in ``workdir`` (relative to the project folder)."""

    async def install(
        self,
        cmd: str,
        *,
        env: Mapping[str, str],
        on_output: OutputCallback | None,
        timeout: float | None,  # noqa: ASYNC109 (E2B's signature)
    ) -> ManagedProcess:
        """Starts a dependency install (``bash -c cmd`` with the registries reachable)."""

    async def open_terminal(
        self,
        argv: Sequence[str],
        *,
        workdir: str,
        env: Mapping[str, str],
        cols: int,
        rows: int,
    ) -> PtyTerminal:
        """Starts ``argv`` in ``workdir`` as the sandbox's other commands are started, with
        a pseudo-terminal as its controlling terminal (see ``pty``)."""

    def upstream_url(self, port: int) -> str: ...

    async def allocate_port(self, preferred: int) -> int: ...

    def shared_dependencies(self) -> Mapping[str, Path]:
        """Project path → cached folder the sandbox sees read-only in its place."""

    def file_owner(self) -> tuple[int, int] | None:
        """(uid, gid) files written for the sandbox must belong to; None: Tessera's."""

    async def end_all(self, handles: Sequence[ManagedProcess]) -> None:
        """Ends every process of the sandbox, ``handles`` (its commands) included."""

    async def remove(self) -> None:
        """Releases what the sandbox holds outside its folder (after ``end_all``)."""


@functools.cache
def host_path() -> str:
    """``PATH`` of unisolated sandboxes: the system folders plus wherever node and npm
    live."""
    folders: list[str] = []
    for tool in ("node", "npm", "bash"):
        found = shutil.which(tool)
        if found:
            folders.append(str(Path(found).parent))
    folders.extend(_SYSTEM_PATH)
    return os.pathsep.join(dict.fromkeys(folders))


def sandbox_env(home: str, path: str, *layers: Mapping[str, str] | None) -> dict[str, str]:
    """The whole environment of a sandbox process: PATH, HOME, LANG, then ``layers``."""
    env = {"PATH": path, "HOME": home, "LANG": LANG, **_QUIET_TOOLS}
    for layer in layers:
        if layer:
            env.update(layer)
    return env


async def start(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    pass_fds: Sequence[int] = (),
) -> asyncio.subprocess.Process:
    """Starts one process of a sandbox (every runtime starts its processes here)."""
    return await spawn(argv, cwd=cwd, env=env, pass_fds=pass_fds)
