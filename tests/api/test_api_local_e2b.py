"""Tessera with ``TESSERA_SANDBOX=local-e2b`` under uvicorn: the E2B code path over local
isolated sandboxes. A run of the offline model deploys its app, the preview is a Tessera
preview host served through the app's proxy, the sandbox is listed, the terminal and the
console work, the lifecycle pauses it and a preview request resumes it, and after a restart
of the app the sandbox is taken over, paused, and resumed by its preview."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from websockets.asyncio.client import connect

from tessera.app import create_app
from tessera.config import Settings
from tessera.errors import SandboxError
from tessera.sandbox.e2b.local_sdk import LocalEnvdProvider
from tessera.sandbox.lifecycle import SandboxLifecycle
from tessera.sandbox.local.isolation import Isolation
from tests.api.sse import custom, parse_sse, types
from tests.preview.preview_test_support import serve
from tests.security.security_support import (
    CGROUP_ROOT,
    processes_under,
    remove_cgroup_parent,
    unique_cgroup_parent,
)

WITHIN = 15.0
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass
class Api:
    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings

    async def new_project(self) -> str:
        answer = await self.client.post("/api/projects", json={"name": "Counter"})
        assert answer.status_code == 201, answer.text
        project_id: str = answer.json()["id"]
        return project_id

    async def run(self, project_id: str, prompt: str) -> list[dict[str, Any]]:
        url = f"/api/projects/{project_id}/runs"
        async with self.client.stream("POST", url, json={"prompt": prompt}) as answer:
            assert answer.status_code == 200, await answer.aread()
            return parse_sse([line async for line in answer.aiter_lines()])

    async def sandboxes(self) -> list[dict[str, Any]]:
        answer = await self.client.get("/api/sandboxes")
        assert answer.status_code == 200
        listed: list[dict[str, Any]] = answer.json()
        return listed

    async def preview(self, preview_url: str, path: str = "/") -> httpx.Response:
        """A request to the preview host, sent to Tessera (the browser resolves
        ``*.localhost`` to this machine)."""
        host = preview_url.removeprefix("http://").rstrip("/")
        return await self.client.get(path, headers={"Host": host})

    @property
    def lifecycle(self) -> SandboxLifecycle:
        lifecycle: SandboxLifecycle = self.app.state.lifecycle
        return lifecycle


@pytest.fixture
def cgroup_parent(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app's sandboxes under a control group of the test's own, so that the test can
    tell that none of their processes outlived it."""
    parent = unique_cgroup_parent()
    configured = Isolation.from_settings

    def isolation(cls: type[Isolation], settings: Settings) -> Isolation:
        return dataclasses.replace(configured(settings), cgroup_parent=parent)

    monkeypatch.setattr(Isolation, "from_settings", classmethod(isolation))
    yield parent
    assert processes_under(parent) == [], "a sandbox process outlived the test"
    assert remove_cgroup_parent(parent) == [], "a sandbox's control group was left"


@pytest.fixture
def local_e2b(settings: Settings, cgroup_parent: str) -> Settings:
    return settings.model_copy(update={"sandbox": "local-e2b"})


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Api]:
    app = create_app(settings)
    base = f"http://127.0.0.1:{settings.port}"
    async with (
        serve(app, settings.port),
        httpx.AsyncClient(base_url=base, timeout=30, trust_env=False) as client,
    ):
        yield Api(app, client, settings)


def freezer_state(parent: str, sandbox_id: str) -> str:
    return (CGROUP_ROOT / "freezer" / parent / sandbox_id / "freezer.state").read_text().strip()


async def console_lines(api: Api, project_id: str, wanted: str) -> list[str]:
    """The console's log lines up to the first one containing ``wanted``."""
    lines: list[str] = []
    url = f"/api/projects/{project_id}/console"
    async with asyncio.timeout(WITHIN), api.client.stream("GET", url) as response:
        assert response.status_code == 200
        async for raw in response.aiter_lines():
            if raw.startswith("data: "):
                event = json.loads(raw.removeprefix("data: "))
                if event["type"] == "log":
                    lines.append(event["line"])
                    if wanted in event["line"]:
                        return lines
    raise AssertionError(f"the console ended before {wanted!r}: {lines}")


