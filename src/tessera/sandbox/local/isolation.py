"""How a local sandbox's process is started: the one place to add isolation.

This first version runs plain processes: ``bash -c CMD`` in the sandbox's folder, in a
session of its own, with a cleared environment (no host variables, hence no API keys).
Where ``setpriv`` exists the shell is also asked to die with Tessera's event-loop thread,
so a dev server does not outlive a crashed server. Bubblewrap, a dedicated user and
resource limits wrap ``command_argv`` here in the next step.
"""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from tessera.sandbox.process import spawn

LANG = "C.UTF-8"
_SYSTEM_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


@functools.cache
def sandbox_path() -> str:
    """``PATH`` inside sandboxes: the system folders plus wherever node and npm live."""
    folders: list[str] = []
    for tool in ("node", "npm", "bash"):
        found = shutil.which(tool)
        if found:
            folders.append(str(Path(found).parent))
    folders.extend(_SYSTEM_PATH)
    return os.pathsep.join(dict.fromkeys(folders))


def sandbox_env(home: Path, *layers: Mapping[str, str] | None) -> dict[str, str]:
    """The whole environment of a sandbox process: PATH, HOME, LANG, then ``layers``."""
    env = {"PATH": sandbox_path(), "HOME": str(home), "LANG": LANG}
    for layer in layers:
        if layer:
            env.update(layer)
    return env


@functools.cache
def _die_with_parent() -> tuple[str, ...]:
    setpriv = shutil.which("setpriv")
    return (setpriv, "--pdeathsig", "KILL", "--") if setpriv else ()


def command_argv(cmd: str) -> list[str]:
    return [*_die_with_parent(), "bash", "-c", cmd]


async def spawn_in_sandbox(
    folder: Path, cmd: str, *, cwd: Path, env: Mapping[str, str]
) -> asyncio.subprocess.Process:
    """Starts ``cmd`` for the sandbox whose folder is ``folder``. Every sandbox process
    starts here."""
    del folder  # the isolated version binds it as the only writable folder
    return await spawn(command_argv(cmd), cwd=cwd, env=env)
