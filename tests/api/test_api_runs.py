"""Runs through the HTTP API with a scripted model and real local sandboxes (Vite)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr

from tessera.llm.testing import FakeOpenAIServer, ScriptedProvider
from tessera.protocol.format import render_file, render_meta
from tessera.sandbox.templates import template_files
from tests.api.conftest import ClientFactory
from tests.api.sse import custom, parse_sse, types


def react_app(heading: str) -> dict[str, str]:
    files = template_files("react")
    files["src/App.tsx"] = (
        f"export default function App() {{\n  return <main><h1>{heading}</h1></main>\n}}\n"
    )
    return files


def chunks_of(text: str, size: int = 37) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def scripted_app(heading: str, *, before: str = "", after: str = "") -> list[str]:
    body = "Here is your app.\n" + render_meta(title=heading, description="A test app")
    body += before
    for path, content in react_app(heading).items():
        body += render_file(path, content)
    body += after + "\nDone."
    return chunks_of(body)


def run(client: TestClient, pid: str, prompt: str) -> list[dict[str, Any]]:
    with client.stream("POST", f"/api/projects/{pid}/runs", json={"prompt": prompt}) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        return parse_sse(answer.iter_lines())


def new_project(client: TestClient) -> str:
    pid: str = client.post("/api/projects", json={"name": "t"}).json()["id"]
    return pid


def test_a_run_streams_files_saves_a_version_and_serves_the_preview(
    make_client: ClientFactory,
) -> None:
    client = make_client(ScriptedProvider(scripted_app("Hello from the model")))
    pid = new_project(client)
    events = run(client, pid, "Build me a hello app")

    kinds = types(events)
    assert kinds[0] == "RUN_STARTED" and kinds[-1] == "RUN_FINISHED"
    assert "TEXT_MESSAGE_START" in kinds and "TEXT_MESSAGE_END" in kinds
    chat = "".join(e["delta"] for e in events if e["type"] == "TEXT_MESSAGE_CONTENT")
    assert "Here is your app." in chat and "Done." in chat
    started = [v["path"] for v in custom(events, "file_started")]
    assert "src/App.tsx" in started
    deltas = "".join(v["delta"] for v in custom(events, "file_delta") if v["path"] == "src/App.tsx")
    assert "Hello from the model" in deltas
    assert custom(events, "project_updated")[0]["title"] == "Hello from the model"
    assert custom(events, "version_created")[0]["number"] == 1

    deployment = custom(events, "e2b_deployment")[0]
    assert deployment["status"] == "ready" and deployment["sandbox_id"]
    preview = custom(events, "e2b_preview")[0]
    assert preview["ready"] is True
    assert (
        preview["preview_url"].startswith("http://")
        and deployment["sandbox_id"] in preview["preview_url"]
    )

    host = preview["preview_url"].split("//", 1)[1].rstrip("/")
    module = client.get("/src/App.tsx", headers={"Host": host})
    assert module.status_code == 200 and "Hello from the model" in module.text

    detail = client.get(f"/api/projects/{pid}").json()
    assert detail["title"] == "Hello from the model"
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant"]
    assert detail["versions"][0]["kind"] == "assistant"
    saved = client.get(f"/api/projects/{pid}/files/src/App.tsx").json()["content"]
    assert "Hello from the model" in saved


def test_escaping_paths_from_the_model_are_refused_and_the_turn_goes_on(
    make_client: ClientFactory, settings: Any
) -> None:
    attacks = "".join(
        render_file(path, "pwned")
        for path in ["../outside.txt", "/etc/tessera-pwned", ".git/config", "node_modules/x.js"]
    )
    client = make_client(ScriptedProvider(scripted_app("Still fine", before=attacks)))
    pid = new_project(client)
    events = run(client, pid, "try to escape")
    errors = custom(events, "action_error")
    assert len(errors) == 4
    assert types(events)[-1] == "RUN_FINISHED"
    paths = {f["path"] for f in client.get(f"/api/projects/{pid}/files").json()}
    assert "src/App.tsx" in paths and not any("pwned" in p or ".." in p for p in paths)
    assert not Path("/etc/tessera-pwned").exists()
    data_dir: Path = settings.data_dir
    assert not any(p.name == "outside.txt" for p in data_dir.parent.rglob("outside.txt"))


def test_a_stream_broken_mid_file_keeps_the_partial_work_and_ends_in_run_error(
    make_client: ClientFactory,
) -> None:
    text = render_file("src/First.tsx", "export const first = 1\n") + render_file(
        "src/Second.tsx", "export const second = 2\n" * 50
    )
    chunks = chunks_of(text, 20)
    provider = ScriptedProvider(chunks, break_after=len(chunks) - 5)
    client = make_client(provider)
    pid = new_project(client)
    events = run(client, pid, "write two files")
    assert events[-1]["type"] == "RUN_ERROR"
    assert events[-1]["code"] == "provider_stream_broken"
    files = {f["path"] for f in client.get(f"/api/projects/{pid}/files").json()}
    assert files == {"src/First.tsx"}
    versions = client.get(f"/api/projects/{pid}").json()["versions"]
    assert len(versions) == 1 and "incomplete" in versions[0]["message"]
    assert client.get("/api/health").status_code == 200


def test_a_dev_server_that_cannot_start_gives_run_error_with_its_output(
    make_client: ClientFactory,
) -> None:
    broken = "throw new Error('config exploded on purpose')\n"
    provider = ScriptedProvider(scripted_app("Broken", after=render_file("vite.config.ts", broken)))
    client = make_client(provider, dev_server_timeout=20.0)
    pid = new_project(client)
    events = run(client, pid, "make a broken app")
    assert events[-1]["type"] == "RUN_ERROR"
    assert "config exploded on purpose" in events[-1]["message"]


def test_empty_and_overlong_prompts_are_422_and_unknown_project_404(client: TestClient) -> None:
    pid = new_project(client)
    empty = client.post(f"/api/projects/{pid}/runs", json={"prompt": "   "})
    assert empty.status_code == 422 and "empty" in empty.json()["error"]["message"]
    long = client.post(f"/api/projects/{pid}/runs", json={"prompt": "x" * 20_001})
    assert long.status_code == 422
    assert client.post("/api/projects/nope/runs", json={"prompt": "hi"}).status_code == 404


def test_hand_edits_deploy_as_one_version_and_reach_the_dev_server(
    make_client: ClientFactory,
) -> None:
    client = make_client(ScriptedProvider(scripted_app("Before")))
    pid = new_project(client)
    run(client, pid, "an app")
    app_tsx = client.get(f"/api/projects/{pid}/files/src/App.tsx").json()["content"]
    edited = app_tsx.replace("Before", "After the hand edit")
    answer = client.post(f"/api/projects/{pid}/deploy", json={"files": {"src/App.tsx": edited}})
    assert answer.status_code == 200
    deployment = answer.json()
    assert deployment["ready"] is True and deployment["files"] == ["src/App.tsx"]
    host = deployment["preview_url"].split("//", 1)[1].rstrip("/")
    assert "After the hand edit" in client.get("/src/App.tsx", headers={"Host": host}).text
    versions = client.get(f"/api/projects/{pid}").json()["versions"]
    assert [v["kind"] for v in versions] == ["assistant", "edit"]
    assert versions[1]["message"] == "Hand edits: src/App.tsx"
    unchanged = client.post(f"/api/projects/{pid}/deploy", json={"files": {"src/App.tsx": edited}})
    assert unchanged.status_code == 200
    assert len(client.get(f"/api/projects/{pid}").json()["versions"]) == 2


def test_a_preview_host_cannot_reach_tessera_itself(client: TestClient, settings: Any) -> None:
    host = f"{settings.port}-abcdefabcdef.localhost:{settings.port}"
    answer = client.get("/api/projects", headers={"Host": host})
    assert answer.status_code == 502
    assert "not running" in answer.text


def test_the_package_json_of_a_run_is_valid_json(make_client: ClientFactory) -> None:
    client = make_client(ScriptedProvider(scripted_app("Json")))
    pid = new_project(client)
    run(client, pid, "an app")
    manifest = client.get(f"/api/projects/{pid}/files/package.json").json()["content"]
    assert "react" in json.loads(manifest)["dependencies"]


def test_a_second_run_on_a_busy_project_is_409_and_the_first_completes(
    make_client: ClientFactory,
) -> None:
    client = make_client(ScriptedProvider(scripted_app("Slow"), delay=0.02))
    pid = new_project(client)
    with client.stream("POST", f"/api/projects/{pid}/runs", json={"prompt": "one"}) as first:
        lines = first.iter_lines()
        assert next(line for line in lines if line.startswith("data: "))
        second = client.post(f"/api/projects/{pid}/runs", json={"prompt": "two"})
        assert second.status_code == 409
        assert second.json()["error"]["code"] == "run_in_progress"
        rest = parse_sse(lines)
    assert rest[-1]["type"] == "RUN_FINISHED"


def test_a_run_through_an_openai_compatible_server_configured_by_environment(
    make_client: ClientFactory,
) -> None:
    body = "".join(scripted_app("From the fake server"))
    with FakeOpenAIServer(default_chunks=chunks_of(body, 50)) as server:
        client = make_client(
            None,
            llm_provider="openai",
            llm_base_url=server.base_url,
            openai_api_key=SecretStr("sk-test"),
            llm_model="fake-model",
        )
        assert client.get("/api/config").json()["llm"]["provider"] == "openai"
        pid = new_project(client)
        events = run(client, pid, "an app please")
        assert events[-1]["type"] == "RUN_FINISHED"
        assert custom(events, "project_updated")[0]["title"] == "From the fake server"
        request = server.requests[0]
        assert request.body["model"] == "fake-model" and request.body["stream"] is True
        assert request.body["messages"][-1] == {"role": "user", "content": "an app please"}
        assert request.headers["authorization"] == "Bearer sk-test"


def test_the_lock_file_of_an_install_is_kept_with_the_project(client: TestClient) -> None:
    pid = new_project(client)
    files = react_app("Locked")
    manifest = json.loads(files["package.json"])
    manifest["dependencies"]["shout-local"] = "file:./vendor/shout-local"
    files["package.json"] = json.dumps(manifest, indent=2)
    files["vendor/shout-local/package.json"] = json.dumps(
        {"name": "shout-local", "version": "1.0.0", "main": "index.js"}
    )
    files["vendor/shout-local/index.js"] = "module.exports = (s) => s.toUpperCase()\n"
    answer = client.post(f"/api/projects/{pid}/deploy", json={"files": files})
    assert answer.status_code == 200 and answer.json()["lockfiles"] == ["package-lock.json"]
    lock = client.get(f"/api/projects/{pid}/files/package-lock.json").json()["content"]
    assert "node_modules/shout-local" in json.loads(lock)["packages"]
