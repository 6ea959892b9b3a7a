"""Project thumbnails: real headless Chromium against a tiny local page, and a stand-in
browser (a script that records its runs) for debouncing, taking turns and timeouts."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tessera.sandbox.deployment import Deployment
from tessera.thumbnails import PNG_SIGNATURE, Thumbnailer, find_chromium

CHROMIUM = Path("/usr/bin/chromium")
PAGE = b"<!doctype html><html><body style='background:#2a7'><h1>Thumbnail</h1></body></html>"


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def page_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def fake_browser(folder: Path, *, seconds: float = 0.0, writes: bool = True) -> Path:
    """A stand-in for Chromium: records each run (url, start, end, pid) in runs.jsonl,
    waits ``seconds``, then writes a PNG where ``--screenshot=`` says."""
    script = folder / "fake-chromium"
    log = folder / "runs.jsonl"
    script.write_text(
        f"""#!{sys.executable}
import json, os, sys, time
start = time.time()
with open({str(log)!r}, "a") as f:
    f.write(json.dumps({{"event": "start", "url": sys.argv[-1], "pid": os.getpid()}}) + "\\n")
time.sleep({seconds})
shot = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--screenshot=")][0]
if {writes}:
    with open(shot, "wb") as f:
        f.write({PNG_SIGNATURE!r} + b"fake")
with open({str(log)!r}, "a") as f:
    f.write(json.dumps({{"event": "end", "url": sys.argv[-1], "start": start,
                        "end": time.time(), "pid": os.getpid()}}) + "\\n")
