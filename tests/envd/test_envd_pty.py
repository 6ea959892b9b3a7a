"""envd's PTY processes: an interactive shell on a pseudo-terminal of its own, driven
through the real E2B SDK (``sandbox.pty``) against a real envd server."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from e2b import (
    AsyncSandbox,
    CommandExitException,
    NotFoundException,
    Sandbox,
    SandboxException,
    TimeoutException,
)
from e2b.sandbox.commands.command_handle import PtySize
from protobuf import Oneof

from tessera.envd import pty
from tessera.envd.identity import EnvdConfig
from tessera.envd.processes import ProcessService
from tessera.envd.proto.process.process_pb import (
    PTY,
    ProcessConfig,
    ProcessEvent,
    StartRequest,
)
from tests.envd.process_support import (
    EnvdServer,
    async_wait_until,
    context,
    pid_alive,
    proc_stat,
    sandbox_homes,
    serve_envd,
)


class Screen:
    """What a terminal printed, for waiting on."""

    def __init__(self) -> None:
        self.data = bytearray()

    def __call__(self, chunk: bytes) -> None:
        self.data += chunk

    @property
    def text(self) -> str:
        return self.data.decode(errors="replace")

    async def shows(self, text: str, within: float = 5.0) -> bool:
        return await async_wait_until(lambda: text in self.text, within=within)


# --- service level --------------------------------------------------------------------


@pytest.fixture
def config() -> Iterator[EnvdConfig]:
    with sandbox_homes() as built:
        yield built


@pytest.fixture
async def service(config: EnvdConfig) -> AsyncIterator[ProcessService]:
    started = ProcessService(config)
    try:
        yield started
    finally:
        await started.aclose()


def test_a_pty_has_the_size_it_is_given() -> None:
    master, slave = pty.open_pty(cols=132, rows=43)
    try:
        assert pty.get_size(slave) == (132, 43)
        pty.set_size(master, 90, 20)
        assert pty.get_size(slave) == (90, 20)
    finally:
        os.close(master)
        os.close(slave)


async def test_the_pty_is_the_controlling_terminal_of_a_new_session(
    service: ProcessService,
) -> None:
    request = StartRequest(
        process=ProcessConfig(cmd="/bin/bash", args=["-c", "tty; stty size; exec sleep 30"]),
        pty=PTY(size=PTY.Size(cols=77, rows=21)),
    )
    stream = service.start(request, context())
    first = await anext(stream)
    assert first.event is not None and isinstance(first.event.event, Oneof)
    start = first.event.event.value
    assert isinstance(start, ProcessEvent.StartEvent)
    pid = start.pid
    printed = bytearray()
    while b"21 77" not in printed:
        response = await asyncio.wait_for(anext(stream), 5)
        assert response.event is not None and isinstance(response.event.event, Oneof)
        data = response.event.event.value
        assert isinstance(data, ProcessEvent.DataEvent) and data.output is not None
        assert data.output.field == "pty"
        printed += data.output.value
    assert b"/dev/pts/" in printed
    # The shell kept the spawned pid (``setsid`` did not fork), leads its session, and
    # has a controlling terminal (tty_nr, stat field 7, is not 0).
    stat = proc_stat(pid)
    assert stat[3] == str(pid) and stat[4] != "0"
    await stream.aclose()


# --- wire -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def envd() -> Iterator[EnvdServer]:
    with sandbox_homes() as built, serve_envd(built) as server:
        yield server


@pytest.fixture
def fresh(envd: EnvdServer) -> Iterator[EnvdServer]:
    yield envd
    envd.reset()


@pytest.fixture
async def sandbox(fresh: EnvdServer) -> AsyncSandbox:
    return await AsyncSandbox.connect("local", debug=True, sandbox_url=fresh.url)


async def test_create_send_input_and_exit(sandbox: AsyncSandbox) -> None:
    screen = Screen()
    terminal = await sandbox.pty.create(PtySize(80, 24), on_data=screen, envs={"ABC": "123"})
    await sandbox.pty.send_stdin(terminal.pid, b"echo $ABC-$((40+2))\n")
    assert await screen.shows("123-42")
    await sandbox.pty.send_stdin(terminal.pid, b"exit\n")
    result = await asyncio.wait_for(terminal.wait(), 5)
    assert result.exit_code == 0
    # With a controlling terminal, an interactive bash has job control.
    assert "no job control" not in screen.text


async def test_resize_reaches_the_shell(sandbox: AsyncSandbox) -> None:
    screen = Screen()
    terminal = await sandbox.pty.create(PtySize(cols=80, rows=24), on_data=screen)
    await sandbox.pty.send_stdin(terminal.pid, b"stty size\n")
    assert await screen.shows("24 80")
    await sandbox.pty.resize(terminal.pid, PtySize(cols=100, rows=30))
    await sandbox.pty.send_stdin(terminal.pid, b"stty size; tput cols; exit\n")
    await asyncio.wait_for(terminal.wait(), 5)
    assert "30 100" in screen.text
    assert "\n100" in screen.text.replace("\r", "")


async def test_ctrl_c_interrupts_the_foreground_command(sandbox: AsyncSandbox) -> None:
    screen = Screen()
    terminal = await sandbox.pty.create(PtySize(80, 24), on_data=screen)
    await sandbox.pty.send_stdin(terminal.pid, b"sleep 30\n")
    assert await async_wait_until(lambda: sleeping_in_foreground(terminal.pid))
    await sandbox.pty.send_stdin(terminal.pid, b"\x03")
    await sandbox.pty.send_stdin(terminal.pid, b"echo after-$((1+1))\n")
    assert await screen.shows("after-2", within=3)
    await sandbox.pty.kill(terminal.pid)


def sleeping_in_foreground(shell: int) -> bool:
    """Whether the shell's child runs ``sleep`` as the terminal's foreground group (so
    ``^C`` now is the sleep's ``SIGINT``, not the shell's)."""
    children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
    for child in children:
        with contextlib.suppress(FileNotFoundError):
            stat = proc_stat(int(child))
            comm = Path(f"/proc/{child}/comm").read_text().strip()
            if comm == "sleep" and stat[5] == stat[2]:  # tpgid == pgrp
                return True
    return False


async def test_kill_a_pty(sandbox: AsyncSandbox) -> None:
    terminal = await sandbox.pty.create(PtySize(80, 24), on_data=lambda _: None)
    assert await sandbox.pty.kill(terminal.pid)
    assert not pid_alive(terminal.pid)
    with pytest.raises(CommandExitException):
        await terminal.wait()
    assert not await sandbox.pty.kill(terminal.pid)


async def test_connect_to_a_running_pty(sandbox: AsyncSandbox) -> None:
    first, second = Screen(), Screen()
    terminal = await sandbox.pty.create(PtySize(80, 24), on_data=first)
    connected = await sandbox.pty.connect(terminal.pid, on_data=second)
    assert connected.pid == terminal.pid
    await sandbox.pty.send_stdin(terminal.pid, b"echo both-$((3*3))\nexit\n")
    result = await asyncio.wait_for(connected.wait(), 5)
    assert result.exit_code == 0
    assert "both-9" in first.text and "both-9" in second.text


async def test_stream_input_to_a_pty(sandbox: AsyncSandbox) -> None:
    screen = Screen()
    terminal = await sandbox.pty.create(PtySize(80, 24), on_data=screen)
    async with sandbox.pty.stream_input(terminal.pid) as keys:
        for key in "echo streamed-$((2+3))\n":
            await keys.send(key.encode())
    assert await screen.shows("streamed-5")
    await sandbox.pty.kill(terminal.pid)


async def test_a_pty_has_a_time_limit(sandbox: AsyncSandbox) -> None:
    terminal = await sandbox.pty.create(PtySize(80, 24), on_data=lambda _: None, timeout=0.5)
    with pytest.raises(TimeoutException):
        await terminal.wait()
    assert await async_wait_until(lambda: not pid_alive(terminal.pid), within=1)


async def test_pty_calls_on_what_is_not_a_pty(sandbox: AsyncSandbox) -> None:
    missing = 999_999
    with pytest.raises(NotFoundException):
        await sandbox.pty.resize(missing, PtySize(80, 24))
    with pytest.raises(NotFoundException):
        await sandbox.pty.send_stdin(missing, b"x")
    with pytest.raises(NotFoundException):
        await sandbox.pty.connect(missing, on_data=lambda _: None)
    command = await sandbox.commands.run("sleep 10", background=True, stdin=True)
    with pytest.raises(SandboxException):
        await sandbox.pty.resize(command.pid, PtySize(80, 24))
    with pytest.raises(SandboxException):
        await sandbox.pty.send_stdin(command.pid, b"x")
    terminal = await sandbox.pty.create(PtySize(80, 24), on_data=lambda _: None)
    with pytest.raises(SandboxException):
        await sandbox.commands.send_stdin(terminal.pid, "x")
    with pytest.raises(SandboxException):
        await sandbox.commands.close_stdin(terminal.pid)


def test_the_sync_sdk_drives_a_pty(fresh: EnvdServer) -> None:
    sandbox = Sandbox.connect("local", debug=True, sandbox_url=fresh.url)
    screen = Screen()
    terminal = sandbox.pty.create(PtySize(80, 24))
    sandbox.pty.send_stdin(terminal.pid, b"echo sync-$((6*7)); exit 3\n")
    with pytest.raises(CommandExitException) as raised:
        terminal.wait(on_pty=screen)
    assert raised.value.exit_code == 3
    assert "sync-42" in screen.text
