"""``/api/projects/{id}/versions…``, ``/diff`` and ``/undo``: the history's API. The app
here is the versions router with the app's error handling, over a real store; runs are a
real ``RunRegistry`` whose turns wait until a test lets them finish."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tessera.agent.runs import RunRegistry
from tessera.api import versions as versions_api
from tessera.api.errors import install_error_handlers
from tessera.history import HistoryService
from tessera.store import Store
from tests.conftest import WaitingAgent

FIRST = {"index.html": "<div id=root></div>\n", "src/App.tsx": "one\n", "src/old.ts": "old\n"}


@dataclass
class Env:
    client: httpx.AsyncClient
    store: Store
    runs: RunRegistry
    agent: WaitingAgent
    project_id: str
    ids: list[int]

    def url(self, tail: str) -> str:
        return f"/api/projects/{self.project_id}{tail}"


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'tessera.db'}")
    agent = WaitingAgent()
    runs = RunRegistry(agent)  # type: ignore[arg-type]
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(versions_api.router)
    app.state.history = HistoryService(store=store, sandboxes=None, is_running=runs.is_running)
    pid = (await store.create_project(name="Versions API")).id
    v1 = await store.commit_version(pid, changes=FIRST, message="Started", kind="edit")
    v2 = await store.commit_version(
        pid,
        changes={"src/App.tsx": "two\n", "src/new.ts": "new\n", "src/old.ts": None},
        message="Add a counter",
        kind="assistant",
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Env(client, store, runs, agent, pid, [v1.id, v2.id])
    agent.finish.set()
    await runs.aclose()
    await store.close()


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def test_versions_newest_first_with_their_changes(env: Env) -> None:
    listed = await ok(await env.client.get(env.url("/versions")))
    assert [v["number"] for v in listed] == [2, 1]
    newest = listed[0]
    assert set(newest) >= {
        "id",
        "number",
        "message",
        "kind",
        "created_at",
        "file_count",
        "changed",
    }
    assert newest["kind"] == "assistant" and newest["file_count"] == 3
    assert newest["changed"] == [
        {"path": "src/App.tsx", "change": "modified"},
        {"path": "src/new.ts", "change": "added"},
        {"path": "src/old.ts", "change": "deleted"},
    ]


async def test_a_version_s_files(env: Env) -> None:
    snapshot = await ok(await env.client.get(env.url(f"/versions/{env.ids[0]}/files")))
    assert snapshot == {"files": FIRST}
    one = await ok(await env.client.get(env.url(f"/versions/{env.ids[0]}/files/src/old.ts")))
    assert one == {"path": "src/old.ts", "content": "old\n"}
    gone = await env.client.get(env.url(f"/versions/{env.ids[1]}/files/src/old.ts"))
    assert gone.status_code == 404
    unknown = await env.client.get(env.url("/versions/987654/files"))
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "version_not_found"


async def test_diff_between_versions_and_with_the_current_files(env: Env) -> None:
    first, second = env.ids
    diff = await ok(await env.client.get(env.url(f"/diff?from={first}&to={second}")))
    assert diff["files"] == [
        {"path": "src/App.tsx", "change": "modified", "before": "one\n", "after": "two\n"},
        {"path": "src/new.ts", "change": "added", "before": None, "after": "new\n"},
        {"path": "src/old.ts", "change": "deleted", "before": "old\n", "after": None},
    ]
    current = await ok(await env.client.get(env.url(f"/diff?from={second}&to=current")))
    assert current == {"files": []}
    await env.store.write_file(env.project_id, "src/App.tsx", "three\n")
    current = await ok(await env.client.get(env.url(f"/diff?from={second}")))
    assert [(f["path"], f["before"], f["after"]) for f in current["files"]] == [
        ("src/App.tsx", "two\n", "three\n")
    ]
    for bad in ("from=abc", "from=1&to=latest", "to=current"):
        answer = await env.client.get(env.url(f"/diff?{bad}"))
        assert answer.status_code == 422, bad


async def test_diff_of_a_5000_line_file_is_fast(env: Env) -> None:
    lines = [f"const line{i} = {i} // some code on line {i}" for i in range(5_000)]
    before = "\n".join(lines) + "\n"
    changed = [f"{line} changed" if i % 17 == 0 else line for i, line in enumerate(lines)]
    after = "\n".join(changed) + "\n"
    v_before = await env.store.commit_version(
        env.project_id, changes={"src/big.ts": before}, message="big", kind="edit"
    )
    v_after = await env.store.commit_version(
        env.project_id, changes={"src/big.ts": after}, message="bigger", kind="edit"
    )
    started = time.perf_counter()
    diff = await ok(await env.client.get(env.url(f"/diff?from={v_before.id}&to={v_after.id}")))
    elapsed = time.perf_counter() - started
    assert diff["files"] == [
        {"path": "src/big.ts", "change": "modified", "before": before, "after": after}
    ]
    assert elapsed < 1.0


async def test_restore_adds_a_version_and_keeps_the_later_ones(env: Env) -> None:
    answer = await ok(await env.client.post(env.url(f"/versions/{env.ids[0]}/restore")), status=201)
    version = answer["version"]
    assert version["kind"] == "restore" and version["message"] == "Restored version 1"
    assert version["number"] == 3 and version["file_count"] == 3
    assert {c["path"] for c in version["changed"]} == {"src/App.tsx", "src/new.ts", "src/old.ts"}
    assert await env.store.read_files(env.project_id) == FIRST
    listed = await ok(await env.client.get(env.url("/versions")))
    assert [v["number"] for v in listed] == [3, 2, 1]
    later = await ok(await env.client.get(env.url(f"/versions/{env.ids[1]}/files")))
    assert later["files"]["src/new.ts"] == "new\n"


async def test_restore_while_a_run_streams_is_409_and_changes_nothing(env: Env) -> None:
    events = env.runs.start(env.project_id, "add a button")
    await asyncio.sleep(0)
    before = await env.store.read_files(env.project_id)
    refused = await env.client.post(env.url(f"/versions/{env.ids[0]}/restore"))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "run_in_progress"
    assert "wait for the run to finish" in refused.json()["error"]["message"]
    undo = await env.client.post(env.url("/undo"))
    assert undo.status_code == 409
    assert await env.store.read_files(env.project_id) == before
    assert len(await env.store.list_versions(env.project_id)) == 2
    env.agent.finish.set()
    assert [event async for event in events] == []
    await ok(await env.client.post(env.url(f"/versions/{env.ids[0]}/restore")), status=201)


async def test_undo_then_nothing_left_to_undo(env: Env) -> None:
    undone = await ok(await env.client.post(env.url("/undo")))
    assert undone["version"]["message"] == "Undid: Add a counter"
    assert undone["version"]["kind"] == "restore"
    assert await env.store.read_files(env.project_id) == FIRST
    again = await env.client.post(env.url("/undo"))
    assert again.status_code == 422
    assert again.json()["error"]["message"].startswith("Nothing to undo")


async def test_unknown_project_and_version(env: Env) -> None:
    assert (await env.client.get("/api/projects/nosuchproject/versions")).status_code == 404
    missing = await env.client.post(env.url("/versions/555555/restore"))
    assert missing.status_code == 404
    not_a_number = await env.client.post(env.url("/versions/latest/restore"))
    assert not_a_number.status_code == 422
