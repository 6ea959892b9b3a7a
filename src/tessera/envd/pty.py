"""Pseudo-terminals for envd's PTY processes (``sandbox.pty.create`` in the SDK).

A PTY process is an interactive shell whose stdin, stdout and stderr are the slave side of
a fresh pseudo-terminal, which is also its *controlling* terminal: that is what makes job
control, ``Ctrl+C`` (the line discipline turning ``\\x03`` into ``SIGINT`` for the
foreground group) and ``SIGWINCH`` on resize work as in a real terminal. The daemon keeps
the master side: what the shell prints is read from it, input is written to it.

A process acquires a controlling terminal by becoming a session leader and then calling
``ioctl(TIOCSCTTY)`` on the terminal. ``subprocess`` cannot do the second step without a
``preexec_fn`` (unsafe in a threaded, event-driven daemon), so the child runs through
util-linux's ``setsid --ctty``, which does both and then execs the command. Because the
child is spawned *inside* the daemon's process group (not as a group leader), ``setsid``
does not fork: the pid the daemon spawned stays the pid of the shell.
"""

from __future__ import annotations

import fcntl
import os
import struct
import termios

SETSID = "/usr/bin/setsid"

MAX_SIZE = 0xFFFF
"""Rows and columns are ``unsigned short`` in ``struct winsize``."""


def controlling_terminal_prefix() -> list[str]:
    """The argv prefix that makes the command a session leader whose controlling terminal
    is its stdin (the PTY's slave)."""
    return [SETSID, "--ctty", "--"]


def open_pty(cols: int, rows: int) -> tuple[int, int]:
    """A new pseudo-terminal of ``cols`` x ``rows``: ``(master, slave)`` file descriptors,
    both close-on-exec (the slave reaches the child only as its stdio)."""
    master, slave = os.openpty()
    try:
        set_size(master, cols, rows)
    except OSError:
        os.close(master)
        os.close(slave)
        raise
    return master, slave


def set_size(master: int, cols: int, rows: int) -> None:
    """Sets the terminal's size. The kernel itself sends ``SIGWINCH`` to the terminal's
    foreground process group when the size changes, which is how full-screen programs
    (and ``bash`` for ``$COLUMNS``) learn of it — nothing else needs signalling."""
    winsize = struct.pack("HHHH", _clamp(rows), _clamp(cols), 0, 0)
    fcntl.ioctl(master, termios.TIOCSWINSZ, winsize)


def get_size(fd: int) -> tuple[int, int]:
    """The terminal's ``(cols, rows)``."""
    packed = fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8)
    rows, cols, _, _ = struct.unpack("HHHH", packed)
    return cols, rows


def _clamp(value: int) -> int:
    return max(0, min(value, MAX_SIZE))
