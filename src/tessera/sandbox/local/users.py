"""The unprivileged user every isolated sandbox process runs as.

Tessera running as root creates it when it is missing (a system account: no home, no
login shell, a group of its own) and drops to it before any sandbox code runs. Tessera
running as another user runs sandboxes as itself (bubblewrap then builds them in a user
namespace of that user).
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
from dataclasses import dataclass

from tessera.errors import SandboxError

DEFAULT_USER = "tessera-sandbox"


@dataclass(frozen=True, slots=True)
class SandboxUser:
    name: str
    uid: int
    gid: int

    @property
    def dedicated(self) -> bool:
        """True when sandboxes run as a user of their own (not as Tessera's user)."""
        return self.uid != os.geteuid()


def _lookup(name: str) -> SandboxUser | None:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return SandboxUser(name=name, uid=entry.pw_uid, gid=entry.pw_gid)


async def ensure_user(name: str = DEFAULT_USER) -> SandboxUser:
    """The user sandboxes run as: ``name`` (created when missing) when Tessera is root,
    Tessera's own user otherwise. Idempotent; safe when several processes race."""
    if os.geteuid() != 0:
        me = await asyncio.to_thread(pwd.getpwuid, os.geteuid())
        return SandboxUser(name=me.pw_name, uid=me.pw_uid, gid=me.pw_gid)
    found = await asyncio.to_thread(_lookup, name)
    if found is not None:
        return found
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    process = await asyncio.create_subprocess_exec(
        useradd,
        "--system",
        "--no-create-home",
        "--shell",
        "/usr/sbin/nologin",
        "--user-group",
        "--comment",
        "Tessera sandboxes",
        name,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    found = await asyncio.to_thread(_lookup, name)  # another process may have made it
    if found is None:
        raise SandboxError(
            f"The sandbox user {name!r} could not be created ({output.decode().strip()}); "
            f"create it with `useradd --system --no-create-home --shell /usr/sbin/nologin "
            f"--user-group {name}`."
        )
    return found
