from __future__ import annotations

from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.config import Settings
from tests.api.conftest import ClientFactory


def test_health_and_config_name_the_offline_model(client: TestClient) -> None:
    assert client.get("/api/health").json() == {"status": "ok"}
    config = client.get("/api/config").json()
    assert config["llm"]["provider"] == "offline"
    assert config["llm"]["label"] == "offline demo model"
    assert config["sandbox"] == "local"


def test_project_lifecycle_and_files(client: TestClient) -> None:
    created = client.post("/api/projects", json={"name": "My app"})
    assert created.status_code == 201
    project = created.json()
    assert project["name"] == "My app" and project["template"] == "react"
    pid = project["id"]
    assert pid.isalnum() and pid.islower()

    put = client.put(f"/api/projects/{pid}/files/src/App.tsx", json={"content": "hello"})
    assert put.status_code == 200
    assert {k: put.json()[k] for k in ("path", "size")} == {"path": "src/App.tsx", "size": 5}
    assert client.get(f"/api/projects/{pid}/files/src/App.tsx").json()["content"] == "hello"
    assert client.get(f"/api/projects/{pid}/files").json() == [{"path": "src/App.tsx", "size": 5}]

    detail = client.get(f"/api/projects/{pid}").json()
    assert detail["files"] == [{"path": "src/App.tsx", "size": 5}]
    assert detail["messages"] == []
    assert [v["message"] for v in detail["versions"]] == ["Created src/App.tsx"]
    assert detail["llm"]["label"] == "offline demo model"
    assert [p["id"] for p in client.get("/api/projects").json()] == [pid]

    client.put(f"/api/projects/{pid}/files/README.md", json={"content": "# app"})
    assert client.delete(f"/api/projects/{pid}/files/src/App.tsx").status_code == 204
    assert client.get(f"/api/projects/{pid}/files/src/App.tsx").status_code == 404
    assert client.delete(f"/api/projects/{pid}").status_code == 204
    assert client.get(f"/api/projects/{pid}").status_code == 404


def test_unknown_project_and_file_are_404_with_a_message(client: TestClient) -> None:
    missing = client.get("/api/projects/nosuchproject")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "project_not_found"
    pid = client.post("/api/projects", json={}).json()["id"]
    absent = client.get(f"/api/projects/{pid}/files/nope.txt")
    assert absent.status_code == 404
    assert absent.json()["error"]["code"] == "file_not_found"


def test_bad_paths_are_refused_and_nothing_is_written(client: TestClient) -> None:
    pid = client.post("/api/projects", json={}).json()["id"]
    for path in ["node_modules/x.js", ".git/config", "a/%2E%2E/%2E%2E/etc/passwd"]:
        answer = client.put(f"/api/projects/{pid}/files/{path}", json={"content": "x"})
        assert answer.status_code in (404, 422), path
    deploy = client.post(f"/api/projects/{pid}/deploy", json={"files": {"../escape": "x"}})
    assert deploy.status_code == 422
    assert deploy.json()["error"]["code"] == "invalid_path"
    assert client.get(f"/api/projects/{pid}/files").json() == []


def test_unknown_api_path_is_json_404(client: TestClient) -> None:
    answer = client.get("/api/nothing-here")
    assert answer.status_code == 404


def test_projects_survive_a_restart(settings: Settings, make_client: ClientFactory) -> None:
    with TestClient(create_app(settings)) as first:
        pid = first.post("/api/projects", json={"name": "Keep me"}).json()["id"]
        first.put(f"/api/projects/{pid}/files/a.txt", json={"content": "kept"})
    second = make_client()
    assert second.get(f"/api/projects/{pid}").json()["name"] == "Keep me"
    assert second.get(f"/api/projects/{pid}/files/a.txt").json()["content"] == "kept"
