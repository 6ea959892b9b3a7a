"""Ending every process of a session.

Each command starts in a session of its own (its pid is the session id), so everything it
forks — including children that moved to another process group — is found through
``/proc`` by session id and signalled one by one. Zombies count as gone: they hold no
resources and may never be reaped when the machine's init does not reap orphans.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

_POLL_SECONDS = 0.05
_KILL_WAIT_SECONDS = 5.0

_PROC = Path("/proc")


def session_members(sid: int) -> list[int]:
    """Pids of the live (non-zombie) processes in session ``sid``."""
    members: list[int] = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp session ..."; comm may contain spaces and parentheses.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) < 4 or fields[0] in ("Z", "X"):
            continue
        if int(fields[3]) == sid:
            members.append(int(entry.name))
    return members


def processes_with_env(name: str, value: str) -> list[int]:
    """Pids of live processes started with ``name=value`` in their environment.

    Catches processes that left their session (``setsid``): a sandbox's processes all
    start with the sandbox's folder as ``HOME``.
    """
    wanted = f"{name}={value}".encode()
    found: list[int] = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if wanted in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


async def kill_processes_with_env(name: str, value: str) -> None:
    """SIGKILLs every live process started with ``name=value`` until none is left."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _KILL_WAIT_SECONDS
    while pids := await asyncio.to_thread(processes_with_env, name, value):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        if loop.time() > deadline:
            return
        await asyncio.sleep(_POLL_SECONDS)


def signal_session(sid: int, sig: signal.Signals) -> bool:
    """Sends ``sig`` to every live process of session ``sid``; False when none was left."""
    members = session_members(sid)
    for pid in members:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
    return bool(members)


async def terminate_session(sid: int, *, grace: float = 2.0) -> None:
    """SIGTERM to the whole session, then SIGKILL to whatever is left after ``grace`` s.

    Returns when no live process of the session remains (or after a bounded wait for
    processes the kernel is still tearing down).
    """
    if not await asyncio.to_thread(signal_session, sid, signal.SIGTERM):
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + grace
    while loop.time() < deadline:
        await asyncio.sleep(_POLL_SECONDS)
        if not await asyncio.to_thread(session_members, sid):
            return
    deadline = loop.time() + _KILL_WAIT_SECONDS
    while await asyncio.to_thread(signal_session, sid, signal.SIGKILL):
        if loop.time() > deadline:
            return
        await asyncio.sleep(_POLL_SECONDS)
