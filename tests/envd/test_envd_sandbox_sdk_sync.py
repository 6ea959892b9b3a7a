"""E2B's sync SDK (the pinned ``e2b`` package) drives a real isolated Tessera sandbox.

The sync SDK is a client of its own (blocking HTTP/1.1 streams, a polling directory
watcher), so the same sandbox is driven through it too. One sandbox serves the module
(``served_sandbox``): tests keep to folders of their own and end what they start.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from e2b import (
    CommandExitException,
    FilesystemEventType,
    FileType,
    NotFoundException,
    PtySize,
    Sandbox,
    SandboxException,
    TimeoutException,
)

from tests.envd.sandbox_sdk_support import (
    ServedSandboxThread,
    health,
    unique_dir,
    wait_for,
)


@pytest.fixture
def sandbox(served_sandbox: ServedSandboxThread) -> Iterator[Sandbox]:
    yield Sandbox.connect("local", debug=True, sandbox_url=served_sandbox.url)


# --- files --------------------------------------------------------------------------------
def test_files_round_trip(sandbox: Sandbox) -> None:
    folder = unique_dir("sync-files")
    sandbox.files.write(f"{folder}/text.txt", "ünïcode\n")
    sandbox.files.write(f"{folder}/data.bin", bytes(range(256)))
    assert sandbox.files.read(f"{folder}/text.txt") == "ünïcode\n"
    assert sandbox.files.read(f"{folder}/data.bin", format="bytes") == bytes(range(256))

    written = sandbox.files.write_files(
        [{"path": f"{folder}/many/{i}.txt", "data": str(i)} for i in range(12)]
    )
    assert len(written) == 12
    assert sorted(e.name for e in sandbox.files.list(f"{folder}/many")) == sorted(
        f"{i}.txt" for i in range(12)
    )
    top = {e.name: e.type for e in sandbox.files.list(folder, depth=1)}
    assert top == {"text.txt": FileType.FILE, "data.bin": FileType.FILE, "many": FileType.DIR}
    assert len(sandbox.files.list(folder, depth=2)) == 3 + 12

    info = sandbox.files.get_info(f"{folder}/data.bin")
    assert (info.size, info.owner, info.path) == (256, "user", f"{folder}/data.bin")


def test_file_operations(sandbox: Sandbox) -> None:
    folder = unique_dir("sync-ops")
    assert sandbox.files.make_dir(f"{folder}/x/y")
    assert not sandbox.files.make_dir(f"{folder}/x/y")
    assert sandbox.files.exists(f"{folder}/x/y")
    sandbox.files.write(f"{folder}/x/y/a.txt", "a")
    sandbox.files.rename(f"{folder}/x/y/a.txt", f"{folder}/b.txt")
    assert not sandbox.files.exists(f"{folder}/x/y/a.txt")
    assert sandbox.files.read(f"{folder}/b.txt") == "a"
    sandbox.files.remove(f"{folder}/x")
    assert not sandbox.files.exists(f"{folder}/x")
    with pytest.raises(NotFoundException):
        sandbox.files.get_info(f"{folder}/x/y")


def test_watch_dir_by_polling(sandbox: Sandbox) -> None:
    folder = unique_dir("sync-watch")
    sandbox.files.make_dir(folder)
    handle = sandbox.files.watch_dir(folder)
    try:
        sandbox.files.write(f"{folder}/polled.txt", "x")
        seen: list[tuple[str, FilesystemEventType]] = []

        def arrived(kind: FilesystemEventType) -> bool:
            seen.extend((e.name, e.type) for e in handle.get_new_events())
            return any(name == "polled.txt" and type_ == kind for name, type_ in seen)

        assert wait_for(lambda: arrived(FilesystemEventType.CREATE), within=5), seen
        sandbox.files.remove(f"{folder}/polled.txt")
        assert wait_for(lambda: arrived(FilesystemEventType.REMOVE), within=5), seen
    finally:
        handle.stop()


# --- commands -----------------------------------------------------------------------------
def test_run_envs_cwd_and_exit_codes(sandbox: Sandbox) -> None:
    folder = unique_dir("sync-cwd")
    sandbox.files.make_dir(folder)
    done = sandbox.commands.run('echo "$WHO"; pwd; echo oops >&2', envs={"WHO": "me"}, cwd=folder)
    assert (done.exit_code, done.stdout, done.stderr) == (0, f"me\n{folder}\n", "oops\n")
    with pytest.raises(CommandExitException) as failed:
        sandbox.commands.run("exit 7")
    assert failed.value.exit_code == 7


def test_users(sandbox: Sandbox, served_sandbox: ServedSandboxThread) -> None:
    uid, home = sandbox.commands.run('id -u; echo "$HOME"').stdout.split()
    assert (int(uid), home) == (served_sandbox.user_uid, "/home/user")
    assert int(uid) != 0
    assert sandbox.commands.run("id -u", user="root").stdout == "0\n"


def test_background_connect_kill(sandbox: Sandbox) -> None:
    handle = sandbox.commands.run("sleep 53", background=True)
    assert any(p.pid == handle.pid for p in sandbox.commands.list())
    attached = sandbox.commands.connect(handle.pid)
    assert sandbox.commands.kill(handle.pid)
    with pytest.raises(CommandExitException):
        attached.wait()
    assert wait_for(lambda: all(p.pid != handle.pid for p in sandbox.commands.list()), within=5)
    assert not sandbox.commands.kill(handle.pid)


def test_stdin(sandbox: Sandbox) -> None:
    handle = sandbox.commands.run("tr a-z A-Z", background=True, stdin=True)
    sandbox.commands.send_stdin(handle.pid, "shout\n")
    sandbox.commands.close_stdin(handle.pid)
    assert handle.wait().stdout == "SHOUT\n"


def test_timeout(sandbox: Sandbox) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutException):
        sandbox.commands.run("sleep 29", timeout=1)
    assert time.monotonic() - started < 4
    assert wait_for(
        lambda: not any("sleep 29" in " ".join(p.args) for p in sandbox.commands.list()),
        within=5,
    ), "the command outlived its timeout"


def test_output_arrives_line_by_line(sandbox: Sandbox) -> None:
    arrivals: list[float] = []
    started = time.monotonic()
    sandbox.commands.run(
        "for i in 1 2 3 4; do echo $i; sleep 0.3; done",
        on_stdout=lambda _: arrivals.append(time.monotonic() - started),
    )
    ended = time.monotonic() - started
    assert len(arrivals) == 4, arrivals
    assert arrivals[0] < ended - 0.7 and arrivals[-1] - arrivals[0] > 0.6, (arrivals, ended)


def test_pty_resize_and_kill(sandbox: Sandbox) -> None:
    terminal = sandbox.pty.create(PtySize(cols=80, rows=24))
    sandbox.pty.resize(terminal.pid, PtySize(cols=120, rows=33))
    sandbox.pty.send_stdin(terminal.pid, b"stty size; exit\n")
    output = bytearray()
    assert terminal.wait(on_pty=output.extend).exit_code == 0
    assert b"33 120" in output, bytes(output)

    other = sandbox.pty.create(PtySize(cols=80, rows=24))
    assert sandbox.pty.kill(other.pid)
    with pytest.raises(CommandExitException):
        other.wait()


def test_a_client_that_leaves_mid_stream_can_come_back(sandbox: Sandbox) -> None:
    handle = sandbox.commands.run(
        "for i in $(seq 1 200); do echo tick$i; sleep 0.05; done", background=True
    )
    first = next(stdout for stdout, _, _ in handle if stdout)
    assert first.startswith("tick")
    handle.disconnect()

    again = sandbox.commands.connect(handle.pid)
    later = next(stdout for stdout, _, _ in again if stdout)
    assert int(later.split()[0].removeprefix("tick")) > 1
    assert sandbox.commands.kill(handle.pid)
    with pytest.raises(CommandExitException):
        again.wait()


# --- isolation ----------------------------------------------------------------------------
def test_isolation(sandbox: Sandbox) -> None:
    with pytest.raises(NotFoundException):
        sandbox.files.read("/etc/shadow", user="root")
    with pytest.raises(SandboxException):
        sandbox.files.write("/usr/bin/planted", "x", user="root")
    with pytest.raises(CommandExitException):
        sandbox.commands.run("echo x > /usr/bin/planted", user="root")


# --- reset --------------------------------------------------------------------------------
def test_reset(sandbox: Sandbox, served_sandbox: ServedSandboxThread) -> None:
    folder = unique_dir("sync-reset")
    sandbox.files.write(f"{folder}/old.txt", "old")
    sandbox.commands.run("sleep 57", background=True)
    old_id = served_sandbox.sandbox_id
    assert served_sandbox.processes(old_id), "the sandbox's processes are found"

    assert served_sandbox.reset() != old_id
    assert served_sandbox.processes(old_id) == []
    assert health(served_sandbox.url) == 204
    fresh = Sandbox.connect("local", debug=True, sandbox_url=served_sandbox.url)
    assert not fresh.files.exists(f"{folder}/old.txt")
    assert not any("sleep 57" in " ".join(p.args) for p in fresh.commands.list())
    assert fresh.commands.run("echo fresh").stdout == "fresh\n"
