"""The terminal WebSocket through the app under uvicorn: a shell in the project's sandbox
(started by the terminal), control messages, errors, and the shell's end both ways."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tessera.api import terminal
from tessera.app import create_app
from tessera.config import Settings
from tessera.store import Store
from tests.preview.preview_test_support import serve

WITHIN = 15.0
CONTROL = "\x00"
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass
class Server:
    base: str
    app: FastAPI
    client: httpx.AsyncClient

    async def new_project(self) -> str:
        store: Store = self.app.state.store
        return (await store.create_project(name="Terminal test")).id

    def terminal_url(self, project_id: str, query: str = "") -> str:
        return f"ws://{self.base}/api/projects/{project_id}/terminal{query}"


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Server]:
    app = create_app(settings)
    app.include_router(terminal.router)
    async with (
        serve(app, settings.port),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.port}", timeout=30) as client,
    ):
        yield Server(f"127.0.0.1:{settings.port}", app, client)


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[Server]:
    async with running(settings) as instance:
        yield instance


@dataclass
class Term:
    """One terminal socket: its output as text lines, and the control messages it got."""

    socket: ClientConnection
    output: str = ""
    controls: list[dict[str, Any]] = field(default_factory=list)

    async def receive(self) -> None:
        message = await asyncio.wait_for(self.socket.recv(), WITHIN)
        if isinstance(message, str):
            assert message.startswith(CONTROL), f"output came as text: {message!r}"
            self.controls.append(json.loads(message[1:]))
        else:
            text = ESCAPES.sub("", message.decode(errors="replace"))
            self.output += text.replace("\r", "")

    async def run(self, line: str, expected: str) -> re.Match[str]:
        start = len(self.output)
        await self.socket.send(line + "\n")
        return await self.wait_for(expected, start)

    async def wait_for(self, expected: str, start: int = 0) -> re.Match[str]:
        pattern = re.compile(expected, re.MULTILINE)
        deadline = time.monotonic() + WITHIN
        while (found := pattern.search(self.output, start)) is None:
            assert time.monotonic() < deadline, f"{expected!r} not printed:\n{self.output}"
            await self.receive()
        return found

    async def closed(self) -> int:
        """Reads to the end; the close code."""
        with contextlib.suppress(ConnectionClosed):
            while True:
                await self.receive()
        assert self.socket.close_code is not None
        return self.socket.close_code


@contextlib.asynccontextmanager
async def opened(url: str) -> AsyncIterator[Term]:
    async with connect(url, open_timeout=WITHIN, max_size=None) as socket:
        yield Term(socket)


def resize(cols: int, rows: int) -> str:
    return CONTROL + json.dumps({"type": "resize", "cols": cols, "rows": rows})


async def test_a_terminal_is_a_shell_in_the_project_sandbox(server: Server) -> None:
    project_id = await server.new_project()
    async with opened(server.terminal_url(project_id, "?cols=100&rows=30")) as term:
        await term.run("echo $((6*7))", r"^42$")
        await term.run("tty", r"^/dev/pts/\d+$")
        await term.run("pwd; id -un; echo $HOME", r"^/home/user/app\nuser\n/home/user$")
        await term.run("ls package.json", r"^package\.json$")
        await term.run("stty size", r"^30 100$")
        await term.socket.send(resize(120, 40))
        await term.run("stty size", r"^40 120$")
        await term.run("ls /root; echo rc=$?", r"^rc=[1-9]\d*$")
        # The terminal started the project's sandbox.
        listed = (await server.client.get("/api/sandboxes")).json()
        assert [entry["project_id"] for entry in listed] == [project_id]
    assert term.controls == []


async def test_closing_the_socket_kills_the_shell_and_its_processes(server: Server) -> None:
    project_id = await server.new_project()
    url = server.terminal_url(project_id)
    count = "cat /proc/[0-9]*/comm 2>/dev/null | grep -c '^sleep$'"
    async with opened(url) as watcher:
        async with opened(url) as term:
            await term.run("sleep 1000 & echo started", r"^started$")
            await watcher.run(count, r"^1$")  # one process tree per sandbox
        deadline = time.monotonic() + WITHIN
        while not re.search(r"^0$", watcher.output, re.MULTILINE):
            assert time.monotonic() < deadline, "the shell's process outlived its socket"
            await asyncio.sleep(0.1)
            await watcher.run(count, r"^\d+$")


async def test_the_socket_closes_when_the_shell_ends(server: Server) -> None:
    project_id = await server.new_project()
    async with opened(server.terminal_url(project_id)) as term:
        await term.socket.send("exit 5\n")
        assert await term.closed() == 1000
    assert term.controls == [{"type": "exit", "exit_code": 5}]


async def test_an_unknown_project_is_refused_with_the_reason(server: Server) -> None:
    async with opened(server.terminal_url("no-such-project")) as term:
        assert await term.closed() == 4404
    [error] = term.controls
    assert error["type"] == "error" and error["code"] == "project_not_found"


async def test_an_impossible_size_is_refused(server: Server) -> None:
    project_id = await server.new_project()
    async with opened(server.terminal_url(project_id, "?cols=0&rows=24")) as term:
        assert await term.closed() == 4422
    [error] = term.controls
    assert error["code"] == "invalid_input" and "columns" in error["message"]


async def test_a_bad_control_message_is_answered_and_the_shell_goes_on(server: Server) -> None:
    project_id = await server.new_project()
    async with opened(server.terminal_url(project_id)) as term:
        await term.run("echo before", r"^before$")
        await term.socket.send(CONTROL + "{not json")
        await term.socket.send(resize(0, 5))
        await term.run("echo after", r"^after$")
        while len(term.controls) < 2:
            await term.receive()
        assert [control["code"] for control in term.controls] == ["invalid_input"] * 2
        await term.run("stty size", r"^24 80$")


async def test_a_sandbox_without_terminals_is_refused(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = server.app.state.sandboxes.provider
    connect = provider.connect

    async def without_terminal(sandbox_id: str) -> object:
        """The sandbox as a provider without terminals would give it."""
        sandbox = await connect(sandbox_id)
        return SimpleNamespace(sandbox_id=sandbox.sandbox_id, files=sandbox.files)

    monkeypatch.setattr(provider, "connect", without_terminal)
    project_id = await server.new_project()
    async with opened(server.terminal_url(project_id)) as term:
        assert await term.closed() == 4501
    [error] = term.controls
    assert error["code"] == "terminal_unavailable"
