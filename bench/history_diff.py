"""Benchmark: the history's API on large files and long histories.

    .venv/bin/python -m bench.history_diff [--runs 30] [--lines 5000] [--changed 300]
                                           [--versions 200]

Serves the files and versions routers (the same routers and services the app mounts)
over a SQLite store in a temporary folder, under uvicorn on a free port of 127.0.0.1 in a
child process, and measures real HTTP round trips with httpx over one kept-alive
connection:

- ``GET /diff`` between two versions of a project whose ``src/data.ts`` has ``--lines``
  lines, ``--changed`` of them changed (spread over the file), beside the react starter's
  files: the server returns both contents of the changed file (the browser's editor draws
  the line diff), so this is SQL + JSON of about 2 x 350 KB.
- ``GET /diff?to=current`` against the working copy.
- ``GET /versions`` of a project with ``--versions`` versions of 40 files, each version
  changing 1 to 4 files: every version's changed paths come from one SQL query comparing
  shas, no file content read.
- ``GET /versions/{id}/files`` (one whole snapshot) and ``POST /versions/{id}/restore``
  on that project.

Prints a markdown table: median and p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tessera.api import files as files_api
from tessera.api import versions as versions_api
from tessera.api.errors import install_error_handlers
from tessera.files import FileService
from tessera.history import HistoryService
from tessera.sandbox.templates.registry import get_template
from tessera.store import Store

TARGET_DIFF_MS = 1000.0


def history_app(database_url: str) -> FastAPI:
    """The files and versions routers over the store at ``database_url`` (opened by the
    app's lifespan, in the server's event loop)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = await Store.open(database_url)
        app.state.files = FileService(store=store, sandboxes=None)
        app.state.history = HistoryService(store=store, sandboxes=None)
        try:
            yield
        finally:
            await store.close()

    app = FastAPI(lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(files_api.router)
    app.include_router(versions_api.router)
    return app


class ServerProcess:
    """The app under uvicorn in a child process on a free port of 127.0.0.1, as
    ``tessera serve`` runs it (a server in a thread of the measuring process adds tens of
    milliseconds to every answer on a kept-alive connection)."""

    def __init__(self, database_url: str) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self._command = [
            sys.executable,
            "-m",
            "bench.history_diff",
            "--serve",
            database_url,
            "--port",
            str(self.port),
        ]
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerProcess:
        root = Path(__file__).resolve().parent.parent
        self._process = subprocess.Popen(self._command, cwd=root)
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{self.url}/api/projects/none/versions", timeout=1, trust_env=False)
                return self
            except httpx.TransportError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.05)

    def __exit__(self, *_: object) -> None:
        assert self._process is not None
        self._process.terminate()
        self._process.wait(timeout=30)


def starter_files() -> dict[str, str]:
    root = get_template("react").files_dir
    return {
        str(path.relative_to(root)): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "node_modules" not in path.parts
    }


def big_file(lines: int, changed: int, seed: int) -> tuple[str, str]:
    """A TypeScript-like file of ``lines`` lines, and the same with ``changed`` lines
    rewritten at random places."""
    rng = random.Random(seed)
    before = [
        f"export const item{i:05} = {{ id: {i}, label: 'Item {i}', price: {rng.randint(1, 999)} }}"
        for i in range(lines)
    ]
    after = list(before)
    for index in rng.sample(range(lines), changed):
        after[index] = after[index].replace("price:", "cost:").replace("Item", "Article")
    return "\n".join(before) + "\n", "\n".join(after) + "\n"


async def seed_diff_project(store: Store, lines: int, changed: int) -> tuple[str, int, int]:
    before, after = big_file(lines, changed, seed=1)
    pid = (await store.create_project(name="Big file")).id
    files = {**starter_files(), "src/data.ts": before}
    first = await store.commit_version(pid, changes=files, message="Started", kind="edit")
    second = await store.commit_version(
        pid, changes={"src/data.ts": after}, message="Rename prices", kind="assistant"
    )
    await store.write_file(pid, "src/data.ts", before)  # the working copy differs again
    return pid, first.id, second.id


