"""Pseudo-terminals of local sandboxes: an interactive shell a person types into.

A terminal's shell is started like every other process of its sandbox (the same wrapper:
control groups, limits, namespaces, unprivileged user, cleared environment), with two
differences: the slave side of a pseudo-terminal is its stdin, stdout and stderr, and
``setsid --ctty`` makes it the controlling terminal of a new session (so the shell has
job control, and everything started from it is found by that session when the terminal
is closed). Tessera keeps the master side: output is read when the event loop says the
master is readable (never a blocking read on the loop), keystrokes are written to it, and
``TIOCSWINSZ`` on it resizes the terminal (the kernel sends ``SIGWINCH`` to the shell).

An isolated sandbox's terminal is allocated in the sandbox's own ``devpts`` (its
``/dev/pts``, reached through ``/proc/{init}/root``), so ``tty`` inside names a device the
sandbox can see; unisolated sandboxes, and isolated ones where that fails, get one of the
host's.

Output waits in a bounded buffer: past ``BUFFER_LIMIT`` bytes not yet taken by ``read``,
Tessera stops reading the master, the kernel's terminal buffer fills up and the shell's
writes block until the reader catches up (a slow browser slows ``yes`` down instead of
filling Tessera's memory).
"""

from __future__ import annotations

import asyncio
import fcntl
import functools
import logging
import os
import shutil
import stat
import struct
import termios
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

from tessera.errors import SandboxError
from tessera.sandbox.sessions import terminate_session

log = logging.getLogger(__name__)

BUFFER_LIMIT = 256 * 1024
"""Bytes of output waiting for ``read`` past which the master is no longer read."""

READ_SIZE = 64 * 1024
EXIT_WAIT_SECONDS = 1.0
"""Once the terminal has hung up, how long ``read`` waits for the shell's exit code."""
HANGUP_GRACE_SECONDS = 1.0
"""After the terminal hangs up, how long its processes get before SIGKILL."""

# The generic Linux ioctl numbers (x86, arm): Python's termios does not define these.
_TIOCSPTLCK = 0x40045431
"""``unlockpt``: allow the slave side to be opened."""
_TIOCGPTPEER = 0x5441
"""Open the slave side of a master without looking its name up (Linux 4.13)."""
_PTMX_MAJOR = 5

Pty = tuple[int, int]
"""(master fd, slave fd)."""

SHELL = ("/bin/sh", "-c", "command -v bash >/dev/null 2>&1 && exec bash -i; exec sh -i")
"""A terminal's shell: bash where the sandbox has it, else sh."""

SHELL_ENV = {"TERM": "xterm-256color", "PS1": "\\w \\$ "}
"""What a terminal's shell gets besides the sandbox's environment (a prompt naming the
folder: ``~/app $``)."""


@functools.cache
def _setsid() -> str:
    found = shutil.which("setsid", path="/usr/bin:/bin")
    if found is None:
        raise SandboxError(
            "Terminals need `setsid` (util-linux), which is missing; install util-linux."
        )
    return found


def open_host_pty() -> Pty:
    """A pseudo-terminal of the host's ``/dev/pts``."""
    return os.openpty()


def open_pty_under(root: Path, owner: tuple[int, int] | None) -> Pty:
    """A pseudo-terminal of the ``devpts`` at ``{root}/dev/pts`` (a sandbox's, through
    ``/proc/{init}/root``), its slave side given to ``owner`` (uid, gid) when set. Blocking.

    The node opened must be a ``ptmx`` character device (a sandbox cannot make Tessera open
    something else there).
    """
    flags = os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOFOLLOW
    master = os.open(root / "dev" / "pts" / "ptmx", flags)
    try:
        info = os.fstat(master)
        if not stat.S_ISCHR(info.st_mode) or os.major(info.st_rdev) != _PTMX_MAJOR:
            raise OSError(f"{root}/dev/pts/ptmx is not a terminal multiplexer")
        fcntl.ioctl(master, _TIOCSPTLCK, struct.pack("i", 0))
        slave = fcntl.ioctl(master, _TIOCGPTPEER, os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
        try:
            if owner is not None:
                os.fchown(slave, *owner)
        except BaseException:
            os.close(slave)
            raise
    except BaseException:
        os.close(master)
        raise
    return master, slave


def set_window_size(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def window_size(fd: int) -> tuple[int, int]:
    """(cols, rows) of the terminal of ``fd``."""
    rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, bytes(8)))
    return cols, rows


async def spawn_terminal(
    argv: Sequence[str],
    *,
    pty: Pty,
    cwd: Path,
    env: Mapping[str, str],
    cols: int,
    rows: int,
) -> PtyTerminal:
    """Starts ``argv`` in a new session whose controlling terminal is ``pty`` (taken over:
    both sides are closed here or by the terminal), with exactly ``env``."""
    master, slave = pty
    try:
        set_window_size(slave, cols, rows)
        # Not a process group leader (no start_new_session), so ``setsid`` needs no fork:
        # the pid started here leads the terminal's session.
        process = await asyncio.create_subprocess_exec(
            _setsid(),
            "--ctty",
            *argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env=dict(env),
        )
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    return PtyTerminal(master, process)


