"""Forwarding one HTTP request to a preview's upstream, streaming both ways."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from urllib.parse import quote

import httpx
from starlette.types import Receive, Scope, Send

from tessera.preview.headers import end_to_end, forwarded, header
from tessera.preview.pages import send_unavailable
from tessera.sandbox.upstream import locate, upstream_client

log = logging.getLogger(__name__)

_DROP_FROM_REQUEST = (b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host")


def new_client() -> httpx.AsyncClient:
    """The proxy's client: no read timeout (long polls, server-sent events), no proxy
    settings from the environment, no redirects followed, no decompression (raw bytes).
    It reaches upstreams over TCP or over a sandbox's unix socket (one connection pool per
    socket, kept for the next requests)."""
    return upstream_client(
        timeout=httpx.Timeout(10.0, read=None, write=None, pool=None), follow_redirects=False
    )


def target_path(scope: Scope) -> str:
    """The request's path and query exactly as the browser sent them."""
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else quote(scope["path"])
    query: bytes = scope.get("query_string", b"")
    return f"{path}?{query.decode('latin-1')}" if query else path


HtmlRewriter = Callable[[bytes], bytes]


async def forward_http(
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    client: httpx.AsyncClient,
    upstream: str,
    rewrite_html: HtmlRewriter | None = None,
) -> None:
    """Sends the request to ``upstream`` (``http://host:port``, or ``unix:/path.sock`` for a
    sandbox's socket) and streams the answer back; answers 502 when the upstream cannot be
    reached. Uncompressed HTML pages pass through ``rewrite_html`` when it is given (page
    navigations are asked for without compression so that they can be)."""
    raw_headers: list[tuple[bytes, bytes]] = list(scope["headers"])
    drop: tuple[bytes, ...] = _DROP_FROM_REQUEST
    if rewrite_html is not None and _asks_for_html(scope, raw_headers):
        drop = (*drop, b"accept-encoding")
    headers = end_to_end(raw_headers, drop=drop)
    headers += forwarded(
        scope.get("client"), scope.get("scheme", "http"), header(raw_headers, b"host")
    )
    # A bare Request: the client's default headers (Accept-Encoding, User-Agent) must not
    # be added to what the browser sent.
    target = locate(upstream + target_path(scope))
    request = httpx.Request(
        scope["method"],
        httpx.URL(target.url),
        headers=headers,
        content=_request_body(receive) if _has_body(raw_headers) else None,
        extensions=target.extensions,
    )
    try:
        response = await client.send(request, stream=True)
    except httpx.TransportError as exc:
        log.info("preview upstream %s unreachable: %s", upstream, exc)
        await send_unavailable(send)
        return
    try:
        if rewrite_html is not None and _is_plain_html(response):
            await _send_rewritten(response, send, rewrite_html)
            return
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": end_to_end(response.headers.raw),
            }
        )
        await _relay_body(response, receive, send)
    finally:
        await response.aclose()


def _asks_for_html(scope: Scope, headers: list[tuple[bytes, bytes]]) -> bool:
    accept = header(headers, b"accept") or b""
    method: str = scope["method"]
    return method == "GET" and b"text/html" in accept


def _is_plain_html(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "")
    encoding: str = response.headers.get("content-encoding", "identity")
    return content_type.startswith("text/html") and encoding == "identity"


async def _send_rewritten(response: httpx.Response, send: Send, rewrite: HtmlRewriter) -> None:
    body = rewrite(await response.aread())
    headers = [
        (name, value)
        for name, value in end_to_end(response.headers.raw)
        if name.lower() != b"content-length"
    ]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _has_body(headers: list[tuple[bytes, bytes]]) -> bool:
    length = header(headers, b"content-length")
    if length is not None:
        return length.strip() not in (b"", b"0")
    return header(headers, b"transfer-encoding") is not None


async def _request_body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return  # the browser went away
        body: bytes = message.get("body", b"")
        if body:
            yield body
        if not message.get("more_body", False):
            return


async def _relay_body(response: httpx.Response, receive: Receive, send: Send) -> None:
    """Streams the upstream's body as it arrives; stops when the browser disconnects."""
    relay = asyncio.create_task(_send_body(response, send))
    watcher = asyncio.create_task(_wait_for_disconnect(receive))
    try:
        await asyncio.wait({relay, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (relay, watcher):
            task.cancel()
        await asyncio.gather(relay, watcher, return_exceptions=True)


async def _send_body(response: httpx.Response, send: Send) -> None:
    try:
        async for chunk in response.aiter_raw():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except httpx.HTTPError as exc:
        log.info("preview upstream stopped mid-answer: %s", exc)
    with contextlib.suppress(OSError, RuntimeError):
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
