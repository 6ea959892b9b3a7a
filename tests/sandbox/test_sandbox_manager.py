"""The sandbox manager against real Vite dev servers from the warm react template."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sandbox_test_support import poll, process_alive, tree_digest

from tessera.errors import DependencyInstallFailed, DevServerFailed, InvalidPath, TemplateNotFound
from tessera.sandbox.base import CommandResult
from tessera.sandbox.local import LocalSandbox, LocalSandboxProvider
from tessera.sandbox.manager import PROJECT_KEY, Deployment, SandboxManager
from tessera.sandbox.templates import TemplateCache, get_template

pytestmark = pytest.mark.slow

STARTER = get_template("react").files_dir


def starter_files() -> dict[str, str]:
    return {
        path: (STARTER / path).read_text()
        for path in ("package.json", "index.html", "vite.config.ts", "src/main.tsx", "src/App.tsx")
    }


def app_files(title: str) -> dict[str, str]:
    files = starter_files()
    files["src/main.tsx"] = files["src/main.tsx"].replace("import './index.css'\n", "")
    files["src/App.tsx"] = f"export default function App() {{\n  return <h1>{title}</h1>\n}}\n"
    return files


@pytest.fixture
async def manager(provider: LocalSandboxProvider) -> AsyncIterator[SandboxManager]:
    instance = SandboxManager(provider, dev_server_timeout=30)
    yield instance
    await instance.aclose()


async def get(url: str) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
        return await client.get(url)


async def upstream_of(manager: SandboxManager, deployment: Deployment) -> str:
    port = int(deployment.preview_url.removeprefix("http://").split("-", 1)[0])
    url = await manager.upstream(deployment.sandbox_id, port)
    assert url is not None
    return url


async def sandbox_of(provider: LocalSandboxProvider, deployment: Deployment) -> LocalSandbox:
    return await provider.connect(deployment.sandbox_id)


async def test_starter_app_becomes_ready(manager: SandboxManager) -> None:
    lines: list[str] = []
    deployment = await manager.deploy("p1", {}, on_log=lines.append)
    assert deployment.status == "ready"
    assert deployment.files == []
    assert deployment.error is None
    port = deployment.preview_url.removeprefix("http://").split("-", 1)[0]
    assert deployment.preview_url == f"http://{port}-{deployment.sandbox_id}.localhost:8000/"
    assert deployment.sandbox_url == deployment.preview_url.rstrip("/")
    assert any("VITE" in line for line in lines)
    assert "VITE" in deployment.log
    as_dict = deployment.to_dict()
    assert as_dict["ready"] is True and as_dict["status"] == "ready"
    assert set(as_dict) == {
        "sandbox_id", "sandbox_url", "preview_url", "status", "ready", "files", "error", "log",
        "reload", "lockfiles",
    }  # fmt: skip
    assert as_dict["lockfiles"] == []  # nothing was installed
    assert as_dict["reload"] is False  # Vite hot-reloads: an open preview needs no reload
    page = await get(await upstream_of(manager, deployment))
    assert page.status_code == 200
    assert '<div id="root">' in page.text
    assert await manager.status("p1") == Deployment(
        sandbox_id=deployment.sandbox_id,
        sandbox_url=deployment.sandbox_url,
        preview_url=deployment.preview_url,
        status="ready",
        files=[],
        log=manager.logs("p1"),
    )
    assert await manager.status("other") is None


async def test_changed_files_are_served(
    manager: SandboxManager, provider: LocalSandboxProvider
) -> None:
    first = await manager.deploy("p1", app_files("First title"))
    assert first.status == "ready"
    # Starter files the project does not have are removed on the first sync.
    assert first.files == ["src/App.tsx", "src/index.css", "src/main.tsx", "tsconfig.json"]
    upstream = await upstream_of(manager, first)
    assert "First title" in (await get(f"{upstream}/src/App.tsx")).text
    sandbox = await sandbox_of(provider, first)
    assert not await sandbox.files.exists("src/index.css")
    assert await sandbox.files.exists("node_modules/react/package.json")

    second = await manager.deploy("p1", app_files("Second title"))
    assert second.files == ["src/App.tsx"]
    assert second.sandbox_id == first.sandbox_id
    assert second.preview_url == first.preview_url
    assert "Second title" in (await get(f"{upstream}/src/App.tsx")).text

    again = await manager.deploy("p1", app_files("Second title"))
    assert again.files == []


async def test_removed_files_are_gone(
    manager: SandboxManager, provider: LocalSandboxProvider
) -> None:
    files = app_files("With extra") | {"src/extra.ts": "export const extra = 1\n"}
    first = await manager.deploy("p1", files)
    sandbox = await sandbox_of(provider, first)
    assert await sandbox.files.read("src/extra.ts") == "export const extra = 1\n"
    del files["src/extra.ts"]
    second = await manager.deploy("p1", files)
    assert second.files == ["src/extra.ts"]
    assert not await sandbox.files.exists("src/extra.ts")
    assert await sandbox.files.exists("src/App.tsx")


async def test_empty_files_keep_what_is_there(
    manager: SandboxManager, provider: LocalSandboxProvider
) -> None:
    first = await manager.deploy("p1", app_files("Kept"))
    again = await manager.deploy("p1", {})
    assert again.files == []
    sandbox = await sandbox_of(provider, first)
    assert "Kept" in await sandbox.files.read("src/App.tsx")


async def test_a_crashed_dev_server_is_restarted(
    manager: SandboxManager, provider: LocalSandboxProvider
) -> None:
    first = await manager.deploy("p1", {})
    sandbox = await sandbox_of(provider, first)
    [server_pid] = sandbox.running_processes()
    os.killpg(server_pid, signal.SIGKILL)

    async def noticed() -> bool:
        status = await manager.status("p1")
        return status is not None and status.status == "error"

    await poll(noticed)
    assert not process_alive(server_pid)
    second = await manager.deploy("p1", {})
    assert second.status == "ready"
    assert second.preview_url == first.preview_url  # the same port again
    [new_pid] = sandbox.running_processes()
    assert new_pid != server_pid
    assert (await get(await upstream_of(manager, second))).status_code == 200


async def test_a_broken_project_fails_with_its_output(manager: SandboxManager) -> None:
    files = app_files("Broken") | {
        "vite.config.ts": "throw new Error('broken config on purpose')\nexport default {}\n"
    }
    started = time.monotonic()
    with pytest.raises(DevServerFailed) as caught:
        await manager.deploy("p1", files)
    assert time.monotonic() - started < 20
    assert "broken config on purpose" in caught.value.output
    assert "exit code" in caught.value.message
    status = await manager.status("p1")
    assert status is not None and status.status == "error" and status.error
    assert "broken config on purpose" in manager.logs("p1")

    fixed = await manager.deploy("p1", app_files("Fixed"))
    assert fixed.status == "ready"


async def test_a_dev_server_that_never_answers_times_out(provider: LocalSandboxProvider) -> None:
    manager = SandboxManager(provider, dev_server_timeout=1.5)
    hang = "await new Promise((done) => setTimeout(done, 60_000))\nexport default {}\n"
    files = app_files("Slow") | {"vite.config.ts": hang}
    try:
        started = time.monotonic()
        with pytest.raises(DevServerFailed) as caught:
            await manager.deploy("p1", files)
        assert time.monotonic() - started < 10
        assert "did not answer within 1.5 s" in caught.value.message
    finally:
        await manager.aclose()


async def test_a_new_local_dependency_is_installed(
    manager: SandboxManager, provider: LocalSandboxProvider, template_cache: TemplateCache
) -> None:
    cache_before = tree_digest(template_cache.node_modules("react"))
    files = app_files("Padded")
    manifest = json.loads(files["package.json"])
    manifest["dependencies"]["left-pad-local"] = "file:./vendor/left-pad-local"
    files["package.json"] = json.dumps(manifest, indent=2)
    files["vendor/left-pad-local/package.json"] = json.dumps(
        {"name": "left-pad-local", "version": "1.0.0", "type": "module", "main": "index.js"}
    )
    files["vendor/left-pad-local/index.js"] = (
        "export default function leftPad(text, width) {\n"
        "  return String(text).padStart(width, '*')\n}\n"
    )
    files["src/App.tsx"] = (
        "import leftPad from 'left-pad-local'\n\n"
        "export default function App() {\n  return <h1>{leftPad('pad', 6)}</h1>\n}\n"
    )
    lines: list[str] = []
    deployment = await manager.deploy("p1", files, on_log=lines.append)
    assert deployment.status == "ready"
    assert "[tessera] Installing dependencies: left-pad-local" in lines
    assert list(deployment.lockfiles) == ["package-lock.json"]
    assert (
        "node_modules/left-pad-local"
        in json.loads(deployment.lockfiles["package-lock.json"])["packages"]
    )
    sandbox = await sandbox_of(provider, deployment)
    result = await sandbox.commands.run(
        "node --input-type=module -e \"import p from 'left-pad-local'; console.log(p('x', 3))\""
    )
    assert isinstance(result, CommandResult)
    assert result.stdout == "**x\n"
    upstream = await upstream_of(manager, deployment)
    module = await get(f"{upstream}/src/App.tsx")
    assert module.status_code == 200 and "left-pad-local" in module.text
    assert tree_digest(template_cache.node_modules("react")) == cache_before

    lines.clear()
    files["src/App.tsx"] += "// unchanged dependencies\n"
    again = await manager.deploy("p1", files, on_log=lines.append)
    assert not any("Installing" in line for line in lines)
    assert again.lockfiles == {}


async def test_template_dependencies_are_not_reinstalled(manager: SandboxManager) -> None:
    files = app_files("Same deps")
    manifest = json.loads(files["package.json"])
    manifest["dependencies"]["react"] = "^19.0.0"  # satisfied by the cached version
    manifest["dependencies"]["scheduler"] = "*"  # installed with react-dom
    files["package.json"] = json.dumps(manifest)
    lines: list[str] = []
    deployment = await manager.deploy("p1", files, on_log=lines.append)
    assert deployment.status == "ready"
    assert not any("Installing" in line for line in lines)


async def test_a_failing_install_reports_its_output(manager: SandboxManager) -> None:
    files = app_files("Missing")
    manifest = json.loads(files["package.json"])
    manifest["dependencies"]["Not A Package!"] = "1.0.0"  # refused before any download
    files["package.json"] = json.dumps(manifest)
    with pytest.raises(DependencyInstallFailed) as caught:
        await manager.deploy("p1", files)
    assert "package.json" in caught.value.message
    assert "EINVALIDPACKAGENAME" in caught.value.output


async def test_upstream_only_leads_to_dev_servers_it_started(manager: SandboxManager) -> None:
    deployment = await manager.deploy("p1", {})
    port = int(deployment.preview_url.removeprefix("http://").split("-", 1)[0])
    assert await manager.upstream(deployment.sandbox_id, port) == f"http://127.0.0.1:{port}"
    assert await manager.upstream(deployment.sandbox_id, port + 1) is None
    assert await manager.upstream(deployment.sandbox_id, 8000) is None
    assert await manager.upstream("aaaaaaaaaaaa", port) is None
    await manager.stop("p1")
    assert await manager.upstream(deployment.sandbox_id, port) is None


async def test_stop_removes_the_sandbox(
    manager: SandboxManager, provider: LocalSandboxProvider
) -> None:
    deployment = await manager.deploy("p1", {})
    sandbox = await sandbox_of(provider, deployment)
    [server_pid] = sandbox.running_processes()
    await manager.stop("p1")
    assert not process_alive(server_pid)
    assert not sandbox.folder.exists()
    assert await manager.status("p1") is None
    assert manager.logs("p1") == ""
    await manager.stop("p1")  # stopping twice is fine


async def test_deploy_without_waiting(manager: SandboxManager) -> None:
    deployment = await manager.deploy("p1", {}, wait=False)
    assert deployment.status in ("starting", "ready")

    async def ready() -> bool:
        status = await manager.status("p1")
        return status is not None and status.status == "ready"

    await poll(ready, within=30)


async def test_concurrent_deploys_share_one_sandbox(manager: SandboxManager) -> None:
    first, second = await asyncio.gather(
        manager.deploy("p1", app_files("One")), manager.deploy("p1", app_files("Two"))
    )
    assert first.sandbox_id == second.sandbox_id
    assert second.files == ["src/App.tsx"]
    other = await manager.deploy("p2", {})
    assert other.sandbox_id != first.sandbox_id


async def test_leftover_sandboxes_of_a_project_are_reclaimed(
    provider: LocalSandboxProvider,
) -> None:
    leftover = await provider.create("react", metadata={PROJECT_KEY: "p1"})
    unrelated = await provider.create("react", metadata={PROJECT_KEY: "p2"})
    manager = SandboxManager(provider, dev_server_timeout=30)
    try:
        deployment = await manager.deploy("p1", {}, wait=False)
        assert deployment.sandbox_id != leftover.sandbox_id
        assert not leftover.folder.exists()
        assert unrelated.folder.exists()
    finally:
        await manager.aclose()
        await unrelated.kill()


async def test_invalid_paths_and_unknown_templates(
    manager: SandboxManager, tmp_path: Path, template_cache: TemplateCache
) -> None:
    for path in ("../escape.ts", "/etc/passwd", "node_modules/react/index.js", ".git/config"):
        with pytest.raises(InvalidPath):
            await manager.deploy("p1", {path: "x"})
    # A provider whose cache knows only the react template cannot start a Python app.
    react_only = TemplateCache(template_cache.cache_dir, templates={"react": get_template("react")})
    provider = LocalSandboxProvider(tmp_path / "react-only", react_only, preview_domain="x")
    limited = SandboxManager(provider)
    with pytest.raises(TemplateNotFound) as caught:
        await limited.deploy("p1", {"app.py": "print('hi')"})
    assert "react" in caught.value.message
    assert await limited.status("p1") is None
    assert await manager.status("p1") is None


async def test_aclose_stops_everything(provider: LocalSandboxProvider, tmp_path: Path) -> None:
    manager = SandboxManager(provider, dev_server_timeout=30)
    one = await manager.deploy("p1", {})
    two = await manager.deploy("p2", {})
    folders = [(await sandbox_of(provider, d)).folder for d in (one, two)]
    await manager.aclose()
    assert not any(folder.exists() for folder in folders)
    assert await manager.status("p1") is None