class PtyTerminal:
    """A process with a pseudo-terminal (implements ``tessera.sandbox.base.Terminal``).

    ``read`` yields output until the process has exited (and its last output was read) or
    the terminal is closed; ``close`` hangs the terminal up and ends the process's whole
    session.
    """

    def __init__(self, master: int, process: asyncio.subprocess.Process) -> None:
        self.pid = process.pid
        self._master = master
        self._process = process
        self._loop = asyncio.get_running_loop()
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._available = asyncio.Event()
        self._ended = False
        self._reading = False
        self._closed = False
        self._closing: asyncio.Future[None] | None = None
        self._write_ready: asyncio.Future[None] | None = None
        self._writing = asyncio.Lock()
        os.set_blocking(master, False)
        self._resume_reading()
        self._exit = asyncio.ensure_future(self._follow_exit())

    @property
    def exit_code(self) -> int | None:
        """``None`` while running; a negative number is the signal that ended it."""
        return self._process.returncode

    async def write(self, data: bytes) -> None:
        """Types ``data``; waits while the terminal's input buffer is full. Ignored once
        the terminal has ended."""
        view = memoryview(data)
        async with self._writing:
            while view and not self._closed:
                try:
                    written = os.write(self._master, view)
                except BlockingIOError:
                    await self._writable()
                    continue
                except OSError:
                    return  # hung up: nobody reads the input anymore
                view = view[written:]

    async def resize(self, cols: int, rows: int) -> None:
        if not self._closed:
            set_window_size(self._master, cols, rows)

    async def read(self) -> AsyncIterator[bytes]:
        """Output as it comes: everything waiting at once, in one chunk."""
        while True:
            if self._chunks:
                data = b"".join(self._chunks)
                self._chunks.clear()
                self._buffered = 0
                if not self._ended:
                    self._resume_reading()
                yield data
                continue
            if self._ended:
                # Hung up (EIO): the shell is exiting; its exit code comes with the end.
                await asyncio.wait({self._exit}, timeout=EXIT_WAIT_SECONDS)
                return
            self._available.clear()
            await self._available.wait()

    async def close(self) -> None:
        """Hangs the terminal up (SIGHUP to the shell) and ends every process of its
        session. A second call waits for the first one's end."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close())
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        self._closed = True
        self._pause_reading()
        self._loop.remove_writer(self._master)
        if self._write_ready is not None and not self._write_ready.done():
            self._write_ready.set_result(None)  # the writer sees the terminal closed
        os.close(self._master)
        self._end()
        await terminate_session(self.pid, grace=HANGUP_GRACE_SECONDS)
        await asyncio.wait({self._exit}, timeout=EXIT_WAIT_SECONDS)

    # --- reading --------------------------------------------------------------------------
    def _resume_reading(self) -> None:
        if not self._reading and not self._closed:
            self._loop.add_reader(self._master, self._read_available)
            self._reading = True

    def _pause_reading(self) -> None:
        if self._reading:
            self._loop.remove_reader(self._master)
            self._reading = False

    def _read_available(self) -> None:
        """Reads once (the loop calls again while more is there)."""
        try:
            data = os.read(self._master, READ_SIZE)
        except BlockingIOError:
            return
        except OSError:  # EIO: no process holds the slave side anymore
            data = b""
        if not data:
            self._end()
            return
        self._chunks.append(data)
        self._buffered += len(data)
        self._available.set()
        if self._buffered >= BUFFER_LIMIT:
            self._pause_reading()

    def _drain(self) -> None:
        """Reads what the terminal holds now (the output of a process that has exited)."""
        for _ in range(BUFFER_LIMIT // READ_SIZE + 1):
            try:
                data = os.read(self._master, READ_SIZE)
            except OSError:
                return
            if not data:
                return
            self._chunks.append(data)
            self._buffered += len(data)

    def _end(self) -> None:
        self._pause_reading()
        self._ended = True
        self._available.set()

    async def _follow_exit(self) -> None:
        """The shell has exited: what it wrote is in the terminal already, so the output
        ends there even while a background process still holds the terminal open."""
        await self._process.wait()
        if not self._closed and not self._ended:
            self._drain()
            self._end()

    async def _writable(self) -> None:
        """Waits until the terminal takes input again (or is closed)."""
        ready: asyncio.Future[None] = self._loop.create_future()
        self._write_ready = ready

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        self._loop.add_writer(self._master, wake)
        try:
            await ready
        finally:
            self._write_ready = None
            if not self._closed:
                self._loop.remove_writer(self._master)


__all__ = [
    "BUFFER_LIMIT",
    "SHELL",
    "SHELL_ENV",
    "Pty",
    "PtyTerminal",
    "open_host_pty",
    "open_pty_under",
    "set_window_size",
    "spawn_terminal",
    "window_size",
]
