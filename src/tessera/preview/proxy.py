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
from starlette.types import ASGIApp, Receive, Scope, Send

from tessera.preview.headers import header
from tessera.preview.hosts import PreviewHosts
from tessera.preview.http import forward_http, new_client
from tessera.preview.pages import send_unavailable
from tessera.preview.websocket import forward_websocket

Resolver = Callable[[str, int], Awaitable[str | None]]


class PreviewProxy:
    def __init__(self, app: ASGIApp, *, domain: str, resolve: Resolver) -> None:
        self.app = app
        self.domain = domain
        self._hosts = PreviewHosts(domain)
        self._resolve = resolve
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
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
        else:
            await forward_http(scope, receive, send, client=self.client(), upstream=upstream)

    def client(self) -> httpx.AsyncClient:
        """The HTTP client shared by every forwarded request (created on first use)."""
        if self._client is None:
            self._client = new_client()
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()
