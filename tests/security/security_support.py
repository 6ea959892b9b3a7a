"""Finding the processes of isolated sandboxes on this machine, from /proc.

Every test that runs isolated sandboxes gives its provider a control-group parent of its
own (``unique_cgroup_parent``): every process of its sandboxes is in a group under it,
whatever namespace it runs in, so the test can tell which processes are its own even when
other sandboxes run on the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import statistics
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tessera.sandbox.local.limits import MIB, SandboxLimits

CGROUP_ROOT = Path("/sys/fs/cgroup")
LIMITS = SandboxLimits(memory_bytes=128 * MIB, processes=64, cpus=1.0, disk_bytes=64 * MIB)
"""Small limits keep the attacks fast."""
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


# --- a running Tessera, watched ------------------------------------------------------
@dataclass
class Tessera:
    url: str
    port: int
    data_dir: Path


@dataclass
class Health:
    """Latencies of Tessera's health endpoint, asked every 50 ms."""

    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def report(self, attack: str) -> str:
        if not self.latencies:
            return f"{attack}: no answer"
        ms = sorted(1000 * x for x in self.latencies)
        return (
            f"{attack}: health answered {len(ms)} times during the attack, median "
            f"{statistics.median(ms):.1f} ms, max {ms[-1]:.1f} ms"
        )


@contextlib.asynccontextmanager
async def watched(tessera: Tessera, attack: str) -> AsyncIterator[Health]:
    """Asks ``GET /api/health`` every 50 ms for the duration of the block; afterwards it
    must have answered every time (and at least once)."""
    health = Health()

    async def probe() -> None:
        async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
            while True:
                started = time.perf_counter()
                try:
                    answer = await client.get(f"{tessera.url}/api/health")
                    assert answer.json() == {"status": "ok"}
                    health.latencies.append(time.perf_counter() - started)
                except (httpx.HTTPError, AssertionError, ValueError) as exc:
                    health.failures.append(repr(exc))
                await asyncio.sleep(0.05)

    task = asyncio.create_task(probe())
    try:
        yield health
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    print("\n" + health.report(attack))
    assert health.failures == [], health.failures
    assert health.latencies, "the health endpoint never answered"
