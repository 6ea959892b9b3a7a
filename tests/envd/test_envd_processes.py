"""envd's process service: commands started, streamed, fed, signalled and timed out.

Service-level tests call ``ProcessService`` directly; the wire tests drive a real envd
server (uvicorn) with the real E2B SDK, async and sync, as E2B's own SDK tests do.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Literal

import pytest
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from e2b import (
    AsyncSandbox,
    CommandExitException,
    InvalidArgumentException,
    NotFoundException,
    Sandbox,
    SandboxException,
    TimeoutException,
)
from protobuf import Oneof

from tessera.envd.identity import EnvdConfig
from tessera.envd.process_table import SUBSCRIBER_QUEUE, end_event
from tessera.envd.processes import ProcessService
from tessera.envd.proto.process.process_pb import (
    ProcessConfig,
    ProcessEvent,
    ProcessSelector,
    SendSignalRequest,
    Signal,
    StartRequest,
    StartResponse,
)
from tests.envd.process_support import (
    EnvdServer,
    async_wait_until,
    context,
    dead,
    pid_alive,
    proc_stat,
    rss_bytes,
    sandbox_account,
    sandbox_homes,
    serve_envd,
    wait_until,
)

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


def bash(command: str, **options: object) -> StartRequest:
    return StartRequest(
        process=ProcessConfig(cmd="/bin/bash", args=["-c", command]),
        stdin=False,
        **options,  # type: ignore[arg-type]
    )


def by_pid(pid: int) -> ProcessSelector:
    chosen: Oneof[Literal["pid"], int] = Oneof("pid", pid)
    return ProcessSelector(selector=chosen)


def kind(event: ProcessEvent) -> str:
    assert isinstance(event.event, Oneof)
    return event.event.field


def pid_of(event: StartResponse) -> int:
    assert event.event is not None and isinstance(event.event.event, Oneof)
    start = event.event.event.value
    assert isinstance(start, ProcessEvent.StartEvent)
    return start.pid


async def collect(stream: AsyncIterator[StartResponse]) -> list[ProcessEvent]:
    events = []
    async for response in stream:
        assert response.event is not None
        events.append(response.event)
    return events


def output_of(events: list[ProcessEvent], which: str) -> bytes:
    chunks = []
    for event in events:
        if kind(event) == "data":
            assert isinstance(event.event, Oneof)
            data = event.event.value
            assert isinstance(data, ProcessEvent.DataEvent) and data.output is not None
            if data.output.field == which:
                chunks.append(data.output.value)
    return b"".join(chunks)


def end_of(events: list[ProcessEvent]) -> ProcessEvent.EndEvent:
    last = events[-1]
    assert isinstance(last.event, Oneof) and last.event.field == "end"
    assert isinstance(last.event.value, ProcessEvent.EndEvent)
    return last.event.value


def test_the_end_is_worded_as_envd_words_it() -> None:
    fine = end_event(0)
    failed = end_event(3 << 8)
    killed = end_event(signal.SIGKILL)
    assert isinstance(fine.event, Oneof) and isinstance(fine.event.value, ProcessEvent.EndEvent)
    assert fine.event.value.exit_code == 0 and fine.event.value.exited
    assert not fine.event.value.has_field("error")
    assert isinstance(failed.event, Oneof) and isinstance(failed.event.value, ProcessEvent.EndEvent)
    assert (failed.event.value.exit_code, failed.event.value.error) == (3, "exit status 3")
    assert isinstance(killed.event, Oneof) and isinstance(killed.event.value, ProcessEvent.EndEvent)
    assert killed.event.value.exit_code == -1 and not killed.event.value.exited
    assert killed.event.value.status == "signal: killed"


async def test_a_stream_is_start_then_output_then_end(service: ProcessService) -> None:
    events = await collect(service.start(bash("echo out; echo err >&2; exit 4"), context()))
    assert [kind(events[0]), kind(events[-1])] == ["start", "end"]
    assert output_of(events, "stdout") == b"out\n"
    assert output_of(events, "stderr") == b"err\n"
    end = end_of(events)
    assert (end.exit_code, end.exited, end.status) == (4, True, "exit status 4")


async def test_the_process_gets_the_users_environment_and_home(
    service: ProcessService, config: EnvdConfig
) -> None:
    request = StartRequest(
        process=ProcessConfig(
            cmd="/bin/bash",
            args=["-c", 'echo "$SANDBOX_WIDE $OWN $HOME $USER"; pwd'],
            envs={"OWN": "mine"},
        ),
        stdin=False,
    )
    events = await collect(service.start(request, context()))
    home = config.users["user"].home
    assert output_of(events, "stdout").decode() == f"yes mine {home} user\n{home}\n"


async def test_cwd_is_relative_to_home_and_must_exist(
    service: ProcessService, config: EnvdConfig
) -> None:
    home = Path(config.users["user"].home)
    (home / "project").mkdir()
    request = bash("pwd")
    assert request.process is not None
    request.process.cwd = "project"
    events = await collect(service.start(request, context()))
    assert output_of(events, "stdout").decode() == f"{home / 'project'}\n"

    request.process.cwd = "/nowhere/at/all"
    with pytest.raises(ConnectError) as raised:
        await collect(service.start(request, context()))
    assert raised.value.code == Code.INVALID_ARGUMENT
    assert "/nowhere/at/all" in raised.value.message


async def test_an_unknown_user_is_unauthenticated(service: ProcessService) -> None:
    stranger = {"authorization": "Basic " + "c3RyYW5nZXI6"}  # "stranger:"
    with pytest.raises(ConnectError) as raised:
        await collect(service.start(bash("true"), context(stranger)))
    assert raised.value.code == Code.UNAUTHENTICATED


async def test_a_command_that_cannot_start_is_an_invalid_argument(
    service: ProcessService,
) -> None:
    for command in ("/no/such/program", "no-such-program-anywhere"):
        request = StartRequest(process=ProcessConfig(cmd=command), stdin=False)
        with pytest.raises(ConnectError) as raised:
            await collect(service.start(request, context()))
        assert raised.value.code == Code.INVALID_ARGUMENT
        assert command in raised.value.message


async def test_a_command_given_by_path_is_found_from_its_cwd(
    service: ProcessService, config: EnvdConfig
) -> None:
    home = Path(config.users["user"].home)
    script = home / "tool.sh"
    script.write_text("#!/bin/sh\necho tool ran\n")
    script.chmod(0o755)
    request = StartRequest(process=ProcessConfig(cmd="./tool.sh"), stdin=False)
    events = await collect(service.start(request, context()))
    assert output_of(events, "stdout") == b"tool ran\n"


async def test_the_deadline_kills_and_beats_the_end(service: ProcessService) -> None:
    stream = service.start(bash("sleep 30"), context(timeout_ms=300))
    first = await anext(stream)
    pid = pid_of(first)
    began = time.monotonic()
    seen: list[ProcessEvent] = []
    with pytest.raises(ConnectError) as raised:
        async for response in stream:
            assert response.event is not None
            seen.append(response.event)
    assert raised.value.code == Code.DEADLINE_EXCEEDED
    assert time.monotonic() - began < 1.0
    assert "end" not in [kind(event) for event in seen]
    assert await async_wait_until(lambda: not pid_alive(pid), within=2)


async def test_the_time_limit_outlives_the_client(service: ProcessService) -> None:
    stream = service.start(bash("sleep 30"), context(timeout_ms=300))
    pid = pid_of(await anext(stream))
    await stream.aclose()  # the client went away
    assert pid_alive(pid)
    assert await async_wait_until(lambda: not pid_alive(pid), within=2)


async def test_silence_is_filled_with_keepalives(service: ProcessService) -> None:
    headers = {"keepalive-ping-interval": "0.1"}
    events = await collect(service.start(bash("sleep 0.5; echo done"), context(headers)))
    kinds = [kind(event) for event in events]
    assert kinds.count("keepalive") >= 2
    assert kinds[0] == "start" and kinds[-2:] == ["data", "end"]


async def test_processes_run_in_a_session_of_their_own(service: ProcessService) -> None:
    stream = service.start(bash("sleep 30 & echo $!; wait"), context())
    pid = pid_of(await anext(stream))
    response = await anext(stream)
    assert response.event is not None
    child = int(output_of([response.event], "stdout"))
    # Session and group (fields 6 and 5 of stat) are the process's own, not ours.
    assert proc_stat(pid)[3] == str(pid) and proc_stat(pid)[2] == str(pid)
    assert proc_stat(child)[3] == str(pid)
    assert os.getsid(0) != pid
    selector = by_pid(pid)
    await service.send_signal(SendSignalRequest(process=selector, signal=Signal.SIGKILL), context())
    # The kill answers once the process is reaped, and took its group with it.
    assert not pid_alive(pid)
    assert await async_wait_until(lambda: dead(child), within=2)
    await stream.aclose()


async def test_reset_kills_what_commands_left_behind(service: ProcessService) -> None:
    events = await collect(service.start(bash("sleep 30 >/dev/null 2>&1 & echo $!"), context()))
    survivor = int(output_of(events, "stdout"))
    assert end_of(events).exit_code == 0
    assert pid_alive(survivor)
    running = service.start(bash("sleep 30"), context())
    pid = pid_of(await anext(running))
    await service.reset()
    assert not pid_alive(pid)
    assert await async_wait_until(lambda: dead(survivor), within=2)
    await running.aclose()


async def test_output_nobody_reads_is_dropped_not_buffered(service: ProcessService) -> None:
    stream = service.start(bash("head -c 20000000 /dev/zero; exec sleep 30"), context())
    pid = pid_of(await anext(stream))
    await stream.aclose()  # no subscriber left: the command must not block on its pipe
    comm = Path(f"/proc/{pid}/comm")
    assert await async_wait_until(lambda: comm.read_text().strip() == "sleep", within=5)


async def test_a_slow_reader_holds_the_command_back(service: ProcessService) -> None:
    stream = service.start(bash("yes"), context())
    pid = pid_of(await anext(stream))
    await asyncio.sleep(0.3)  # the reader is not reading: what piles up is bounded
    table_process = service._table.get(by_pid(pid))
    subscribers = list(table_process._subscribers)
    assert len(subscribers) == 1
    assert subscribers[0]._queue.qsize() <= SUBSCRIBER_QUEUE
    await stream.aclose()
    assert not table_process._subscribers


# --- wire: the real SDK against a real server -----------------------------------------


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


@pytest.fixture
def sync_sandbox(fresh: EnvdServer) -> Sandbox:
    return Sandbox.connect("local", debug=True, sandbox_url=fresh.url)


async def test_run_returns_output_and_exit_code(sandbox: AsyncSandbox) -> None:
    result = await sandbox.commands.run('echo "Hello, World!"; echo oops >&2')
    assert (result.exit_code, result.stdout, result.stderr) == (0, "Hello, World!\n", "oops\n")
    with pytest.raises(CommandExitException) as raised:
        await sandbox.commands.run("echo partial; exit 3")
    assert raised.value.exit_code == 3
    assert raised.value.stdout == "partial\n"
    assert raised.value.error == "exit status 3"


async def test_run_with_envs_and_cwd(sandbox: AsyncSandbox, fresh: EnvdServer) -> None:
    result = await sandbox.commands.run("echo $FOO $SANDBOX_WIDE", envs={"FOO": "bar"})
    assert result.stdout == "bar yes\n"
    scoped = await sandbox.commands.run('echo "[$FOO]"')
    assert scoped.stdout == "[]\n"
    result = await sandbox.commands.run("pwd", cwd="/tmp")
    assert result.stdout == "/tmp\n"
    home = await sandbox.commands.run("pwd")
    assert home.stdout == f"{fresh.config.users['user'].home}\n"
    with pytest.raises(InvalidArgumentException):
        await sandbox.commands.run("pwd", cwd="/no/such/dir")


@pytest.mark.skipif(sandbox_account() is None, reason="needs root and the sandbox account")
async def test_commands_run_as_the_default_user_or_root(sandbox: AsyncSandbox) -> None:
    account = sandbox_account()
    assert account is not None
    default = await sandbox.commands.run("id -u; whoami")
    assert default.stdout == f"{account.pw_uid}\n{account.pw_name}\n"
    root = await sandbox.commands.run("id -u; whoami", user="root")
    assert root.stdout == "0\nroot\n"


async def test_background_wait_and_kill(sandbox: AsyncSandbox) -> None:
    quick = await sandbox.commands.run("sleep 0.2; echo finished", background=True)
    assert (await quick.wait()).stdout == "finished\n"

    handle = await sandbox.commands.run("sleep 10", background=True)
    assert pid_alive(handle.pid)
    assert await sandbox.commands.kill(handle.pid)
    # Reaped before the answer: not even a zombie answers ``kill -0`` any more.
    assert not pid_alive(handle.pid)
    with pytest.raises(CommandExitException):
        await sandbox.commands.run(f"kill -0 {handle.pid}")
    with pytest.raises(CommandExitException) as raised:
        await handle.wait()
    assert raised.value.exit_code == -1
    assert not await sandbox.commands.kill(handle.pid)


async def test_list_shows_running_commands_only(sandbox: AsyncSandbox) -> None:
    first = await sandbox.commands.run("sleep 10", background=True, envs={"A": "1"})
    second = await sandbox.commands.run("sleep 10", background=True, cwd="/tmp")
    listed = {info.pid: info for info in await sandbox.commands.list()}
    assert {first.pid, second.pid} <= set(listed)
    info = listed[first.pid]
    assert (info.cmd, info.args, info.envs) == ("/bin/bash", ["-l", "-c", "sleep 10"], {"A": "1"})
    assert info.cwd is None and info.tag is None
    assert listed[second.pid].cwd == "/tmp"
    await first.kill()
    assert first.pid not in {info.pid for info in await sandbox.commands.list()}


async def test_connect_by_pid_gets_the_live_output(sandbox: AsyncSandbox) -> None:
    handle = await sandbox.commands.run("sleep 0.3; echo one; sleep 0.3; echo two", background=True)
    connected = await sandbox.commands.connect(handle.pid)
    assert connected.pid == handle.pid
    result = await connected.wait()
    assert result.stdout == "one\ntwo\n"
    assert (await handle.wait()).stdout == "one\ntwo\n"


async def test_disconnect_then_reconnect(sandbox: AsyncSandbox) -> None:
    handle = await sandbox.commands.run(
        "for i in $(seq 1 20); do echo $i; sleep 0.05; done", background=True
    )
    await handle.disconnect()
    assert handle.pid in {info.pid for info in await sandbox.commands.list()}
    lines: list[str] = []
    again = await sandbox.commands.connect(handle.pid, on_stdout=lines.append)
    result = await again.wait()
    numbers = [int(line) for line in result.stdout.split()]
    assert numbers and numbers[-1] == 20
    assert numbers == list(range(numbers[0], 21))  # from now on, nothing lost


async def test_a_flood_nobody_watches_runs_to_its_end(sandbox: AsyncSandbox) -> None:
    handle = await sandbox.commands.run(
        "head -c 20000000 /dev/zero; exec sleep 30", background=True, retain_output=False
    )
    await handle.disconnect()
    comm = Path(f"/proc/{handle.pid}/comm")
    assert await async_wait_until(lambda: comm.read_text().strip() == "sleep", within=5)


async def test_stdin_send_and_close(sandbox: AsyncSandbox) -> None:
    got = asyncio.Event()
    handle = await sandbox.commands.run(
        "cat", background=True, stdin=True, on_stdout=lambda _: got.set()
    )
    await sandbox.commands.send_stdin(handle.pid, "Hello,\nWorld!")
    await asyncio.wait_for(got.wait(), 5)
    await handle.close_stdin()
    result = await asyncio.wait_for(handle.wait(), 5)
    assert (result.exit_code, result.stdout) == (0, "Hello,\nWorld!")


async def test_stream_input_keeps_order(sandbox: AsyncSandbox) -> None:
    handle = await sandbox.commands.run("cat", background=True, stdin=True)
    async with sandbox.commands.stream_input(handle.pid) as feed:
        for number in range(50):
            await feed.send(f"{number}\n")
    await handle.close_stdin()
    result = await asyncio.wait_for(handle.wait(), 5)
    assert result.stdout.split() == [str(number) for number in range(50)]


async def test_stdin_is_closed_unless_asked_for(sandbox: AsyncSandbox) -> None:
    result = await sandbox.commands.run("cat; echo after")  # /dev/null: EOF at once
    assert result.stdout == "after\n"
    handle = await sandbox.commands.run("sleep 10", background=True)
    with pytest.raises(SandboxException):
        await sandbox.commands.send_stdin(handle.pid, "ignored")


async def test_the_timeout_kills_the_command(sandbox: AsyncSandbox) -> None:
    began = time.monotonic()
    with pytest.raises(TimeoutException):
        await sandbox.commands.run("sleep 10", timeout=1)
    assert time.monotonic() - began < 1.5

    handle = await sandbox.commands.run("sleep 10", background=True, timeout=0.5)
    with pytest.raises(TimeoutException):
        await handle.wait()
    assert await async_wait_until(lambda: not pid_alive(handle.pid), within=1)
    assert handle.pid not in {info.pid for info in await sandbox.commands.list()}


async def test_output_streams_as_it_is_printed(sandbox: AsyncSandbox) -> None:
    began = time.monotonic()
    arrivals: list[float] = []
    errors: list[str] = []
    result = await sandbox.commands.run(
        "for i in 1 2 3 4; do echo $i; sleep 0.3; done; echo bad >&2",
        on_stdout=lambda _: arrivals.append(time.monotonic() - began),
        on_stderr=errors.append,
    )
    assert result.stdout == "1\n2\n3\n4\n"
    assert errors == ["bad\n"]
    assert len(arrivals) == 4
    # Each line arrives when printed: spread over ~0.9 s, not all at the end.
    assert arrivals[-1] - arrivals[0] > 0.7
    assert all(later - earlier > 0.15 for earlier, later in itertools.pairwise(arrivals))


async def test_a_flood_of_output_keeps_memory_bounded(sandbox: AsyncSandbox) -> None:
    size = 50_000_000
    received = chunks = 0

    async def count(chunk: str) -> None:
        nonlocal received, chunks
        received += len(chunk)
        chunks += 1
        if chunks <= 10:  # a client slow at first: the command must wait, not the daemon pile up
            await asyncio.sleep(0.05)

    peak = before = rss_bytes()
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.wait(0.01):
            peak = max(peak, rss_bytes())

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        await sandbox.commands.run(
            f"yes | head -c {size}", on_stdout=count, retain_output=False, timeout=30
        )
    finally:
        stop.set()
        sampler.join()
    assert received == size
    # Server and client share this process; with unbounded buffering it grows by ~50 MB.
    assert peak - before < 25_000_000


async def test_unknown_pids_are_not_found(sandbox: AsyncSandbox) -> None:
    missing = 999_999
    with pytest.raises(NotFoundException):
        await sandbox.commands.connect(missing)
    with pytest.raises(NotFoundException):
        await sandbox.commands.send_stdin(missing, "x")
    with pytest.raises(NotFoundException):
        await sandbox.commands.close_stdin(missing)
    assert not await sandbox.commands.kill(missing)


def test_the_sync_sdk_runs_and_kills(sync_sandbox: Sandbox) -> None:
    result = sync_sandbox.commands.run("echo sync")
    assert result.stdout == "sync\n"
    handle = sync_sandbox.commands.run("sleep 10", background=True)
    assert handle.pid in {info.pid for info in sync_sandbox.commands.list()}
    assert sync_sandbox.commands.kill(handle.pid)
    assert wait_until(lambda: not pid_alive(handle.pid), timeout=1)
    with pytest.raises(TimeoutException):
        sync_sandbox.commands.run("sleep 10", timeout=0.5)
