"""The preview script and its storage, through the whole app and a real dev server."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tessera.preview.inject import SCRIPT_PATH, STORAGE_PATH


def preview_host(client: TestClient) -> str:
    pid = client.post("/api/projects", json={}).json()["id"]
    deployment = client.get(f"/api/projects/{pid}/preview").json()
    assert deployment["ready"] is True
    host: str = deployment["preview_url"].split("//", 1)[1].rstrip("/")
    return host


def test_pages_get_the_script_and_storage_persists(client: TestClient) -> None:
    host = preview_host(client)
    page = client.get("/", headers={"Host": host, "Accept": "text/html"})
    assert page.status_code == 200
    assert f'<script src="{SCRIPT_PATH}"></script>' in page.text
    assert page.text.index(SCRIPT_PATH) < page.text.index("/src/main.tsx")
    assert int(page.headers["content-length"]) == len(page.content)

    script = client.get(SCRIPT_PATH, headers={"Host": host})
    assert script.status_code == 200 and "localStorage" in script.text

    assert client.get(STORAGE_PATH, headers={"Host": host}).json() == {}
    saved = client.put(STORAGE_PATH, headers={"Host": host}, content=b'{"todos": "[\\"a\\"]"}')
    assert saved.status_code == 204
    assert client.get(STORAGE_PATH, headers={"Host": host}).json() == {"todos": '["a"]'}
    refused = client.put(STORAGE_PATH, headers={"Host": host}, content=b"[]")
    assert refused.status_code == 413


def test_modules_are_not_rewritten(client: TestClient) -> None:
    host = preview_host(client)
    module = client.get("/src/main.tsx", headers={"Host": host, "Accept": "*/*"})
    assert module.status_code == 200 and SCRIPT_PATH not in module.text
