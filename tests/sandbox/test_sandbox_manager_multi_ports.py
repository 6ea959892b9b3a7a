"""A template's processes and their ports: each process gets its own, keeps it across
restarts, and a process whose command names another's port follows it when it moves."""

from __future__ import annotations

import os
import re
import signal
import socket
from pathlib import Path

import pytest
from sandbox_test_support import poll, process_alive

from tessera.errors import DevServerFailed
from tessera.sandbox.local import LocalSandboxProvider
from tessera.sandbox.processes import ProcessGroup
from tessera.sandbox.templates import Process, Template

pytestmark = pytest.mark.slow

SERVE = "exec /usr/bin/python3 -m http.server {port} --bind 127.0.0.1"


def pair(tmp_path: Path, *, api_command: str = SERVE) -> Template:
    """Two tiny servers: ``web`` (the preview) names ``api``'s port in its command."""
    return Template(
        name="pair",
        description="two servers of the tests",
        files_dir=tmp_path,
        processes=(
            Process("api", "API server", api_command, 7001, restart_on=("api/*.py",)),
            Process("web", "dev server", SERVE + " # api={ports[api]}", 7002, preview=True),
        ),
        dependencies=(),
    )


class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    async def add(self, line: str) -> None:
        self.lines.append(line)

    async def say(self, message: str) -> None:
        self.lines.append(f"[tessera] {message}")

    def started_with(self, label: str) -> list[str]:
        return [line for line in self.lines if line.startswith(f"[tessera] Starting the {label}")]


def port_in(line: str, pattern: str = r"http\.server (\d+)") -> int:
    match = re.search(pattern, line)
    assert match is not None, line
    return int(match.group(1))


async def test_ports_are_kept_and_followed(provider: LocalSandboxProvider, tmp_path: Path) -> None:
    sandbox = await provider.create("react")
    log = Log()
    group = ProcessGroup(lambda: sandbox, pair(tmp_path), emit=log.add, say=log.say)
    blocker = socket.socket()
    try:
        assert await group.start_stopped()
        await group.wait_ready(10)
        assert not await group.start_stopped()  # nothing to start
        [api_line] = log.started_with("API server")
        [web_line] = log.started_with("dev server")
        api, web = port_in(api_line), port_in(web_line)
        assert api != web
        assert port_in(web_line, r"# api=(\d+)") == api
        assert group.served_ports() == {api, web}
        assert group.preview_port == web
        assert any(line.startswith("api | ") for line in log.lines)  # named output

        # A change the API restarts for keeps its port; the web server is left alone.
        web_pid = group.preview_handle.pid if group.preview_handle else 0
        await group.restart_for(["api/app.py", "src/App.tsx"], installed=())
        assert "[tessera] Restarting the API server: changed api/app.py" in log.lines
        await group.start_stopped()
        await group.wait_ready(10)
        assert port_in(log.started_with("API server")[-1]) == api
        assert len(log.started_with("dev server")) == 1
        assert group.preview_handle is not None and group.preview_handle.pid == web_pid

        # The API crashes and its port is taken meanwhile: it moves, and the web server is
        # restarted with the new port.
        api_pids = [p for p in sandbox.running_processes() if p != web_pid]
        os.kill(api_pids[0], signal.SIGKILL)

        async def crashed() -> bool:
            return group.failure() is not None

        await poll(crashed)
        assert (group.failure() or "").startswith("The API server is not running (exit code")
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind(("127.0.0.1", api))
        blocker.listen()
        await group.start_stopped()
        await group.wait_ready(10)
        moved = port_in(log.started_with("API server")[-1])
        assert moved != api
        assert port_in(log.started_with("dev server")[-1], r"# api=(\d+)") == moved
        assert not process_alive(web_pid)
        assert group.served_ports() == {moved, port_in(log.started_with("dev server")[-1])}
    finally:
        blocker.close()
        await group.stop_all()
        await sandbox.kill()
    assert group.served_ports() == set()


async def test_the_first_failing_process_is_reported(
    provider: LocalSandboxProvider, tmp_path: Path
) -> None:
    sandbox = await provider.create("react")
    log = Log()
    broken = pair(tmp_path, api_command="echo 'no API today' >&2; exit 4")
    group = ProcessGroup(lambda: sandbox, broken, emit=log.add, say=log.say)
    try:
        await group.start_stopped()
        with pytest.raises(DevServerFailed) as caught:
            await group.wait_ready(10)
        assert caught.value.message.startswith("The API server stopped (exit code 4)")
        assert "no API today" in caught.value.output
    finally:
        await group.stop_all()
        await sandbox.kill()
