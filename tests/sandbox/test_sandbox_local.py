"""What only the local provider promises: its folder layout, the shared dependency cache,
ports, and how it treats processes."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
import tempfile
from pathlib import Path

import pytest
from sandbox_test_support import poll, process_alive, tree_digest

from tessera.errors import InvalidPath, TemplateNotReady
from tessera.sandbox.base import CommandResult
from tessera.sandbox.local import LocalSandboxProvider
from tessera.sandbox.templates import TemplateCache


async def test_create_needs_a_warm_cache(tmp_path: Path) -> None:
    cold = LocalSandboxProvider(
        tmp_path / "sandboxes", TemplateCache(tmp_path / "cold"), preview_domain="localhost:1"
    )
    with pytest.raises(TemplateNotReady) as caught:
        await cold.create("react")
    assert "tessera templates warm react" in caught.value.message
    assert not list((tmp_path / "sandboxes").glob("*"))


async def test_layout_and_record(provider: LocalSandboxProvider) -> None:
    sandbox = await provider.create("react", metadata={"project_id": "p1"})
    assert re.fullmatch(r"[a-z0-9]{12}", sandbox.sandbox_id)
    root = provider.root_dir.resolve()
    assert sandbox.folder == root / sandbox.sandbox_id
    record = json.loads((root / f"{sandbox.sandbox_id}.json").read_text())
    assert record["template"] == "react"
    assert record["metadata"] == {"project_id": "p1"}
    assert record["created_at"]
    assert (sandbox.folder / "src" / "App.tsx").is_file()
    await sandbox.kill()
    assert not sandbox.folder.exists()
    assert not (root / f"{sandbox.sandbox_id}.json").exists()


async def test_dependencies_are_hard_linked_with_a_private_lockfile(
    provider: LocalSandboxProvider, template_cache: TemplateCache
) -> None:
    sandbox = await provider.create("react")
    cached = template_cache.node_modules("react")
    mine = sandbox.folder / "node_modules"
    assert not mine.is_symlink()
    shared = "react/package.json"
    assert (mine / shared).stat().st_ino == (cached / shared).stat().st_ino
    lock = ".package-lock.json"
    assert (mine / lock).stat().st_ino != (cached / lock).stat().st_ino
    assert (mine / lock).read_bytes() == (cached / lock).read_bytes()
    await sandbox.kill()
    assert (cached / shared).is_file()


async def test_writing_a_shared_file_leaves_the_cache_alone(
    provider: LocalSandboxProvider, template_cache: TemplateCache
) -> None:
    cached = template_cache.node_modules("react")
    before = tree_digest(cached / "react")
    sandbox = await provider.create("react")
    await sandbox.files.write("node_modules/react/package.json", "{}")
    assert await sandbox.files.read("node_modules/react/package.json") == "{}"
    assert tree_digest(cached / "react") == before
    await sandbox.kill()


async def test_dependencies_are_symlinked_across_file_systems(
    template_cache: TemplateCache,
) -> None:
    root = Path(tempfile.mkdtemp(prefix="tessera-test-", dir="/dev/shm"))
    try:
        cached = template_cache.node_modules("react")
        same_device = root.stat().st_dev == cached.stat().st_dev  # noqa: ASYNC240
        assert not same_device, "/dev/shm must be on another file system"
        provider = LocalSandboxProvider(root, template_cache, preview_domain="localhost:1")
        sandbox = await provider.create("react")
        link = sandbox.folder / "node_modules"
        assert link.is_symlink()
        assert link.resolve() == cached.resolve()
        await sandbox.kill()
        assert cached.is_dir()
        await provider.aclose()
    finally:
        shutil.rmtree(root, ignore_errors=True)


async def test_host_names(provider: LocalSandboxProvider) -> None:
    sandbox = await provider.create("react")
    assert sandbox.get_host(5173) == f"5173-{sandbox.sandbox_id}.localhost:8000"
    assert sandbox.upstream_url(41234) == "http://127.0.0.1:41234"
    await sandbox.kill()


async def test_allocate_port_reuses_its_own_port_when_free(provider: LocalSandboxProvider) -> None:
    sandbox = await provider.create("react")
    first = await sandbox.allocate_port(5173)
    assert await sandbox.allocate_port(first) == first
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", first))
        busy.listen()
        other = await sandbox.allocate_port(first)
        assert other != first
    await sandbox.kill()


async def test_output_buffers_are_bounded(provider: LocalSandboxProvider) -> None:
    sandbox = await provider.create("react")
    lines: list[str] = []
    result = await sandbox.commands.run("seq 1 2000", on_stdout=lines.append)
    assert isinstance(result, CommandResult)
    assert len(lines) == 2000
    kept = result.stdout.splitlines()
    assert kept == [str(i) for i in range(1501, 2001)]
    await sandbox.kill()


async def test_a_failing_callback_does_not_stop_the_output(
    provider: LocalSandboxProvider,
) -> None:
    sandbox = await provider.create("react")

    def explode(line: str) -> None:
        raise RuntimeError(f"callback broke on {line}")

    result = await sandbox.commands.run("echo a; echo b", on_stdout=explode)
    assert isinstance(result, CommandResult)
    assert result.stdout == "a\nb\n"
    await sandbox.kill()


async def test_cancelling_a_foreground_command_ends_it(provider: LocalSandboxProvider) -> None:
    sandbox = await provider.create("react")
    lines: list[str] = []
    task = asyncio.create_task(sandbox.commands.run("echo $$; sleep 60", on_stdout=lines.append))

    async def started() -> bool:
        return bool(lines)

    await poll(started)
    pid = int(lines[0])
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not process_alive(pid)
    await sandbox.kill()


async def test_home_is_the_sandbox_folder_and_node_runs(provider: LocalSandboxProvider) -> None:
    sandbox = await provider.create("react")
    result = await sandbox.commands.run('echo "$HOME"; node -e "console.log(1 + 1)"')
    assert isinstance(result, CommandResult)
    assert result.stdout.splitlines() == [str(sandbox.folder), "2"]
    await sandbox.kill()


async def test_running_processes(provider: LocalSandboxProvider) -> None:
    sandbox = await provider.create("react")
    handle = await sandbox.commands.run("sleep 60", background=True, timeout=0)
    assert not isinstance(handle, CommandResult)
    assert sandbox.running_processes() == [handle.pid]
    await handle.kill()
    assert sandbox.running_processes() == []
    await sandbox.kill()


async def test_impossible_file_operations_are_refused(provider: LocalSandboxProvider) -> None:
    sandbox = await provider.create("react")
    with pytest.raises(InvalidPath) as caught:
        await sandbox.files.write("package.json/inner.txt", "x")
    assert str(provider.root_dir) not in caught.value.message  # no host paths in messages
    with pytest.raises(InvalidPath):
        await sandbox.files.write("src", "a folder is not a file")
    with pytest.raises(InvalidPath):
        await sandbox.files.rename("package.json", "src")
    with pytest.raises(InvalidPath):
        await sandbox.files.read("src")
    with pytest.raises(InvalidPath):
        await sandbox.files.remove(".")
    assert await sandbox.files.exists("package.json")
    await sandbox.kill()
