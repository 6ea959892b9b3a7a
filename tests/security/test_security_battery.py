"""Attacks run from inside isolated sandboxes (through ``commands.run``), each asserting
that it is contained, while a running Tessera's health endpoint keeps answering.

Limits of these sandboxes: 128 MiB of memory, 64 processes, one CPU, 64 MiB of disk. After
each attack the sandbox is killed and no process of it may remain: every process of the
test's sandboxes is in a control group under the test's own parent, whichever user and
namespace it runs as, so that is what is checked (``cgroup_parent`` fixture) — other
sandboxes of the same user may run on the machine at the same time.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tessera.errors import CommandFailed
from tessera.sandbox.base import CommandResult
from tessera.sandbox.local import LocalSandbox, LocalSandboxProvider
from tessera.sandbox.local.disk import used_bytes
from tessera.sandbox.local.users import ensure_user
from tests.security.security_support import (
    CGROUP_ROOT,
    LIMITS,
    Tessera,
    processes_under,
    watched,
)


@pytest.fixture
async def sandbox(provider: LocalSandboxProvider) -> AsyncIterator[LocalSandbox]:
    created = await provider.create("react")
    yield created
    await created.kill()


async def sh(sandbox: LocalSandbox, cmd: str) -> CommandResult:
    """Runs ``cmd`` inside; a failing command is a result too (its output is evidence)."""
    try:
        result = await sandbox.commands.run(cmd, timeout=30)
    except CommandFailed as exc:
        return CommandResult(stdout=exc.stdout, stderr=exc.stderr, exit_code=exc.exit_code)
    assert isinstance(result, CommandResult)
    return result


async def killed_cleanly(sandbox: LocalSandbox, cgroup_parent: str) -> None:
    started = time.monotonic()
    await sandbox.kill()
    assert time.monotonic() - started < 5
    assert [p for p in processes_under(cgroup_parent) if sandbox.sandbox_id in p.group] == []


# --- reading what is not the sandbox's ------------------------------------------------------
async def test_host_secrets_are_not_there(
    sandbox: LocalSandbox, tessera: Tessera, cgroup_parent: str
) -> None:
    async with watched(tessera, "read /etc/shadow"):
        shadow = await sh(sandbox, "cat /etc/shadow /etc/gshadow /proc/1/root/etc/shadow")
        assert shadow.exit_code != 0 and shadow.stdout == ""
        assert "/etc/shadow: No such file or directory" in shadow.stderr
        assert "/proc/1/root/etc/shadow: Permission denied" in shadow.stderr
        keys = await sh(sandbox, "ls -A /root ~/.ssh 2>&1; env | grep -ci key; true")
        assert "No such file or directory" in keys.stdout and keys.stdout.endswith("0\n")
    await killed_cleanly(sandbox, cgroup_parent)


async def test_tessera_data_and_other_sandboxes_are_not_visible(
    provider: LocalSandboxProvider, sandbox: LocalSandbox, tessera: Tessera, cgroup_parent: str
) -> None:
    other = await provider.create("react")
    await other.files.write("secret.txt", "the other sandbox's secret")
    database = tessera.data_dir / "tessera.db"
    assert database.is_file()
    targets = [
        database,
        tessera.data_dir,
        other.folder / "secret.txt",
        other.folder,
        sandbox.folder,
        provider.root_dir,
    ]
    async with watched(tessera, "read Tessera's database and another sandbox's files"):
        for target in targets:
            seen = await sh(sandbox, f"ls -la {target} 2>&1; cat {target} 2>&1; true")
            assert "No such file or directory" in seen.stdout, target
            assert "sandbox's secret" not in seen.stdout and "SQLite" not in seen.stdout
        found = await sh(sandbox, "find / -xdev -name 'secret.txt' -o -name '*.db' 2>/dev/null")
        assert found.stdout == ""
    await other.kill()
    await killed_cleanly(sandbox, cgroup_parent)


# --- writing outside the workspace ----------------------------------------------------------
async def test_nothing_outside_the_workspace_can_be_written(
    sandbox: LocalSandbox, tessera: Tessera, cgroup_parent: str, tmp_path: Path
) -> None:
    marker = f"tessera-escape-{sandbox.sandbox_id}"
    host_tmp = set(os.listdir("/tmp"))
    async with watched(tessera, "write outside the workspace"):
        tries = await sh(
            sandbox,
            f"for d in /usr /usr/bin /etc /bin /opt /proc/sys/kernel /dev /home /; do "
            f'  touch "$d/{marker}" 2>/dev/null && echo "wrote $d"; done; '
            f"echo x > /tmp/{marker} && echo private-tmp; "
            f"echo x > /proc/sys/kernel/hostname 2>/dev/null && echo hostname; true",
        )
    assert tries.stdout == "private-tmp\n"
    assert not [name for name in set(os.listdir("/tmp")) - host_tmp if marker in name]
    escaped = [Path(d, marker) for d in ("/usr", "/etc", "/opt", "/home", "/")]
    assert not await asyncio.to_thread(lambda: [p for p in escaped if p.exists()])
    await killed_cleanly(sandbox, cgroup_parent)


# --- network ----------------------------------------------------------------------------------
class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"host service")

    def log_message(self, *args: object) -> None:
        pass


async def test_host_services_cannot_be_reached(
    sandbox: LocalSandbox, tessera: Tessera, cgroup_parent: str
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        connect = (
            'python3 -c "import socket, sys\n'
            "try:\n socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=3)\n"
            "except OSError as e: print(e.strerror)\nelse: print('connected')\" "
        )
        async with watched(tessera, "connect to a host service and to Tessera"):
            for target in (port, tessera.port):
                answer = await sh(sandbox, connect + str(target))
                assert answer.stdout == "Connection refused\n", target
    finally:
        server.shutdown()
        server.server_close()
    await killed_cleanly(sandbox, cgroup_parent)


async def test_outside_addresses_are_unreachable_at_once(
    sandbox: LocalSandbox, tessera: Tessera, cgroup_parent: str
) -> None:
    # 192.0.2.1 is TEST-NET-1 (documentation only); without a network there is no route at
    # all, so nothing is sent anywhere.
    async with watched(tessera, "connect to 192.0.2.1:80"):
        started = time.monotonic()
        answer = await sh(
            sandbox,
            "python3 -c \"import socket\ntry: socket.create_connection(('192.0.2.1', 80), "
            'timeout=10)\nexcept OSError as e: print(e.strerror)"; cat /proc/net/dev | wc -l',
        )
        elapsed = time.monotonic() - started
    assert answer.stdout.splitlines() == ["Network is unreachable", "3"]  # header + lo only
    assert elapsed < 2
    await killed_cleanly(sandbox, cgroup_parent)


# --- resource limits ----------------------------------------------------------------------------
async def test_a_fork_bomb_is_contained_and_stopped(
    sandbox: LocalSandbox, tessera: Tessera, cgroup_parent: str
) -> None:
    async with watched(tessera, "fork bomb"):
        with pytest.raises(CommandFailed) as caught:
            await sandbox.commands.run("bomb() { bomb | bomb & }; bomb; sleep 30", timeout=30)
        host = await asyncio.create_subprocess_exec(
            "sh", "-c", "for i in 1 2 3 4 5; do true & done; wait"
        )
        assert await host.wait() == 0  # the host forks fine meanwhile
    assert "started more than 64 processes" in caught.value.message
    peak = CGROUP_ROOT / "pids" / cgroup_parent / sandbox.sandbox_id / "pids.peak"
    assert int(await asyncio.to_thread(peak.read_text)) <= LIMITS.processes
    await killed_cleanly(sandbox, cgroup_parent)


async def test_allocating_4_gib_is_killed_with_the_reason(
    sandbox: LocalSandbox, tessera: Tessera, cgroup_parent: str
) -> None:
    async with watched(tessera, "allocate 4 GiB"):
        with pytest.raises(CommandFailed) as caught:
            await sandbox.commands.run("python3 -c \"x = b'x' * (4 << 30)\"", timeout=60)
    assert caught.value.exit_code in (-9, 137)
    assert "The app was stopped: it used more than 128 MiB of memory" in caught.value.message
    assert "[tessera] The app was stopped" in caught.value.stderr
    assert (await sh(sandbox, "echo still usable")).stdout == "still usable\n"
    await killed_cleanly(sandbox, cgroup_parent)


async def test_filling_the_disk_is_stopped_at_the_limit(
    sandbox: LocalSandbox, tessera: Tessera, cgroup_parent: str
) -> None:
    user = await ensure_user()
    free_before = await asyncio.to_thread(_free_bytes, sandbox.folder)
    async with watched(tessera, "fill the disk"):
        big = await sh(sandbox, "head -c 100M /dev/zero > one-big-file")
        # SIGXFSZ: no single file past the limit — unless the disk watch, seeing the file
        # reach the limit on a slow machine, stopped the command first (SIGKILL).
        if big.exit_code == -9:
            assert "its files took more than 64 MiB of disk" in big.stderr
        else:
            assert big.exit_code in (-25, 153)
            assert "wrote a file larger than 64 MiB" in big.stderr
        size = await asyncio.to_thread(lambda: (sandbox.folder / "one-big-file").stat().st_size)
        assert size <= LIMITS.disk_bytes
        await sh(sandbox, "rm one-big-file")
        with pytest.raises(CommandFailed) as caught:
            await sandbox.commands.run(
                "i=0; while head -c 4M /dev/zero > fill$i; do i=$((i+1)); done; sleep 30",
                timeout=60,
            )
    assert "its files took more than 64 MiB of disk" in caught.value.message
    written = await asyncio.to_thread(used_bytes, sandbox.folder, user.uid)
    print(f"files when the sandbox was stopped: {written / 2**20:.0f} MiB (limit 64 MiB)")
    assert written < LIMITS.disk_bytes + 64 * 2**20
    # Over the limit, the sandbox may still run commands (to clean up), not grow.
    assert (await sh(sandbox, "rm fill1 && echo cleaned")).stdout == "cleaned\n"
    free_after = await asyncio.to_thread(_free_bytes, sandbox.folder)
    assert free_before - free_after < 3 * LIMITS.disk_bytes
    await killed_cleanly(sandbox, cgroup_parent)


def _free_bytes(folder: Path) -> int:
    info = os.statvfs(folder)
    return info.f_bavail * info.f_frsize


async def test_cpu_spinners_get_one_core(
    sandbox: LocalSandbox, tessera: Tessera, cgroup_parent: str
) -> None:
    spinners = await sandbox.commands.run(
        "python3 -c 'while True: pass' & python3 -c 'while True: pass' & wait",
        background=True,
        timeout=0,
    )
    assert not isinstance(spinners, CommandResult)
    usage = CGROUP_ROOT / "cpuacct" / cgroup_parent / sandbox.sandbox_id / "cpuacct.usage"
    async with watched(tessera, "two CPU spinners"):
        await asyncio.sleep(0.5)  # both spinning
        cpu_before, wall_before = int(usage.read_text()), time.monotonic()
        await asyncio.sleep(2)
        cpu_after, wall_after = int(usage.read_text()), time.monotonic()
    cores = (cpu_after - cpu_before) / 1e9 / (wall_after - wall_before)
    print(f"two spinners used {cores:.2f} cores (limit {LIMITS.cpus:g})")
    assert 0.3 < cores <= LIMITS.cpus * 1.15
    await killed_cleanly(sandbox, cgroup_parent)


async def test_a_process_ignoring_sigterm_is_killed(
    sandbox: LocalSandbox, tessera: Tessera, cgroup_parent: str
) -> None:
    started = asyncio.Event()
    stubborn = await sandbox.commands.run(
        "trap '' TERM; setsid sh -c \"trap '' TERM; sleep 600\" & echo started; sleep 600",
        background=True,
        timeout=0,
        on_stdout=lambda line: started.set(),
    )
    assert not isinstance(stubborn, CommandResult)
    await asyncio.wait_for(started.wait(), 10)
    async with watched(tessera, "ignore SIGTERM"):
        assert len([p for p in processes_under(cgroup_parent) if p.uid != 0]) >= 3
        await killed_cleanly(sandbox, cgroup_parent)
    assert stubborn.exit_code is not None
