"""The sandbox manager with the fullstack template: Vite and a Flask API side by side, the
front end reaching the API through Vite's /api proxy, each reloaded on its own."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import AsyncIterator

import pytest
from sandbox_test_support import poll, process_alive
from templates_support import get, pids_by_role, preview_upstream, sandbox_of, warm

from tessera.errors import DevServerFailed
from tessera.sandbox.deployment import Deployment
from tessera.sandbox.local import LocalSandboxProvider
from tessera.sandbox.manager import SandboxManager
from tessera.sandbox.templates import TemplateCache, template_files

pytestmark = pytest.mark.slow

EXTRA_ROUTE = """

@app.get("/api/extra")
def extra():
    return jsonify(extra="{value}")
"""


@pytest.fixture(scope="module", autouse=True)
def fullstack_cache(template_cache: TemplateCache) -> TemplateCache:
    return warm(template_cache, "fullstack")


@pytest.fixture
async def manager(provider: LocalSandboxProvider) -> AsyncIterator[SandboxManager]:
    instance = SandboxManager(provider, dev_server_timeout=30)
    yield instance
    await instance.aclose()


def api_port(deployment: Deployment) -> int:
    """The port the API server was last started on, from its command line in the log."""
    found = re.findall(
        r"Starting the API server: .* --app api/app run .* --port (\d+)", deployment.log
    )
    assert found, deployment.log
    return int(found[-1])


def with_app(text: str) -> dict[str, str]:
    files = template_files("fullstack")
    files["src/App.tsx"] = f"export default function App() {{\n  return <h1>{text}</h1>\n}}\n"
    return files


async def test_the_front_end_reaches_the_api_through_the_proxy(
    manager: SandboxManager, provider: LocalSandboxProvider
) -> None:
    deployment = await manager.deploy("p1", template_files("fullstack"))
    assert deployment.status == "ready"
    upstream = await preview_upstream(manager, deployment)
    page = await get(upstream)
    assert page.status_code == 200 and '<div id="root">' in page.text
    hello = await get(f"{upstream}/api/hello")
    assert hello.status_code == 200
    assert hello.json() == {"message": "Hello from the Flask API", "visits": 1}
    assert (await get(f"{upstream}/api/hello")).json()["visits"] == 2  # kept in SQLite
    sandbox = await sandbox_of(provider, deployment)
    assert await sandbox.files.exists("api/data.db")
    # Both servers' output is in the log, each line naming its process.
    assert "api | " in deployment.log and "web | " in deployment.log

    # The API can be opened on its own preview host too; nothing else can.
    port = api_port(deployment)
    assert f"TESSERA_API_PORT={port} node " in deployment.log  # the proxy's target
    direct = await manager.upstream(deployment.sandbox_id, port)
    assert direct == f"http://127.0.0.1:{port}"
    assert (await get(f"{direct}/api/health")).json() == {"status": "ok"}
    assert await manager.upstream(deployment.sandbox_id, port + 1) is None


async def test_each_side_reloads_on_its_own(
    manager: SandboxManager, provider: LocalSandboxProvider
) -> None:
    first = await manager.deploy("p1", with_app("First"))
    upstream = await preview_upstream(manager, first)
    sandbox = await sandbox_of(provider, first)
    pids = pids_by_role(sandbox)
    assert set(pids) == {"flask", "vite"}

    # A front-end edit: Vite hot-reloads it; the API keeps running.
    second = await manager.deploy("p1", with_app("Second"))
    assert second.files == ["src/App.tsx"]
    assert "Second" in (await get(f"{upstream}/src/App.tsx")).text
    assert pids_by_role(sandbox) == pids

    # An API edit: only the API restarts, and the new route answers through the proxy.
    files = with_app("Second")
    files["api/app.py"] += EXTRA_ROUTE.format(value="new route")
    lines: list[str] = []
    third = await manager.deploy("p1", files, on_log=lines.append)
    assert third.files == ["api/app.py"]
    assert "[tessera] Restarting the API server: changed api/app.py" in lines
    extra = await get(f"{upstream}/api/extra")
    assert extra.status_code == 200 and extra.json() == {"extra": "new route"}
    after = pids_by_role(sandbox)
    assert after["vite"] == pids["vite"]
    assert after["flask"] != pids["flask"] and not process_alive(pids["flask"])
    assert api_port(third) == api_port(first)  # the proxy's target is still right


async def test_a_crashed_api_is_reported_and_restarted_alone(
    manager: SandboxManager, provider: LocalSandboxProvider
) -> None:
    first = await manager.deploy("p1", template_files("fullstack"))
    sandbox = await sandbox_of(provider, first)
    pids = pids_by_role(sandbox)
    os.kill(pids["flask"], signal.SIGKILL)

    async def noticed() -> bool:
        status = await manager.status("p1")
        return status is not None and status.status == "error"

    await poll(noticed)
    status = await manager.status("p1")
    assert status is not None and status.error is not None
    assert status.error.startswith("The API server is not running (exit code")

    again = await manager.deploy("p1", template_files("fullstack"))
    assert again.status == "ready"
    after = pids_by_role(sandbox)
    assert after["vite"] == pids["vite"] and after["flask"] != pids["flask"]
    upstream = await preview_upstream(manager, again)
    assert (await get(f"{upstream}/api/health")).json() == {"status": "ok"}


async def test_a_broken_api_fails_the_deployment(manager: SandboxManager) -> None:
    files = template_files("fullstack")
    files["api/app.py"] = files["api/app.py"].replace("def health():", "def health(:")
    with pytest.raises(DevServerFailed) as caught:
        await manager.deploy("p1", files)
    assert "The API server stopped (exit code" in caught.value.message
    assert "SyntaxError" in caught.value.output
    status = await manager.status("p1")
    assert status is not None and status.status == "error"