async def terminal_says(api: Api, project_id: str, command: str, expected: str) -> str:
    url = f"ws://127.0.0.1:{api.settings.port}/api/projects/{project_id}/terminal?cols=80&rows=24"
    output = ""
    async with connect(url, open_timeout=WITHIN, max_size=None) as socket:
        await socket.send(command + "\n")
        async with asyncio.timeout(WITHIN):
            while not re.search(expected, output, re.MULTILINE):
                message = await socket.recv()
                if isinstance(message, bytes):
                    output += ESCAPES.sub("", message.decode(errors="replace")).replace("\r", "")
    return output


async def test_a_run_deploys_through_e2b_and_the_preview_is_served_by_tessera(
    local_e2b: Settings, cgroup_parent: str
) -> None:
    async with running(local_e2b) as api:
        assert isinstance(api.app.state.sandboxes.provider, LocalEnvdProvider)
        assert (await api.client.get("/api/config")).json()["sandbox"] == "local-e2b"
        pid = await api.new_project()
        events = await api.run(pid, "a click counter")
        assert types(events)[-1] == "RUN_FINISHED", events[-1]
        preview = custom(events, "e2b_preview")[-1]
        assert preview["ready"] is True
        sandbox_id = preview["sandbox_id"]
        url = preview["preview_url"]
        assert url == f"http://5173-{sandbox_id}.localhost:{local_e2b.port}/"

        page = await api.preview(url)
        assert page.status_code == 200
        assert '<div id="root">' in page.text and "/@vite/client" in page.text
        app_tsx = await api.preview(url, "/src/App.tsx")
        assert "offline demo model (kind: counter)" in app_tsx.text

        (listed,) = await api.sandboxes()
        assert listed["sandbox_id"] == sandbox_id and listed["project_id"] == pid
        assert (listed["status"], listed["preview_url"], listed["ports"]) == (
            "running",
            url,
            [5173],
        )

        # The dev server's output reaches the console through E2B's command streams.
        assert any("5173" in line for line in await console_lines(api, pid, "5173"))
        output = await terminal_says(api, pid, "echo $((6 * 7)) in $PWD", r"^42 in /")
        assert "42 in /home/user/app" in output

        # The lifecycle pauses the sandbox (frozen) and a preview request resumes it.
        assert await api.lifecycle.pause(pid) is True
        assert [s["status"] for s in await api.sandboxes()] == ["paused"]
        assert freezer_state(cgroup_parent, sandbox_id) == "FROZEN"
        resumed = await api.preview(url)
        assert resumed.status_code == 200 and "/@vite/client" in resumed.text
        assert [s["status"] for s in await api.sandboxes()] == ["running"]
        assert freezer_state(cgroup_parent, sandbox_id) == "THAWED"

        assert (await api.client.delete(f"/api/sandboxes/{sandbox_id}")).status_code == 204
        assert await api.sandboxes() == []
        assert (await api.preview(url)).status_code == 502
        assert not (local_e2b.sandboxes_dir / sandbox_id).exists()


async def test_after_a_restart_the_sandbox_is_taken_over_and_resumed_by_its_preview(
    local_e2b: Settings, cgroup_parent: str
) -> None:
    async with running(local_e2b) as api:
        pid = await api.new_project()
        deployment = (await api.client.get(f"/api/projects/{pid}/preview")).json()
        assert deployment["ready"] is True, deployment
    # Tessera stopped: the sandbox's processes ended with it, its folder stayed.
    assert processes_under(cgroup_parent) == []
    sandbox_id, url = deployment["sandbox_id"], deployment["preview_url"]
    assert (local_e2b.sandboxes_dir / sandbox_id).is_dir()

    async with running(local_e2b) as api:
        (listed,) = await api.sandboxes()
        assert (listed["sandbox_id"], listed["status"]) == (sandbox_id, "paused")
        page = await api.preview(url)
        assert page.status_code == 200 and "/@vite/client" in page.text
        assert [s["status"] for s in await api.sandboxes()] == ["running"]
        assert (await api.client.delete(f"/api/sandboxes/{sandbox_id}")).status_code == 204


def test_local_e2b_needs_isolated_sandboxes(settings: Settings) -> None:
    unisolated = settings.model_copy(update={"sandbox": "local-e2b", "sandbox_isolation": "none"})
    with pytest.raises(SandboxError, match="TESSERA_SANDBOX=local-e2b needs isolated sandboxes"):
        create_app(unisolated)
