"""The ``e2b`` provider against ``FakeE2BSdk`` (E2B's semantics, on this machine)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sandbox_test_support import poll, process_alive

from tessera.errors import (
    CommandFailed,
    CommandTimeout,
    FileNotFound,
    InvalidPath,
    SandboxNotFound,
    TemplateNotFound,
)
from tessera.sandbox.base import CommandHandle, CommandResult, Sandbox, WriteEntry
from tessera.sandbox.e2b import E2BSandbox, E2BSandboxProvider
from tessera.sandbox.e2b.fake import FakeE2BSdk, FakeTemplate
from tessera.sandbox.e2b.provider import TEMPLATE_KEY
from tessera.sandbox.manager import SandboxManager
from tessera.sandbox.templates import (
    Process,
    Template,
    TemplateCache,
    get_template,
    registry,
    template_files,
)
from tests.conftest import free_port


@pytest.fixture
async def cloud(tmp_path: Path) -> AsyncIterator[FakeE2BSdk]:
    fake = FakeE2BSdk(tmp_path / "e2b")
    yield fake
    await fake.aclose()


@pytest.fixture
async def provider(cloud: FakeE2BSdk) -> AsyncIterator[E2BSandboxProvider]:
    instance = E2BSandboxProvider("e2b_test_key", sdk=cloud, sandbox_timeout=120)
    yield instance
    await instance.aclose()


@pytest.fixture
async def sandbox(provider: E2BSandboxProvider) -> E2BSandbox:
    return await provider.create("react", metadata={"project_id": "p1"})


async def background(sandbox: Sandbox, cmd: str, **kwargs: object) -> CommandHandle:
    handle = await sandbox.commands.run(cmd, background=True, **kwargs)  # type: ignore[arg-type]
    assert not isinstance(handle, CommandResult)
    return handle


# --- create, connect, list -------------------------------------------------------------------
async def test_create_maps_the_template_and_tags_the_sandbox(
    provider: E2BSandboxProvider, cloud: FakeE2BSdk
) -> None:
    sandbox = await provider.create(
        "react", envs={"A": "1"}, timeout=90.5, metadata={"project_id": "p1"}
    )
    assert cloud.created == [
        {
            "template": "tessera-react",
            "timeout": 91,
            "envs": {"A": "1"},
            "metadata": {"project_id": "p1", TEMPLATE_KEY: "react"},
        }
    ]
    assert sandbox.template == "react"
    assert dict(sandbox.metadata) == {"project_id": "p1"}
    assert await sandbox.files.exists("src/App.tsx")
    assert await sandbox.is_running()


async def test_a_custom_template_mapping(cloud: FakeE2BSdk, tmp_path: Path) -> None:
    files = tmp_path / "starter"
    files.mkdir()
    (files / "hello.txt").write_text("from my template")
    custom = FakeE2BSdk(tmp_path / "custom", templates={"team/react-v2": FakeTemplate(files)})
    provider = E2BSandboxProvider("k", templates={"react": "team/react-v2"}, sdk=custom)
    try:
        sandbox = await provider.create("react")
        assert await sandbox.files.read("hello.txt") == "from my template"
        assert custom.created[0]["template"] == "team/react-v2"
        with pytest.raises(TemplateNotFound) as caught:
            await provider.create("python")
        assert "known: react" in caught.value.message
    finally:
        await custom.aclose()


async def test_a_template_missing_on_e2b_says_how_to_build_it(cloud: FakeE2BSdk) -> None:
    provider = E2BSandboxProvider("k", templates={"react": "not-built-yet"}, sdk=cloud)
    with pytest.raises(TemplateNotFound) as caught:
        await provider.create("react")
    assert "'not-built-yet'" in caught.value.message
    assert "tessera templates build --provider e2b" in caught.value.message


async def test_connect_by_id_after_a_restart(sandbox: E2BSandbox, cloud: FakeE2BSdk) -> None:
    await sandbox.files.write("note.txt", "kept")
    restarted = E2BSandboxProvider("k", sdk=cloud)
    again = await restarted.connect(sandbox.sandbox_id)
    assert (again.sandbox_id, again.template) == (sandbox.sandbox_id, "react")
    assert dict(again.metadata) == {"project_id": "p1"}
    assert await again.files.read("note.txt") == "kept"
    with pytest.raises(SandboxNotFound):
        await restarted.connect("no-such-sandbox")


async def test_list_finds_tessera_sandboxes_by_metadata(
    provider: E2BSandboxProvider, cloud: FakeE2BSdk
) -> None:
    first = await provider.create("react", metadata={"project_id": "p1"})
    second = await provider.create("react", metadata={"project_id": "p2"})
    foreign = await cloud.create("tessera-react", timeout=60, envs=None, metadata={"x": "y"})
    restarted = E2BSandboxProvider("k", sdk=cloud)
    assert {s.sandbox_id for s in await restarted.list()} == {
        first.sandbox_id,
        second.sandbox_id,
    }
    [found] = await restarted.list({"project_id": "p2"})
    assert (found.sandbox_id, found.template) == (second.sandbox_id, "react")
    assert found.get_host(5173) == f"5173-{second.sandbox_id}.e2b.test"
    assert await found.files.exists("package.json")  # connects on first use
    with pytest.raises(SandboxNotFound) as caught:
        await restarted.connect(foreign.sandbox_id)
    assert "not created by Tessera" in caught.value.message


async def test_kill(provider: E2BSandboxProvider, cloud: FakeE2BSdk, sandbox: E2BSandbox) -> None:
    lines: list[str] = []
    handle = await background(sandbox, "sleep 60 & echo $!; wait", on_stdout=lines.append)
    await poll(lambda: _ready(lines))
    child = int(lines[0])
    await sandbox.kill()
    assert cloud.state(sandbox.sandbox_id) == "killed"
    assert not await sandbox.is_running()
    assert not process_alive(handle.pid) and not process_alive(child)
    with pytest.raises(SandboxNotFound):
        await handle.wait()
    assert handle.exit_code is not None
    with pytest.raises(SandboxNotFound):
        await sandbox.files.read("package.json")
    with pytest.raises(SandboxNotFound):
        await provider.connect(sandbox.sandbox_id)
    await sandbox.kill()  # a second kill changes nothing


# --- addresses -------------------------------------------------------------------------------
async def test_hosts_and_urls(sandbox: E2BSandbox) -> None:
    assert await sandbox.allocate_port(5173) == 5173
    assert sandbox.get_host(5173) == f"5173-{sandbox.sandbox_id}.e2b.test"
    # The fake's sandboxes share this machine's network.
    assert sandbox.upstream_url(5173) == "http://127.0.0.1:5173"
    assert sandbox.preview_url(5173) == "http://127.0.0.1:5173/"


# --- files -----------------------------------------------------------------------------------
async def test_files(sandbox: E2BSandbox) -> None:
    info = await sandbox.files.write("src/new/héllo.txt", "héllo\n")
    assert (info.name, info.path, info.type, info.size) == (
        "héllo.txt",
        "src/new/héllo.txt",
        "file",
        len("héllo\n".encode()),
    )
    infos = await sandbox.files.write_files(
        [WriteEntry("a/one.txt", "1"), WriteEntry("a/two.bin", b"\x00\xff")]
    )
    assert [(i.path, i.size) for i in infos] == [("a/one.txt", 1), ("a/two.bin", 2)]
    assert await sandbox.files.write_files([]) == []
    assert await sandbox.files.read_bytes("a/two.bin") == b"\x00\xff"
    listed = await sandbox.files.list("a")
    assert [(e.name, e.path, e.type) for e in listed] == [
        ("one.txt", "a/one.txt", "file"),
        ("two.bin", "a/two.bin", "file"),
    ]
    assert ("src", "dir") in {(e.path, e.type) for e in await sandbox.files.list()}
    moved = await sandbox.files.rename("a/one.txt", "b/uno.txt")
    assert (moved.path, moved.type) == ("b/uno.txt", "file")
    await sandbox.files.remove("a")
    assert not await sandbox.files.exists("a/two.bin")
    with pytest.raises(FileNotFound) as caught:
        await sandbox.files.remove("a")
    assert "'a' does not exist" in caught.value.message
    with pytest.raises(FileNotFound):
        await sandbox.files.read("missing.txt")
    with pytest.raises(InvalidPath):
        await sandbox.files.remove(".")
    with pytest.raises(InvalidPath):
        await sandbox.files.write("../escape.txt", "x")


# --- commands --------------------------------------------------------------------------------
async def test_output_arrives_as_lines_however_e2b_cuts_it(sandbox: E2BSandbox) -> None:
    out: list[str] = []
    result = await sandbox.commands.run(
        "printf 'par'; sleep 0.2; printf 'tial\\nsecond\\r\\nlast'", on_stdout=out.append
    )
    assert isinstance(result, CommandResult)
    assert out == ["partial", "second", "last"]
    assert result.stdout == "partial\nsecond\nlast\n"


async def test_foreground_failure_and_timeout(sandbox: E2BSandbox) -> None:
    with pytest.raises(CommandFailed) as failed:
        await sandbox.commands.run("echo out; echo why >&2; exit 7")
    assert failed.value.exit_code == 7
    assert (failed.value.stdout, failed.value.stderr) == ("out\n", "why\n")
    assert "exited with code 7: why" in failed.value.message
    lines: list[str] = []
    with pytest.raises(CommandTimeout) as timed_out:
        await sandbox.commands.run("echo $$; sleep 30", timeout=0.5, on_stdout=lines.append)
    assert "0.5 s" in timed_out.value.message
    assert not process_alive(int(lines[0]))


async def test_background_command(sandbox: E2BSandbox) -> None:
    seen: list[str] = []
    first = asyncio.Event()

    async def on_line(line: str) -> None:
        seen.append(line)
        first.set()

    handle = await background(
        sandbox, "echo start; sleep 30; echo end", on_stdout=on_line, timeout=None
    )
    await asyncio.wait_for(first.wait(), 10)
    assert handle.exit_code is None
    assert handle.output_tail() == "start"
    assert await handle.kill() is True
    assert handle.exit_code is not None
    assert not process_alive(handle.pid)
    assert await handle.kill() is False
    done = await background(sandbox, "echo a; echo b >&2")
    assert (await done.wait()).exit_code == 0
    assert done.output_tail() in ("a\nb", "b\na")


async def test_commands_take_cwd_and_envs(provider: E2BSandboxProvider) -> None:
    sandbox = await provider.create("react", envs={"LEVEL": "sandbox"})
    await sandbox.files.write("sub/marker.txt", "")
    result = await sandbox.commands.run(
        'ls; echo "$LEVEL $EXTRA"', cwd="sub", envs={"EXTRA": "command"}
    )
    assert isinstance(result, CommandResult)
    assert result.stdout == "marker.txt\nsandbox command\n"
    with pytest.raises(InvalidPath):
        await sandbox.commands.run("true", cwd="/etc")


async def test_install_runs_in_the_foreground(sandbox: E2BSandbox) -> None:
    lines: list[str] = []
    result = await sandbox.install("echo installing; echo done >&2", on_output=lines.append)
    assert result.exit_code == 0
    assert sorted(lines) == ["done", "installing"]
    with pytest.raises(CommandFailed):
        await sandbox.install("exit 1")


# --- lifetime --------------------------------------------------------------------------------
async def test_activity_keeps_the_sandbox_alive(
    sandbox: E2BSandbox, cloud: FakeE2BSdk, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr("tessera.sandbox.e2b.sandbox.monotonic", lambda: clock[0])
    await sandbox.set_timeout(40)  # E2B kills it 40 s from now unless it is used
    record = cloud._records[sandbox.sandbox_id]
    assert sandbox.refresh_every == 10
    record.timeout = 1  # so that a refresh shows
    clock[0] += 5
    await sandbox.files.exists("package.json")
    assert record.timeout == 1  # refreshed less than refresh_every ago
    clock[0] += 6
    await sandbox.files.exists("package.json")
    assert record.timeout == 40
    record.timeout = 1
    await sandbox.keep_alive()
    assert record.timeout == 40
    await sandbox.set_timeout(0)  # E2B has no unlimited lifetime: the last one stays
    assert record.timeout == 40


async def test_pause_and_resume(
    provider: E2BSandboxProvider, cloud: FakeE2BSdk, sandbox: E2BSandbox
) -> None:
    handle = await background(sandbox, "sleep 60", timeout=None)
    assert await sandbox.pause() is True
    assert cloud.state(sandbox.sandbox_id) == "paused"
    await poll(lambda: _stopped(handle.pid))
    assert await sandbox.is_running()  # paused is not gone
    assert [s.sandbox_id for s in await provider.list()] == [sandbox.sandbox_id]
    assert await sandbox.files.exists("package.json")  # the next use resumes it
    assert cloud.state(sandbox.sandbox_id) == "running"
    assert not _is_stopped(handle.pid)
    assert await sandbox.pause() is True
    again = await provider.connect(sandbox.sandbox_id)  # so does connect
    assert again is sandbox and not sandbox.paused
    assert cloud.state(sandbox.sandbox_id) == "running"
    assert await handle.kill() is True


async def test_a_listed_paused_sandbox_stays_paused_until_used(
    cloud: FakeE2BSdk, sandbox: E2BSandbox
) -> None:
    await sandbox.pause()
    restarted = E2BSandboxProvider("k", sdk=cloud)
    [listed] = await restarted.list()
    assert isinstance(listed, E2BSandbox) and listed.paused
    assert await listed.is_running()
    assert await listed.pause() is False
    assert cloud.state(sandbox.sandbox_id) == "paused"
    assert await listed.files.read("package.json")
    assert cloud.state(sandbox.sandbox_id) == "running"


async def test_set_timeout_kills_the_sandbox(sandbox: E2BSandbox, cloud: FakeE2BSdk) -> None:
    await sandbox.set_timeout(0.2)
    assert sandbox.lifetime == 0.2

    async def gone() -> bool:
        return not await sandbox.is_running()

    await poll(gone)
    assert cloud.state(sandbox.sandbox_id) == "killed"


async def test_aclose_stops_commands_and_keeps_sandboxes(
    cloud: FakeE2BSdk, sandbox: E2BSandbox, provider: E2BSandboxProvider
) -> None:
    handle = await background(sandbox, "sleep 60", timeout=None)
    assert sandbox.running_commands() == [handle.pid]
    await provider.aclose()
    assert not process_alive(handle.pid)
    assert cloud.state(sandbox.sandbox_id) == "running"


def test_template_names_of_the_registry_are_mapped(provider: E2BSandboxProvider) -> None:
    assert provider.templates["react"] == "tessera-react"
    assert set(provider.templates) <= {"react", "python", "fullstack"}
    assert get_template("react").name in provider.templates


async def _ready(lines: list[str]) -> bool:
    return bool(lines)


def _is_stopped(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rfind(")") + 2] == "T"


async def _stopped(pid: int) -> bool:
    return _is_stopped(pid)


# --- the sandbox manager on E2B ----------------------------------------------------------------
async def test_the_manager_deploys_a_react_app(
    tmp_path: Path, template_cache: TemplateCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    react = get_template("react")
    # The fake's sandboxes share this machine's network: serve on a port that is free here.
    web = dataclasses.replace(react.preview, default_port=free_port())
    monkeypatch.setattr(registry, "_registry", lambda: {"react": replace_processes(react, web)})
    cloud = FakeE2BSdk(
        tmp_path / "e2b",
        templates={
            "tessera-react": FakeTemplate(react.files_dir, template_cache.dependency_dirs("react"))
        },
    )
    manager = SandboxManager(E2BSandboxProvider("k", sdk=cloud), dev_server_timeout=30)
    files = template_files("react")
    files["src/App.tsx"] = "export default function App() { return <h1>Deployed to E2B</h1> }\n"
    try:
        deployment = await manager.deploy("p1", files)
        assert deployment.ready, deployment.log
        assert deployment.preview_url == f"http://127.0.0.1:{web.default_port}/"
        assert deployment.sandbox_url == f"http://127.0.0.1:{web.default_port}"
        assert deployment.files == ["src/App.tsx"]
        [sandbox_id] = [info.sandbox_id for info in await cloud.list({"project_id": "p1"})]
        async with httpx.AsyncClient(trust_env=False) as client:
            page = await client.get(f"{deployment.sandbox_url}/src/App.tsx")
        assert "Deployed to E2B" in page.text
    finally:
        await manager.aclose()
        await cloud.aclose()
    assert cloud.state(sandbox_id) == "killed"


def replace_processes(template: Template, *processes: Process) -> Template:
    return dataclasses.replace(template, processes=processes)
