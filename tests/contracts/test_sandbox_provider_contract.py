"""What every sandbox provider must do (see conftest.py for the providers under test)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest
from sandbox_contract_kit import ProviderKit

from tessera.errors import (
    CommandFailed,
    CommandTimeout,
    FileNotFound,
    InvalidPath,
    SandboxNotFound,
    TemplateNotFound,
)
from tessera.sandbox import upstream
from tessera.sandbox.base import CommandHandle, CommandResult, Sandbox, SandboxProvider, WriteEntry

KILL_BOUND_SECONDS = 10.0


async def background(sandbox: Sandbox, cmd: str, **kwargs: object) -> CommandHandle:
    handle = await sandbox.commands.run(cmd, background=True, **kwargs)  # type: ignore[arg-type]
    assert not isinstance(handle, CommandResult)
    return handle


async def poll(check: Callable[[], Awaitable[bool]], *, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def pids_from(lines: list[str], count: int) -> list[int]:
    async def enough() -> bool:
        return len(lines) >= count

    await poll(enough)
    return [int(line) for line in lines[:count]]


# --- files -------------------------------------------------------------------------------
async def test_write_and_read_text_and_bytes(sandbox: Sandbox) -> None:
    info = await sandbox.files.write("src/new/hello.txt", "héllo\n")
    assert (info.name, info.path, info.type) == ("hello.txt", "src/new/hello.txt", "file")
    assert info.size == len("héllo\n".encode())
    assert await sandbox.files.read("src/new/hello.txt") == "héllo\n"
    await sandbox.files.write("blob.bin", b"\x00\xff\x10")
    assert await sandbox.files.read_bytes("blob.bin") == b"\x00\xff\x10"


async def test_write_replaces_content(sandbox: Sandbox) -> None:
    await sandbox.files.write("a.txt", "a much longer first version")
    await sandbox.files.write("a.txt", "short")
    assert await sandbox.files.read("a.txt") == "short"


async def test_starter_files_are_there(sandbox: Sandbox) -> None:
    assert await sandbox.files.exists("package.json")
    assert await sandbox.files.exists("src/App.tsx")
    assert sandbox.template == "react"


async def test_write_files(sandbox: Sandbox) -> None:
    infos = await sandbox.files.write_files(
        [WriteEntry("x/one.txt", "1"), WriteEntry("x/two.bin", b"2")]
    )
    assert [i.path for i in infos] == ["x/one.txt", "x/two.bin"]
    assert await sandbox.files.read("x/one.txt") == "1"
    assert await sandbox.files.read_bytes("x/two.bin") == b"2"


async def test_list_respects_depth(sandbox: Sandbox) -> None:
    await sandbox.files.write("deep/a/b/c.txt", "c")
    await sandbox.files.write("deep/top.txt", "t")
    shallow = {e.path: e.type for e in await sandbox.files.list("deep")}
    assert shallow == {"deep/a": "dir", "deep/top.txt": "file"}
    two = {e.path for e in await sandbox.files.list("deep", depth=2)}
    assert two == {"deep/a", "deep/a/b", "deep/top.txt"}
    everything = {e.path for e in await sandbox.files.list("deep", depth=5)}
    assert "deep/a/b/c.txt" in everything
    root = {e.path for e in await sandbox.files.list()}
    assert {"deep", "package.json", "src"} <= root
    assert "deep/top.txt" not in root


async def test_exists_remove_rename(sandbox: Sandbox) -> None:
    assert not await sandbox.files.exists("gone.txt")
    await sandbox.files.write("old/name.txt", "content")
    info = await sandbox.files.rename("old/name.txt", "new/place.txt")
    assert info.path == "new/place.txt"
    assert not await sandbox.files.exists("old/name.txt")
    assert await sandbox.files.read("new/place.txt") == "content"
    await sandbox.files.remove("new/place.txt")
    assert not await sandbox.files.exists("new/place.txt")
    await sandbox.files.write("folder/inner.txt", "x")
    await sandbox.files.remove("folder")
    assert not await sandbox.files.exists("folder")


async def test_missing_files_raise_file_not_found(sandbox: Sandbox) -> None:
    with pytest.raises(FileNotFound):
        await sandbox.files.read("nope.txt")
    with pytest.raises(FileNotFound):
        await sandbox.files.remove("nope.txt")
    with pytest.raises(FileNotFound):
        await sandbox.files.rename("nope.txt", "other.txt")


ESCAPING = ["../outside.txt", "/etc/passwd", "src/../../outside.txt", "a/../../../etc/passwd"]


@pytest.mark.parametrize("path", ESCAPING)
async def test_paths_outside_the_sandbox_are_refused(sandbox: Sandbox, path: str) -> None:
    attempts: list[Callable[[], Awaitable[object]]] = [
        lambda: sandbox.files.write(path, "x"),
        lambda: sandbox.files.write_files([WriteEntry(path, "x")]),
        lambda: sandbox.files.read(path),
        lambda: sandbox.files.read_bytes(path),
        lambda: sandbox.files.list(path),
        lambda: sandbox.files.exists(path),
        lambda: sandbox.files.remove(path),
        lambda: sandbox.files.rename("package.json", path),
        lambda: sandbox.files.rename(path, "inside.txt"),
        lambda: sandbox.commands.run("true", cwd=path),
    ]
    for attempt in attempts:
        with pytest.raises(InvalidPath):
            await attempt()
    assert await sandbox.files.exists("package.json")


async def test_symlinks_pointing_outside_are_not_followed(sandbox: Sandbox) -> None:
    await sandbox.commands.run("ln -s /etc etc-link && ln -s /etc/hostname host-link")
    with pytest.raises(InvalidPath):
        await sandbox.files.read("host-link")
    with pytest.raises(InvalidPath):
        await sandbox.files.read("etc-link/hostname")
    with pytest.raises(InvalidPath):
        await sandbox.files.write("host-link", "overwritten")
    with pytest.raises(InvalidPath):
        await sandbox.files.write("etc-link/tessera-test.txt", "x")
    with pytest.raises(InvalidPath):
        await sandbox.files.list("etc-link")
    # The link itself may go; its target stays.
    await sandbox.files.remove("host-link")
    assert not await sandbox.files.exists("host-link")
    result = await sandbox.commands.run("test -f /etc/hostname && echo kept")
    assert isinstance(result, CommandResult)
    assert result.stdout == "kept\n"


# --- foreground commands ------------------------------------------------------------------
async def test_foreground_command_output(sandbox: Sandbox) -> None:
    result = await sandbox.commands.run("echo out; echo err >&2; printf 'no newline'")
    assert isinstance(result, CommandResult)
    assert result.exit_code == 0
    assert result.stdout == "out\nno newline\n"
    assert result.stderr == "err\n"


async def test_commands_run_in_the_project_folder_or_cwd(sandbox: Sandbox) -> None:
    await sandbox.files.write("sub/marker.txt", "m")
    result = await sandbox.commands.run("ls package.json && cd sub && ls marker.txt")
    assert isinstance(result, CommandResult)
    assert result.stdout.split() == ["package.json", "marker.txt"]
    inner = await sandbox.commands.run("ls", cwd="sub")
    assert isinstance(inner, CommandResult)
    assert inner.stdout.split() == ["marker.txt"]


async def test_callbacks_receive_lines(sandbox: Sandbox) -> None:
    out: list[str] = []
    err: list[str] = []

    async def on_err(line: str) -> None:
        err.append(line)

    await sandbox.commands.run(
        "echo one; echo two; echo bad >&2", on_stdout=out.append, on_stderr=on_err
    )
    assert out == ["one", "two"]
    assert err == ["bad"]


async def test_non_zero_exit_raises_command_failed(sandbox: Sandbox) -> None:
    with pytest.raises(CommandFailed) as caught:
        await sandbox.commands.run("echo partial; echo broken >&2; exit 3")
    assert caught.value.exit_code == 3
    assert caught.value.stdout == "partial\n"
    assert caught.value.stderr == "broken\n"


async def test_timeout_ends_the_whole_command(sandbox: Sandbox, kit: ProviderKit) -> None:
    lines: list[str] = []
    started = time.monotonic()
    with pytest.raises(CommandTimeout):
        await sandbox.commands.run(
            "trap '' TERM; echo $$; sleep 30 & echo $!; wait",
            timeout=1,
            on_stdout=lines.append,
        )
    assert time.monotonic() - started < KILL_BOUND_SECONDS
    pids = [int(line) for line in lines]
    assert len(pids) == 2
    assert not any(kit.alive(pid) for pid in pids)


async def test_timeout_also_ends_children_that_ignore_sigterm(
    sandbox: Sandbox, kit: ProviderKit
) -> None:
    lines: list[str] = []
    with pytest.raises(CommandTimeout):
        await sandbox.commands.run(
            "bash -c \"trap '' TERM; exec sleep 30\" >/dev/null 2>&1 & echo $!; sleep 30",
            timeout=0.5,
            on_stdout=lines.append,
        )
    [child] = [int(line) for line in lines]
    assert not kit.alive(child)


# --- background commands ------------------------------------------------------------------
async def test_background_command_streams_while_running(sandbox: Sandbox) -> None:
    seen: list[str] = []
    first = asyncio.Event()

    def on_line(line: str) -> None:
        seen.append(line)
        first.set()

    handle = await background(
        sandbox, "for i in $(seq 1 10); do echo line$i; sleep 0.1; done", on_stdout=on_line
    )
    await asyncio.wait_for(first.wait(), 10)
    assert handle.exit_code is None
    result = await handle.wait()
    assert result.exit_code == 0
    assert handle.exit_code == 0
    assert seen == [f"line{i}" for i in range(1, 11)]
    assert handle.output_tail(2) == "line9\nline10"


async def test_background_failure_and_kill(sandbox: Sandbox, kit: ProviderKit) -> None:
    failing = await background(sandbox, "echo nope >&2; exit 4")
    with pytest.raises(CommandFailed) as caught:
        await failing.wait()
    assert caught.value.exit_code == 4
    assert await failing.kill() is False

    lines: list[str] = []
    sleeper = await background(sandbox, "sleep 60 & echo $!; wait", on_stdout=lines.append)
    [child] = await pids_from(lines, 1)
    assert kit.alive(sleeper.pid) and kit.alive(child)
    assert await sleeper.kill() is True
    assert sleeper.exit_code is not None
    assert not kit.alive(sleeper.pid) and not kit.alive(child)


async def test_background_timeout_ends_the_command(sandbox: Sandbox) -> None:
    handle = await background(sandbox, "sleep 30", timeout=0.5)
    with pytest.raises(CommandTimeout):
        await asyncio.wait_for(handle.wait(), KILL_BOUND_SECONDS)


async def test_environment_is_cleared(
    kit: ProviderKit, provider: SandboxProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-leak")
    monkeypatch.setenv("TESSERA_CONTRACT_HOST_VARIABLE", "host-only")
    sandbox = await provider.create("react", envs={"SANDBOX_LEVEL": "from-create"})
    try:
        result = await sandbox.commands.run("env", envs={"COMMAND_LEVEL": "from-run"})
        assert isinstance(result, CommandResult)
        env = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
        assert "OPENAI_API_KEY" not in env
        assert "sk-must-not-leak" not in result.stdout
        assert "TESSERA_CONTRACT_HOST_VARIABLE" not in env
        assert env["SANDBOX_LEVEL"] == "from-create"
        assert env["COMMAND_LEVEL"] == "from-run"
        assert env["PATH"] and env["HOME"]
    finally:
        await sandbox.kill()


# --- lifecycle -----------------------------------------------------------------------------
async def test_kill_leaves_no_processes(provider: SandboxProvider, kit: ProviderKit) -> None:
    sandbox = await provider.create("react")
    lines: list[str] = []
    handle = await background(
        sandbox,
        "sleep 60 & echo $!; bash -c 'sleep 60 & echo $!; wait' & "
        "setsid sleep 60 & echo $!; trap '' TERM; wait",
        on_stdout=lines.append,
    )
    pids = [handle.pid, *await pids_from(lines, 3)]
    assert all(kit.alive(pid) for pid in pids)
    assert await sandbox.is_running()
    await sandbox.kill()
    assert [pid for pid in pids if kit.alive(pid)] == []
    assert not await sandbox.is_running()
    with pytest.raises(SandboxNotFound):
        await provider.connect(sandbox.sandbox_id)
    assert sandbox.sandbox_id not in [s.sandbox_id for s in await provider.list()]


async def test_connect_from_a_new_provider(sandbox: Sandbox, kit: ProviderKit) -> None:
    await sandbox.files.write("note.txt", "kept")
    other = kit.make()
    try:
        again = await other.connect(sandbox.sandbox_id)
        assert again.sandbox_id == sandbox.sandbox_id
        assert again.template == "react"
        assert dict(again.metadata) == {"suite": "contract"}
        assert await again.is_running()
        assert await again.files.read("note.txt") == "kept"
        assert sandbox.sandbox_id in [s.sandbox_id for s in await other.list()]
    finally:
        await other.aclose()


async def test_connect_unknown_sandbox(provider: SandboxProvider) -> None:
    with pytest.raises(SandboxNotFound):
        await provider.connect("doesnotexist")
    with pytest.raises(SandboxNotFound):
        await provider.connect("../escape")


async def test_unknown_template(provider: SandboxProvider) -> None:
    with pytest.raises(TemplateNotFound) as caught:
        await provider.create("no-such-template")
    assert "react" in caught.value.message


async def test_aclose_ends_processes_and_keeps_sandboxes(kit: ProviderKit) -> None:
    first = kit.make()
    sandbox = await first.create("react")
    handle = await background(sandbox, "sleep 60", timeout=0)
    await first.aclose()
    assert not kit.alive(handle.pid)
    second = kit.make()
    try:
        again = await second.connect(sandbox.sandbox_id)
        assert await again.is_running()
        await again.kill()
    finally:
        await second.aclose()


async def test_set_timeout_kills_the_sandbox(sandbox: Sandbox, kit: ProviderKit) -> None:
    handle = await background(sandbox, "sleep 60", timeout=0)
    await sandbox.set_timeout(0.3)

    async def stopped() -> bool:
        return not await sandbox.is_running() and not kit.alive(handle.pid)

    await poll(stopped)


async def test_server_on_allocated_port_is_reachable(sandbox: Sandbox) -> None:
    port = await sandbox.allocate_port(5173)
    server = await background(
        sandbox,
        "exec node -e \"require('http').createServer((q, s) => s.end('hello ' + q.url))"
        f".listen({port}, '127.0.0.1')\"",
        timeout=0,
    )
    url = sandbox.upstream_url(port)
    async with upstream.upstream_client(timeout=5) as client:

        async def answers() -> bool:
            try:
                return (await upstream.get(client, f"{url}/path")).text == "hello /path"
            except httpx.HTTPError:
                assert server.exit_code is None, server.output_tail()
                return False

        await poll(answers)
    assert sandbox.get_host(port).startswith(f"{port}-{sandbox.sandbox_id}.")
    assert await server.kill() is True
