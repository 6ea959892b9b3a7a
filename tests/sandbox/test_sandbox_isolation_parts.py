"""The parts of sandbox isolation on their own: upstream addresses, the mount layout,
control groups (v1 and v2, on fake trees), disk usage, limit messages, configuration."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.config import Settings
from tessera.sandbox.local.cgroups import V1Limiter, V2Limiter, detect
from tessera.sandbox.local.diagnose import diagnose
from tessera.sandbox.local.disk import used_bytes
from tessera.sandbox.local.layout import Layout, bwrap_options, write_identity_files
from tessera.sandbox.local.limits import GIB, MIB, Breach, SandboxLimits, format_bytes
from tessera.sandbox.local.users import SandboxUser
from tessera.sandbox.upstream import Target, locate, unix_upstream

USER = SandboxUser(name="tessera-sandbox", uid=4242, gid=4343)


# --- upstream addresses ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("http://127.0.0.1:5173/src/App.tsx", Target("http://127.0.0.1:5173/src/App.tsx")),
        (
            "unix:/run/tessera/abc/5173.sock",
            Target("http://localhost/", "/run/tessera/abc/5173.sock"),
        ),
        (
            "unix:/run/tessera/abc/5173.sock/@vite/client?t=1",
            Target("http://localhost/@vite/client?t=1", "/run/tessera/abc/5173.sock"),
        ),
        ("unix:/a.sock?x=1", Target("http://localhost/?x=1", "/a.sock")),
    ],
)
def test_upstream_addresses_are_located(url: str, target: Target) -> None:
    assert locate(url) == target


def test_unix_upstreams_need_an_absolute_socket_path() -> None:
    assert unix_upstream(Path("/run/x/1.sock")) == "unix:/run/x/1.sock"
    for bad in ("relative.sock", "/run/x/port"):
        with pytest.raises(ValueError):
            unix_upstream(bad)
    with pytest.raises(ValueError):
        locate("unix:/run/x/port/path")
    assert locate("unix:/s.sock/a").websocket_uri == "ws://localhost/a"


# --- limits and their messages -----------------------------------------------------------------
def test_limit_messages_name_the_limit() -> None:
    limits = SandboxLimits(memory_bytes=GIB, processes=256, disk_bytes=64 * MIB)
    assert Breach.MEMORY.reason(limits) == (
        "The app was stopped: it used more than 1 GiB of memory (the sandbox's limit)."
    )
    assert "more than 256 processes" in Breach.PROCESSES.reason(limits)
    assert "more than 64 MiB of disk" in Breach.DISK.reason(limits)
    assert [format_bytes(n) for n in (512, 1536, 64 * MIB, 3 * GIB // 2)] == [
        "512 B",
        "1.5 KiB",
        "64 MiB",
        "1.5 GiB",
    ]
    with pytest.raises(ValueError):
        SandboxLimits(memory_bytes=MIB)


# --- the mount layout ---------------------------------------------------------------------------
def test_layout_binds_only_what_sandboxes_need(tmp_path: Path) -> None:
    write_identity_files(tmp_path / "etc", USER)
    passwd = (tmp_path / "etc" / "passwd").read_text()
    assert [line.split(":")[0] for line in passwd.splitlines()] == ["root", "user", "nobody"]
    assert ":4242:4343:" in passwd
    cache = tmp_path / "cache" / "node_modules"
    layout = Layout(
        folder=tmp_path / "app",
        identity_dir=tmp_path / "etc",
        memory_bytes=256 * MIB,
        shared={"node_modules": cache},
    )
    options = bwrap_options(layout)
    pairs = {(options[i], options[i + 1]) for i in range(len(options) - 1)}
    assert ("--ro-bind", "/usr") in pairs and "--unshare-net" in options
    assert "/etc" not in [options[i + 1] for i, o in enumerate(options) if o.endswith("bind")]
    assert not any("shadow" in option for option in options)
    assert ("--bind", str(tmp_path / "app")) in pairs
    assert ("--ro-bind", str(cache)) in pairs
    assert options.count("--tmpfs") == 5  # /dev/shm /tmp HOME .vite .vite-temp
    assert str(256 * MIB) in options
    assert "--unshare-net" not in bwrap_options(
        Layout(folder=tmp_path, identity_dir=tmp_path, memory_bytes=GIB, network=True)
    )


# --- control groups ------------------------------------------------------------------------------
def _files(folder: Path, **contents: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in contents.items():
        (folder / name.replace("__", ".")).write_text(text)


def test_cgroup_v2_groups_take_the_limits(tmp_path: Path) -> None:
    _files(tmp_path, cgroup__controllers="cpuset cpu io memory pids\n", cgroup__procs="")
    _files(tmp_path, cgroup__subtree_control="")
    detection = detect(tmp_path, "parent")
    limiter = detection.limiter
    assert isinstance(limiter, V2Limiter) and "cgroup v2" in detection.detail
    limits = SandboxLimits(memory_bytes=128 * MIB, processes=64, cpus=1.5)
    group = limiter.create("sbx", limits)
    folder = tmp_path / "parent" / "sbx"
    assert (folder / "memory.max").read_text() == str(128 * MIB)
    assert (folder / "pids.max").read_text() == "64"
    assert (folder / "cpu.max").read_text() == "150000 100000"
    assert (tmp_path / "cgroup.subtree_control").read_text() == "+memory +pids +cpu"
    _files(folder, memory__events="low 0\noom 2\noom_kill 2\n", pids__events="max 7\n")
    _files(folder, cpu__stat="usage_usec 1500\nuser_usec 1000\n")
    assert (group.oom_kills(), group.process_limit_hits(), group.cpu_usage_ns()) == (2, 7, 1500000)
    assert group.procs_files == (folder / "cgroup.procs",)
    assert limiter.stale() == ["sbx"]


def test_cgroup_v1_is_preferred_and_each_controller_gets_its_group(tmp_path: Path) -> None:
    for controller in ("memory", "pids", "cpu", "cpuacct", "freezer"):
        _files(tmp_path / controller, cgroup__procs="")
    _files(tmp_path, cgroup__controllers="memory pids cpu\n")  # a v2 root as well
    limiter = detect(tmp_path, "parent").limiter
    assert isinstance(limiter, V1Limiter)
    group = limiter.create("sbx", SandboxLimits(memory_bytes=64 * MIB, processes=32, cpus=1))
    memory = tmp_path / "memory" / "parent" / "sbx"
    assert (memory / "memory.limit_in_bytes").read_text() == str(64 * MIB)
    assert (tmp_path / "pids" / "parent" / "sbx" / "pids.max").read_text() == "32"
    assert (tmp_path / "cpu" / "parent" / "sbx" / "cpu.cfs_quota_us").read_text() == "100000"
    assert len(group.procs_files) == 5
    _files(memory, memory__oom_control="oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")
    assert group.oom_kills() == 3


def test_without_controllers_there_is_no_limiter(tmp_path: Path) -> None:
    _files(tmp_path / "memory", cgroup__procs="")  # pids and cpu missing
    _files(tmp_path, cgroup__controllers="cpuset io\n")
    detection = detect(tmp_path, "parent")
    assert detection.limiter is None and "neither" in detection.detail


# --- disk usage -----------------------------------------------------------------------------------
def test_disk_usage_counts_the_sandbox_users_files_once(tmp_path: Path) -> None:
    mine = os.getuid()
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "big").write_bytes(b"x" * 200_000)
    os.link(tmp_path / "a" / "big", tmp_path / "a" / "again")  # one inode, counted once
    (tmp_path / "other").write_bytes(b"y" * 300_000)
    os.chown(tmp_path / "other", 12345, 12345)  # not the sandbox user's: not counted
    counted = used_bytes(tmp_path, mine)
    assert 200_000 <= counted < 200_000 + 64 * 1024
    assert used_bytes(tmp_path, 12345) >= 300_000


# --- configuration -----------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["bubblewrap", "none"])
def test_config_and_doctor_say_how_sandboxes_are_isolated(settings: Settings, mode: str) -> None:
    chosen = settings.model_copy(update={"sandbox_isolation": mode})
    with TestClient(create_app(chosen)) as client:
        assert client.get("/api/config").json()["isolation"] == mode


async def test_doctor_warns_when_isolation_is_off(settings: Settings) -> None:
    off = await diagnose(settings.model_copy(update={"sandbox_isolation": "none"}))
    assert [(f.name, f.ok) for f in off] == [("sandbox isolation", False)]
    assert "TESSERA_SANDBOX_ISOLATION" in off[0].fix
    on = {f.name: f for f in await diagnose(settings)}
    assert on["sandbox isolation"].ok and on["sandbox limits"].ok
    assert "cgroup v1" in on["sandbox limits"].detail and "fallbacks" in on["sandbox limits"].detail
