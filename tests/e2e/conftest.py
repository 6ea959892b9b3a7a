"""A real Tessera server (``tessera serve`` in a subprocess) and real headless Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tessera.sandbox.templates import TemplateCache
from tests.conftest import free_port, shared_test_cache

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@dataclass
class RunningServer:
    url: str
    port: int
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(data_dir: Path, env_extra: dict[str, str] | None = None) -> RunningServer:
    port = free_port()
    log_path = data_dir.parent / f"server-{port}.log"
    env = {
        **os.environ,
        "TESSERA_HOST": "127.0.0.1",
        "TESSERA_PORT": str(port),
        "TESSERA_DATA_DIR": str(data_dir),
        "TESSERA_CACHE_DIR": str(shared_test_cache()),
        "TESSERA_OFFLINE_PACE": "0.25",
        "TESSERA_LLM_PROVIDER": "offline",
        "TESSERA_THUMBNAILS": "false",  # a test that wants them turns them on
        # Runs wait this long for the app's errors after deploying; the autofix test,
        # which needs the page's reports, sets its own.
        "TESSERA_AUTOFIX_WINDOW": "1.0",
        **(env_extra or {}),
    }
    env.pop("OPENAI_API_KEY", None)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tessera.cli", "serve"], env=env, stdout=log, stderr=log
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"tessera serve exited:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return RunningServer(url, port, data_dir, process, log_path)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"tessera serve did not answer:\n{log_path.read_text()}")


def stop_server(server: RunningServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def warm_cache() -> None:
    cache = TemplateCache(shared_test_cache() / "templates")
    if not cache.is_ready("react"):
        import asyncio

        asyncio.run(cache.warm("react"))


@pytest.fixture
def server(tmp_path: Path, warm_cache: None) -> Iterator[RunningServer]:
    running = start_server(tmp_path / "data")
    yield running
    stop_server(running)
    print(f"--- server log ---\n{running.log()[-5000:]}")  # shown when the test failed


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Per test: Playwright's sync API runs an event loop while it is open, which must not
    outlive the test (the asyncio tests that follow need the thread to themselves)."""
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    yield page
    context.close()
