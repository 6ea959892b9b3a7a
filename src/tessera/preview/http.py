"""Forwarding one HTTP request to a preview's upstream, streaming both ways."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
from starlette.types import Receive, Scope, Send

from tessera.preview.headers import end_to_end, forwarded, header
from tessera.preview.pages import send_unavailable

log = logging.getLogger(__name__)

_DROP_FROM_REQUEST = (b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host")


def new_client() -> httpx.AsyncClient:
    """The proxy's client: no read timeout (long polls, server-sent events), no proxy
    settings from the environment, no redirects followed, no decompression (raw bytes)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(10.0, read=None, write=None, pool=None),
        trust_env=False,
        follow_redirects=False,
    )


def target_path(scope: Scope) -> str:
    """The request's path and query exactly as the browser sent them."""
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else quote(scope["path"])
    query: bytes = scope.get("query_string", b"")
    return f"{path}?{query.decode('latin-1')}" if query else path


async def forward_http(
    scope: Scope, receive: Receive, send: Send, *, client: httpx.AsyncClient, upstream: str
) -> None:
    """Sends the request to ``upstream`` (``http://host:port``) and streams the answer
    back; answers 502 when the upstream cannot be reached."""
    raw_headers: list[tuple[bytes, bytes]] = list(scope["headers"])
    headers = end_to_end(raw_headers, drop=_DROP_FROM_REQUEST)
    headers += forwarded(
        scope.get("client"), scope.get("scheme", "http"), header(raw_headers, b"host")
    )
    # A bare Request: the client's default headers (Accept-Encoding, User-Agent) must not
    # be added to what the browser sent.
    request = httpx.Request(
        scope["method"],
        httpx.URL(upstream + target_path(scope)),
        headers=headers,
        content=_request_body(receive) if _has_body(raw_headers) else None,
    )
    try:
        response = await client.send(request, stream=True)
    except httpx.TransportError as exc:
        log.info("preview upstream %s unreachable: %s", upstream, exc)
        await send_unavailable(send)
        return
    try:
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
