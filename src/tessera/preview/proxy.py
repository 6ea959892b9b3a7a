"""The preview proxy: ASGI middleware routing preview host names to sandboxes.

A request whose ``Host`` is ``{port}-{sandbox_id}.{domain}`` goes to the upstream that
``resolve(sandbox_id, port)`` names (HTTP and WebSocket, streamed both ways, the ``Host``
kept as the browser sent it); every other request, and the lifespan, goes to the wrapped
app. ``resolve`` decides which ports are reachable at all: an unknown sandbox or port gets
a 502 page, never another local service — except a page of a sandbox that was replaced
(the project's app turned out to need another template): ``moved`` names the preview that
replaced it, and a browser loading a page there is redirected to it.

With ``storage`` or ``report``, HTML pages get the preview script (``inject.py``), served
at ``/__tessera/preview.js`` on every preview host; ``storage`` keeps the pages'
``localStorage`` (``/__tessera/storage``) and ``report`` receives what goes wrong in them
(``POST /__tessera/errors``: a JSON report or a list of them, each passed to
``report(sandbox_id, report)``).
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Mapping

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.errors import InvalidInput
from tessera.preview.headers import header
from tessera.preview.hosts import PreviewHosts
from tessera.preview.http import forward_http, new_client
from tessera.preview.inject import (
    ERRORS_PATH,
    SCRIPT_PATH,
    STORAGE_PATH,
    inject_script,
    preview_script,
)
from tessera.preview.pages import send_unavailable
from tessera.preview.storage import PreviewStorage
from tessera.preview.websocket import forward_websocket

log = logging.getLogger(__name__)

Resolver = Callable[[str, int], Awaitable[str | None]]
Successor = Callable[[str], str | None]
"""The preview URL of the sandbox that replaced a sandbox (by id), or None."""
ErrorReporter = Callable[[str, Mapping[str, object]], Awaitable[None] | None]
"""Receives (sandbox id, one report of the page's script)."""

MAX_REPORT_BODY = 64 * 1024
"""Bytes of one ``POST /__tessera/errors`` (what a ``keepalive`` request may carry)."""
MAX_REPORTS_PER_POST = 50


class PreviewProxy:
    def __init__(
        self,
        app: ASGIApp,
        *,
        domain: str,
        resolve: Resolver,
        moved: Successor | None = None,
        storage: PreviewStorage | None = None,
        report: ErrorReporter | None = None,
    ) -> None:
        self.app = app
        self.domain = domain
        self._hosts = PreviewHosts(domain)
        self._resolve = resolve
        self._moved = moved
        self._storage = storage
        self._report = report
        self._client: httpx.AsyncClient | None = None
        self._injects = storage is not None or report is not None
        self._script = preview_script(storage=storage is not None, errors=report is not None)

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
            successor = self._successor(target.sandbox_id, scope)
            if successor is None:
                await send_unavailable(send)
            else:
                await _redirect(send, successor)
        elif self._injects and scope["path"] == SCRIPT_PATH:
            await _send(send, 200, self._script.encode(), b"text/javascript; charset=utf-8")
        elif self._storage is not None and scope["path"] == STORAGE_PATH:
            await self._serve_storage(self._storage, target.sandbox_id, scope, receive, send)
        elif self._report is not None and scope["path"] == ERRORS_PATH:
            await self._receive_errors(self._report, target.sandbox_id, scope, receive, send)
        else:
            await forward_http(
                scope,
                receive,
                send,
                client=self.client(),
                upstream=upstream,
                rewrite_html=inject_script if self._injects else None,
            )

    def _successor(self, sandbox_id: str, scope: Scope) -> str | None:
        """Where a page load of a replaced sandbox goes instead: the same path and query
        on the preview that replaced it (page loads only: GET and HEAD)."""
        if self._moved is None or scope["method"] not in ("GET", "HEAD"):
            return None
        preview = self._moved(sandbox_id)
        if preview is None:
            return None
        path: str = scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        return preview.rstrip("/") + path + (f"?{query}" if query else "")

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

    async def _receive_errors(
        self, report: ErrorReporter, sandbox_id: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """``POST`` reports of the page's script: one JSON object or a list of them; each is
        handed to ``report``. A body that is too big or not JSON is refused; a fault of the
        receiver is logged, never the page's problem."""
        if scope["method"] != "POST":
            await _send(send, 405, b"", b"text/plain")
            return
        body = await _read_body(receive, MAX_REPORT_BODY)
        if body is None:
            await _send(send, 413, b"Reports are limited to 64 KiB.", b"text/plain")
            return
        try:
            parsed = json.loads(body)
        except (ValueError, RecursionError):
            await _send(send, 400, b"Reports are JSON.", b"text/plain")
            return
        reports = parsed if isinstance(parsed, list) else [parsed]
        if not all(isinstance(item, dict) for item in reports):
            await _send(send, 400, b"A report is a JSON object.", b"text/plain")
            return
        for item in reports[:MAX_REPORTS_PER_POST]:
            try:
                outcome = report(sandbox_id, item)
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:
                log.exception("a preview error report of %s could not be taken", sandbox_id)
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


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None when it is longer than ``limit`` bytes."""
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return body
        chunk: bytes = message.get("body", b"")
        body += chunk
        if len(body) > limit:
            return None
        if not message.get("more_body", False):
            return body


async def _redirect(send: Send, location: str) -> None:
    headers = [(b"location", location.encode()), (b"cache-control", b"no-store")]
    headers.append((b"content-length", b"0"))
    await send({"type": "http.response.start", "status": 307, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


async def _send(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
