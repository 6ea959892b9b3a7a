"""Finding the processes of isolated sandboxes on this machine, from /proc.

Every test that runs isolated sandboxes gives its provider a control-group parent of its
own (``unique_cgroup_parent``): every process of its sandboxes is in a group under it,
whatever namespace it runs in, so the test can tell which processes are its own even when
other sandboxes run on the machine.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("memory", "pids", "cpu", "cpuacct", "freezer")


def unique_cgroup_parent() -> str:
    return f"tessera-test-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class SandboxProcess:
    pid: int
    """Host pid."""
    inner_pid: int
    """Pid in the innermost pid namespace (what ``echo $$`` printed inside)."""
    uid: int
    group: str
    """The control group path (``/parent/sandbox_id``)."""


def _status(pid: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def processes_under(parent: str) -> list[SandboxProcess]:
    """Live (non-zombie) processes in a control group under ``parent``."""
    found: list[SandboxProcess] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            groups = (entry / "cgroup").read_text()
            status = _status(entry.name)
        except OSError:
            continue
        group = next(
            (
                line.split(":", 2)[2]
                for line in groups.splitlines()
                if ":/" + parent + "/" in line or line.endswith(":/" + parent)
            ),
            None,
        )
        if group is None or status.get("State", "").startswith(("Z", "X")):
            continue
        found.append(
            SandboxProcess(
                pid=int(entry.name),
                inner_pid=int(status["NSpid"].split()[-1]),
                uid=int(status["Uid"].split()[0]),
                group=group,
            )
        )
    return found


def alive_under(parent: str) -> Callable[[int], bool]:
    """Whether a pid (a host pid, or one printed inside a sandbox) is a live process of the
    sandboxes under ``parent``."""

    def alive(pid: int) -> bool:
        return any(pid in (p.pid, p.inner_pid) for p in processes_under(parent))

    return alive


def remove_cgroup_parent(parent: str) -> list[str]:
    """Removes the (empty) groups of ``parent``; returns the sandbox groups left in it."""
    left: list[str] = []
    for controller in CONTROLLERS:
        folder = CGROUP_ROOT / controller / parent
        if not folder.is_dir():
            continue
        left += [f"{controller}/{p.name}" for p in folder.iterdir() if p.is_dir()]
        if not left:
            folder.rmdir()
    return left
