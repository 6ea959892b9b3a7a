"""How the contract suite drives a provider, and process checks on this machine."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tessera.sandbox.base import SandboxProvider


@dataclass(frozen=True)
class ProviderKit:
    """How the suite drives one provider: build instances over the same backend, and tell
    whether a process (by the pid a sandbox command printed) is still alive. ``skips``
    names the tests that do not apply to the provider, with the reason shown."""

    name: str
    make: Callable[[], SandboxProvider]
    alive: Callable[[int], bool]
    skips: Mapping[str, str] = field(default_factory=dict)


def host_process_alive(pid: int) -> bool:
    """True while ``pid`` is a live (non-zombie) process on this machine."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] not in "ZX"


def processes_in(folder: Path) -> list[int]:
    """Live processes whose working directory is inside ``folder``."""
    found: list[int] = []
    prefix = str(folder.resolve())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if (cwd == prefix or cwd.startswith(prefix + "/")) and host_process_alive(int(entry.name)):
            found.append(int(entry.name))
    return found
