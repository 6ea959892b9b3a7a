"""What an isolated local sandbox looks like from inside, and how Tessera reaches into it.

(The contract suite runs every provider promise against isolated sandboxes; the attacks
are in tests/security/.)"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sandbox_test_support import poll, tree_digest

from tessera.errors import DevServerFailed, InvalidPath, SandboxError
from tessera.sandbox import upstream
from tessera.sandbox.base import CommandResult
from tessera.sandbox.local import LocalSandbox, LocalSandboxProvider
from tessera.sandbox.local.isolated import IsolatedRuntime, default_socket_root
from tessera.sandbox.local.isolation import Isolation
from tessera.sandbox.local.limits import MIB, SandboxLimits
from tessera.sandbox.local.users import ensure_user
from tessera.sandbox.process import ManagedProcess
from tessera.sandbox.readiness import wait_until_answering
from tessera.sandbox.templates import TemplateCache
from tests.security.security_support import (
    CGROUP_ROOT,
    processes_under,
    remove_cgroup_parent,
    unique_cgroup_parent,
)

LIMITS = SandboxLimits(memory_bytes=256 * MIB, processes=128, cpus=0.5, disk_bytes=128 * MIB)


@pytest.fixture
def cgroup_parent() -> Iterator[str]:
    parent = unique_cgroup_parent()
    yield parent
    assert processes_under(parent) == [], "a sandbox process outlived the test"
    assert remove_cgroup_parent(parent) == [], "a sandbox's control group was left"


@pytest.fixture
async def isolated(
    tmp_path: Path, template_cache: TemplateCache, cgroup_parent: str
) -> AsyncIterator[LocalSandboxProvider]:
    provider = LocalSandboxProvider(
        tmp_path / "sandboxes",
        template_cache,
        preview_domain="localhost:8000",
        isolation=Isolation(limits=LIMITS, cgroup_parent=cgroup_parent),
    )
    yield provider
    await provider.aclose()


@pytest.fixture
async def sandbox(isolated: LocalSandboxProvider) -> AsyncIterator[LocalSandbox]:
    created = await isolated.create("react")
    yield created
    await created.kill()


async def run(sandbox: LocalSandbox, cmd: str) -> str:
    result = await sandbox.commands.run(cmd)
    assert isinstance(result, CommandResult)
    return result.stdout


async def test_inside_runs_as_the_sandbox_user_in_its_project_folder(
    sandbox: LocalSandbox,
) -> None:
    user = await ensure_user()
    lines = (await run(sandbox, 'id -u; id -g; id -G; pwd; echo "$HOME"; hostname')).split()
    assert lines == [
        str(user.uid),
        str(user.gid),
        str(user.gid),
        "/home/user/app",
        "/home/user",
        "sandbox",
    ]
    status = await run(sandbox, "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status")
    assert "CapEff:\t0000000000000000" in status
    assert "CapBnd:\t0000000000000000" in status
    assert "NoNewPrivs:\t1" in status


async def test_the_view_of_the_machine_is_minimal(sandbox: LocalSandbox, tmp_path: Path) -> None:
    assert (await run(sandbox, "ls /")).split() == [
        "bin",
        "dev",
        "etc",
        "home",
        "lib",
        "lib64",
        "opt",
        "proc",
        "root",  # the sandbox's own, closed to its user (E2B's `user="root"` lives there)
        "sbin",
        "tmp",
        "usr",
        "var",
    ]
    assert (await run(sandbox, "stat -c %U /home/user")).strip() == "user"  # as on E2B
    # Tessera's own Python (for its daemon in the sandbox) is there read-only, under /opt.
    opt = await run(sandbox, "ls /opt/tessera; touch /opt/tessera/src/x 2>&1 || echo refused")
    assert "refused" in opt and "src" in opt.split()
    passwd = await run(sandbox, "cat /etc/passwd")
    accounts = [line.split(":")[0] for line in passwd.splitlines()]
    assert accounts == ["root", "user", "nobody"]
    etc = set((await run(sandbox, "ls -A /etc")).split())
    assert {"passwd", "group", "hosts", "resolv.conf", "ssl", "ld.so.cache"} <= etc
    assert not etc & {"shadow", "gshadow", "sudoers", "ssh", "machine-id", "environment"}
    # Only the sandbox's processes, and the host's paths are not in any command line.
    processes = await run(sandbox, "cat /proc/[0-9]*/cmdline | tr '\\0' ' '")
    assert "bridge.py" in processes
    assert str(tmp_path) not in processes and "/root" not in processes


async def test_only_the_project_folder_and_private_memory_folders_are_writable(
    sandbox: LocalSandbox, template_cache: TemplateCache
) -> None:
    cache_before = tree_digest(template_cache.node_modules("react") / "react")
    script = (
        "for p in /usr/x /etc/x /x /opt/tessera/x node_modules/x node_modules/react/x; do "
        '  touch "$p" 2>/dev/null && echo "wrote $p"; done; '
        "touch /tmp/t /dev/shm/t /home/user/t node_modules/.vite/t node_modules/.vite-temp/t "
        "app.txt && echo private-ok"
    )
    assert (await run(sandbox, script)).split() == ["private-ok"]
    assert tree_digest(template_cache.node_modules("react") / "react") == cache_before


async def test_files_written_by_tessera_belong_to_the_sandbox_user(sandbox: LocalSandbox) -> None:
    user = await ensure_user()
    await sandbox.files.write("deep/new/file.txt", "from tessera\n")
    for path in ("deep", "deep/new", "deep/new/file.txt", "src/App.tsx"):
        info = (sandbox.folder / path).stat()
        assert (info.st_uid, info.st_gid) == (user.uid, user.gid), path
    out = await run(
        sandbox, "echo edited >> deep/new/file.txt && mv src/App.tsx src/Main.tsx && ls src"
    )
    assert "Main.tsx" in out
    assert await sandbox.files.read("deep/new/file.txt") == "from tessera\nedited\n"
    await run(sandbox, "mkdir made && echo inside > made/by-sandbox.txt")
    assert await sandbox.files.read("made/by-sandbox.txt") == "inside\n"


async def test_shared_dependencies_read_through_and_refuse_writes(
    sandbox: LocalSandbox, template_cache: TemplateCache
) -> None:
    cached = template_cache.node_modules("react")
    manifest = json.loads(await sandbox.files.read("node_modules/react/package.json"))
    assert manifest["name"] == "react"
    assert await sandbox.files.exists("node_modules/vite/bin/vite.js")
    listed = {e.path for e in await sandbox.files.list("node_modules")}
    assert "node_modules/react" in listed
    assert not any((sandbox.folder / "node_modules").iterdir())  # an empty mount point
    for attempt in (
        sandbox.files.write("node_modules/react/index.js", "x"),
        sandbox.files.remove("node_modules/react"),
        sandbox.files.rename("package.json", "node_modules/package.json"),
    ):
        with pytest.raises(InvalidPath) as caught:
            await attempt
        assert "read-only" in caught.value.message
    assert (cached / "react" / "index.js").read_text() != "x"


async def test_commands_share_one_network_and_one_process_tree(sandbox: LocalSandbox) -> None:
    server = await sandbox.commands.run(
        "exec python3 -m http.server 8123 --bind 127.0.0.1", background=True, timeout=0
    )
    assert not isinstance(server, CommandResult)
    fetch = (
        'python3 -c "import urllib.request as u; '
        "print(u.urlopen('http://127.0.0.1:8123/package.json').status)\""
    )

    async def answers() -> bool:
        try:
            return (await run(sandbox, fetch)).strip() == "200"
        except SandboxError:
            assert server.exit_code is None, server.output_tail()
            return False

    await poll(answers)
    assert "http.server" in await run(sandbox, "cat /proc/[0-9]*/cmdline | tr '\\0' ' '")
    await server.kill()


async def test_ports_are_the_preferred_ones_reached_through_private_sockets(
    sandbox: LocalSandbox,
) -> None:
    port = await sandbox.allocate_port(5173)
    assert port == 5173
    url = sandbox.upstream_url(port)
    target = upstream.locate(url)
    assert target.socket is not None and url == f"unix:{target.socket}"
    socket_file = Path(target.socket)
    info, folder = await asyncio.to_thread(lambda: (socket_file.stat(), socket_file.parent.stat()))
    assert stat.S_ISSOCK(info.st_mode)
    assert stat.S_IMODE(folder.st_mode) == 0o700 and folder.st_uid == 0
    assert "5173.sock" not in await run(sandbox, "find / -name '*.sock' 2>/dev/null; true")
    server = await sandbox.commands.run(
        "exec node -e \"require('http').createServer((q, s) => s.end('hi ' + q.url))"
        ".listen(5173, '127.0.0.1')\"",
        background=True,
        timeout=0,
    )
    assert not isinstance(server, CommandResult)
    async with upstream.upstream_client(timeout=5) as client:

        async def answers() -> bool:
            try:
                return (await upstream.get(client, f"{url}/x?y=1")).text == "hi /x?y=1"
            except Exception:
                assert server.exit_code is None, server.output_tail()
                return False

        await poll(answers)
    await server.kill()


async def test_a_sandbox_allowed_the_internet_shares_the_host_network(
    isolated: LocalSandboxProvider,
) -> None:
    sandbox = await isolated.create("react", metadata={"network": "allow"})
    try:
        port = await sandbox.allocate_port(5173)
        url = sandbox.upstream_url(port)
        assert url == f"http://127.0.0.1:{port}"
        interfaces = await run(sandbox, "cat /proc/net/dev")
        assert len(interfaces.splitlines()) > 3  # more than the loopback of its own
        server = await sandbox.commands.run(
            f"exec python3 -m http.server {port} --bind 127.0.0.1", background=True, timeout=0
        )
        assert not isinstance(server, CommandResult)
        async with upstream.upstream_client(timeout=5) as client:

            async def answers() -> bool:
                try:
                    return (await upstream.get(client, f"{url}/package.json")).status_code == 200
                except Exception:
                    return False

            await poll(answers)
    finally:
        await sandbox.kill()


async def test_limits_are_written_to_the_sandbox_control_groups(
    sandbox: LocalSandbox, cgroup_parent: str
) -> None:
    await run(sandbox, "true")
    group = f"{cgroup_parent}/{sandbox.sandbox_id}"
    memory = CGROUP_ROOT / "memory" / group
    assert int((memory / "memory.limit_in_bytes").read_text()) == LIMITS.memory_bytes
    assert (CGROUP_ROOT / "pids" / group / "pids.max").read_text().strip() == "128"
    assert (CGROUP_ROOT / "cpu" / group / "cpu.cfs_quota_us").read_text().strip() == "50000"
    inside = await run(sandbox, "cat /proc/self/cgroup; ulimit -f; ulimit -c")
    assert f"/{group}" not in inside  # its own cgroup namespace
    assert inside.split()[-2:] == [str(LIMITS.disk_bytes // 1024), "0"]  # bash: KiB
    members = {p.pid for p in processes_under(cgroup_parent)}
    runtime = sandbox.runtime
    assert isinstance(runtime, IsolatedRuntime) and runtime.init_pid in members


async def test_stopping_processes_keeps_the_sandbox_and_frees_its_resources(
    isolated: LocalSandboxProvider, sandbox: LocalSandbox, cgroup_parent: str
) -> None:
    port = await sandbox.allocate_port(5173)
    socket_file = Path(upstream.locate(sandbox.upstream_url(port)).socket or "")
    await sandbox.commands.run("setsid sleep 60 & sleep 60", background=True, timeout=0)
    assert processes_under(cgroup_parent)
    await sandbox.stop_processes()
    assert processes_under(cgroup_parent) == []
    group = CGROUP_ROOT / "pids" / cgroup_parent / sandbox.sandbox_id
    assert not await asyncio.to_thread(lambda: group.exists() or socket_file.exists())
    assert await sandbox.is_running()
    again = await isolated.connect(sandbox.sandbox_id)
    assert (await run(again, "cat package.json")).startswith("{")
    assert await again.allocate_port(5173) == 5173
    assert await asyncio.to_thread(socket_file.exists)


async def test_a_machine_without_bubblewrap_refuses_isolated_sandboxes(
    tmp_path: Path, template_cache: TemplateCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    provider = LocalSandboxProvider(
        tmp_path / "sandboxes", template_cache, preview_domain="x", isolation=Isolation()
    )
    with pytest.raises(SandboxError) as caught:
        await provider.create("react")
    assert "bubblewrap is not installed" in caught.value.message
    assert "TESSERA_SANDBOX_ISOLATION=none" in caught.value.message
    assert not [p for p in (tmp_path / "sandboxes").glob("*") if not p.name.startswith(".")]


async def test_the_environment_holds_no_host_variable(
    sandbox: LocalSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-must-not-leak")
    env = dict(
        line.split("=", 1) for line in (await run(sandbox, "env")).splitlines() if "=" in line
    )
    assert set(env) <= {"PATH", "HOME", "LANG", "PWD", "SHLVL", "_", "OLDPWD"} | {
        "npm_config_update_notifier"
    }
    assert os.environ["ANTHROPIC_API_KEY"] not in env.values()


_CRASHING_SERVER = """
import asyncio, sys
from pathlib import Path
from tessera.sandbox.local import LocalSandboxProvider
from tessera.sandbox.local.isolation import Isolation
from tessera.sandbox.templates import TemplateCache

