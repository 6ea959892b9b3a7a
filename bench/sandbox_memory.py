"""Benchmark: memory of idle isolated React sandboxes, how many fit, how fast they start.

    python bench/sandbox_memory.py [--sandboxes 5] [--runs 20] [--cache-dir DIR]

(as root, with Tessera importable: installed, or ``PYTHONPATH=src``). Starts
``--sandboxes`` isolated React sandboxes through ``SandboxManager.deploy`` (bubblewrap, the
sandbox user, cgroup limits: what Tessera runs), waits until each is idle (its memory
steady), then measures per sandbox the memory charged to its control group
(``memory.usage_in_bytes``: processes, page cache, in-memory folders) and the resident
and proportional set sizes of its processes (RSS counts shared pages in full, PSS splits
them between the processes sharing them). From PSS it extrapolates how many idle sandboxes
fit in this machine's RAM, and states the other per-user limits that apply (inotify
instances: one per Vite). It also times ``create`` (``--runs`` runs), the sandbox's first
command (its namespaces start) and a new project's deploy until Vite answers. Prints
markdown tables.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import secrets
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tessera.config import Settings
from tessera.sandbox.local import LocalSandbox, LocalSandboxProvider
from tessera.sandbox.local.isolated import IsolatedRuntime
from tessera.sandbox.local.isolation import Isolation
from tessera.sandbox.local.limits import GIB
from tessera.sandbox.manager import SandboxManager
from tessera.sandbox.templates import TemplateCache

MIB = 1024 * 1024
RESERVED_FOR_THE_HOST = 2 * GIB
"""RAM left to the system, Tessera and the browser when extrapolating."""
STEADY_SAMPLES = 4
STEADY_SPREAD = 0.02


def ms_row(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return f"| {name} | {len(ms)} | {statistics.median(ms):.0f} | {p95:.0f} | {ms[-1]:.0f} |"


def read_kib(path: Path, key: str) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def sandbox_pids(runtime: IsolatedRuntime) -> list[int]:
    cgroup = runtime.cgroup
    return [] if cgroup is None else cgroup.pids()


def inotify_use(pids: list[int]) -> tuple[int, int]:
    """(inotify instances, watches) held by ``pids``."""
    instances = watches = 0
    for pid in pids:
        fds = Path(f"/proc/{pid}/fd")
        try:
            entries = list(fds.iterdir())
        except OSError:
            continue
        for fd in entries:
            try:
                if os.readlink(fd) != "anon_inode:inotify":
                    continue
                info = (Path(f"/proc/{pid}/fdinfo") / fd.name).read_text()
            except OSError:
                continue
            instances += 1
            watches += info.count("inotify wd:")
    return instances, watches


def process_memory(pids: list[int]) -> tuple[int, int]:
    """(RSS, PSS) in bytes, summed over ``pids``."""
    rss = pss = 0
    for pid in pids:
        try:
            rss += read_kib(Path(f"/proc/{pid}/status"), "VmRSS") * 1024
            pss += read_kib(Path(f"/proc/{pid}/smaps_rollup"), "Pss") * 1024
        except OSError:
            continue
    return rss, pss


async def steady_usage(runtime: IsolatedRuntime) -> int:
    """The cgroup's memory once it stops moving (the dev server is idle)."""
    cgroup = runtime.cgroup
    assert cgroup is not None
    samples: list[int] = []
    while True:
        samples.append(await asyncio.to_thread(lambda: cgroup.memory_usage() or 0))
        recent = samples[-STEADY_SAMPLES:]
        if len(recent) == STEADY_SAMPLES and max(recent) - min(recent) <= STEADY_SPREAD * max(
            recent
        ):
            return recent[-1]
        await asyncio.sleep(0.5)


async def time_create(provider: LocalSandboxProvider, runs: int) -> tuple[list[float], list[float]]:
    creates: list[float] = []
    first_commands: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        sandbox = await provider.create("react")
        creates.append(time.perf_counter() - started)
        started = time.perf_counter()
        await sandbox.commands.run("true")
        first_commands.append(time.perf_counter() - started)
        await sandbox.kill()
    return creates, first_commands


@dataclass
class Results:
    creates: list[float] = field(default_factory=list)
    first_commands: list[float] = field(default_factory=list)
    ready: list[float] = field(default_factory=list)
    usages: list[int] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    pss: list[int] = field(default_factory=list)
    inotify_instances: list[int] = field(default_factory=list)
    inotify_watches: list[int] = field(default_factory=list)


