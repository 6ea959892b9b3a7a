"""``/api/projects/{id}/files…``: list, read, save with ``base_sha``, rename, delete,
upload. The app here is the files router with the app's error handling, over a real
store; runs are a real ``RunRegistry`` whose turns wait until a test lets them finish."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tessera.agent.runs import RunRegistry
from tessera.api import files as files_api
from tessera.api.errors import install_error_handlers
from tessera.files import FileService, content_sha
from tessera.importing import ImportLimits
from tessera.store import Store
from tests.conftest import WaitingAgent

STARTER = {
    "package.json": '{"name": "app"}\n',
    "src/App.tsx": "export default function App() { return <h1>Hi</h1> }\n",
    "src/components/Button.tsx": "export const Button = () => <button />\n",
}
LIMITS = ImportLimits(total_bytes=2_000, file_bytes=1_000, files=10)


@dataclass
class Env:
    client: httpx.AsyncClient
    store: Store
    runs: RunRegistry
    agent: WaitingAgent
    project_id: str

    def url(self, tail: str = "") -> str:
        return f"/api/projects/{self.project_id}/files{tail}"

    async def files(self) -> dict[str, str]:
        return await self.store.read_files(self.project_id)

    async def version_count(self) -> int:
        return len(await self.store.list_versions(self.project_id))


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'tessera.db'}")
    agent = WaitingAgent()
    runs = RunRegistry(agent)  # type: ignore[arg-type]
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(files_api.router)
    app.state.files = FileService(
        store=store, sandboxes=None, is_running=runs.is_running, upload_limits=LIMITS
    )
    project = await store.create_project(name="Files API")
    await store.commit_version(project.id, changes=STARTER, message="Started", kind="assistant")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Env(client, store, runs, agent, project.id)
    agent.finish.set()
    await runs.aclose()
    await store.close()


def error_of(response: httpx.Response) -> dict[str, str]:
    error: dict[str, str] = response.json()["error"]
    return error


async def test_save_read_list_and_delete(env: Env) -> None:
    saved = await env.client.put(env.url("/src/new.ts"), json={"content": "export {}\n"})
    assert saved.status_code == 200
    assert saved.json() == {"path": "src/new.ts", "size": 10, "sha": content_sha("export {}\n")}
    read = (await env.client.get(env.url("/src/new.ts"))).json()
    assert read == {"path": "src/new.ts", "content": "export {}\n", "sha": saved.json()["sha"]}
    listed = (await env.client.get(env.url())).json()
    assert {"path": "src/new.ts", "size": 10} in listed and len(listed) == 4
    assert (await env.client.delete(env.url("/src/new.ts"))).status_code == 204
    missing = await env.client.get(env.url("/src/new.ts"))
    assert missing.status_code == 404 and error_of(missing)["code"] == "file_not_found"
    messages = [v.message for v in await env.store.list_versions(env.project_id)]
    assert messages[1:] == ["Created src/new.ts", "Deleted src/new.ts"]


async def test_two_tabs_saving_the_same_file_the_stale_one_gets_409(env: Env) -> None:
    opened = (await env.client.get(env.url("/src/App.tsx"))).json()["sha"]
    first = await env.client.put(
        env.url("/src/App.tsx"), json={"content": "tab one\n", "base_sha": opened}
    )
    assert first.status_code == 200
    second = await env.client.put(
        env.url("/src/App.tsx"), json={"content": "tab two\n", "base_sha": opened}
    )
    assert second.status_code == 409
    error = error_of(second)
    assert error["code"] == "edit_conflict"
    assert error["current_sha"] == first.json()["sha"]
    assert error["message"] == (
        "src/App.tsx was changed elsewhere (in another tab or by the AI) since you opened it; "
        "reload it or save again to overwrite."
    )
    assert (await env.files())["src/App.tsx"] == "tab one\n"
    assert await env.version_count() == 2


async def test_creating_with_an_empty_base_sha_refuses_an_existing_file(env: Env) -> None:
    created = await env.client.put(env.url("/notes.md"), json={"content": "a", "base_sha": ""})
    assert created.status_code == 200
    again = await env.client.put(env.url("/notes.md"), json={"content": "b", "base_sha": ""})
    assert again.status_code == 409 and error_of(again)["current_sha"] == content_sha("a")


async def test_bad_paths_are_refused(env: Env) -> None:
    for path in ["node_modules/x.js", ".git/config", "a/%2E%2E/%2E%2E/etc/passwd"]:
        answer = await env.client.put(env.url(f"/{path}"), json={"content": "x"})
        assert answer.status_code in (404, 422), path
    assert await env.files() == STARTER


async def test_rename_a_folder_and_refuse_an_existing_target(env: Env) -> None:
    renamed = await env.client.post(
        env.url("/rename"), json={"from": "src/components", "to": "src/ui"}
    )
    assert renamed.status_code == 200
    assert {"path": "src/ui/Button.tsx", "size": 39} in renamed.json()["files"]
    onto = await env.client.post(
        env.url("/rename"), json={"from": "src/ui/Button.tsx", "to": "src/App.tsx"}
    )
    assert onto.status_code == 409 and error_of(onto)["code"] == "path_exists"
    files = await env.files()
    assert files["src/App.tsx"] == STARTER["src/App.tsx"] and "src/ui/Button.tsx" in files
    last = (await env.store.list_versions(env.project_id))[-1]
    assert last.message == "Renamed src/components → src/ui"
    missing_field = await env.client.post(env.url("/rename"), json={"from": "src/App.tsx"})
    assert missing_field.status_code == 422


async def test_deleting_the_last_file_is_422(env: Env) -> None:
    assert (await env.client.delete(env.url("/src"))).status_code == 204
    last = await env.client.delete(env.url("/package.json"))
    assert last.status_code == 422
    assert error_of(last)["message"].startswith("A project needs at least one file; ")
    assert await env.files() == {"package.json": STARTER["package.json"]}


async def test_upload_into_a_folder_lists_what_was_skipped(env: Env) -> None:
    answer = await env.client.post(
        env.url("/upload"),
        data={"folder": "public"},
        files=[
            ("files", ("logo.svg", b"<svg/>", "image/svg+xml")),
            ("files", ("img/photo.png", b"\x89PNG\x00\x00binary", "image/png")),
            ("files", ("big.txt", b"x" * 1_001, "text/plain")),
        ],
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["files"] == [{"path": "public/logo.svg", "size": 6}]
    assert {s["path"] for s in body["skipped"]} == {"public/img/photo.png", "public/big.txt"}
    assert (await env.files())["public/logo.svg"] == "<svg/>"
    assert (await env.store.list_versions(env.project_id))[-1].message == "Uploaded 1 file"


async def test_uploads_over_the_limits_change_nothing(env: Env) -> None:
    too_big = [("files", (f"f{i}.txt", b"y" * 900, "text/plain")) for i in range(3)]
    answer = await env.client.post(env.url("/upload"), files=too_big)
    assert answer.status_code == 413 and "MB" in error_of(answer)["message"]
    too_many = [("files", (f"n{i}.txt", b"n", "text/plain")) for i in range(12)]
    answer = await env.client.post(env.url("/upload"), files=too_many)
    assert answer.status_code == 413, answer.text
    escaping = [("files", ("../../etc/passwd", b"root", "text/plain"))]
    answer = await env.client.post(env.url("/upload"), files=escaping)
    assert answer.status_code == 422 and "../../etc/passwd" in error_of(answer)["message"]
    nothing = await env.client.post(env.url("/upload"), data={"folder": "x"})
    assert nothing.status_code == 422
    assert await env.files() == STARTER and await env.version_count() == 1


async def test_changes_wait_while_a_run_streams(env: Env) -> None:
    events = env.runs.start(env.project_id, "make it blue")
    await asyncio.sleep(0)
    assert env.runs.is_running(env.project_id)
    answers = [
        await env.client.post(env.url("/rename"), json={"from": "src/App.tsx", "to": "src/B.tsx"}),
        await env.client.delete(env.url("/src/App.tsx")),
        await env.client.post(env.url("/upload"), files=[("files", ("a.txt", b"a", "text/plain"))]),
    ]
    for answer in answers:
        assert answer.status_code == 409 and error_of(answer)["code"] == "run_in_progress"
    assert await env.files() == STARTER and await env.version_count() == 1
    env.agent.finish.set()
    assert [event async for event in events] == []
    renamed = await env.client.post(
        env.url("/rename"), json={"from": "src/App.tsx", "to": "src/B.tsx"}
    )
    assert renamed.status_code == 200


async def test_an_unknown_project_is_404(env: Env) -> None:
    answer = await env.client.get("/api/projects/nosuchproject/files")
    assert answer.status_code == 404 and error_of(answer)["code"] == "project_not_found"
    answer = await env.client.post(
        "/api/projects/nosuchproject/files/upload", files=[("files", ("a.txt", b"a", "text/plain"))]
    )
    assert answer.status_code == 404
