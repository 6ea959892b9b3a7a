"""Isolated sandboxes under the manager: Vite through the bridge (page, modules, hot reload
through the preview proxy), and dependency installs with the registries reachable."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sandbox_test_support import tree_digest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from websockets.asyncio.client import ClientConnection, connect

from tessera.errors import DependencyInstallFailed
from tessera.preview.proxy import PreviewProxy
from tessera.sandbox import upstream
from tessera.sandbox.base import CommandResult
from tessera.sandbox.local import LocalSandbox, LocalSandboxProvider
from tessera.sandbox.local.isolation import Isolation
from tessera.sandbox.local.users import ensure_user
from tessera.sandbox.manager import Deployment, SandboxManager
from tessera.sandbox.templates import TemplateCache, get_template
from tests.preview.preview_test_support import free_port, serve
from tests.security.security_support import (
    processes_under,
    remove_cgroup_parent,
    unique_cgroup_parent,
)

pytestmark = pytest.mark.slow


def starter_files() -> dict[str, str]:
    starter = get_template("react")
    return {path: (starter.files_dir / path).read_text() for path in starter.starter_files()}


@pytest.fixture
def cgroup_parent() -> Iterator[str]:
    parent = unique_cgroup_parent()
    yield parent
    assert processes_under(parent) == [], "a sandbox process outlived the test"
    assert remove_cgroup_parent(parent) == [], "a sandbox's control group was left"


@pytest.fixture
async def provider(
    tmp_path: Path, template_cache: TemplateCache, cgroup_parent: str
) -> AsyncIterator[LocalSandboxProvider]:
    instance = LocalSandboxProvider(
        tmp_path / "sandboxes",
        template_cache,
        preview_domain="unused.test",
        isolation=Isolation(cgroup_parent=cgroup_parent),
    )
    yield instance
    await instance.aclose()


@pytest.fixture
async def manager(provider: LocalSandboxProvider) -> AsyncIterator[SandboxManager]:
    instance = SandboxManager(provider, dev_server_timeout=30)
    yield instance
    await instance.aclose()


def port_of(deployment: Deployment) -> int:
    return int(deployment.preview_url.removeprefix("http://").split("-", 1)[0])


async def upstream_of(manager: SandboxManager, deployment: Deployment) -> str:
    url = await manager.upstream(deployment.sandbox_id, port_of(deployment))
    assert url is not None
    return url


async def fetch(url: str) -> httpx.Response:
    async with upstream.upstream_client(timeout=10) as client:
        return await upstream.get(client, url)


def inner_app() -> Starlette:
    async def home(_: object) -> PlainTextResponse:
        return PlainTextResponse("inner app")

    return Starlette(routes=[Route("/{path:path}", home)])


async def next_update(socket: ClientConnection) -> dict[str, object]:
    async def receive() -> dict[str, object]:
        while True:
            message = json.loads(await socket.recv())
            if message["type"] in ("update", "full-reload"):
                return dict(message)

    return await asyncio.wait_for(receive(), 10)


async def test_vite_runs_on_its_own_port_and_hot_reloads_through_the_bridge(
    manager: SandboxManager,
) -> None:
    files = starter_files()
    started = time.monotonic()
    deployment = await manager.deploy("p1", files)
    print(f"\nisolated deploy of the starter app: {time.monotonic() - started:.2f} s")
    assert deployment.status == "ready" and port_of(deployment) == 5173
    assert (await upstream_of(manager, deployment)).startswith("unix:/")
    proxy_port = free_port()
    proxy = PreviewProxy(inner_app(), domain=f"localhost:{proxy_port}", resolve=manager.upstream)
    host = f"5173-{deployment.sandbox_id}.localhost:{proxy_port}"
    try:
        async with (
            serve(proxy, proxy_port),
            httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{proxy_port}",
                headers={"Host": host},
                trust_env=False,
                timeout=10,
            ) as client,
        ):
            page = await client.get("/")
            assert page.status_code == 200 and "/@vite/client" in page.text
            token = re.search(
                r"const wsToken = \"([^\"]+)\"", (await client.get("/@vite/client")).text
            )
            assert token, "no HMR token in /@vite/client"
            for module in ("/src/main.tsx", "/src/App.tsx"):
                assert (await client.get(module)).status_code == 200
            async with await connect(
                f"ws://{host}/?token={token[1]}",
                host="127.0.0.1",
                port=proxy_port,
                subprotocols=["vite-hmr"],  # type: ignore[list-item]
                proxy=None,
            ) as socket:
                assert socket.subprotocol == "vite-hmr"
                assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "connected"
                files["src/App.tsx"] = files["src/App.tsx"].replace(
                    "Your app will appear here", "Hot reloaded through the bridge"
                )
                edited = time.monotonic()
                assert (await manager.deploy("p1", files)).files == ["src/App.tsx"]
                message = await next_update(socket)
                latency = time.monotonic() - edited
                print(f"edit → HMR message through the bridge: {latency * 1000:.0f} ms")
                assert latency < 5
            if message["type"] == "update":
                assert "/src/App.tsx" in [u["path"] for u in message["updates"]]  # type: ignore[attr-defined]
            assert "Hot reloaded through the bridge" in (await client.get("/src/App.tsx")).text
    finally:
        await proxy.aclose()


async def test_an_install_makes_node_modules_its_own_and_leaves_the_cache_alone(
    manager: SandboxManager, provider: LocalSandboxProvider, template_cache: TemplateCache
) -> None:
    cache = template_cache.node_modules("react")
    before = tree_digest(cache)
    files = starter_files()
    first = await manager.deploy("p1", files)
    sandbox: LocalSandbox = await provider.connect(first.sandbox_id)
    assert not any((sandbox.folder / "node_modules").iterdir())  # shared read-only so far

    manifest = json.loads(files["package.json"])
    manifest["dependencies"]["left-pad-local"] = "file:./vendor/left-pad-local"
    files["package.json"] = json.dumps(manifest, indent=2)
    files["vendor/left-pad-local/package.json"] = json.dumps(
        {"name": "left-pad-local", "version": "1.0.0", "type": "module", "main": "index.js"}
    )
    files["vendor/left-pad-local/index.js"] = (
        "export default (text, width) => String(text).padStart(width, '*')\n"
    )
    files["src/App.tsx"] = (
        "import leftPad from 'left-pad-local'\n\n"
        "export default function App() {\n  return <h1>{leftPad('pad', 6)}</h1>\n}\n"
    )
    lines: list[str] = []
    deployment = await manager.deploy("p1", files, on_log=lines.append)
    assert deployment.status == "ready", deployment.error
    assert any("Installing dependencies: left-pad-local" in line for line in lines)

    own = sandbox.folder / "node_modules"
    assert (own / "left-pad-local").exists() and (own / "react" / "package.json").is_file()
    user = await ensure_user()
    assert own.stat().st_uid == user.uid  # its folders are the sandbox's …
    shared_file = own / "react" / "package.json"
    assert shared_file.stat().st_uid == 0  # … the cache's files stay root's, hard-linked
    assert shared_file.stat().st_ino == (cache / "react" / "package.json").stat().st_ino
    result = await sandbox.commands.run(
        "node --input-type=module -e \"import p from 'left-pad-local'; console.log(p('x', 3))\""
        " && (echo x >> node_modules/react/package.json 2>/dev/null || echo refused)"
    )
    assert isinstance(result, CommandResult)
    assert result.stdout == "**x\nrefused\n"
    module = await fetch(f"{await upstream_of(manager, deployment)}/src/App.tsx")
    assert module.status_code == 200 and "left-pad-local" in module.text
    assert tree_digest(cache) == before


async def test_a_failing_install_reports_the_registry_answer(manager: SandboxManager) -> None:
    files = starter_files()
    manifest = json.loads(files["package.json"])
    manifest["dependencies"]["tessera-no-such-package-xyz"] = "^1.0.0"
    files["package.json"] = json.dumps(manifest, indent=2)
    with pytest.raises(DependencyInstallFailed) as caught:
        await manager.deploy("p1", files)
    assert "tessera-no-such-package-xyz" in caught.value.output
    assert "404" in caught.value.output  # the registry was reached, and said so
