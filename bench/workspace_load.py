"""Benchmark: how long the workspace takes to become usable, for a big project and a small one.

    .venv/bin/python -m bench.workspace_load [--runs 7] [--files 200] [--small 10]

Starts ``tessera serve`` and imports (``POST /api/projects/import``, one zip) two React
projects built on the react template's starter files: one of ``--files`` files (about 1.5 MB:
components of 5 to 15 KB, style sheets of 2 to 8 KB) and one of ``--small`` files. Each
workspace is opened once untimed (its sandbox starts; the measurement waits until its preview
is ready, so no sandbox starts during a timed load), then each is loaded ``--runs`` times,
alternately, in a new tab of one browser (the front end's files cached, as for someone
coming back to a project).

"Interactive" is the first animation frame in which the file tree lists every file, the
editor shows the entry file's text (src/App.tsx, its first line rendered by Monaco) and the
chat input is enabled. It is timed inside the page from the navigation's start
(``performance.now()``, a script run before the page's own), so it includes the HTML, the
front end's scripts, the project's API reads and rendering. The file tree's and the editor's
own moments are reported too.

Prints a markdown table: median and p95 in milliseconds, and the big project's median over
the small one's.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import tempfile
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path

import httpx
from playwright.sync_api import Browser, BrowserContext, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tessera.sandbox.templates.registry import template_files
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, RunningServer, start_server, stop_server

ENTRY = "src/App.tsx"
ENTRY_MARKER = "WorkspaceLoadEntry"
"""A word on the entry file's first line: seen in the editor's rendered lines, it means the
file's text is shown (Monaco renders spaces as no-break spaces, so a single word is sought)."""

LOAD_TIMEOUT_MS = 60_000
SANDBOX_TIMEOUT_MS = 180_000


# --- the projects ----------------------------------------------------------------------
def component(index: int, lines: int) -> str:
    """A React component of about ``lines`` lines of JSX and state."""
    rows = "\n".join(
        f'        <li className="row-{index}-{row}" onClick={{() => pick({row})}}>'
        f"{{items[{row} % items.length]}} — row {row} of widget {index}</li>"
        for row in range(lines)
    )
    return f"""import {{ useState }} from 'react'
import '../styles/widget{index}.css'

export interface Widget{index}Props {{
  title: string
  items: string[]
}}

export function Widget{index}({{ title, items }}: Widget{index}Props) {{
  const [picked, setPicked] = useState<number | null>(null)
  const pick = (row: number) => setPicked(row === picked ? null : row)
  return (
    <section className="widget-{index}">
      <h2>{{title}}</h2>
      <p>{{picked === null ? 'Nothing picked' : `Row ${{picked}} picked`}}</p>
      <ul>
{rows}
      </ul>
    </section>
  )
}}
"""


def stylesheet(index: int, rules: int) -> str:
    return "".join(
        f".widget-{index} .row-{index}-{rule} {{\n"
        f"  padding: {rule % 9}px {rule % 13}px;\n"
        f"  color: hsl({(index * 37 + rule * 11) % 360} 60% 35%);\n"
        f"  border-bottom: 1px solid #e4e4e7;\n}}\n"
        for rule in range(rules)
    )


def entry_file(components: int) -> str:
    shown = range(min(components, 5))
    imports = "".join(f"import {{ Widget{i} }} from './components/Widget{i}'\n" for i in shown)
    widgets = "".join(
        f"      <Widget{i} title=\"Widget {i}\" items={{['alpha', 'beta']}} />\n" for i in shown
    )
    return (
        f"// {ENTRY_MARKER}: the app that shows the first widgets\n"
        f"import './index.css'\n{imports}\n"
        f"export default function App() {{\n  return (\n    <main>\n{widgets}    </main>\n  )\n}}\n"
    )


def project_files(count: int, seed: int = 7) -> dict[str, str]:
    """``count`` files: the react template's, then components and their style sheets
    (three components for every two style sheets; sizes vary, seeded)."""
    files = template_files("react")
    chance = random.Random(seed)
    index = 0
    while len(files) < count:
        files[f"src/components/Widget{index}.tsx"] = component(index, chance.randint(35, 125))
        if len(files) < count and index % 3 != 2:
            files[f"src/styles/widget{index}.css"] = stylesheet(index, chance.randint(20, 75))
        index += 1
    for missing in range(index):  # a component whose sheet was left out imports none
        if f"src/styles/widget{missing}.css" not in files:
            path = f"src/components/Widget{missing}.tsx"
            files[path] = files[path].replace(f"import '../styles/widget{missing}.css'\n", "")
    files[ENTRY] = entry_file(index)
    return files


def import_project(server: RunningServer, name: str, files: dict[str, str]) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in files.items():
            archive.writestr(f"{name}/{path}", content)
    response = httpx.post(
        f"{server.url}/api/projects/import",
        files={"zip": (f"{name}.zip", buffer.getvalue(), "application/zip")},
        data={"name": name},
        timeout=120,
    )
    response.raise_for_status()
    project = response.json()
    assert not project["skipped"], project["skipped"]
    listed = httpx.get(f"{server.url}/api/projects/{project['id']}/files", timeout=30).json()
    assert len(listed) == len(files), f"{len(listed)} files imported of {len(files)}"
    project_id: str = project["id"]
    return project_id