async def main() -> None:
    root, cache, parent = sys.argv[1:4]
    provider = LocalSandboxProvider(
        Path(root), TemplateCache(Path(cache)), preview_domain="x",
        isolation=Isolation(cgroup_parent=parent),
    )
    sandbox = await provider.create("react")
    await sandbox.commands.run("setsid sleep 600 & sleep 600", background=True, timeout=0)
    await sandbox.install("sleep 600", timeout=0)

asyncio.run(main())
"""


async def test_sandboxes_die_with_a_crashed_tessera(
    tmp_path: Path, template_cache: TemplateCache
) -> None:
    parent = unique_cgroup_parent()
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _CRASHING_SERVER,
        str(tmp_path / "sandboxes"),
        str(template_cache.cache_dir),
        parent,
    )

    async def running() -> bool:
        assert server.returncode is None
        # the forwarder, two sleeps, the install's shell: all in the sandbox's groups
        return len([p for p in processes_under(parent) if p.uid != 0]) >= 4

    try:
        await poll(running, within=20)
    finally:
        server.kill()  # SIGKILL: no shutdown code runs
        await server.wait()

    async def all_gone() -> bool:
        return processes_under(parent) == []

    await poll(all_gone, within=10)
    await asyncio.to_thread(_remove_leftovers, parent, tmp_path / "sandboxes")


def _remove_leftovers(parent: str, root: Path) -> None:
    """What a crashed Tessera leaves: empty groups and socket folders (the next start would
    reuse them)."""
    for record in root.glob("*.json"):
        shutil.rmtree(default_socket_root() / record.stem, ignore_errors=True)
    for folder in CGROUP_ROOT.glob(f"*/{parent}"):
        for group in folder.iterdir():
            if group.is_dir():
                group.rmdir()
    assert remove_cgroup_parent(parent) == []


async def test_a_dev_server_stopped_by_a_limit_says_why(sandbox: LocalSandbox) -> None:
    port = await sandbox.allocate_port(5173)
    server = await sandbox.commands.run(
        "echo starting; exec python3 -c \"x = b'x' * (1 << 30)\"", background=True, timeout=0
    )
    assert isinstance(server, ManagedProcess)
    with pytest.raises(DevServerFailed) as caught:
        await wait_until_answering(sandbox.upstream_url(port), server, within=30)
    reason = "The app was stopped: it used more than 256 MiB of memory (the sandbox's limit)."
    assert server.stop_reason == reason
    assert caught.value.output.splitlines()[-1] == f"[tessera] {reason}"
    assert "starting" in caught.value.output


_ECHO_SERVER = (
    "exec node -e \"require('http').createServer((q, s) => { const parts = [];"
    " q.on('data', (c) => parts.push(c)); q.on('end', () => {"
    " const body = Buffer.concat(parts); s.setHeader('x-length', String(body.length));"
    " s.end(q.method === 'POST' ? body : Buffer.alloc(40 * 1024 * 1024, 7)); }); })"
    ".listen(5173, '127.0.0.1')\""
)


async def test_the_bridge_carries_large_bodies_both_ways(sandbox: LocalSandbox) -> None:
    url = sandbox.upstream_url(await sandbox.allocate_port(5173))
    server = await sandbox.commands.run(_ECHO_SERVER, background=True, timeout=0)
    assert not isinstance(server, CommandResult)
    async with upstream.upstream_client(timeout=30) as client:

        async def answers() -> bool:
            try:
                return (await upstream.get(client, url)).status_code == 200
            except Exception:
                assert server.exit_code is None, server.output_tail()
                return False

        await poll(answers)
        target = upstream.locate(url)
        download = await client.get(target.url, extensions=target.extensions)
        assert download.content == bytes([7]) * (40 * 1024 * 1024)
        body = os.urandom(8 * 1024 * 1024)
        echoed = await client.post(target.url, content=body, extensions=target.extensions)
        assert echoed.headers["x-length"] == str(len(body)) and echoed.content == body
    await server.kill()
