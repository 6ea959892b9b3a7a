"""The console router: the errors list, clearing it, and the server-sent event stream (under
uvicorn, with a real store on SQLite)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tessera.api import console
from tessera.api.errors import install_error_handlers
from tessera.diagnostics import AppError, Diagnostics
from tessera.store import Store
from tests.preview.preview_test_support import free_port, serve
from tests.sandbox.sandbox_test_support import poll


@dataclass
class Api:
    client: httpx.AsyncClient
    diagnostics: Diagnostics
    project_id: str


@contextlib.asynccontextmanager
async def running(tmp_path: Path) -> AsyncIterator[Api]:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'tessera.db'}")
    diagnostics = Diagnostics()
    app = FastAPI()
    app.state.store = store
    app.state.diagnostics = diagnostics
    app.include_router(console.router)

    install_error_handlers(app)

    project = await store.create_project(name="Console test")
    port = free_port()
    try:
        async with (
            serve(app, port),
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client,
        ):
            yield Api(client, diagnostics, project.id)
    finally:
        await store.close()


async def test_errors_are_listed_and_cleared(tmp_path: Path) -> None:
    async with running(tmp_path) as api:
        url = f"/api/projects/{api.project_id}/errors"
        assert (await api.client.get(url)).json() == {"errors": []}
        error = AppError.create(source="server", message="KeyError: 'b'", file="app.py", line=7)
        api.diagnostics.report(api.project_id, error)
        listed = (await api.client.get(url)).json()
        assert listed == {"errors": [error.to_dict()]}
        cleared = await api.client.delete(url)
        assert cleared.status_code == 204 and cleared.content == b""
        assert (await api.client.get(url)).json() == {"errors": []}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "errors"), ("DELETE", "errors"), ("GET", "console")],
)
async def test_an_unknown_project_is_not_found(tmp_path: Path, method: str, path: str) -> None:
    async with running(tmp_path) as api:
        response = await api.client.request(method, f"/api/projects/nope/{path}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "project_not_found"


async def read_events(lines: AsyncIterator[str], count: int) -> list[Any]:
    """The next ``count`` events: data entries as dicts, comments as their text."""
    events: list[Any] = []

    async def collect() -> None:
        async for line in lines:
            if line.startswith("data: "):
                events.append(json.loads(line.removeprefix("data: ")))
            elif line.startswith(":"):
                events.append(line)
            if len(events) == count:
                return

    await asyncio.wait_for(collect(), 10)
    return events


async def test_the_console_streams_backlog_then_live_entries(tmp_path: Path) -> None:
    async with running(tmp_path) as api:
        hub, pid = api.diagnostics, api.project_id
        hub.log(pid, "  VITE v8.3.8  ready in 334 ms")
        hub.report(pid, AppError.create(source="build", message="Unexpected token"))
        async with api.client.stream("GET", f"/api/projects/{pid}/console") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.aiter_lines()
            backlog = await read_events(lines, 2)
            assert backlog[0]["type"] == "log"
            assert backlog[0]["line"] == "  VITE v8.3.8  ready in 334 ms"
            assert backlog[1]["type"] == "error"
            assert backlog[1]["error"]["message"] == "Unexpected token"
            hub.log(pid, "live")
            hub.clear(pid)
            live = await read_events(lines, 2)
            assert live[0]["type"] == "log" and live[0]["line"] == "live"
            assert live[1] == {"type": "cleared"}
            assert hub.readers(pid) == 1

        async def reader_left() -> bool:
            return hub.readers(pid) == 0

        await poll(reader_left)  # the server notices the reader went away


async def test_a_quiet_console_gets_keepalive_comments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "KEEPALIVE_SECONDS", 0.2)
    async with running(tmp_path) as api:
        pid = api.project_id
        async with api.client.stream("GET", f"/api/projects/{pid}/console") as response:
            lines = response.aiter_lines()
            assert await read_events(lines, 2) == [": keepalive", ": keepalive"]
            api.diagnostics.log(pid, "after a while")
            (entry,) = await read_events(lines, 1)
            assert entry["line"] == "after a while"


async def test_the_console_ends_when_the_project_is_forgotten(tmp_path: Path) -> None:
    async with running(tmp_path) as api:
        pid = api.project_id
        api.diagnostics.log(pid, "x")
        async with api.client.stream("GET", f"/api/projects/{pid}/console") as response:
            lines = response.aiter_lines()
            await read_events(lines, 1)
            api.diagnostics.forget(pid)
            rest = [line async for line in lines]
            assert all(not line.startswith("data: ") for line in rest)
