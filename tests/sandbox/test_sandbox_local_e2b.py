"""Tessera's E2B code path on local sandboxes (``E2BSandboxProvider`` over ``LocalEnvdSdk``):
the manager deploys the react starter and the preview proxy serves it (HMR included), a
pause freezes every process and a resume thaws it, listing says paused, and a new SDK over
the same folder (Tessera restarted, or crashed while a sandbox was frozen) takes the
sandboxes over. Real isolated sandboxes, E2B's real SDK, real HTTP."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import connect

from tessera.errors import SandboxNotFound
from tessera.preview.proxy import PreviewProxy
from tessera.sandbox.base import CommandResult, Sandbox
from tessera.sandbox.e2b import E2BSandbox, E2BSandboxProvider, local_sdk
from tessera.sandbox.e2b.local_sdk import LocalEnvdSdk
from tessera.sandbox.local import LocalSandbox, LocalSandboxProvider
from tessera.sandbox.local.isolation import Isolation
from tessera.sandbox.manager import SandboxManager
from tessera.sandbox.templates import TemplateCache, template_files
from tests.preview.preview_test_support import free_port, serve
from tests.sandbox.sandbox_test_support import poll
from tests.security.security_support import (
    CGROUP_ROOT,
    processes_under,
    remove_cgroup_parent,
    unique_cgroup_parent,
)

COUNTER = "i=0; while :; do i=$((i+1)); echo $i > count.txt; sleep 0.05; done"
"""A background process whose state is in its memory: restarted, it would count from 1."""


@dataclass
class Stack:
    """Tessera's E2B code path over local sandboxes, as ``TESSERA_SANDBOX=local-e2b``
    builds it, previews under ``domain``."""

    root: Path
    parent: str
    domain: str
    cache: TemplateCache
    local: LocalSandboxProvider
    sdk: LocalEnvdSdk
    provider: E2BSandboxProvider

    def folder(self, sandbox_id: str) -> Path:
        return self.root / sandbox_id

    def freezer_state(self, sandbox_id: str) -> str:
        return (CGROUP_ROOT / "freezer" / self.parent / sandbox_id / "freezer.state").read_text()

    def restarted(self) -> Stack:
        """The same folder seen by a new process: a new local provider and SDK."""
        local = LocalSandboxProvider(
            self.root,
            self.cache,
            preview_domain=self.domain,
            isolation=Isolation(cgroup_parent=self.parent),
        )
        sdk = LocalEnvdSdk(local)
        provider = E2BSandboxProvider("local", sdk=sdk, domain=self.domain)
        return Stack(self.root, self.parent, self.domain, self.cache, local, sdk, provider)

    async def close(self) -> None:
        await self.provider.aclose()
        await self.sdk.aclose()
        await self.local.aclose()


@pytest.fixture
async def stack(tmp_path: Path, template_cache: TemplateCache) -> AsyncIterator[Stack]:
    parent = unique_cgroup_parent()
    domain = f"localhost:{free_port()}"
    root = tmp_path / "sandboxes"
    local = LocalSandboxProvider(
        root, template_cache, preview_domain=domain, isolation=Isolation(cgroup_parent=parent)
    )
    sdk = LocalEnvdSdk(local)
    provider = E2BSandboxProvider("local", sdk=sdk, domain=domain)
    created = Stack(root, parent, domain, template_cache, local, sdk, provider)
    try:
        yield created
    finally:
        await created.close()
        assert processes_under(parent) == [], "a sandbox process outlived the test"
        assert remove_cgroup_parent(parent) == [], "a sandbox's control group was left"


async def output_of(sandbox: Sandbox, cmd: str) -> str:
    result = await sandbox.commands.run(cmd)
    assert isinstance(result, CommandResult)
    return result.stdout


async def counted(folder: Path) -> int:
    """What the counter wrote last (read on the host: a read through the SDK would resume
    a paused sandbox)."""
    text = await asyncio.to_thread((folder / "count.txt").read_text)
    return int(text) if text.strip() else 0


# --- deploy and preview ----------------------------------------------------------------------
async def test_the_manager_deploys_and_the_preview_proxy_serves_it(stack: Stack) -> None:
    manager = SandboxManager(stack.provider, dev_server_timeout=30)
    proxy = PreviewProxy(Starlette(), domain=stack.domain, resolve=manager.upstream)
    files = template_files("react")
    try:
        deployment = await manager.deploy("p1", files)
        assert deployment.ready, deployment.log
        sandbox_id = deployment.sandbox_id
        # The browser's address is a host the preview proxy routes, as for local sandboxes.
        assert deployment.preview_url == f"http://5173-{sandbox_id}.{stack.domain}/"
        upstream = await manager.upstream(sandbox_id, 5173)
        assert upstream is not None and upstream.startswith("unix:/")
        assert await manager.upstream(sandbox_id, 49983) is None, "the daemon is no preview"

        host = deployment.preview_url.removeprefix("http://").rstrip("/")
        port = int(stack.domain.rpartition(":")[2])
        async with (
            serve(proxy, port),
            httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Host": host},
                trust_env=False,
                timeout=10,
            ) as client,
        ):
            page = await client.get("/")
            assert page.status_code == 200 and "/@vite/client" in page.text
            vite_client = (await client.get("/@vite/client")).text
            token = re.search(r"const wsToken = \"([^\"]+)\"", vite_client)
            assert token, "no HMR token in /@vite/client"
            async with connect(
                f"ws://{host}/?token={token[1]}",
                host="127.0.0.1",
                port=port,
                subprotocols=["vite-hmr"],  # type: ignore[list-item]
                proxy=None,
            ) as socket:
                hello = json.loads(await asyncio.wait_for(socket.recv(), 10))
                assert hello["type"] == "connected"

            files["src/App.tsx"] = files["src/App.tsx"].replace(
                "Your app will appear here", "Deployed through E2B's SDK"
            )
            again = await manager.deploy("p1", files)
            assert again.sandbox_id == sandbox_id and again.files == ["src/App.tsx"]
            assert "Deployed through E2B's SDK" in (await client.get("/src/App.tsx")).text
    finally:
        await proxy.aclose()
        await manager.aclose()


async def test_a_terminal_and_an_install_run_on_this_path(stack: Stack) -> None:
    sandbox = await stack.provider.create("react")
    try:
        terminal = await sandbox.open_terminal(cols=80, rows=24)
        output = bytearray()
        try:
            await terminal.write(b"echo $((6 * 7)) in $PWD; exit\n")
            async with asyncio.timeout(10):
                async for chunk in terminal.read():
                    output.extend(chunk)
        finally:
            await terminal.close()
        assert b"42 in /home/user/app" in output
        # Installs reach the package registries the local sandbox's way; a command that
        # needs no network shows where it ran.
        result = await sandbox.install("pwd && id -un")
        assert result.stdout.split() == ["/home/user/app", "user"]
    finally:
        await sandbox.kill()


# --- pause and resume ------------------------------------------------------------------------
async def test_pause_freezes_every_process_and_resume_thaws_them(stack: Stack) -> None:
    sandbox = await stack.provider.create("react", metadata={"project_id": "p1"})
    folder = stack.folder(sandbox.sandbox_id)
    try:
        await sandbox.commands.run(COUNTER, background=True, timeout=0)

        async def counting() -> bool:
            return (folder / "count.txt").exists() and await counted(folder) >= 5

        await poll(counting)
        assert await sandbox.pause() is True
        assert stack.freezer_state(sandbox.sandbox_id).strip() == "FROZEN"
        frozen_at = await counted(folder)
        await asyncio.sleep(0.4)  # eight beats of the counter
        assert await counted(folder) == frozen_at, "the counter ran while paused"

        (info,) = await stack.sdk.list({"project_id": "p1"})
        assert info.state == "paused"
        (listed,) = await stack.restarted().provider.list({"project_id": "p1"})
        assert isinstance(listed, E2BSandbox) and listed.paused

        assert await sandbox.files.read("package.json")  # any use resumes it
        assert stack.freezer_state(sandbox.sandbox_id).strip() == "THAWED"

        async def counting_on() -> bool:
            return await counted(folder) > frozen_at + 3

        await poll(counting_on)
        # The same process goes on from where it was: its count never started over.
        assert await counted(folder) > frozen_at
        (info,) = await stack.sdk.list({"project_id": "p1"})
        assert info.state == "running"
        assert await sandbox.pause() is True
    finally:
        await sandbox.kill()  # a paused (frozen) sandbox is killed whole
    with pytest.raises(SandboxNotFound):
        await stack.provider.connect(sandbox.sandbox_id)


async def test_without_a_freezer_pause_ends_the_processes_and_resume_restarts_the_daemon(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_sdk, "_freeze", lambda cgroup: False)
    sandbox = await stack.provider.create("react", metadata={"project_id": "p1"})
    folder = stack.folder(sandbox.sandbox_id)
    try:
        await sandbox.files.write("notes.txt", "kept")
        await sandbox.commands.run(COUNTER, background=True, timeout=0)

        async def counting() -> bool:
            return (folder / "count.txt").exists() and await counted(folder) >= 3

        await poll(counting)
        assert await sandbox.pause() is True
        assert processes_under(stack.parent) == [], "E2B's filesystem pause keeps no process"
        stopped_at = await counted(folder)
        (info,) = await stack.sdk.list({"project_id": "p1"})
        assert info.state == "paused"

        assert await sandbox.files.read("notes.txt") == "kept"  # resumed: a new daemon
        assert await output_of(sandbox, "echo back") == "back\n"
        await asyncio.sleep(0.3)
        assert await counted(folder) == stopped_at, "a process came back from the pause"
    finally:
        await sandbox.kill()


async def test_a_daemon_ended_with_the_sandboxs_processes_is_started_again(
    stack: Stack,
) -> None:
    sandbox = await stack.provider.create("react")
    try:
        local = await stack.local.connect(sandbox.sandbox_id)
        assert isinstance(local, LocalSandbox)
        await local.stop_for_limit("The app was stopped: it started too many processes.")
        assert processes_under(stack.parent) == []
        assert await sandbox.is_running() is True
        assert await output_of(sandbox, "echo again") == "again\n"
    finally:
        await sandbox.kill()


# --- a new process over the same folder ------------------------------------------------------
async def test_a_new_sdk_takes_over_the_sandboxes_after_a_restart(stack: Stack) -> None:
    sandbox = await stack.provider.create("react", metadata={"project_id": "p1"})
    await sandbox.files.write("notes.txt", "kept across restarts")
    await sandbox.commands.run(COUNTER, background=True, timeout=0)
    await stack.provider.aclose()
    await stack.sdk.shutdown()  # Tessera stops: processes end, folders stay
    assert processes_under(stack.parent) == []

    later = stack.restarted()
    try:
        (info,) = await later.sdk.list({"project_id": "p1"})
        assert (info.sandbox_id, info.state) == (sandbox.sandbox_id, "paused")
        resumed = await later.provider.connect(sandbox.sandbox_id)
        assert resumed.metadata == {"project_id": "p1"}
        assert await resumed.files.read("notes.txt") == "kept across restarts"
        result = await output_of(resumed, "cat notes.txt && echo && echo $HOME")
        assert result == "kept across restarts\n/home/user\n"
        assert resumed.preview_url(5173) == f"http://5173-{sandbox.sandbox_id}.{stack.domain}/"
    finally:
        await later.close()


async def test_a_sandbox_left_frozen_by_a_crashed_run_is_taken_over(stack: Stack) -> None:
    sandbox = await stack.provider.create("react")
    await sandbox.commands.run(COUNTER, background=True, timeout=0)
    assert await sandbox.pause() is True
    left = [p.pid for p in processes_under(stack.parent)]
    assert left, "the frozen sandbox has processes"

    # A new run over the same folder, the old one never shut down (it crashed).
    later = stack.restarted()
    try:
        started = time.monotonic()
        resumed = await later.provider.connect(sandbox.sandbox_id)
        assert time.monotonic() - started < 10
        assert stack.freezer_state(sandbox.sandbox_id).strip() == "THAWED"
        assert await output_of(resumed, "echo alive") == "alive\n"
        alive = {p.pid for p in processes_under(stack.parent)}
        assert alive.isdisjoint(left), "the crashed run's processes were not ended"
        await resumed.kill()
    finally:
        await later.close()
