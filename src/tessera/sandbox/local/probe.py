"""Whether bubblewrap can build a sandbox here: one minimal sandbox running ``true``."""

from __future__ import annotations

import os
from pathlib import Path

from tessera.errors import SandboxError
from tessera.sandbox.local.isolation import start
from tessera.sandbox.local.layout import PATH, drop_privileges
from tessera.sandbox.local.users import SandboxUser
from tessera.sandbox.process import ManagedProcess

_TIMEOUT_SECONDS = 30.0


async def bubblewrap_problem(bwrap: str, user: SandboxUser | None) -> str | None:
    """None when ``bwrap`` builds a sandbox with its own pid, ipc, uts and network
    namespaces (in a user namespace when Tessera is not root) and ``true`` runs in it as
    ``user`` (None: as Tessera's user); else bubblewrap's complaint."""
    options = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
    if os.geteuid() != 0:
        options.append("--unshare-user")
    for name in ("bin", "lib", "lib64"):
        options += ["--symlink", f"usr/{name}", f"/{name}"]
    argv = [
        bwrap,
        *options,
        "--die-with-parent",
        "--ro-bind",
        "/usr",
        "/usr",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--",
        *([] if user is None else drop_privileges(user)),
        "/usr/bin/true",
    ]
    try:
        process = await start(argv, cwd=Path("/"), env={"PATH": PATH})
    except OSError as exc:
        return str(exc)
    handle = ManagedProcess(process, cmd="bwrap (probe)", timeout=_TIMEOUT_SECONDS)
    try:
        await handle.wait()
    except SandboxError:
        return handle.output_tail(3).strip() or f"exit code {handle.exit_code}"
    return None