# --- the measurement -------------------------------------------------------------------
PROBE = """(expected) => {
  const marks = {};
  const now = () => performance.now();
  const tick = () => {
    const items = document.querySelectorAll('[data-testid=file-item]').length;
    const editor = document.querySelector('[data-testid=editor]');
    const lines = editor && editor.querySelector('.view-lines');
    const input = document.querySelector('[data-testid=chat-input]');
    if (marks.tree === undefined && items === expected.count) marks.tree = now();
    if (marks.editor === undefined && editor && editor.getAttribute('data-path') === expected.entry
        && lines && lines.textContent.includes(expected.marker)) marks.editor = now();
    if (marks.input === undefined && input && !input.disabled) marks.input = now();
    if (marks.tree !== undefined && marks.editor !== undefined && marks.input !== undefined) {
      marks.interactive = now();
      marks.loaded = performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd;
      const detail = performance.getEntriesByType('resource')
        .find((entry) => new URL(entry.name).pathname === expected.detail);
      marks.project = detail ? detail.responseEnd : null;
      window.__workspaceLoad = marks;
      return;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


@dataclass
class Load:
    """Moments of one load, in ms from the navigation's start."""

    interactive: float
    tree: float
    """The file tree lists every file."""
    editor: float
    """The entry file's text is rendered in the editor."""
    loaded: float
    """DOMContentLoaded: the front end's entry scripts have run."""
    project: float
    """The project (its file list) was read: ``GET /api/projects/{id}`` answered."""


def open_workspace(
    context: BrowserContext, server: RunningServer, project_id: str, count: int
) -> Load:
    """One load in a new tab: the moments it became usable."""
    page = context.new_page()
    try:
        detail = f"/api/projects/{project_id}"
        arg = {"count": count, "entry": ENTRY, "marker": ENTRY_MARKER, "detail": detail}
        page.add_init_script(f"({PROBE})({json.dumps(arg)})")
        page.goto(f"{server.url}/p/{project_id}", wait_until="commit")
        marks = page.wait_for_function(
            "() => window.__workspaceLoad", timeout=LOAD_TIMEOUT_MS
        ).json_value()
        assert marks["project"] is not None, "the project was never read"
        return Load(**{field.name: marks[field.name] for field in fields(Load)})
    finally:
        page.close()


def warm_up(context: BrowserContext, server: RunningServer, project_id: str, count: int) -> None:
    """Opens the workspace once and waits until its preview is ready: the sandbox runs."""
    page = context.new_page()
    try:
        page.goto(f"{server.url}/p/{project_id}")
        page.wait_for_selector(
            "[data-testid=preview-status][data-status=ready]", timeout=SANDBOX_TIMEOUT_MS
        )
        page.wait_for_function(
            "n => document.querySelectorAll('[data-testid=file-item]').length === n",
            arg=count,
            timeout=LOAD_TIMEOUT_MS,
        )
    finally:
        page.close()


MOMENTS = {
    "interactive": "**interactive**",
    "loaded": "front end loaded (DOMContentLoaded)",
    "project": "project read (GET /api/projects/{id})",
    "tree": "file tree complete",
    "editor": "entry file shown in the editor",
}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=20, method="inclusive")[18]


def row(name: str, values: list[float]) -> str:
    return f"| {name} | {len(values)} | {statistics.median(values):.0f} | {p95(values):.0f} |"


def measure(browser: Browser, server: RunningServer, runs: int, sizes: dict[str, int]) -> None:
    contents = {label: project_files(count) for label, count in sizes.items()}
    projects = {
        label: (import_project(server, f"load-{len(files)}", files), len(files))
        for label, files in contents.items()
    }
    sizes_kb = {
        label: sum(len(text.encode()) for text in files.values()) / 1024
        for label, files in contents.items()
    }
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    for project_id, count in projects.values():
        warm_up(context, server, project_id, count)
    loads: dict[str, list[Load]] = {label: [] for label in projects}
    for _ in range(runs):
        for label, (project_id, count) in projects.items():
            loads[label].append(open_workspace(context, server, project_id, count))
    context.close()

    print("| workspace load (ms from navigation) | loads | median ms | p95 ms |")
    print("|---|---:|---:|---:|")
    for label, (_, count) in projects.items():
        name = f"{count} files ({sizes_kb[label]:,.0f} KB)"
        for field, what in MOMENTS.items():
            print(row(f"{name}: {what}", [getattr(load, field) for load in loads[label]]))
    big, small = (statistics.median(x.interactive for x in loads[k]) for k in ("big", "small"))
    print(f"\nbig / small (median interactive): {big / small:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--small", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "data")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                measure(browser, server, args.runs, {"big": args.files, "small": args.small})
                browser.close()
        finally:
            stop_server(server)


if __name__ == "__main__":
    main()
