"""The preview proxy: ASGI middleware routing preview host names to sandboxes.

A request whose ``Host`` is ``{port}-{sandbox_id}.{domain}`` goes to the upstream that
``resolve(sandbox_id, port)`` names (HTTP and WebSocket, streamed both ways, the ``Host``
kept as the browser sent it); every other request, and the lifespan, goes to the wrapped
app. ``resolve`` decides which ports are reachable at all: an unknown sandbox or port gets
a 502 page, never another local service.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.errors import InvalidInput
from tessera.preview.headers import header
from tessera.preview.hosts import PreviewHosts
from tessera.preview.http import forward_http, new_client
from tessera.preview.inject import PREVIEW_SCRIPT, SCRIPT_PATH, STORAGE_PATH, inject_script
from tessera.preview.pages import send_unavailable
from tessera.preview.storage import PreviewStorage
from tessera.preview.websocket import forward_websocket

Resolver = Callable[[str, int], Awaitable[str | None]]


class PreviewProxy:
    def __init__(
        self,
        app: ASGIApp,
        *,
        domain: str,
        resolve: Resolver,
        storage: PreviewStorage | None = None,
    ) -> None:
        self.app = app
        self.domain = domain
        self._hosts = PreviewHosts(domain)
        self._resolve = resolve
        self._storage = storage
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, self._closing_on_shutdown(send))
            return
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = header(scope["headers"], b"host")
        target = self._hosts.match(host.decode("latin-1")) if host else None
        if target is None:
            await self.app(scope, receive, send)
            return
        upstream = await self._resolve(target.sandbox_id, target.port)
        if scope["type"] == "websocket":
            await forward_websocket(scope, receive, send, upstream=upstream)
        elif upstream is None:
            await send_unavailable(send)
        elif self._storage is not None and scope["path"] == SCRIPT_PATH:
            await _send(send, 200, PREVIEW_SCRIPT.encode(), b"text/javascript; charset=utf-8")
        elif self._storage is not None and scope["path"] == STORAGE_PATH:
            await self._serve_storage(self._storage, target.sandbox_id, scope, receive, send)
        else:
            await forward_http(
                scope,
                receive,
                send,
                client=self.client(),
                upstream=upstream,
                rewrite_html=inject_script if self._storage is not None else None,
            )

    async def _serve_storage(
        self, storage: PreviewStorage, sandbox_id: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """``GET`` the sandbox's stored ``localStorage`` as JSON, or ``PUT`` it whole."""
        if scope["method"] == "GET":
            await _send(send, 200, await storage.load(sandbox_id), b"application/json")
            return
        if scope["method"] != "PUT":
            await _send(send, 405, b"", b"text/plain")
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > 6 * 1024 * 1024 or not message.get("more_body", False):
                break
        try:
            await storage.save(sandbox_id, body)
        except InvalidInput as exc:
            await _send(send, 413, exc.message.encode(), b"text/plain; charset=utf-8")
            return
        await _send(send, 204, b"", b"text/plain")

    def _closing_on_shutdown(self, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                await self.aclose()
            await send(message)

        return wrapped

    def client(self) -> httpx.AsyncClient:
        """The HTTP client shared by every forwarded request (created on first use)."""
        if self._client is None:
            self._client = new_client()
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


async def _send(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