async def seed_long_history(store: Store, versions: int) -> tuple[str, list[int]]:
    rng = random.Random(2)
    pid = (await store.create_project(name="Long history")).id
    names = [f"src/components/Part{i:02}.tsx" for i in range(40)]
    files = {name: f"export const Part = () => <p>{name} 0</p>\n" for name in names}
    ids = [(await store.commit_version(pid, changes=files, message="v1", kind="edit")).id]
    for number in range(2, versions + 1):
        changes: dict[str, str | None] = {
            name: f"export const Part = () => <p>{name} {number}</p>\n"
            for name in rng.sample(names, rng.randint(1, 4))
        }
        kind = "assistant" if number % 2 else "edit"
        version = await store.commit_version(pid, changes=changes, message=f"v{number}", kind=kind)
        ids.append(version.id)
    return pid, ids


async def timed(call: Callable[[], Awaitable[httpx.Response]], runs: int) -> list[float]:
    await call()  # warm-up
    seconds: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        response = await call()
        seconds.append(time.perf_counter() - started)
        if response.status_code >= 300:
            raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text}")
    return seconds


def row(name: str, seconds: list[float], runs: int) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"| {name} | {runs} | {statistics.median(seconds) * 1000:.1f} | {p95 * 1000:.1f} |"


async def measure(
    client: httpx.AsyncClient,
    args: argparse.Namespace,
    *,
    diff: tuple[str, int, int],
    history: tuple[str, list[int]],
) -> tuple[list[str], float]:
    """The table's rows, and the median of the two-version diff in ms."""
    rows: list[str] = []
    pid, first, second = diff
    base = f"/api/projects/{pid}"
    answer = await client.get(f"{base}/diff?from={first}&to={second}")
    assert [f["path"] for f in answer.json()["files"]] == ["src/data.ts"], answer.text[:200]
    size = len(answer.content)
    seconds = await timed(lambda: client.get(f"{base}/diff?from={first}&to={second}"), args.runs)
    diff_median_ms = statistics.median(seconds) * 1000
    rows.append(
        row(
            f"`GET /diff` two versions, {args.lines:,}-line file, {args.changed} lines "
            f"changed ({size / 1000:.0f} KB answer)",
            seconds,
            args.runs,
        )
    )
    seconds = await timed(lambda: client.get(f"{base}/diff?from={second}&to=current"), args.runs)
    rows.append(row("`GET /diff` version → current files (same file)", seconds, args.runs))

    pid, ids = history
    base = f"/api/projects/{pid}"
    listed = (await client.get(f"{base}/versions")).json()
    assert len(listed) == args.versions and listed[0]["changed"], listed[:1]
    seconds = await timed(lambda: client.get(f"{base}/versions"), args.runs)
    rows.append(
        row(
            f"`GET /versions`, {args.versions} versions of 40 files, with changed paths",
            seconds,
            args.runs,
        )
    )
    middle = ids[len(ids) // 2]
    seconds = await timed(lambda: client.get(f"{base}/versions/{middle}/files"), args.runs)
    rows.append(row("`GET /versions/{id}/files` (40 files)", seconds, args.runs))
    restores = max(5, args.runs // 3)
    seconds = await timed(lambda: client.post(f"{base}/versions/{middle}/restore"), restores)
    rows.append(row("`POST /versions/{id}/restore` (40 files)", seconds, restores))
    return rows, diff_median_ms


async def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="tessera-bench-") as folder:
        database_url = f"sqlite+aiosqlite:///{Path(folder) / 'tessera.db'}"
        store = await Store.open(database_url)
        try:
            diff_pid, first, second = await seed_diff_project(store, args.lines, args.changed)
            long_pid, ids = await seed_long_history(store, args.versions)
        finally:
            await store.close()
        with ServerProcess(database_url) as server:
            async with httpx.AsyncClient(
                base_url=server.url, timeout=60, trust_env=False
            ) as client:
                rows, diff_median_ms = await measure(
                    client, args, diff=(diff_pid, first, second), history=(long_pid, ids)
                )

    print("| measurement | runs | median ms | p95 ms |")
    print("|---|---:|---:|---:|")
    for line in rows:
        print(line)
    if diff_median_ms > TARGET_DIFF_MS:
        print(f"\nthe diff took {diff_median_ms:.0f} ms, over the {TARGET_DIFF_MS:.0f} ms target")
        return 1
    return 0


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--lines", type=int, default=5_000)
    parser.add_argument("--changed", type=int, default=300)
    parser.add_argument("--versions", type=int, default=200)
    parser.add_argument("--serve", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse(sys.argv[1:])
    if arguments.serve:  # the child process of ServerProcess
        uvicorn.run(
            history_app(arguments.serve), host="127.0.0.1", port=arguments.port, log_level="warning"
        )
        sys.exit(0)
    sys.exit(asyncio.run(main(arguments)))