"""
    )
    script.chmod(0o755)
    return script


def runs(folder: Path) -> list[dict[str, Any]]:
    log = folder / "runs.jsonl"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == PNG_SIGNATURE
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def wait_until(condition: Any, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


def test_the_machines_chromium_is_found() -> None:
    assert CHROMIUM.exists()
    assert find_chromium() == CHROMIUM
    assert find_chromium(["/nonexistent/chromium", "no-such-browser-here"]) is None


async def test_real_chromium_takes_a_png_of_the_size_asked_for(
    tmp_path: Path, page_port: int
) -> None:
    thumbnails = Thumbnailer(
        tmp_path / "thumbnails",
        chromium=CHROMIUM,
        delay=0.05,
        window=(1024, 640),
        lock_path=tmp_path / "lock",
    )
    try:
        # a preview host as Tessera's proxy names them: *.localhost is loopback
        thumbnails.schedule("proj1", f"http://5173-abc.localhost:{page_port}/")
        await wait_until(lambda: thumbnails.path_for("proj1") is not None, 60)
        path = thumbnails.path_for("proj1")
        assert path == tmp_path / "thumbnails" / "proj1.png"
        assert png_size(path) == (1024, 640)
        assert path.stat().st_size > 500
        await wait_until(lambda: not thumbnails.pending("proj1"))
        assert sorted(p.name for p in path.parent.iterdir()) == ["proj1.png"]  # no leftovers
    finally:
        await thumbnails.aclose()


async def test_a_burst_of_deploys_gives_one_screenshot_of_the_last(
    tmp_path: Path, page_port: int
) -> None:
    browser = fake_browser(tmp_path)
    thumbnails = Thumbnailer(
        tmp_path / "thumbs", chromium=browser, delay=0.3, lock_path=tmp_path / "lock"
    )
    try:
        for attempt in range(5):
            thumbnails.schedule("proj1", f"http://127.0.0.1:{page_port}/?n={attempt}")
            await asyncio.sleep(0.05)
        await wait_until(lambda: thumbnails.path_for("proj1") is not None)
        await wait_until(lambda: not thumbnails.pending("proj1"))
        await asyncio.sleep(0.5)
        ended = [run for run in runs(tmp_path) if run["event"] == "end"]
        assert [run["url"] for run in ended] == [f"http://127.0.0.1:{page_port}/?n=4"]
    finally:
        await thumbnails.aclose()


async def test_screenshots_take_turns_across_thumbnailers(tmp_path: Path, page_port: int) -> None:
    """Two thumbnailers sharing the lock file stand for two Tessera processes."""
    browser = fake_browser(tmp_path, seconds=0.4)
    lock = tmp_path / "lock"
    first = Thumbnailer(tmp_path / "a", chromium=browser, delay=0.0, lock_path=lock)
    second = Thumbnailer(tmp_path / "b", chromium=browser, delay=0.0, lock_path=lock)
    url = f"http://127.0.0.1:{page_port}/"
    try:
        for project in ("p1", "p2"):
            first.schedule(project, url)
            second.schedule(project, url)
        await wait_until(lambda: len([r for r in runs(tmp_path) if r["event"] == "end"]) == 4)
        spans = sorted(
            (run["start"], run["end"]) for run in runs(tmp_path) if run["event"] == "end"
        )
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end - 0.01, spans
    finally:
        await first.aclose()
        await second.aclose()


async def test_a_hanging_browser_is_killed_and_leaves_no_thumbnail(
    tmp_path: Path, page_port: int
) -> None:
    browser = fake_browser(tmp_path, seconds=60)
    thumbnails = Thumbnailer(
        tmp_path / "thumbs", chromium=browser, timeout=0.5, lock_path=tmp_path / "lock"
    )
    started = time.monotonic()
    assert await thumbnails.capture("proj1", f"http://127.0.0.1:{page_port}/") is None
    assert time.monotonic() - started < 5
    [run] = runs(tmp_path)
    with pytest.raises(ProcessLookupError):
        os.kill(run["pid"], 0)
    assert thumbnails.path_for("proj1") is None
    assert list((tmp_path / "thumbs").iterdir()) == []


async def test_a_preview_that_does_not_answer_gets_no_screenshot(tmp_path: Path) -> None:
    browser = fake_browser(tmp_path)
    thumbnails = Thumbnailer(tmp_path / "thumbs", chromium=browser, lock_path=tmp_path / "l")
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    assert await thumbnails.capture("proj1", f"http://127.0.0.1:{closed_port}/") is None
    assert runs(tmp_path) == []


async def test_a_browser_that_writes_nothing_leaves_no_thumbnail(
    tmp_path: Path, page_port: int
) -> None:
    browser = fake_browser(tmp_path, writes=False)
    thumbnails = Thumbnailer(tmp_path / "thumbs", chromium=browser, lock_path=tmp_path / "l")
    assert await thumbnails.capture("proj1", f"http://127.0.0.1:{page_port}/") is None
    assert len(runs(tmp_path)) == 2
    assert thumbnails.path_for("proj1") is None


async def test_without_chromium_nothing_happens_and_it_is_said_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, page_port: int
) -> None:
    thumbnails = Thumbnailer(tmp_path / "thumbs", chromium=None, delay=0.0)
    with caplog.at_level(logging.INFO, logger="tessera.thumbnails"):
        thumbnails.schedule("proj1", f"http://127.0.0.1:{page_port}/")
        thumbnails.schedule("proj2", f"http://127.0.0.1:{page_port}/")
        await asyncio.sleep(0.2)
    assert not thumbnails.pending("proj1") and not thumbnails.pending("proj2")
    assert thumbnails.path_for("proj1") is None
    assert not (tmp_path / "thumbs").exists()
    assert [r.getMessage() for r in caplog.records] == [
        "No Chromium found: projects get no thumbnails."
    ]
    assert await thumbnails.capture("proj1", f"http://127.0.0.1:{page_port}/") is None
    await thumbnails.aclose()


async def test_closing_cancels_waiting_screenshots(tmp_path: Path, page_port: int) -> None:
    browser = fake_browser(tmp_path)
    thumbnails = Thumbnailer(
        tmp_path / "thumbs", chromium=browser, delay=0.3, lock_path=tmp_path / "l"
    )
    thumbnails.schedule("proj1", f"http://127.0.0.1:{page_port}/")
    assert thumbnails.pending("proj1")
    await thumbnails.aclose()
    assert not thumbnails.pending("proj1")
    await asyncio.sleep(0.6)
    assert runs(tmp_path) == []
    thumbnails.schedule("proj1", f"http://127.0.0.1:{page_port}/")  # closed: ignored
    assert not thumbnails.pending("proj1")


async def test_the_deploy_hook_takes_ready_deployments_only(tmp_path: Path, page_port: int) -> None:
    browser = fake_browser(tmp_path)
    thumbnails = Thumbnailer(
        tmp_path / "thumbs", chromium=browser, delay=0.0, lock_path=tmp_path / "l"
    )
    url = f"http://127.0.0.1:{page_port}/"

    def deployment(status: Any, files: list[str]) -> Deployment:
        return Deployment(
            sandbox_id="sb", sandbox_url=url, preview_url=url, status=status, files=files
        )

    try:
        thumbnails.deployment_ready("proj1", deployment("error", ["src/App.tsx"]))
        thumbnails.deployment_ready("proj1", deployment("starting", ["src/App.tsx"]))
        assert not thumbnails.pending("proj1")
        thumbnails.deployment_ready("proj1", deployment("ready", []))  # no thumbnail yet
        await wait_until(lambda: thumbnails.path_for("proj1") is not None)
        await wait_until(lambda: not thumbnails.pending("proj1"))
        thumbnails.deployment_ready("proj1", deployment("ready", []))  # nothing changed
        assert not thumbnails.pending("proj1")
        thumbnails.deployment_ready("proj1", deployment("ready", ["src/App.tsx"]))
        assert thumbnails.pending("proj1")
    finally:
        await thumbnails.aclose()


async def test_forgetting_a_project_deletes_its_thumbnail(tmp_path: Path, page_port: int) -> None:
    browser = fake_browser(tmp_path)
    thumbnails = Thumbnailer(tmp_path / "thumbs", chromium=browser, lock_path=tmp_path / "l")
    path = await thumbnails.capture("proj1", f"http://127.0.0.1:{page_port}/")
    assert path is not None and path.exists()
    thumbnails.forget("proj1")
    assert not path.exists() and thumbnails.path_for("proj1") is None
    assert thumbnails.path_for("../../etc/passwd") is None
