"""The preview script in real Chromium: what goes wrong in a page reaches Tessera.

A tiny upstream behind ``PreviewProxy`` serves a page that throws, rejects a promise and
calls ``console.error``; and a real Vite dev server whose module stops compiling shows its
error overlay, which arrives as the same build error Vite's log gives.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, async_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from tessera.diagnostics import Diagnostics
from tessera.preview.proxy import PreviewProxy
from tessera.preview.storage import PreviewStorage
from tessera.sandbox.local import LocalSandboxProvider
from tessera.sandbox.manager import SandboxManager
from tessera.sandbox.templates import TemplateCache, get_template
from tests.conftest import free_port
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.preview.preview_test_support import serve

pytestmark = pytest.mark.e2e

SANDBOX = "abc123def456"

PAGE = """<!doctype html>
<html><head><title>errors</title><script src="/src/boom.js"></script></head>
<body><p id="note">page</p>
<script>
  Promise.reject(new Error("rejected on load"));
  console.error("logged %s with %d args", "error", 2, new Error("logged cause"));
  for (var i = 0; i < 30; i++) console.error("said again and again");
  localStorage.setItem("kept", "yes");
  document.getElementById("note").textContent = "ran to the end";
</script></body></html>
"""

BOOM = """function explode() {
  throw new Error("thrown on load");
}
explode();
"""

Report = Mapping[str, object]


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


class Inbox:
    """Reports as the proxy hands them over, and a wait for the ones a test needs."""

    def __init__(self) -> None:
        self.reports: list[tuple[str, Report]] = []
        self._changed = asyncio.Event()

    def receive(self, sandbox_id: str, report: Report) -> None:
        self.reports.append((sandbox_id, report))
        self._changed.set()

    async def until(self, done: Callable[[list[Report]], bool], within: float = 15) -> None:
        async def wait() -> None:
            while not done([report for _, report in self.reports]):
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), within)


async def test_uncaught_errors_rejections_and_console_errors_arrive(tmp_path: Path) -> None:
    async def page(request: Request) -> Response:
        return HTMLResponse(PAGE)

    async def boom(request: Request) -> Response:
        return PlainTextResponse(BOOM, media_type="text/javascript")

    upstream_port, proxy_port = free_port(), free_port()

    async def resolve(sandbox_id: str, port: int) -> str | None:
        ok = sandbox_id == SANDBOX and port == upstream_port
        return f"http://127.0.0.1:{port}" if ok else None

    inbox = Inbox()
    proxy = PreviewProxy(
        Starlette(),
        domain=f"localhost:{proxy_port}",
        resolve=resolve,
        storage=PreviewStorage(tmp_path),
        report=inbox.receive,
    )
    upstream = Starlette(routes=[Route("/", page), Route("/src/boom.js", boom)])
    console: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console.append(message.text)

    async with serve(upstream, upstream_port), serve(proxy, proxy_port), chromium() as browser:
        tab = await browser.new_page()
        tab.on("console", on_console)
        await tab.goto(f"http://{upstream_port}-{SANDBOX}.localhost:{proxy_port}/")
        await tab.wait_for_function("document.getElementById('note').textContent.includes('end')")

        def complete(reports: list[Report]) -> bool:
            kinds = {str(report.get("kind")) for report in reports}
            again = [r for r in reports if r.get("message") == "said again and again"]
            counted = sum(int(str(r.get("count", 0))) for r in again)
            return {"error", "rejection", "console"} <= kinds and counted == 30

        await inbox.until(complete)
        await tab.close()
    await proxy.aclose()

    assert {sandbox for sandbox, _ in inbox.reports} == {SANDBOX}
    reports = [report for _, report in inbox.reports]
    by_message = {str(report["message"]): report for report in reports}

    thrown = by_message["Uncaught Error: thrown on load"]
    assert thrown["kind"] == "error"
    assert str(thrown["file"]).endswith("/src/boom.js") and thrown["line"] == 2
    assert "explode" in str(thrown["stack"]) and "boom.js:2" in str(thrown["stack"])

    rejected = by_message["Uncaught (in promise) Error: rejected on load"]
    assert rejected["kind"] == "rejection" and "rejected on load" in str(rejected["stack"])

    logged = by_message["logged error with 2 args Error: logged cause"]
    assert logged["kind"] == "console" and "logged cause" in str(logged["stack"])

    # Repeats are collapsed into counts; the page's own console.error still ran each time.
    again = [r for r in reports if r["message"] == "said again and again"]
    assert len(again) < 30 and sum(int(str(r["count"])) for r in again) == 30
    assert console.count("said again and again") == 30

    # The storage part of the script still works beside the error part.
    assert json.loads(await PreviewStorage(tmp_path).load(SANDBOX)) == {"kept": "yes"}

    hub = Diagnostics()
    for report in reports:
        hub.report_browser("p1", report)
    errors = {error.message: error for error in hub.errors("p1")}
    thrown_error = errors["Uncaught Error: thrown on load"]
    assert (thrown_error.source, thrown_error.file, thrown_error.line) == (
        "browser",
        "src/boom.js",
        2,
    )
    assert errors["said again and again"].count == 30


@pytest.mark.slow
async def test_vites_error_overlay_arrives_as_the_build_error_vite_logs(
    tmp_path: Path, template_cache: TemplateCache
) -> None:
    provider = LocalSandboxProvider(
        tmp_path / "sandboxes", template_cache, preview_domain="unused.test"
    )
    manager = SandboxManager(provider, dev_server_timeout=30)
    hub = Diagnostics(flush_after=0.1)
    manager.on_output = hub.log
    inbox = Inbox()

    def receive(sandbox_id: str, report: Report) -> None:
        inbox.receive(sandbox_id, report)
        project = manager.project_of(sandbox_id)
        if project is not None:
            hub.report_browser(project, report)

    starter = get_template("react")
    files = {path: (starter.files_dir / path).read_text() for path in starter.starter_files()}
    proxy_port = free_port()
    proxy = PreviewProxy(
        Starlette(), domain=f"localhost:{proxy_port}", resolve=manager.upstream, report=receive
    )
    try:
        deployment = await manager.deploy("p1", files)
        vite_port = int(deployment.preview_url.removeprefix("http://").split("-", 1)[0])
        url = f"http://{vite_port}-{deployment.sandbox_id}.localhost:{proxy_port}/"
        async with serve(proxy, proxy_port), chromium() as browser:
            tab = await browser.new_page()
            await tab.goto(url)
            await tab.get_by_text("Your app will appear here").wait_for()
            files["src/App.tsx"] = files["src/App.tsx"].replace("</main>", "</main")
            await manager.deploy("p1", files)
            await inbox.until(lambda reports: any(r.get("kind") == "overlay" for r in reports))
            await tab.close()

        overlay = next(r for _, r in inbox.reports if r.get("kind") == "overlay")
        assert "App.tsx" in str(overlay["file"])
        errors = await hub.wait_for_errors("p1", since=0, timeout=10, settle=0.3)
        build = [error for error in errors if error.source == "build"]
        assert len(build) == 1, [error.to_dict() for error in errors]
        (error,) = build
        assert error.file == "src/App.tsx" and error.line is not None
        assert error.count >= 2  # Vite's log and the page's overlay: one error
    finally:
        await proxy.aclose()
        await manager.aclose()
        await provider.aclose()
