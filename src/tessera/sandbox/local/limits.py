"""What an isolated sandbox may use, and how a stop for going past a limit is worded."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

MIB = 1024 * 1024
GIB = 1024 * MIB


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Limits of one sandbox (all its processes together).

    ``memory_bytes`` includes the sandbox's in-memory folders (``/tmp``, ``HOME``);
    ``processes`` counts processes and threads; ``cpus`` is a share of the machine's cores
    (1.0 = one core); ``disk_bytes`` bounds the files the sandbox's user owns in its project
    folder, and any single file.
    """

    memory_bytes: int = GIB
    processes: int = 256
    cpus: float = 1.0
    disk_bytes: int = GIB

    def __post_init__(self) -> None:
        if self.memory_bytes < 16 * MIB or self.disk_bytes < MIB:
            raise ValueError("a sandbox needs at least 16 MiB of memory and 1 MiB of disk")
        if self.processes < 8 or self.cpus <= 0:
            raise ValueError("a sandbox needs at least 8 processes and some CPU")


class Breach(Enum):
    """A limit a sandbox went past."""

    MEMORY = "memory"
    PROCESSES = "processes"
    DISK = "disk"
    FILE_SIZE = "file size"

    def reason(self, limits: SandboxLimits) -> str:
        """The sentence shown to the user when the sandbox's processes were stopped."""
        what = {
            Breach.MEMORY: f"it used more than {format_bytes(limits.memory_bytes)} of memory",
            Breach.PROCESSES: f"it started more than {limits.processes} processes at once",
            Breach.DISK: f"its files took more than {format_bytes(limits.disk_bytes)} of disk",
            Breach.FILE_SIZE: (
                f"it wrote a file larger than {format_bytes(limits.disk_bytes)}, the disk limit"
            ),
        }[self]
        return f"The app was stopped: {what} (the sandbox's limit)."


def format_bytes(size: int) -> str:
    """``1 GiB``, ``64 MiB``, ``1.5 GiB``: sizes as people read them."""
    for unit, scale in (("GiB", GIB), ("MiB", MIB), ("KiB", 1024)):
        if size >= scale:
            value = size / scale
            return f"{value:g} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} B"
