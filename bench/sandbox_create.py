"""Benchmark: how fast a local sandbox is created, and until its dev server answers.

    python bench/sandbox_create.py [--runs 10] [--cache-dir DIR]

(with Tessera importable: installed, or ``PYTHONPATH=src``). Measures, over ``--runs``
runs each, (a) ``LocalSandboxProvider.create("react")`` from the warm template cache and
(b) ``SandboxManager.deploy(project, {})`` on a new project: create, start Vite, first
answer. Prints a markdown table. The template cache is warmed first if needed (this
needs the npm registry once).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from tessera.config import Settings
from tessera.sandbox.local import LocalSandboxProvider
from tessera.sandbox.manager import SandboxManager
from tessera.sandbox.templates import TemplateCache


def summary(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return (
        f"| {name} | {len(ms)} | {statistics.median(ms):.0f} | {p95:.0f} "
        f"| {ms[0]:.0f} | {ms[-1]:.0f} |"
    )


async def bench_create(provider: LocalSandboxProvider, runs: int) -> list[float]:
    times: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        sandbox = await provider.create("react")
        times.append(time.perf_counter() - started)
        await sandbox.kill()
    return times


async def bench_ready(manager: SandboxManager, runs: int) -> list[float]:
    times: list[float] = []
    for run in range(runs):
        started = time.perf_counter()
        deployment = await manager.deploy(f"bench-{run}", {})
        times.append(time.perf_counter() - started)
        assert deployment.status == "ready", deployment
        await manager.stop(f"bench-{run}")
    return times


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args()

    cache = TemplateCache(args.cache_dir or Settings().templates_cache_dir)
    await cache.warm("react", on_progress=lambda line: print(f"  {line}"))
    root = Path(tempfile.mkdtemp(prefix="tessera-bench-"))
    provider = LocalSandboxProvider(root, cache, preview_domain="localhost:8000")
    manager = SandboxManager(provider, dev_server_timeout=60)
    try:
        probe = await provider.create("react")
        linked = "symlinked" if (probe.folder / "node_modules").is_symlink() else "hard-linked"
        await probe.kill()
        create = await bench_create(provider, args.runs)
        ready = await bench_ready(manager, args.runs)
    finally:
        await manager.aclose()
        await provider.aclose()
        shutil.rmtree(root, ignore_errors=True)

    print()
    print(
        f"Local sandboxes, react template, node_modules {linked}, Python "
        f"{platform.python_version()}, {os.cpu_count()} cores; {args.runs} runs each, in ms."
    )
    print()
    print("| measurement | runs | median | p95 | min | max |")
    print("|---|---:|---:|---:|---:|---:|")
    print(summary("create sandbox (warm template)", create))
    print(summary("create → dev server answering", ready))


if __name__ == "__main__":
    asyncio.run(main())
