"""Watching a running sandbox for limits the kernel does not enforce by itself.

The kernel enforces the memory and CPU limits and refuses forks past the process limit;
this watch stops a sandbox that hits the process limit (a fork bomb) and one whose files
grow past the disk limit (single files are capped by ``RLIMIT_FSIZE``). A sandbox already
past the disk limit when its processes start may run (to clean up) as long as its files do
not grow. It
checks every ``interval`` seconds: the process-limit counter each time, the disk usage
every ``disk_interval`` seconds or sooner when the file system holding the sandbox grew
by ``DISK_TRIGGER_BYTES`` since the last walk (one cheap ``statvfs``), so that a fast
writer is stopped close to the limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from tessera.sandbox.local.cgroups import SandboxCgroup
from tessera.sandbox.local.disk import filesystem_used, used_bytes
from tessera.sandbox.local.limits import Breach, SandboxLimits

log = logging.getLogger(__name__)

DISK_TRIGGER_BYTES = 8 * 1024 * 1024

BreachCallback = Callable[[Breach], Awaitable[None]]


class LimitWatch:
    def __init__(
        self,
        *,
        folder: Path,
        uid: int,
        limits: SandboxLimits,
        cgroup: SandboxCgroup | None,
        on_breach: BreachCallback,
        interval: float,
        disk_interval: float,
    ) -> None:
        self._folder = folder
        self._uid = uid
        self._limits = limits
        self._cgroup = cgroup
        self._on_breach = on_breach
        self._interval = interval
        self._disk_interval = disk_interval
        self._task: asyncio.Task[None] | None = None
        self._fork_failures = 0
        self._walked_at = 0.0
        self._filesystem_at_walk: int | None = None
        self._used = 0

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stops watching (a no-op from inside the watch's own breach handling)."""
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        await asyncio.to_thread(self._baseline)
        while True:
            await asyncio.sleep(self._interval)
            try:
                breach = await asyncio.to_thread(self.check)
            except OSError as exc:
                log.warning("could not check the limits of %s: %s", self._folder.name, exc)
                continue
            if breach is not None:
                await self._on_breach(breach)
                return

    def _baseline(self) -> None:
        if self._cgroup is not None:
            self._fork_failures = self._cgroup.process_limit_hits()
        self._used = used_bytes(self._folder, self._uid)
        self._walked_at = time.monotonic()
        self._filesystem_at_walk = filesystem_used(self._folder)

    def check(self) -> Breach | None:
        """One look (blocking): the limit the sandbox went past, or None."""
        if self._cgroup is not None:
            failures = self._cgroup.process_limit_hits()
            if failures > self._fork_failures:
                self._fork_failures = failures
                return Breach.PROCESSES
        now = time.monotonic()
        in_use = filesystem_used(self._folder)
        grew = self._filesystem_at_walk is None or (
            abs(in_use - self._filesystem_at_walk) >= DISK_TRIGGER_BYTES
        )
        if grew or now - self._walked_at >= self._disk_interval:
            self._walked_at, self._filesystem_at_walk = now, in_use
            previous, self._used = self._used, used_bytes(self._folder, self._uid)
            if self._used > self._limits.disk_bytes and self._used > previous:
                return Breach.DISK
        return None
