"""The namespaces of one isolated sandbox, held by its first process.

Bubblewrap builds the sandbox (mounts, pid, ipc, uts and network namespaces) around one
process, the forwarder (``bridge.py``), running as the sandbox's user. Every command of the
sandbox then enters those namespaces with ``nsenter`` (as root, dropping to the sandbox's
user before anything of the sandbox runs), so all of them share one ``/tmp``, one process
tree and one ``127.0.0.1``: a dev server started by one command is reachable from the
next, and from Tessera through the forwarder.

Killing the first process of the pid namespace (bubblewrap's init, ``init_pid``) ends
every process in it at once; bubblewrap dies with Tessera (``--die-with-parent``), so
a sandbox never outlives the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
from collections.abc import Sequence
from pathlib import Path

from tessera.errors import SandboxError
from tessera.sandbox.local.layout import BRIDGE, PYTHON, drop_privileges
from tessera.sandbox.local.users import SandboxUser
from tessera.sandbox.process import ManagedProcess

START_TIMEOUT_SECONDS = 10.0
_CONTROL_TIMEOUT_SECONDS = 5.0
_NSENTER = "/usr/bin/nsenter"
_ENV = "/usr/bin/env"


class Control:
    """Tessera's end of the forwarder's control channel (requests are serialised)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._lock = asyncio.Lock()

    async def request(self, text: str, fds: Sequence[int] = ()) -> str:
        async with self._lock:
            return await asyncio.to_thread(self._exchange, text, list(fds))

    def _exchange(self, text: str, fds: list[int]) -> str:
        self._sock.settimeout(_CONTROL_TIMEOUT_SECONDS)
        try:
            socket.send_fds(self._sock, [text.encode()], fds)
            answer = self._sock.recv(256)
        except OSError as exc:
            raise SandboxError(
                f"The sandbox's forwarder did not answer ({exc}); stop the sandbox and start "
                "it again."
            ) from None
        if not answer:
            raise SandboxError("The sandbox's forwarder has stopped; deploy again to restart it.")
        return answer.decode(errors="replace")

    def close(self) -> None:
        self._sock.close()


class Namespace:
    """A running sandbox: its first process and the way into it."""

    def __init__(
        self, process: ManagedProcess, *, init_pid: int, control: Control, user: SandboxUser
    ) -> None:
        self.process = process
        self.init_pid = init_pid
        self.control = control
        self.user = user

    @property
    def alive(self) -> bool:
        return self.process.exit_code is None

    def enter(self, workdir: str, *, privileges: Sequence[str] | None = None) -> list[str]:
        """The command prefix that runs a program inside, as the sandbox's user (or with
        ``privileges``, a ``setpriv`` prefix of its own), in ``workdir`` (a path inside the
        sandbox)."""
        namespaces = ["-m", "-u", "-i", "-n", "-p"]
        if not self.user.dedicated:  # built in a user namespace of Tessera's user
            namespaces = ["-U", "--preserve-credentials", *namespaces]
        elif Path(f"/proc/{self.init_pid}/ns/cgroup").exists():
            namespaces.append("-C")
        return [
            _NSENTER,
            "-t",
            str(self.init_pid),
            *namespaces,
            "-r",
            "-w",
            "--",
            *(drop_privileges(self.user) if privileges is None else privileges),
            _ENV,
            "-C",
            workdir,
            "--",
        ]

    def admin(self) -> list[str]:
        """The command prefix that runs a program as root in the sandbox's mount namespace
        (only Tessera's own maintenance: never anything of the sandbox)."""
        return [_NSENTER, "-t", str(self.init_pid), "-m", "--"]

    async def listen(self, port: int, listener: socket.socket) -> None:
        """Hands ``listener`` (a listening unix socket) to the forwarder, which relays its
        connections to ``127.0.0.1:port`` inside."""
        answer = await self.control.request(f"listen {port}", [listener.fileno()])
        if answer != f"ok {port}":
            raise SandboxError(f"The sandbox's forwarder refused port {port}: {answer}")

    async def kill(self) -> None:
        """Ends every process of the sandbox (the pid namespace goes with its init)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self.init_pid, signal.SIGKILL)
        self.control.close()
        await self.process.kill()


def bridge_command(user: SandboxUser, control_fd: int) -> list[str]:
    """The forwarder's command line inside the sandbox."""
    return [*drop_privileges(user), PYTHON, "-I", "-S", BRIDGE, str(control_fd)]


async def read_info(fd: int, process: ManagedProcess) -> int:
    """The host pid of the sandbox's init, from bubblewrap's ``--info-fd`` (read end;
    closed here). Bubblewrap writes it once the namespaces exist and then closes its end;
    a bubblewrap that fails closes it with nothing written."""
    reading = asyncio.ensure_future(asyncio.to_thread(_read_to_end, fd))
    try:
        data = await asyncio.wait_for(asyncio.shield(reading), START_TIMEOUT_SECONDS)
    except TimeoutError:
        await process.kill()  # its end of the pipe closes: the read returns
        data = await reading
    try:
        pid = json.loads(data)["child-pid"]
    except (ValueError, KeyError, TypeError):
        await process.kill()
        raise SandboxError(
            "The sandbox could not be started by bubblewrap: "
            f"{process.output_tail(5).strip() or 'no output'}. Run `tessera doctor`."
        ) from None
    return int(pid)


def _read_to_end(fd: int) -> bytes:
    chunks: list[bytes] = []
    try:
        while chunk := os.read(fd, 4096):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


async def wait_ready(control: Control, process: ManagedProcess) -> None:
    """Waits until the forwarder answers (the sandbox is fully built by then)."""
    try:
        answer = await control.request("ping")
    except SandboxError:
        answer = ""
    if answer != "pong":
        await process.kill()
        raise SandboxError(
            f"The sandbox's forwarder did not start (exit code {process.exit_code}): "
            f"{process.output_tail(5).strip() or 'no output'}. Check that {PYTHON} exists."
        )
