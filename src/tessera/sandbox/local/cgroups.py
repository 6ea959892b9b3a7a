"""Control groups: memory, process and CPU limits of a sandbox, and killing all of it.

One group per sandbox, ``{parent}/{sandbox_id}``, under each controller:

- cgroup v1 (preferred where its controllers are mounted, as on this machine kind):
  ``/sys/fs/cgroup/{memory,pids,cpu,cpuacct,freezer}/{parent}/{sandbox_id}``;
- cgroup v2 when its root has the ``memory``, ``pids`` and ``cpu`` controllers:
  ``/sys/fs/cgroup/{parent}/{sandbox_id}``.

Every sandbox process joins the group before it runs anything (``procs_files``). Reading
and writing these files is blocking: callers use a worker thread. ``detect`` says which
kind works here, or why none does (``tessera doctor`` shows it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tessera.sandbox.local.limits import SandboxLimits

CGROUP_ROOT = Path("/sys/fs/cgroup")
DEFAULT_PARENT = "tessera"
CPU_PERIOD_US = 100_000
_FREEZE_WAIT_SECONDS = 1.0
_FREEZE_POLL_SECONDS = 0.005


class SandboxCgroup(Protocol):
    """The group of one sandbox."""

    @property
    def procs_files(self) -> tuple[Path, ...]:
        """``cgroup.procs`` of every controller: a process joins by writing its pid to
        each."""

    def oom_kills(self) -> int:
        """Processes the kernel killed for going past the memory limit, so far."""

    def process_limit_hits(self) -> int:
        """Times a fork failed at the process limit, so far."""

    def cpu_usage_ns(self) -> int | None:
        """CPU time used by the sandbox's processes, in nanoseconds."""

    def memory_usage(self) -> int | None:
        """Memory charged to the sandbox now, in bytes."""

    def pids(self) -> list[int]:
        """Processes in the group."""

    def kill_all(self) -> None:
        """SIGKILLs every process in the group, frozen first so that none can fork away."""

    def thaw(self) -> None:
        """Lets the processes ``kill_all`` froze run (and die)."""

    def remove(self) -> bool:
        """Removes the group; False while processes remain in it."""


class CgroupLimiter(Protocol):
    kind: str
    """``cgroup v1`` or ``cgroup v2``."""

    def create(self, name: str, limits: SandboxLimits) -> SandboxCgroup:
        """The group called ``name`` (made, or taken over), with ``limits`` written."""

    def group(self, name: str) -> SandboxCgroup:
        """The group called ``name`` as it is (it may not exist: ``remove`` then does
        nothing)."""

    def stale(self) -> list[str]:
        """Names of the groups under the parent (left by an earlier run when unused)."""


def _read_int(path: Path, default: int = 0) -> int:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return default


def _read_key(path: Path, key: str) -> int:
    """The value of ``key`` in a flat-keyed file (``oom_kill 3``)."""
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == key and parts[1].isdigit():
                return int(parts[1])
    return 0


def _read_pids(path: Path) -> list[int]:
    try:
        return [int(line) for line in path.read_text().split()]
    except (OSError, ValueError):
        return []


def _kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


# --- cgroup v1 -------------------------------------------------------------------------------
_V1_REQUIRED = ("memory", "pids", "cpu")
_V1_OPTIONAL = ("cpuacct", "freezer")


@dataclass(frozen=True)
class V1Cgroup:
    dirs: dict[str, Path]

    @property
    def procs_files(self) -> tuple[Path, ...]:
        return tuple(folder / "cgroup.procs" for folder in self._distinct())

    def _distinct(self) -> list[Path]:
        """The folders, once each (``cpu`` and ``cpuacct`` may be mounted together)."""
        return list(dict.fromkeys(self.dirs.values()))

    def oom_kills(self) -> int:
        return _read_key(self.dirs["memory"] / "memory.oom_control", "oom_kill")

    def process_limit_hits(self) -> int:
        return _read_key(self.dirs["pids"] / "pids.events", "max")

    def cpu_usage_ns(self) -> int | None:
        folder = self.dirs.get("cpuacct")
        return None if folder is None else _read_int(folder / "cpuacct.usage")

    def memory_usage(self) -> int | None:
        return _read_int(self.dirs["memory"] / "memory.usage_in_bytes")

    def pids(self) -> list[int]:
        return _read_pids(self.dirs["pids"] / "cgroup.procs")

    def kill_all(self) -> None:
        freezer = self.dirs.get("freezer")
        if freezer is not None:
            state = freezer / "freezer.state"
            with contextlib.suppress(OSError):
                state.write_text("FROZEN")
                deadline = time.monotonic() + _FREEZE_WAIT_SECONDS
                while state.read_text().strip() != "FROZEN" and time.monotonic() < deadline:
                    time.sleep(_FREEZE_POLL_SECONDS)
        _kill(self.pids())

    def thaw(self) -> None:
        freezer = self.dirs.get("freezer")
        if freezer is not None:
            with contextlib.suppress(OSError):
                (freezer / "freezer.state").write_text("THAWED")

    def remove(self) -> bool:
        removed = True
        for folder in self._distinct():
            try:
                folder.rmdir()
            except FileNotFoundError:
                pass
            except OSError:
                removed = False
        return removed


