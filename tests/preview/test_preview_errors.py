"""``POST /__tessera/errors`` through the preview proxy (under uvicorn, a fake resolver), and
the preview script's parts."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
from preview_test_support import free_port, serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from tessera.preview.inject import (
    ERRORS_PATH,
    PREVIEW_SCRIPT,
    SCRIPT_PATH,
    STORAGE_PATH,
    preview_script,
)
from tessera.preview.proxy import MAX_REPORT_BODY, ErrorReporter, PreviewProxy
from tessera.preview.storage import PreviewStorage

SANDBOX = "abc123def456"
PAGE = "<!doctype html><html><head><title>t</title></head><body>hi</body></html>"
TAG = f'<script src="{SCRIPT_PATH}"></script>'


@dataclass
class Running:
    client: httpx.AsyncClient
    reports: list[tuple[str, Mapping[str, object]]]
    upstream_paths: list[str]
    other_host: str


@contextlib.asynccontextmanager
async def running(
    *, report: ErrorReporter | None, storage: PreviewStorage | None = None
) -> AsyncIterator[Running]:
    """A proxy in front of an upstream that serves an HTML page at / and text elsewhere."""
    upstream_paths: list[str] = []

    async def anything(request: Request) -> Response:
        upstream_paths.append(request.url.path)
        if request.url.path == "/":
            return HTMLResponse(PAGE)
        return PlainTextResponse("from upstream")

    upstream_port, proxy_port = free_port(), free_port()

    async def resolve(sandbox_id: str, port: int) -> str | None:
        ok = sandbox_id == SANDBOX and port == upstream_port
        return f"http://127.0.0.1:{port}" if ok else None

    proxy = PreviewProxy(
        Starlette(),
        domain=f"localhost:{proxy_port}",
        resolve=resolve,
        storage=storage,
        report=report,
    )
    upstream = Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "POST"])])
    host = f"{upstream_port}-{SANDBOX}.localhost:{proxy_port}"
    async with (
        serve(upstream, upstream_port),
        serve(proxy, proxy_port),
        httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{proxy_port}",
            headers={"Host": host},
            trust_env=False,
            timeout=10,
        ) as client,
    ):
        yield Running(client, [], upstream_paths, f"{upstream_port}-zzzzzzzzzzzz.localhost")
    await proxy.aclose()


@contextlib.asynccontextmanager
async def collecting() -> AsyncIterator[Running]:
    reports: list[tuple[str, Mapping[str, object]]] = []

    def report(sandbox_id: str, payload: Mapping[str, object]) -> None:
        reports.append((sandbox_id, payload))

    async with running(report=report) as setup:
        setup.reports = reports
        yield setup


async def test_a_report_reaches_the_receiver_with_its_sandbox() -> None:
    async with collecting() as setup:
        payload = {"kind": "error", "message": "Uncaught Error: boom", "line": 3}
        response = await setup.client.post(ERRORS_PATH, json=payload)
        assert response.status_code == 204
        assert setup.reports == [(SANDBOX, payload)]
        assert setup.upstream_paths == []  # answered by the proxy, not the app


async def test_a_batch_reaches_an_async_receiver_report_by_report() -> None:
    reports: list[Mapping[str, object]] = []

    async def report(sandbox_id: str, payload: Mapping[str, object]) -> None:
        await asyncio.sleep(0)
        reports.append(payload)

    async with running(report=report) as setup:
        batch = [{"kind": "console", "message": f"m{i}"} for i in range(3)]
        assert (await setup.client.post(ERRORS_PATH, json=batch)).status_code == 204
        assert reports == batch
        too_many = [{"kind": "console", "message": "x"}] * 80
        assert (await setup.client.post(ERRORS_PATH, json=too_many)).status_code == 204
        assert len(reports) == 3 + 50


async def test_bad_bodies_are_refused_without_reaching_the_receiver() -> None:
    async with collecting() as setup:
        for body in (b"not json", b"{", b"42", b'"text"', b"[1, 2]", b'[{"a": 1}, 3]', b""):
            response = await setup.client.post(ERRORS_PATH, content=body)
            assert response.status_code == 400, body
        deep = b"[" * 30_000 + b"]" * 30_000  # valid JSON, too deep for the parser
        assert (await setup.client.post(ERRORS_PATH, content=deep)).status_code == 400
        big = json.dumps({"message": "x" * MAX_REPORT_BODY}).encode()
        assert (await setup.client.post(ERRORS_PATH, content=big)).status_code == 413
        assert (await setup.client.get(ERRORS_PATH)).status_code == 405
        assert setup.reports == []


async def test_a_receiver_failing_is_not_the_pages_problem() -> None:
    seen: list[object] = []

    def report(sandbox_id: str, payload: Mapping[str, object]) -> None:
        seen.append(payload["message"])
        if payload["message"] == "first":
            raise RuntimeError("receiver fault")

    async with running(report=report) as setup:
        batch = [{"message": "first"}, {"message": "second"}]
        assert (await setup.client.post(ERRORS_PATH, json=batch)).status_code == 204
        assert seen == ["first", "second"]


async def test_reports_for_an_unknown_sandbox_get_the_unavailable_page() -> None:
    async with collecting() as setup:
        response = await setup.client.post(
            ERRORS_PATH, json={"message": "x"}, headers={"Host": setup.other_host}
        )
        assert response.status_code == 502
        assert setup.reports == []


async def test_without_a_receiver_the_path_is_the_apps(tmp_path: Path) -> None:
    async with running(report=None, storage=PreviewStorage(tmp_path)) as setup:
        response = await setup.client.post(ERRORS_PATH, json={"message": "x"})
        assert response.text == "from upstream"
        assert setup.upstream_paths == [ERRORS_PATH]
        script = (await setup.client.get(SCRIPT_PATH)).text
        assert STORAGE_PATH in script and ERRORS_PATH not in script


async def test_a_receiver_alone_injects_the_error_part_only() -> None:
    async with collecting() as setup:
        page = await setup.client.get("/", headers={"Accept": "text/html"})
        assert page.text.startswith(f"<!doctype html><html><head>{TAG}<title>")
        script = await setup.client.get(SCRIPT_PATH)
        assert script.headers["content-type"].startswith("text/javascript")
        assert f'"{ERRORS_PATH}"' in script.text and STORAGE_PATH not in script.text
        storage = await setup.client.get(STORAGE_PATH)
        assert storage.text == "from upstream"  # no storage here: the app's own path


async def test_neither_storage_nor_receiver_leaves_pages_alone() -> None:
    async with running(report=None) as setup:
        page = await setup.client.get("/", headers={"Accept": "text/html"})
        assert page.text == PAGE
        assert (await setup.client.get(SCRIPT_PATH)).text == "from upstream"


def test_the_script_has_storage_first_then_error_reports() -> None:
    assert preview_script(storage=True, errors=True) == PREVIEW_SCRIPT
    assert PREVIEW_SCRIPT.index(STORAGE_PATH) < PREVIEW_SCRIPT.index(ERRORS_PATH)
    for hook in ('"error"', '"unhandledrejection"', "console.error", "VITE-ERROR-OVERLAY"):
        assert hook in PREVIEW_SCRIPT
    assert preview_script(storage=False, errors=False) == ""
    assert ERRORS_PATH not in preview_script(storage=True, errors=False)
