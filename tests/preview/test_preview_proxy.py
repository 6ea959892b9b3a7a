"""The preview proxy under uvicorn, in front of real upstream servers (and real Vite)."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from preview_test_support import free_port, serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tessera.preview.proxy import PreviewProxy
from tessera.sandbox.local import LocalSandboxProvider
from tessera.sandbox.manager import SandboxManager
from tessera.sandbox.templates import TemplateCache, get_template

SANDBOX = "abc123def456"
REPLACED = "0ld5andb0x00"
COMPRESSED_TEXT = b"hello compressed world " * 64


@dataclass
class Upstream:
    """Shared state between a test and its upstream app (same event loop)."""

    release: asyncio.Event = field(default_factory=asyncio.Event)
    stream_ended: asyncio.Event = field(default_factory=asyncio.Event)
    socket_closed_by_browser: asyncio.Event = field(default_factory=asyncio.Event)


def upstream_app(state: Upstream) -> Starlette:
    async def echo(request: Request) -> Response:
        body = await request.body()
        return JSONResponse(
            {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "body": body.decode(),
                "headers": [[k.decode(), v.decode()] for k, v in request.headers.raw],
            }
        )

    async def status(request: Request) -> Response:
        return PlainTextResponse("status page", status_code=int(request.path_params["code"]))

    async def redirect(request: Request) -> Response:
        return RedirectResponse("/echo", status_code=302)

    async def stream(request: Request) -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            try:
                yield b"first\n"
                await state.release.wait()
                yield b"second\n"
            finally:
                state.stream_ended.set()

        return StreamingResponse(chunks(), media_type="text/plain")

    async def compressed(request: Request) -> Response:
        return Response(
            gzip.compress(COMPRESSED_TEXT),
            headers={"content-encoding": "gzip", "content-type": "text/plain"},
        )

    async def echo_socket(websocket: WebSocket) -> None:
        asked = websocket.scope.get("subprotocols", [])
        await websocket.accept(subprotocol="vite-hmr" if "vite-hmr" in asked else None)
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                state.socket_closed_by_browser.set()
                return
            text, data = message.get("text"), message.get("bytes")
            if text == "bye":
                await websocket.close(code=4000, reason="bye now")
                return
            if text == "headers":
                headers = {k.decode(): v.decode() for k, v in websocket.headers.raw}
                await websocket.send_text(json.dumps(headers))
            elif text is not None:
                await websocket.send_text(f"echo:{text}")
            elif data is not None:
                await websocket.send_bytes(b"echo:" + data)

    return Starlette(
        routes=[
            Route("/echo", echo, methods=["GET", "POST", "PUT", "DELETE"]),
            Route("/status/{code:int}", status),
            Route("/redirect", redirect),
            Route("/stream", stream),
            Route("/compressed", compressed),
            WebSocketRoute("/ws", echo_socket),
        ]
    )


def inner_app() -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.started = True
        yield

    async def home(request: Request) -> Response:
        started = getattr(request.app.state, "started", False)
        return PlainTextResponse(f"inner app (lifespan ran: {started})")

    return Starlette(routes=[Route("/{path:path}", home)], lifespan=lifespan)


@dataclass
class Setup:
    proxy_port: int
    upstream_port: int
    refused_port: int
    state: Upstream
    client: httpx.AsyncClient

    @property
    def domain(self) -> str:
        return f"localhost:{self.proxy_port}"

    def host(self, port: int | None = None, sandbox: str = SANDBOX) -> str:
        return f"{port or self.upstream_port}-{sandbox}.{self.domain}"

    async def websocket(self, host: str, path: str = "/ws", **kwargs: object) -> ClientConnection:
        return await connect(
            f"ws://{host}{path}",
            host="127.0.0.1",
            port=self.proxy_port,
            proxy=None,
            open_timeout=10,
            **kwargs,  # type: ignore[arg-type]
        )


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    state = Upstream()
    upstream_port, proxy_port, refused_port = free_port(), free_port(), free_port()

    async def resolve(sandbox_id: str, port: int) -> str | None:
        if sandbox_id == SANDBOX and port in (upstream_port, refused_port):
            return f"http://127.0.0.1:{port}"
        return None

    def moved(sandbox_id: str) -> str | None:
        if sandbox_id == REPLACED:
            return f"http://{upstream_port}-{SANDBOX}.localhost:{proxy_port}/"
        return None

    proxy = PreviewProxy(
        inner_app(), domain=f"localhost:{proxy_port}", resolve=resolve, moved=moved
    )
    async with (
        serve(upstream_app(state), upstream_port),
        serve(proxy, proxy_port),
        httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{proxy_port}", trust_env=False, timeout=10
        ) as client,
    ):
        yield Setup(proxy_port, upstream_port, refused_port, state, client)
        await proxy.aclose()


# --- HTTP ----------------------------------------------------------------------------------
async def test_request_is_forwarded_with_its_host(setup: Setup) -> None:
    host = setup.host()
    response = await setup.client.post(
        "/echo?a=1&b=two%20words",
        content=b"payload",
        headers={
            "Host": host,
            "X-Custom": "kept",
            "Connection": "keep-alive, x-drop-me",
            "X-Drop-Me": "hop-by-hop",
            "Accept-Encoding": "identity",
            "User-Agent": "test-browser/1.0",
        },
    )
    assert response.status_code == 200
    seen = response.json()
    headers = dict(seen["headers"])
    assert (seen["method"], seen["path"], seen["body"]) == ("POST", "/echo", "payload")
    assert seen["query"] == "a=1&b=two%20words"
    assert headers["host"] == host
    assert headers["x-custom"] == "kept"
    assert headers["accept-encoding"] == "identity"
    assert headers["x-forwarded-host"] == host
    assert headers["x-forwarded-proto"] == "http"
    assert "x-drop-me" not in headers
    assert headers["user-agent"] == "test-browser/1.0"  # the browser's own, not the proxy's


async def test_large_request_body_is_streamed(setup: Setup) -> None:
    async def body() -> AsyncIterator[bytes]:
        for _ in range(64):
            yield b"x" * 16384

    response = await setup.client.put("/echo", content=body(), headers={"Host": setup.host()})
    assert len(response.json()["body"]) == 64 * 16384


async def test_status_codes_and_redirects_pass_through(setup: Setup) -> None:
    host = {"Host": setup.host()}
    assert (await setup.client.get("/status/404", headers=host)).status_code == 404
    unavailable = await setup.client.get("/status/503", headers=host)
    assert unavailable.status_code == 503 and unavailable.text == "status page"
    moved = await setup.client.get("/redirect", headers=host)
    assert moved.status_code == 302 and moved.headers["location"] == "/echo"
    assert (await setup.client.delete("/echo", headers=host)).json()["method"] == "DELETE"


async def test_host_matching_ignores_case_and_a_missing_port(setup: Setup) -> None:
    for host in (setup.host().upper(), f"{setup.upstream_port}-{SANDBOX}.localhost"):
        response = await setup.client.get("/echo", headers={"Host": host})
        assert response.status_code == 200, host
        assert response.json()["path"] == "/echo"


async def test_other_hosts_reach_the_inner_app(setup: Setup) -> None:
    for host in (
        f"127.0.0.1:{setup.proxy_port}",
        setup.domain,
        f"{setup.upstream_port}-{SANDBOX}.example.com",
        f"{setup.upstream_port}-{SANDBOX}.localhost:1",
        f"x{setup.upstream_port}-{SANDBOX}.{setup.domain}",
        f"99999-{SANDBOX}.{setup.domain}",
    ):
        response = await setup.client.get("/echo", headers={"Host": host})
        assert response.text == "inner app (lifespan ran: True)", host


async def test_unknown_sandbox_or_port_gets_the_unavailable_page(setup: Setup) -> None:
    for host in (setup.host(sandbox="zzzzzzzzzzzz"), setup.host(port=setup.upstream_port + 1)):
        response = await setup.client.get("/echo", headers={"Host": host})
        assert response.status_code == 502, host
        assert "This preview is not running" in response.text
        assert '<meta http-equiv="refresh" content="2">' in response.text
        assert response.headers["content-type"].startswith("text/html")


async def test_a_page_of_a_replaced_sandbox_is_redirected_to_its_successor(
    setup: Setup,
) -> None:
    old = setup.host(sandbox=REPLACED)
    response = await setup.client.get("/list?page=2", headers={"Host": old})
    assert response.status_code == 307
    assert response.headers["location"] == f"http://{setup.host()}/list?page=2"
    followed = await setup.client.get(
        "/echo", headers={"Host": f"{setup.upstream_port}-{SANDBOX}.{setup.domain}"}
    )
    assert followed.json()["path"] == "/echo"
    # Only page loads move: a form post to the old sandbox is not replayed elsewhere.
    posted = await setup.client.post("/echo", content=b"x", headers={"Host": old})
    assert posted.status_code == 502


async def test_refused_upstream_gets_the_unavailable_page(setup: Setup) -> None:
    response = await setup.client.get("/", headers={"Host": setup.host(setup.refused_port)})
    assert response.status_code == 502
    assert "tries again every 2 seconds" in response.text


async def test_streamed_response_arrives_incrementally(setup: Setup) -> None:
    async with setup.client.stream("GET", "/stream", headers={"Host": setup.host()}) as response:
        lines = response.aiter_lines()
        assert await asyncio.wait_for(anext(lines), 5) == "first"
        # The upstream sends the rest only now: the first line came through on its own.
        setup.state.release.set()
        assert await asyncio.wait_for(anext(lines), 5) == "second"


async def test_a_browser_going_away_ends_the_upstream_stream(setup: Setup) -> None:
    async with setup.client.stream("GET", "/stream", headers={"Host": setup.host()}) as response:
        lines = response.aiter_lines()
        assert await asyncio.wait_for(anext(lines), 5) == "first"
    await asyncio.wait_for(setup.state.stream_ended.wait(), 5)


async def test_compressed_bodies_are_forwarded_raw(setup: Setup) -> None:
    raw = gzip.compress(COMPRESSED_TEXT)
    async with setup.client.stream(
        "GET", "/compressed", headers={"Host": setup.host(), "Accept-Encoding": "gzip"}
    ) as response:
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    assert response.headers["content-encoding"] == "gzip"
    assert int(response.headers["content-length"]) == len(raw)
    assert gzip.decompress(body) == COMPRESSED_TEXT


# --- WebSocket -----------------------------------------------------------------------------
async def test_websocket_echo_with_subprotocol(setup: Setup) -> None:
    socket = await setup.websocket(setup.host(), subprotocols=["vite-hmr"])
    async with socket:
        assert socket.subprotocol == "vite-hmr"
        await socket.send("hello")
        assert await asyncio.wait_for(socket.recv(), 5) == "echo:hello"
        await socket.send(b"\x00\x01binary")
        assert await asyncio.wait_for(socket.recv(), 5) == b"echo:\x00\x01binary"
        await socket.send("headers")
        headers = json.loads(await asyncio.wait_for(socket.recv(), 5))
        assert headers["x-forwarded-host"] == setup.host()
        assert headers["sec-websocket-protocol"] == "vite-hmr"
    await asyncio.wait_for(setup.state.socket_closed_by_browser.wait(), 5)


async def test_websocket_without_subprotocol(setup: Setup) -> None:
    async with await setup.websocket(setup.host(), origin="http://example.test") as socket:
        assert socket.subprotocol is None
        await socket.send("headers")
        headers = json.loads(await asyncio.wait_for(socket.recv(), 5))
        assert headers["origin"] == "http://example.test"


async def test_upstream_close_reaches_the_browser(setup: Setup) -> None:
    async with await setup.websocket(setup.host()) as socket:
        await socket.send("bye")
        with pytest.raises(ConnectionClosed) as caught:
            await asyncio.wait_for(socket.recv(), 5)
    assert caught.value.rcvd is not None
    assert (caught.value.rcvd.code, caught.value.rcvd.reason) == (4000, "bye now")


@pytest.mark.parametrize(("which", "code"), [("unknown", 1013), ("refused", 1011)])
async def test_websocket_to_an_unavailable_preview_is_closed(
    setup: Setup, which: str, code: int
) -> None:
    host = (
        setup.host(sandbox="zzzzzzzzzzzz") if which == "unknown" else setup.host(setup.refused_port)
    )
    async with await setup.websocket(host, subprotocols=["vite-hmr"]) as socket:
        with pytest.raises(ConnectionClosed) as caught:
            await asyncio.wait_for(socket.recv(), 5)
    assert caught.value.rcvd is not None and caught.value.rcvd.code == code


# --- Vite hot reload through the proxy -------------------------------------------------------
@pytest.mark.slow
async def test_vite_hot_reload_through_the_proxy(
    tmp_path: Path, template_cache: TemplateCache
) -> None:
    provider = LocalSandboxProvider(
        tmp_path / "sandboxes", template_cache, preview_domain="unused.test"
    )
    manager = SandboxManager(provider, dev_server_timeout=30)
    starter = get_template("react")
    files = {path: (starter.files_dir / path).read_text() for path in starter.starter_files()}
    proxy_port = free_port()
    proxy = PreviewProxy(inner_app(), domain=f"localhost:{proxy_port}", resolve=manager.upstream)
    try:
        deployment = await manager.deploy("p1", files)
        vite_port = int(deployment.preview_url.removeprefix("http://").split("-", 1)[0])
        host = f"{vite_port}-{deployment.sandbox_id}.localhost:{proxy_port}"
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
            vite_client = (await client.get("/@vite/client")).text
            token = re.search(r"const wsToken = \"([^\"]+)\"", vite_client)
            assert token, "no HMR token in /@vite/client"
            for module in ("/src/main.tsx", "/src/App.tsx"):  # into Vite's module graph
                assert (await client.get(module)).status_code == 200
            async with await connect(
                f"ws://{host}/?token={token[1]}",
                host="127.0.0.1",
                port=proxy_port,
                subprotocols=["vite-hmr"],  # type: ignore[list-item]
                proxy=None,
            ) as socket:
                assert socket.subprotocol == "vite-hmr"
                hello = json.loads(await asyncio.wait_for(socket.recv(), 10))
                assert hello["type"] == "connected"
                files["src/App.tsx"] = files["src/App.tsx"].replace(
                    "Your app will appear here", "Hot reloaded through the proxy"
                )
                edited = time.monotonic()
                assert (await manager.deploy("p1", files)).files == ["src/App.tsx"]
                message = await _next_update(socket)
                assert time.monotonic() - edited < 10
            if message["type"] == "update":
                paths = [update["path"] for update in message["updates"]]
                assert "/src/App.tsx" in paths
            served = await client.get("/src/App.tsx")
            assert "Hot reloaded through the proxy" in served.text
    finally:
        await proxy.aclose()
        await manager.aclose()
        await provider.aclose()


async def _next_update(socket: ClientConnection) -> dict[str, object]:
    async def receive() -> dict[str, object]:
        while True:
            message = json.loads(await socket.recv())
            if message["type"] in ("update", "full-reload"):
                return dict(message)

    return await asyncio.wait_for(receive(), 10)