async def measure(cache: TemplateCache, isolation: Isolation, args: argparse.Namespace) -> Results:
    await cache.warm("react", on_progress=lambda line: print(f"  {line}"))
    root = Path(tempfile.mkdtemp(prefix="tessera-bench-"))
    provider = LocalSandboxProvider(
        root, cache, preview_domain="localhost:8000", isolation=isolation
    )
    manager = SandboxManager(provider, dev_server_timeout=60)
    results = Results()
    try:
        results.creates, results.first_commands = await time_create(provider, args.runs)
        sandboxes: list[LocalSandbox] = []
        for index in range(args.sandboxes):
            started = time.perf_counter()
            deployment = await manager.deploy(f"bench-{index}", {})
            results.ready.append(time.perf_counter() - started)
            assert deployment.status == "ready", deployment
            sandboxes.append(await provider.connect(deployment.sandbox_id))
        for sandbox in sandboxes:
            runtime = sandbox.runtime
            assert isinstance(runtime, IsolatedRuntime)
            results.usages.append(await steady_usage(runtime))
            pids = await asyncio.to_thread(sandbox_pids, runtime)
            rss, pss = await asyncio.to_thread(process_memory, pids)
            instances, watches = await asyncio.to_thread(inotify_use, pids)
            results.rss.append(rss)
            results.pss.append(pss)
            results.inotify_instances.append(instances)
            results.inotify_watches.append(watches)
    finally:
        await manager.aclose()
        await provider.aclose()
        await asyncio.to_thread(shutil.rmtree, root, True)
    return results


def report(results: Results, sandboxes: int) -> None:
    total = read_kib(Path("/proc/meminfo"), "MemTotal") * 1024
    per_sandbox = statistics.median(results.pss)
    fit_memory = int((total - RESERVED_FOR_THE_HOST) // per_sandbox)
    max_instances = int(Path("/proc/sys/fs/inotify/max_user_instances").read_text())
    max_watches = int(Path("/proc/sys/fs/inotify/max_user_watches").read_text())
    instances = max(1, int(statistics.median(results.inotify_instances)))
    watches = max(1, int(statistics.median(results.inotify_watches)))
    fit_instances = max_instances // instances
    fit_watches = max_watches // watches
    print()
    print(
        f"Isolated local sandboxes (bubblewrap, cgroup limits), react template, Python "
        f"{platform.python_version()}, {os.cpu_count()} cores, {total / GIB:.1f} GiB RAM; "
        f"{sandboxes} idle sandboxes measured."
    )
    print()
    print("| per idle React sandbox | median | min | max |")
    print("|---|---:|---:|---:|")
    for name, values in (
        ("cgroup memory (processes + page cache + tmpfs)", results.usages),
        ("RSS of its processes", results.rss),
        ("PSS of its processes (shared pages split)", results.pss),
    ):
        print(
            f"| {name} | {statistics.median(values) / MIB:.0f} MiB "
            f"| {min(values) / MIB:.0f} MiB | {max(values) / MIB:.0f} MiB |"
        )
    print()
    print("| how many idle React sandboxes fit | sandboxes |")
    print("|---|---:|")
    print(
        f"| by memory: ({total / GIB:.1f} GiB - {RESERVED_FOR_THE_HOST / GIB:.0f} GiB for the "
        f"host) / {per_sandbox / MIB:.0f} MiB PSS | {fit_memory} |"
    )
    print(
        f"| by inotify instances: fs.inotify.max_user_instances {max_instances} (one user for "
        f"all sandboxes) / {instances} per sandbox | {fit_instances} |"
    )
    print(
        f"| by inotify watches: fs.inotify.max_user_watches {max_watches} / {watches} per "
        f"sandbox | {fit_watches} |"
    )
    print("| by ports (each sandbox has its own 127.0.0.1; unix sockets to the host) | no limit |")
    fit = min(fit_memory, fit_instances, fit_watches)
    print(f"| **fit on this machine** | **{fit}** |")
    print()
    print("| isolated sandbox timings | runs | median ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    print(ms_row("create (warm template)", results.creates))
    print(ms_row("first command (namespaces + forwarder start)", results.first_commands))
    print(ms_row("new project deploy → Vite answering (earlier ones idle)", results.ready))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sandboxes", type=int, default=5)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args()
    cache = TemplateCache(args.cache_dir or Settings().templates_cache_dir)
    isolation = Isolation(cgroup_parent=f"tessera-bench-{secrets.token_hex(3)}")
    try:
        results = asyncio.run(measure(cache, isolation, args))
    finally:
        for controller in ("memory", "pids", "cpu", "cpuacct", "freezer"):
            folder = Path("/sys/fs/cgroup") / controller / isolation.cgroup_parent
            if folder.is_dir():
                folder.rmdir()
    report(results, args.sandboxes)


if __name__ == "__main__":
    main()
