"""E2B's async SDK (the pinned ``e2b`` package) drives a real isolated Tessera sandbox.

One sandbox serves the whole module (``served_sandbox``): tests keep to folders of their
own and end what they start; the reset test, which replaces the sandbox, checks that
nothing of the old one survives.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from e2b import (
    AsyncSandbox,
    CommandExitException,
    EntryInfo,
    FilesystemEvent,
    FilesystemEventType,
    FileType,
    NotFoundException,
    PtySize,
    SandboxException,
    TimeoutException,
)
from e2b.sandbox.filesystem.filesystem import WriteEntry

from tessera.sandbox.local.ports import PortPublisher
from tessera.sandbox.local.python_runtime import python_runtime
from tests.conftest import free_port, shared_test_cache
from tests.envd.sandbox_sdk_support import (
    SANDBOX_HOME,
    ServedSandboxThread,
    connect_error_code,
    envelope,
    health,
    unique_dir,
    wait_for_async,
)


@pytest.fixture
async def sandbox(served_sandbox: ServedSandboxThread) -> AsyncIterator[AsyncSandbox]:
    sdk = await AsyncSandbox.connect("local", debug=True, sandbox_url=served_sandbox.url)
    yield sdk


def refused(exc: BaseException) -> bool:
    """A read the sandbox refuses: not found, or permission denied."""
    text = str(exc).lower()
    return isinstance(exc, NotFoundException) or "permission" in text or "403" in text


# --- files --------------------------------------------------------------------------------
async def test_write_and_read_text_and_bytes(sandbox: AsyncSandbox) -> None:
    folder = unique_dir("rw")
    info = await sandbox.files.write(f"{folder}/notes.txt", "héllo\nwörld\n")
    assert info.path == f"{folder}/notes.txt"
    assert info.name == "notes.txt"
    assert await sandbox.files.read(f"{folder}/notes.txt") == "héllo\nwörld\n"

    payload = bytes(range(256)) * 64
    await sandbox.files.write(f"{folder}/blob.bin", payload)
    assert await sandbox.files.read(f"{folder}/blob.bin", format="bytes") == payload
    entry = await sandbox.files.get_info(f"{folder}/blob.bin")
    assert (entry.type, entry.size, entry.owner) == (FileType.FILE, len(payload), "user")

    relative = f"{folder.removeprefix(SANDBOX_HOME + '/')}/relative.txt"
    await sandbox.files.write(relative, "in the user's home")
    assert await sandbox.files.read(f"{folder}/relative.txt") == "in the user's home"


async def test_write_files_many_and_list_by_depth(sandbox: AsyncSandbox) -> None:
    folder = unique_dir("many")
    entries: list[WriteEntry] = [
        {"path": f"{folder}/flat/file{i:02}.txt", "data": f"file {i}"} for i in range(30)
    ]
    entries += [
        {"path": f"{folder}/tree/top.txt", "data": "top"},
        {"path": f"{folder}/tree/sub/mid.txt", "data": "mid"},
        {"path": f"{folder}/tree/sub/deeper/low.txt", "data": b"low"},
    ]
    written = await sandbox.files.write_files(entries)
    assert sorted(w.path for w in written) == sorted(e["path"] for e in entries)
    assert await sandbox.files.read(f"{folder}/flat/file17.txt") == "file 17"
    assert len(await sandbox.files.list(f"{folder}/flat")) == 30

    def paths(found: list[EntryInfo]) -> set[str]:
        return {e.path.removeprefix(f"{folder}/tree/") for e in found}

    assert paths(await sandbox.files.list(f"{folder}/tree", depth=1)) == {"top.txt", "sub"}
    assert paths(await sandbox.files.list(f"{folder}/tree", depth=2)) == {
        "top.txt",
        "sub",
        "sub/mid.txt",
        "sub/deeper",
    }
    assert "sub/deeper/low.txt" in paths(await sandbox.files.list(f"{folder}/tree", depth=3))


async def test_info_exists_make_dir_rename_remove(sandbox: AsyncSandbox) -> None:
    folder = unique_dir("ops")
    assert not await sandbox.files.exists(folder)
    assert await sandbox.files.make_dir(f"{folder}/a/b")
    assert not await sandbox.files.make_dir(f"{folder}/a/b")  # already there
    info = await sandbox.files.get_info(f"{folder}/a")
    assert (info.type, info.name, info.path, info.owner) == (
        FileType.DIR,
        "a",
        f"{folder}/a",
        "user",
    )

    await sandbox.files.write(f"{folder}/a/b/old.txt", "moved")
    moved = await sandbox.files.rename(f"{folder}/a/b/old.txt", f"{folder}/a/new.txt")
    assert moved.path == f"{folder}/a/new.txt"
    assert not await sandbox.files.exists(f"{folder}/a/b/old.txt")
    assert await sandbox.files.read(f"{folder}/a/new.txt") == "moved"

    await sandbox.files.remove(f"{folder}/a")
    assert not await sandbox.files.exists(f"{folder}/a/new.txt")
    assert not await sandbox.files.exists(f"{folder}/a")
    with pytest.raises(NotFoundException):
        await sandbox.files.get_info(f"{folder}/a")
    with pytest.raises(NotFoundException):
        await sandbox.files.read(f"{folder}/a/new.txt")


async def test_watch_dir_streams_events(sandbox: AsyncSandbox) -> None:
    folder = unique_dir("watch")
    await sandbox.files.make_dir(folder)
    events: list[FilesystemEvent] = []
    handle = await sandbox.files.watch_dir(folder, on_event=events.append, timeout=30)
    try:
        await sandbox.files.write(f"{folder}/seen.txt", "one")

        async def created() -> bool:
            return any(e.name == "seen.txt" for e in events)

        assert await wait_for_async(created, within=5), events
        await sandbox.files.remove(f"{folder}/seen.txt")

        async def removed() -> bool:
            return any((e.name, e.type) == ("seen.txt", FilesystemEventType.REMOVE) for e in events)

        assert await wait_for_async(removed, within=5), events
        kinds = {e.type for e in events if e.name == "seen.txt"}
        assert kinds & {FilesystemEventType.CREATE, FilesystemEventType.WRITE}, events
    finally:
        await handle.stop()


# --- commands -----------------------------------------------------------------------------
async def test_run_in_the_foreground(sandbox: AsyncSandbox) -> None:
    done = await sandbox.commands.run("echo out; echo err >&2")
    assert (done.exit_code, done.stdout, done.stderr) == (0, "out\n", "err\n")

    with pytest.raises(CommandExitException) as failed:
        await sandbox.commands.run("echo partial; echo broken >&2; exit 3")
    assert failed.value.exit_code == 3
    assert (failed.value.stdout, failed.value.stderr) == ("partial\n", "broken\n")


async def test_envs_and_cwd(sandbox: AsyncSandbox) -> None:
    folder = unique_dir("cwd")
    await sandbox.files.make_dir(folder)
    done = await sandbox.commands.run(
        'echo "$GREETING"; pwd', envs={"GREETING": "hi there"}, cwd=folder
    )
    assert done.stdout == f"hi there\n{folder}\n"


async def test_users(sandbox: AsyncSandbox, served_sandbox: ServedSandboxThread) -> None:
    default = await sandbox.commands.run('id -u; echo "$HOME"; whoami')
    uid, home, name = default.stdout.split()
    assert int(uid) == served_sandbox.user_uid != 0
    assert (home, name) == ("/home/user", "user")

    root = await sandbox.commands.run('id -u; echo "$HOME"', user="root")
    assert root.stdout.split()[0] == "0"

    # A user's commands cannot do what root's can.
    with pytest.raises(CommandExitException):
        await sandbox.commands.run("touch /root/mine")


async def test_background_connect_list_kill(sandbox: AsyncSandbox) -> None:
    handle = await sandbox.commands.run("echo started; sleep 47", background=True)
    listed = await sandbox.commands.list()
    assert any(p.pid == handle.pid and "sleep 47" in " ".join(p.args) for p in listed)

    lines: list[str] = []
    attached = await sandbox.commands.connect(handle.pid, on_stdout=lines.append)
    assert attached.pid == handle.pid
    assert await sandbox.commands.kill(handle.pid)
    with pytest.raises(CommandExitException):
        await attached.wait()
    with pytest.raises(CommandExitException):
        await handle.wait()
    assert "started\n" in handle.stdout

    async def gone() -> bool:
        return all(p.pid != handle.pid for p in await sandbox.commands.list())

    assert await wait_for_async(gone, within=5)
    assert not await sandbox.commands.kill(handle.pid)


async def test_stdin_send_and_close(sandbox: AsyncSandbox) -> None:
    handle = await sandbox.commands.run("cat; echo done", background=True, stdin=True)
    await sandbox.commands.send_stdin(handle.pid, "first line\n")
    await sandbox.commands.send_stdin(handle.pid, b"second line\n")
    await sandbox.commands.close_stdin(handle.pid)
    result = await handle.wait()
    assert result.stdout == "first line\nsecond line\ndone\n"


async def test_timeout_is_honoured(sandbox: AsyncSandbox) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutException):
        await sandbox.commands.run("sleep 23", timeout=1)
    assert time.monotonic() - started < 4

    async def ended() -> bool:
        return not any("sleep 23" in " ".join(p.args) for p in await sandbox.commands.list())

    assert await wait_for_async(ended, within=5), "the command outlived its timeout"


async def test_output_arrives_line_by_line(sandbox: AsyncSandbox) -> None:
    arrivals: list[tuple[float, str]] = []
    started = time.monotonic()
    await sandbox.commands.run(
        "for i in 1 2 3 4; do echo line$i; sleep 0.3; done",
        on_stdout=lambda line: arrivals.append((time.monotonic() - started, line)),
    )
    ended = time.monotonic() - started
    assert "".join(text for _, text in arrivals) == "line1\nline2\nline3\nline4\n"
    first, last = arrivals[0][0], arrivals[-1][0]
    assert first < ended - 0.7, f"the first line came with the end: {arrivals} end {ended:.2f}"
    assert last - first > 0.6, f"the lines came together: {arrivals}"


async def test_pty_input_resize_kill(sandbox: AsyncSandbox) -> None:
    output = bytearray()
    terminal = await sandbox.pty.create(PtySize(cols=80, rows=24), on_data=output.extend)

    def shows(text: str) -> bool:
        return text.encode() in output

    await sandbox.pty.send_stdin(terminal.pid, b"stty size; tty\n")
    assert await wait_for_async(lambda: shows("24 80"), within=5), bytes(output)
    assert await wait_for_async(lambda: shows("/dev/pts/"), within=5), bytes(output)

    await sandbox.pty.resize(terminal.pid, PtySize(cols=100, rows=40))
    await sandbox.pty.send_stdin(terminal.pid, b"stty size\n")
    assert await wait_for_async(lambda: shows("40 100"), within=5), bytes(output)

    assert await sandbox.pty.kill(terminal.pid)
    with pytest.raises(CommandExitException):
        await terminal.wait()
    assert not await sandbox.pty.kill(terminal.pid)


async def test_git_commit_and_clone_inside(sandbox: AsyncSandbox) -> None:
    repo, copy = unique_dir("repo"), unique_dir("clone")
    await sandbox.git.configure_user("Tessa Builder", "tessa@example.invalid")
    await sandbox.git.init(repo, initial_branch="main")
    await sandbox.files.write(f"{repo}/README.md", "# made in a sandbox\n")
    await sandbox.git.add(repo)
    await sandbox.git.commit(repo, "First commit")
    await sandbox.git.clone(repo, path=copy)

    log = await sandbox.commands.run("git log --format='%an <%ae> %s'", cwd=copy)
    assert log.stdout == "Tessa Builder <tessa@example.invalid> First commit\n"
    assert await sandbox.files.read(f"{copy}/README.md") == "# made in a sandbox\n"
    assert (await sandbox.files.get_info(f"{copy}/.git")).owner == "user"


# --- isolation ----------------------------------------------------------------------------
@pytest.mark.parametrize("user", ["user", "root"])
async def test_secrets_of_this_machine_are_not_there(sandbox: AsyncSandbox, user: str) -> None:
    for path in ("/etc/shadow", "/home/user/../../proc/1/root/etc/shadow"):
        with pytest.raises(SandboxException) as failed:
            await sandbox.files.read(path, user=user)
        assert refused(failed.value), f"{path}: {failed.value!r}"
    with pytest.raises(CommandExitException):
        await sandbox.commands.run("cat /etc/shadow", user=user)


async def test_this_machines_folders_are_not_visible(
    sandbox: AsyncSandbox, served_sandbox: ServedSandboxThread
) -> None:
    # Tessera's own Python is bound read-only under /opt/tessera (the daemon runs from
    # it): none of this machine's folders is there under its own name.
    runtime = [Path(host) for host, _ in python_runtime().binds]
    home_entries = list(Path.home().iterdir())
    hidden = [served_sandbox.root, served_sandbox.folder, shared_test_cache(), *home_entries]
    hidden += runtime
    for path in hidden:
        assert not await sandbox.files.exists(str(path), user="root"), path
    home = await sandbox.files.list("/home")
    assert [e.name for e in home] == ["user"]


async def test_system_folders_are_read_only(sandbox: AsyncSandbox) -> None:
    name = f"tessera-envd-{secrets.token_hex(4)}"
    for user in ("user", "root"):
        with pytest.raises(SandboxException):
            await sandbox.files.write(f"/usr/{name}", "x", user=user)
        with pytest.raises(CommandExitException):
            await sandbox.commands.run(f"touch /usr/{name}", user=user)
    assert not await asyncio.to_thread(Path(f"/usr/{name}").exists)


# --- bad input ----------------------------------------------------------------------------
CONNECT_JSON = {"Content-Type": "application/json", "Connect-Protocol-Version": "1"}
CONNECT_STREAM = {"Content-Type": "application/connect+json", "Connect-Protocol-Version": "1"}
CONNECT_CODES = {
    "canceled",
    "unknown",
    "invalid_argument",
    "deadline_exceeded",
    "not_found",
    "already_exists",
    "permission_denied",
    "resource_exhausted",
    "failed_precondition",
    "aborted",
    "out_of_range",
    "unimplemented",
    "internal",
    "unavailable",
    "data_loss",
    "unauthenticated",
}
UNDECODABLE = {
    "unary JSON that is not JSON": ("/filesystem.Filesystem/Stat", b"{not json", CONNECT_JSON),
    "unary JSON of the wrong shape": ("/filesystem.Filesystem/Stat", b'{"path": 5}', CONNECT_JSON),
    "a stream envelope cut short": (
        "/process.Process/Start",
        envelope(b'{"process": {"cmd": "/bin/true"}}')[:-5],
        CONNECT_STREAM,
    ),
    "a stream envelope of garbage": (
        "/process.Process/Start",
        envelope(b"\xff\xfe not json at all"),
        CONNECT_STREAM,
    ),
}


async def post(url: str, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    """One request on a connection of its own (a daemon may close a connection after an
    error: the next request must not be taken for its victim)."""
    async with httpx.AsyncClient(base_url=url, timeout=10, trust_env=False) as client:
        return await client.post(path, content=body, headers=headers)


async def test_bad_requests_get_connect_errors(served_sandbox: ServedSandboxThread) -> None:
    url = served_sandbox.url
    unknown = await post(url, "/process.Process/Teleport", b"{}", CONNECT_JSON)
    assert connect_error_code(unknown) == "unimplemented"
    for label, (path, body, headers) in UNDECODABLE.items():
        answer = await post(url, path, body, headers)
        assert connect_error_code(answer) in CONNECT_CODES, label
    assert await asyncio.to_thread(health, url) == 204
    stat = await post(url, "/filesystem.Filesystem/Stat", b'{"path": "/home/user"}', CONNECT_JSON)
    assert stat.json()["entry"]["type"] == "FILE_TYPE_DIRECTORY"


@pytest.mark.parametrize(
    "label", [label for label in UNDECODABLE if label != "a stream envelope cut short"]
)
async def test_undecodable_requests_are_invalid_arguments(
    served_sandbox: ServedSandboxThread, label: str
) -> None:
    """Connect's reading of a request it cannot decode (as E2B's own envd answers). An
    envelope cut short is answered ``unimplemented`` ("zero messages") by the Connect
    server library itself: still a Connect error (``test_bad_requests_get_connect_errors``)."""
    path, body, headers = UNDECODABLE[label]
    answer = await post(served_sandbox.url, path, body, headers)
    assert connect_error_code(answer) == "invalid_argument", answer.content


async def test_output_flood_ends_at_its_deadline(
    sandbox: AsyncSandbox, served_sandbox: ServedSandboxThread
) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutException):
        await sandbox.commands.run("yes", timeout=2, on_stdout=lambda _: None, retain_output=False)
    assert time.monotonic() - started < 8
    assert await asyncio.to_thread(health, served_sandbox.url) == 204

    async def ended() -> bool:
        return not any(
            p.cmd == "/bin/bash" and "yes" in p.args for p in await sandbox.commands.list()
        )

    assert await wait_for_async(ended, within=5), "the flood outlived its deadline"
    assert (await sandbox.commands.run("echo still here")).stdout == "still here\n"


async def test_a_client_that_leaves_mid_stream_can_come_back(sandbox: AsyncSandbox) -> None:
    before: list[str] = []
    handle = await sandbox.commands.run(
        "for i in $(seq 1 200); do echo tick$i; sleep 0.05; done",
        background=True,
        on_stdout=before.append,
    )
    assert await wait_for_async(lambda: before, within=5)
    await handle.disconnect()

    after: list[str] = []
    again = await sandbox.commands.connect(handle.pid, on_stdout=after.append)
    assert await wait_for_async(lambda: len(after) >= 2, within=5), after
    assert int("".join(after).split()[-1].removeprefix("tick")) > 1
    assert await sandbox.commands.kill(handle.pid)
    with pytest.raises(CommandExitException):
        await again.wait()


# --- reset --------------------------------------------------------------------------------
async def test_reset_gives_a_fresh_sandbox(
    sandbox: AsyncSandbox, served_sandbox: ServedSandboxThread
) -> None:
    folder = unique_dir("before-reset")
    await sandbox.files.write(f"{folder}/left.txt", "from before")
    await sandbox.commands.run("sleep 59", background=True)
    old_id = served_sandbox.sandbox_id
    assert served_sandbox.processes(old_id), "the sandbox's processes are found"

    new_id = await asyncio.to_thread(served_sandbox.reset)
    assert new_id != old_id
    assert served_sandbox.processes(old_id) == []
    assert await asyncio.to_thread(health, served_sandbox.url) == 204

    fresh = await AsyncSandbox.connect("local", debug=True, sandbox_url=served_sandbox.url)
    assert not await fresh.files.exists(f"{folder}/left.txt")
    assert not any("sleep 59" in " ".join(p.args) for p in await fresh.commands.list())
    assert (await fresh.commands.run("echo fresh")).stdout == "fresh\n"


# --- ports ---------------------------------------------------------------------------------
async def test_a_port_the_sandbox_listens_on_is_published_at_the_same_port(
    sandbox: AsyncSandbox, served_sandbox: ServedSandboxThread
) -> None:
    """E2B's debug mode reaches a sandbox's port N at ``localhost:N`` (``get_host``)."""
    port = free_port()
    published: list[str] = []
    publisher = PortPublisher(
        lambda: served_sandbox.served.sandbox, "127.0.0.1", say=published.append
    )
    server = await sandbox.commands.run(
        f"python3 -m http.server {port} --bind 127.0.0.1", background=True, cwd="/home/user"
    )
    try:

        async def is_published() -> bool:
            served_sandbox.call(publisher.check())
            return port in publisher.published

        assert await wait_for_async(is_published, within=10.0)
        assert sandbox.get_host(port) == f"localhost:{port}"
        async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
            page = await client.get(f"http://127.0.0.1:{port}/")
        assert page.status_code == 200 and "Directory listing" in page.text
        assert published == [f"port {port} of the sandbox: http://127.0.0.1:{port}"]
    finally:
        await server.kill()
        served_sandbox.call(publisher.aclose())