class V1Limiter:
    kind = "cgroup v1"

    def __init__(self, controllers: dict[str, Path], parent: str) -> None:
        self._controllers = controllers
        self._parent = parent

    def group(self, name: str) -> V1Cgroup:
        return V1Cgroup({c: mount / self._parent / name for c, mount in self._controllers.items()})

    def create(self, name: str, limits: SandboxLimits) -> V1Cgroup:
        dirs = self.group(name).dirs
        for folder in dirs.values():
            folder.mkdir(parents=True, exist_ok=True)
        memory = dirs["memory"]
        (memory / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
        swap = memory / "memory.memsw.limit_in_bytes"
        if swap.exists():  # memory + swap: no swapping past the memory limit
            swap.write_text(str(limits.memory_bytes))
        (dirs["pids"] / "pids.max").write_text(str(limits.processes))
        (dirs["cpu"] / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
        (dirs["cpu"] / "cpu.cfs_quota_us").write_text(str(round(limits.cpus * CPU_PERIOD_US)))
        return V1Cgroup(dirs)

    def stale(self) -> list[str]:
        folder = self._controllers["pids"] / self._parent
        with contextlib.suppress(OSError):
            return sorted(p.name for p in folder.iterdir() if p.is_dir())
        return []


def _v1_controllers(root: Path) -> dict[str, Path] | None:
    """Mount point of each v1 controller (``cpu`` and ``cpuacct`` may share one, through a
    ``cpu,cpuacct`` symlink: resolved, they are the same folder)."""
    found: dict[str, Path] = {}
    for controller in (*_V1_REQUIRED, *_V1_OPTIONAL):
        mount = root / controller
        is_v1 = (mount / "cgroup.procs").is_file() and not (mount / "cgroup.controllers").exists()
        if is_v1:
            found[controller] = mount.resolve()
        elif controller in _V1_REQUIRED:
            return None
    return found


# --- cgroup v2 -------------------------------------------------------------------------------
_V2_CONTROLLERS = ("memory", "pids", "cpu")


@dataclass(frozen=True)
class V2Cgroup:
    folder: Path

    @property
    def procs_files(self) -> tuple[Path, ...]:
        return (self.folder / "cgroup.procs",)

    def oom_kills(self) -> int:
        return _read_key(self.folder / "memory.events", "oom_kill")

    def process_limit_hits(self) -> int:
        return _read_key(self.folder / "pids.events", "max")

    def cpu_usage_ns(self) -> int | None:
        return _read_key(self.folder / "cpu.stat", "usage_usec") * 1000

    def memory_usage(self) -> int | None:
        return _read_int(self.folder / "memory.current")

    def pids(self) -> list[int]:
        return _read_pids(self.folder / "cgroup.procs")

    def kill_all(self) -> None:
        try:
            (self.folder / "cgroup.kill").write_text("1")
        except OSError:  # kernels before 5.14
            with contextlib.suppress(OSError):
                (self.folder / "cgroup.freeze").write_text("1")
            _kill(self.pids())

    def thaw(self) -> None:
        with contextlib.suppress(OSError):
            (self.folder / "cgroup.freeze").write_text("0")

    def remove(self) -> bool:
        try:
            self.folder.rmdir()
        except FileNotFoundError:
            return True
        except OSError:
            return False
        return True


class V2Limiter:
    kind = "cgroup v2"

    def __init__(self, root: Path, parent: str) -> None:
        self._root = root
        self._parent = parent

    def group(self, name: str) -> V2Cgroup:
        return V2Cgroup(self._root / self._parent / name)

    def create(self, name: str, limits: SandboxLimits) -> V2Cgroup:
        parent = self._root / self._parent
        parent.mkdir(exist_ok=True)
        enable = " ".join(f"+{c}" for c in _V2_CONTROLLERS)
        (self._root / "cgroup.subtree_control").write_text(enable)
        (parent / "cgroup.subtree_control").write_text(enable)
        folder = parent / name
        folder.mkdir(exist_ok=True)
        (folder / "memory.max").write_text(str(limits.memory_bytes))
        swap = folder / "memory.swap.max"
        if swap.exists():
            swap.write_text("0")
        (folder / "pids.max").write_text(str(limits.processes))
        (folder / "cpu.max").write_text(f"{round(limits.cpus * CPU_PERIOD_US)} {CPU_PERIOD_US}")
        return V2Cgroup(folder)

    def stale(self) -> list[str]:
        with contextlib.suppress(OSError):
            return sorted(p.name for p in (self._root / self._parent).iterdir() if p.is_dir())
        return []


def _v2_root(root: Path) -> Path | None:
    for candidate in (root, root / "unified"):
        try:
            available = (candidate / "cgroup.controllers").read_text().split()
        except OSError:
            continue
        if all(c in available for c in _V2_CONTROLLERS):
            return candidate
    return None


# --- detection -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Detection:
    limiter: CgroupLimiter | None
    detail: str
    """What was found, in words (``tessera doctor``)."""


def detect(root: Path = CGROUP_ROOT, parent: str = DEFAULT_PARENT) -> Detection:
    """cgroup v1 when its memory, pids and cpu controllers are mounted and writable, else
    cgroup v2 when its root offers those controllers, else none (with the reason)."""
    if not os.access(root, os.W_OK):
        return Detection(None, f"{root} is not writable (Tessera is not root)")
    controllers = _v1_controllers(root)
    if controllers is not None and all(os.access(p, os.W_OK) for p in controllers.values()):
        names = ", ".join(sorted(controllers))
        return Detection(V1Limiter(controllers, parent), f"cgroup v1 ({names})")
    v2 = _v2_root(root)
    if v2 is not None:
        return Detection(V2Limiter(v2, parent), f"cgroup v2 at {v2}")
    return Detection(
        None, "neither cgroup v1 (memory, pids, cpu) nor cgroup v2 with those controllers"
    )
