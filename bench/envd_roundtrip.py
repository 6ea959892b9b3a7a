"""Benchmark: E2B's SDK on a local sandbox (envd protocol) against Tessera's own calls.

    python bench/envd_roundtrip.py [--runs 50] [--small-bytes 100] [--files 1000]
                                   [--file-bytes 1024] [--batches 3] [--template react]
                                   [--cache-dir DIR]

(as root, with Tessera importable: installed, or ``PYTHONPATH=src``). Starts one isolated
local sandbox (bubblewrap, the sandbox user, cgroup limits) with its envd daemon and an
``EnvdEndpoint`` on a free 127.0.0.1 port, as ``tessera sandbox serve-e2b`` does, and
connects the real ``e2b`` SDK to it (``AsyncSandbox.connect(debug=True, sandbox_url=…)``).
The same sandbox is then driven two ways, alternately (each iteration swaps which way
goes first, so drift on a noisy machine hits both alike):

- E2B's SDK: HTTP (``/files``) or Connect RPC (``process.Process/Start``) to the endpoint,
  relayed to the daemon inside the sandbox, which does the work there;
- Tessera's own provider interface (``LocalSandbox.files`` / ``.commands``): files read and
  written from the host, commands started in the sandbox's namespaces (``nsenter``).

It times (``--runs`` times each, after a warm-up) a ``--small-bytes`` file's ``write`` and
``read``, ``commands.run("true")``, and (``--batches`` times) ``write_files`` of ``--files``
files of ``--file-bytes`` each. Prints markdown tables: medians, p95, and the ratio of
the SDK's median to Tessera's (how much the protocol costs on top of the work).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import platform
import secrets
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from e2b import AsyncSandbox
from e2b.sandbox.filesystem.filesystem import WriteEntry as SdkWriteEntry

import tessera
from tessera.config import Settings
from tessera.sandbox.base import CommandResult, WriteEntry
from tessera.sandbox.local import LocalSandbox, LocalSandboxProvider
from tessera.sandbox.local.envd_endpoint import EnvdEndpoint
from tessera.sandbox.local.isolation import Isolation
from tessera.sandbox.local.layout import APP_DIR
from tessera.sandbox.templates import TemplateCache
from tessera.serve_e2b import ServedSandbox

MB = 1_000_000
MIB = 1024 * 1024
WARMUP = 10
WARMUP_FILES = 100

Timed = Callable[[], Awaitable[object]]


@dataclass
class Pair:
    """One measurement, the SDK's way and Tessera's, in seconds."""

    sdk: list[float] = field(default_factory=list)
    own: list[float] = field(default_factory=list)


@dataclass
class Results:
    start: float = 0.0
    write: Pair = field(default_factory=Pair)
    read: Pair = field(default_factory=Pair)
    round_trip: Pair = field(default_factory=Pair)
    run_true: Pair = field(default_factory=Pair)
    batch: Pair = field(default_factory=Pair)


async def timed(call: Timed) -> float:
    started = time.perf_counter()
    await call()
    return time.perf_counter() - started


async def alternate(runs: int, sdk: Timed, own: Timed, into: Pair) -> None:
    """``runs`` timings of each, the order swapped every iteration."""
    for index in range(runs):
        if index % 2 == 0:
            into.sdk.append(await timed(sdk))
            into.own.append(await timed(own))
        else:
            into.own.append(await timed(own))
            into.sdk.append(await timed(sdk))


async def measure(cache: TemplateCache, isolation: Isolation, args: argparse.Namespace) -> Results:
    if not cache.is_ready(args.template):
        await cache.warm(args.template, on_progress=lambda line: print(f"  {line}"))
    root = Path(tempfile.mkdtemp(prefix="tessera-bench-"))
    provider = LocalSandboxProvider(
        root, cache, preview_domain="localhost:8000", isolation=isolation
    )
    served = ServedSandbox(provider, args.template)
    endpoint = EnvdEndpoint(lambda: served.upstream)
    results = Results()
    try:
        started = time.perf_counter()
        await served.start()
        results.start = time.perf_counter() - started
        port = await endpoint.start("127.0.0.1", 0)
        sdk = await AsyncSandbox.connect(
            "local", debug=True, sandbox_url=f"http://127.0.0.1:{port}"
        )
        await compare(sdk, served.sandbox, args, results)
    finally:
        await endpoint.aclose()
        await served.aclose()
        await provider.aclose()
        await asyncio.to_thread(shutil.rmtree, root, True)
    return results


async def compare(
    sdk: AsyncSandbox, own: LocalSandbox, args: argparse.Namespace, results: Results
) -> None:
    small = secrets.token_hex(args.small_bytes)[: args.small_bytes]
    # Same file on disk both ways: the SDK names it as the sandbox sees it, Tessera
    # relative to the project folder.
    sdk_path, own_path = f"{APP_DIR}/bench/sdk.txt", "bench/own.txt"

    async def sdk_write() -> None:
        await sdk.files.write(sdk_path, small)

    async def sdk_read() -> None:
        assert await sdk.files.read(sdk_path) == small

    async def own_write() -> None:
        await own.files.write(own_path, small)

    async def own_read() -> None:
        assert await own.files.read(own_path) == small

    async def sdk_round_trip() -> None:
        await sdk_write()
        await sdk_read()

    async def own_round_trip() -> None:
        await own_write()
        await own_read()

    async def sdk_true() -> None:
        result = await sdk.commands.run("true")
        assert result.exit_code == 0, result

    async def own_true() -> None:
        result = await own.commands.run("true")
        assert isinstance(result, CommandResult) and result.exit_code == 0, result

    warm = Pair()
    for sdk_call, own_call in (
        (sdk_round_trip, own_round_trip),
        (sdk_true, own_true),
    ):
        await alternate(WARMUP, sdk_call, own_call, warm)
    await alternate(args.runs, sdk_write, own_write, results.write)
    await alternate(args.runs, sdk_read, own_read, results.read)
    await alternate(args.runs, sdk_round_trip, own_round_trip, results.round_trip)
    await alternate(args.runs, sdk_true, own_true, results.run_true)

    data = secrets.token_bytes(args.file_bytes)
    batch = 0

    def names(count: int, way: str) -> list[str]:
        nonlocal batch
        batch += 1
        return [f"bench/{way}-{batch}/{index:04d}.bin" for index in range(count)]

    def sdk_batch(count: int) -> Timed:
        entries = [SdkWriteEntry(path=f"{APP_DIR}/{n}", data=data) for n in names(count, "sdk")]

        async def call() -> None:
            written = await sdk.files.write_files(entries)
            assert len(written) == count, len(written)

        return call

    def own_batch(count: int) -> Timed:
        entries = [WriteEntry(n, data) for n in names(count, "own")]

        async def call() -> None:
            written = await own.files.write_files(entries)
            assert len(written) == count, len(written)

        return call

    await timed(sdk_batch(WARMUP_FILES))
    await timed(own_batch(WARMUP_FILES))
    for index in range(args.batches):
        # Each batch writes new files into a new folder, both ways.
        pending = [("sdk", sdk_batch(args.files)), ("own", own_batch(args.files))]
        for way, call in pending if index % 2 == 0 else reversed(pending):
            seconds = await timed(call)
            (results.batch.sdk if way == "sdk" else results.batch.own).append(seconds)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    if len(ordered) < 2:
        return ordered[0]
    return statistics.quantiles(ordered, n=20, method="inclusive")[18]


def latency_row(name: str, pair: Pair) -> str:
    sdk_median, own_median = statistics.median(pair.sdk), statistics.median(pair.own)
    return (
        f"| {name} | {len(pair.sdk)} | {sdk_median * 1000:.2f} / {p95(pair.sdk) * 1000:.2f} "
        f"| {own_median * 1000:.2f} / {p95(pair.own) * 1000:.2f} "
        f"| {sdk_median / own_median:.1f}x |"
    )


def throughput_cell(seconds: list[float], files: int, file_bytes: int) -> str:
    rates = sorted(files / s for s in seconds)
    median = statistics.median(rates)
    return (
        f"{median:,.0f} files/s, {median * file_bytes / MB:.2f} MB/s "
        f"({rates[0]:,.0f}-{rates[-1]:,.0f} files/s)"
    )


def report(results: Results, isolation: Isolation, args: argparse.Namespace) -> None:
    limits = isolation.limits
    print()
    print(
        f"One isolated local sandbox ({args.template} template; bubblewrap, cgroup limits: "
        f"{limits.cpus:g} CPU, {limits.memory_bytes // MIB} MiB), Tessera "
        f"{tessera.__version__}, e2b SDK {sdk_version()}, Python "
        f"{platform.python_version()}, {os.cpu_count()} cores. Sandbox create + envd "
        f"answering: {results.start * 1000:.0f} ms (one sample)."
    )
    print()
    print(
        "| measurement | runs | E2B SDK → envd median / p95 ms "
        "| Tessera's provider median / p95 ms | SDK / Tessera (medians) |"
    )
    print("|---|---:|---:|---:|---:|")
    size = f"{args.small_bytes} B"
    print(latency_row(f"`files.write` {size}", results.write))
    print(latency_row(f"`files.read` {size}", results.read))
    print(latency_row(f"`files.write` + `files.read` {size}", results.round_trip))
    print(latency_row('`commands.run("true")`', results.run_true))
    print()
    total = args.files * args.file_bytes
    print(
        f"| `write_files`, {args.files:,} files x {args.file_bytes:,} B "
        f"({total / MB:.2f} MB), {len(results.batch.sdk)} runs | median (range) |"
    )
    print("|---|---|")
    print(f"| E2B SDK → envd | {throughput_cell(results.batch.sdk, args.files, args.file_bytes)} |")
    print(
        f"| Tessera's provider "
        f"| {throughput_cell(results.batch.own, args.files, args.file_bytes)} |"
    )
    ratio = statistics.median(results.batch.sdk) / statistics.median(results.batch.own)
    print(f"| SDK / Tessera (median time) | {ratio:.1f}x |")


def sdk_version() -> str:
    from importlib.metadata import version

    return version("e2b")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--small-bytes", type=int, default=100)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--file-bytes", type=int, default=1024)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--template", default="react")
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args()
    settings = Settings()
    cache = TemplateCache(args.cache_dir or settings.templates_cache_dir)
    isolation = dataclasses.replace(
        Isolation.from_settings(settings),
        mode="bubblewrap",
        cgroup_parent=f"tessera-bench-{secrets.token_hex(3)}",
    )
    try:
        results = asyncio.run(measure(cache, isolation, args))
    finally:
        for controller in ("memory", "pids", "cpu", "cpuacct", "freezer"):
            folder = Path("/sys/fs/cgroup") / controller / isolation.cgroup_parent
            if folder.is_dir():
                folder.rmdir()
    report(results, isolation, args)


if __name__ == "__main__":
    main()
