"""The sandboxes API and the lifecycle through the app: listing, killing, idle pause, a
preview request resuming a paused sandbox, taking sandboxes over after a restart."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.config import Settings
from tessera.sandbox.templates import template_files
from tests.api.conftest import ClientFactory


def react_app(heading: str) -> dict[str, str]:
    files = template_files("react")
    files["src/App.tsx"] = f"export default function App() {{\n  return <h1>{heading}</h1>\n}}\n"
    return files


def new_project(client: TestClient) -> str:
    pid: str = client.post("/api/projects", json={"name": "t"}).json()["id"]
    return pid


def host_of(deployment: dict[str, Any]) -> str:
    return str(deployment["preview_url"]).split("//", 1)[1].rstrip("/")


def sandboxes(client: TestClient) -> list[dict[str, Any]]:
    answer = client.get("/api/sandboxes")
    assert answer.status_code == 200
    listed: list[dict[str, Any]] = answer.json()
    return listed


def wait_for_status(client: TestClient, status: str, *, within: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        listed = sandboxes(client)
        if listed and listed[0]["status"] == status:
            return listed[0]
        assert time.monotonic() < deadline, f"no sandbox became {status}: {listed}"
        time.sleep(0.05)


def test_sandboxes_are_listed_with_their_status_and_killed(client: TestClient) -> None:
    assert sandboxes(client) == []
    pid = new_project(client)
    deployment = client.get(f"/api/projects/{pid}/preview").json()
    assert deployment["ready"] is True

    (listed,) = sandboxes(client)
    port = int(host_of(deployment).split("-", 1)[0])
    assert listed == {
        "sandbox_id": deployment["sandbox_id"],
        "project_id": pid,
        "template": "react",
        "status": "running",
        "preview_url": deployment["preview_url"],
        "last_active": listed["last_active"],
        "ports": [port],
    }
    assert datetime.fromisoformat(listed["last_active"]).utcoffset() is not None

    assert client.delete(f"/api/sandboxes/{deployment['sandbox_id']}").status_code == 204
    assert sandboxes(client) == []
    assert client.get("/", headers={"Host": host_of(deployment)}).status_code == 502
    again = client.delete(f"/api/sandboxes/{deployment['sandbox_id']}")
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "sandbox_not_found"

    renewed = client.get(f"/api/projects/{pid}/preview").json()
    assert renewed["ready"] is True and renewed["sandbox_id"] != deployment["sandbox_id"]
    assert [s["sandbox_id"] for s in sandboxes(client)] == [renewed["sandbox_id"]]


def test_an_idle_sandbox_is_paused_and_a_preview_request_resumes_it(
    make_client: ClientFactory,
) -> None:
    client = make_client(sandbox_idle_timeout=0.5, sandbox_sweep_interval=0.05)
    pid = new_project(client)
    deploy = client.post(f"/api/projects/{pid}/deploy", json={"files": react_app("Woken up")})
    deployment = deploy.json()
    assert deploy.status_code == 200 and deployment["ready"] is True
    paused = wait_for_status(client, "paused")
    assert paused["sandbox_id"] == deployment["sandbox_id"]

    module = client.get("/src/App.tsx", headers={"Host": host_of(deployment)})
    assert module.status_code == 200 and "Woken up" in module.text
    (listed,) = sandboxes(client)
    assert listed["sandbox_id"] == deployment["sandbox_id"]
    assert listed["last_active"] > paused["last_active"]


def test_a_paused_sandbox_resumes_on_a_preview_request(client: TestClient) -> None:
    pid = new_project(client)
    deployment = client.post(
        f"/api/projects/{pid}/deploy", json={"files": react_app("Paused then served")}
    ).json()
    lifecycle = client.app.state.lifecycle
    assert client.portal is not None
    assert client.portal.call(lifecycle.pause, pid) is True
    assert sandboxes(client)[0]["status"] == "paused"

    page = client.get("/", headers={"Host": host_of(deployment)})
    assert page.status_code == 200 and '<div id="root">' in page.text
    assert sandboxes(client)[0]["status"] == "running"


def test_a_restart_takes_over_the_sandboxes_it_left(
    settings: Settings, make_client: ClientFactory
) -> None:
    with TestClient(create_app(settings)) as first:
        pid = new_project(first)
        deployment = first.post(
            f"/api/projects/{pid}/deploy", json={"files": react_app("Survives a restart")}
        ).json()
    # The shutdown paused the sandbox, keeping its folder.

    second = make_client()
    (listed,) = sandboxes(second)
    assert (listed["sandbox_id"], listed["status"]) == (deployment["sandbox_id"], "paused")
    again = second.get(f"/api/projects/{pid}/preview").json()
    assert again["sandbox_id"] == deployment["sandbox_id"] and again["ready"] is True
    assert again["files"] == []  # the folder was reused as it was
    module = second.get("/src/App.tsx", headers={"Host": host_of(again)})
    assert "Survives a restart" in module.text
    assert sandboxes(second)[0]["status"] == "running"
