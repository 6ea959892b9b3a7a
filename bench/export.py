"""Time and size of a project's exports: the working copy as a zip, the history as a git
repository (one commit per version, built with ``git fast-import``, zipped).

Run: ``python -m bench.export``. The project lives in a fresh SQLite store in a temporary
folder: 200 versions of 20 files (React components, styles, a package.json, 1 to 4 KB each),
each version after the first changing 1 to 4 files (a line or two added or replaced), as
an afternoon of chat turns and hand edits would. Each export runs once untimed, then five
times; the table shows the median and the slowest time, and the download's size. Reading
the 200 snapshots from the store alone is timed too, since the git export needs all of
them.
"""

from __future__ import annotations

import asyncio
import io
import random
import statistics
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from tessera.export import Exporter
from tessera.store import Store

VERSIONS = 200
FILES = 20
RUNS = 5

_COMPONENT = """import {{ useState }} from "react";

export function Widget{index}({{ label }}: {{ label: string }}) {{
  const [count, setCount] = useState({index});
  return (
    <section className="widget-{index}">
      <h2>{{label}}</h2>
      <button onClick={{() => setCount(count + 1)}}>Clicked {{count}} times</button>
    </section>
  );
}}
"""


def starter_files() -> dict[str, str]:
    files = {
        "package.json": '{\n  "name": "bench-app",\n  "private": true,\n'
        '  "scripts": {"dev": "vite", "build": "vite build"}\n}\n',
        "index.html": '<!doctype html>\n<div id="root"></div>\n'
        '<script type="module" src="/src/main.tsx"></script>\n',
        "src/main.tsx": 'import { createRoot } from "react-dom/client";\nimport App from "./App";\n'
        'createRoot(document.getElementById("root")!).render(<App />);\n',
        "src/App.css": "".join(f".widget-{i} {{ padding: {i}px; }}\n" for i in range(60)),
    }
    for index in range(FILES - len(files)):
        files[f"src/components/Widget{index}.tsx"] = _COMPONENT.format(index=index) * (
            3 + index % 8
        )
    return files


async def seed(store: Store) -> str:
    """The 200-version project; returns its id."""
    project = await store.create_project(name="Export benchmark")
    files = starter_files()
    await store.commit_version(project.id, changes=files, message="First draft", kind="assistant")
    chance = random.Random(5)
    paths = sorted(files)
    for number in range(2, VERSIONS + 1):
        changes: dict[str, str | None] = {}
        for path in chance.sample(paths, chance.randint(1, 4)):
            lines = files[path].splitlines(keepends=True)
            at = chance.randrange(len(lines))
            lines.insert(at, f"// change {number} in {path}\n")
            if chance.random() < 0.5 and len(lines) > 3:
                del lines[chance.randrange(len(lines))]
            files[path] = "".join(lines)
            changes[path] = files[path]
        kind = "assistant" if number % 3 else "edit"
        message = f"Turn {number}: " + ", ".join(sorted(changes))
        await store.commit_version(project.id, changes=changes, message=message, kind=kind)
    return project.id


async def timed(run: Callable[[], Awaitable[int]]) -> tuple[list[float], int]:
    """Seconds of each of ``RUNS`` runs after one untimed run (caches warm, queries
    compiled), and the size the last one reported."""
    times: list[float] = []
    size = await run()
    for _ in range(RUNS):
        started = time.perf_counter()
        size = await run()
        times.append(time.perf_counter() - started)
    return times, size


def check_repository(data: bytes, into: Path) -> int:
    """The number of commits in the exported repository (a sanity check of the export)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(into)
    (folder,) = list(into.iterdir())
    count = subprocess.run(
        ["git", "-c", "safe.directory=*", "rev-list", "--count", "HEAD"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(count.stdout)


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="tessera-bench-export-") as scratch:
        store = await Store.open(f"sqlite+aiosqlite:///{Path(scratch) / 'tessera.db'}")
        try:
            started = time.perf_counter()
            project_id = await seed(store)
            seeded = time.perf_counter() - started
            exporter = Exporter(store)
            versions = await store.list_versions(project_id)
            working = await store.read_files(project_id)
            text_bytes = sum(len(content.encode()) for content in working.values())

            async def read_history() -> int:
                total = 0
                for version in await store.list_versions(project_id):
                    files = await store.read_version_files(project_id, version.id)
                    total += sum(len(content) for content in files.values())
                return total

            async def zip_export() -> int:
                return len((await exporter.working_copy_zip(project_id)).data)

            last_git: list[bytes] = []

            async def git_export() -> int:
                archive = await exporter.git_zip(project_id)
                last_git[:] = [archive.data]
                return len(archive.data)

            reads, history_chars = await timed(read_history)
            zips, zip_size = await timed(zip_export)
            gits, git_size = await timed(git_export)
            commits = check_repository(last_git[0], Path(scratch) / "unzipped")
        finally:
            await store.close()

    print(
        f"project: {len(versions)} versions of {len(working)} files "
        f"({text_bytes / 1024:.0f} KB of text now, {history_chars / 1_000_000:.1f} M "
        f"characters over all snapshots); seeded in {seeded:.1f} s"
    )
    print(f"exported repository: {commits} commits\n")
    print("| export | median s | slowest s | size |")
    print("|---|---:|---:|---:|")
    for name, times, size in (
        ("reading the 200 snapshots from the store (part of the git export)", reads, None),
        ("working copy as zip (`export.zip`)", zips, zip_size),
        ("git repository as zip (`export.git.zip`)", gits, git_size),
    ):
        shown = "—" if size is None else f"{size / 1024:.0f} KB"
        print(f"| {name} | {statistics.median(times):.3f} | {max(times):.3f} | {shown} |")


if __name__ == "__main__":
    asyncio.run(main())
