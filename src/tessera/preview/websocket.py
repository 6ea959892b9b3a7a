"""Forwarding a WebSocket (Vite's HMR channel among others) to a preview's upstream."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any, cast

from starlette.types import Receive, Scope, Send
from websockets.asyncio.client import ClientConnection, connect, unix_connect
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.typing import Subprotocol

from tessera.preview.headers import end_to_end, forwarded, header
from tessera.preview.http import target_path
from tessera.sandbox.upstream import locate

log = logging.getLogger(__name__)

OPEN_TIMEOUT_SECONDS = 10.0

CLOSE_UNAVAILABLE = 1013
"""Close code when the preview is not running (try again later)."""
CLOSE_UPSTREAM_FAILED = 1011
"""Close code when the upstream refused or broke the connection."""

# The upstream handshake is built by the client library; the public host travels as
# X-Forwarded-Host.
_DROP_FROM_REQUEST = (
    b"host",
    b"sec-websocket-key",
    b"sec-websocket-version",
    b"sec-websocket-extensions",
    b"sec-websocket-protocol",
    b"x-forwarded-for",
    b"x-forwarded-proto",
    b"x-forwarded-host",
)


async def forward_websocket(
    scope: Scope, receive: Receive, send: Send, *, upstream: str | None
) -> None:
    """Connects to ``upstream`` with the subprotocols the browser asked for, accepts the
    browser with the one the upstream chose, then relays messages both ways until either
    side closes. Without an upstream the browser's socket is closed with 1013 (or 1011
    when the upstream refused)."""
    if (await receive())["type"] != "websocket.connect":
        return
    requested: list[str] = list(scope.get("subprotocols") or [])
    if upstream is None:
        await _refuse(send, requested, CLOSE_UNAVAILABLE, "This preview is not running")
        return
    raw_headers: list[tuple[bytes, bytes]] = list(scope["headers"])
    headers = end_to_end(raw_headers, drop=_DROP_FROM_REQUEST)
    headers += forwarded(scope.get("client"), _http_scheme(scope), header(raw_headers, b"host"))
    target = locate(upstream + target_path(scope))
    uri = target.websocket_uri
    options: dict[str, Any] = {
        "subprotocols": cast(Sequence[Subprotocol], requested) or None,
        "additional_headers": [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers],
        "user_agent_header": None,
        "compression": None,
        "max_size": None,
        "open_timeout": OPEN_TIMEOUT_SECONDS,
    }
    try:
        if target.socket is not None:
            upstream_socket = await unix_connect(target.socket, uri, **options)
        else:
            upstream_socket = await connect(uri, proxy=None, **options)
    except (OSError, TimeoutError, WebSocketException) as exc:
        log.info("preview websocket upstream %s refused: %s", uri, exc)
        await _refuse(send, requested, CLOSE_UPSTREAM_FAILED, "The preview refused the connection")
        return
    async with upstream_socket:
        await send({"type": "websocket.accept", "subprotocol": upstream_socket.subprotocol})
        await _relay(upstream_socket, receive, send)


async def _refuse(send: Send, requested: list[str], code: int, reason: str) -> None:
    # Accepted first (with the protocol asked for, which browsers insist on), so that the
    # close code reaches the page.
    subprotocol = requested[0] if requested else None
    await send({"type": "websocket.accept", "subprotocol": subprotocol})
    await send({"type": "websocket.close", "code": code, "reason": reason})


async def _relay(upstream: ClientConnection, receive: Receive, send: Send) -> None:
    from_browser = asyncio.create_task(_browser_to_upstream(upstream, receive))
    from_upstream = asyncio.create_task(_upstream_to_browser(upstream, send))
    try:
        done, _ = await asyncio.wait(
            {from_browser, from_upstream}, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        for task in (from_browser, from_upstream):
            task.cancel()
        await asyncio.gather(from_browser, from_upstream, return_exceptions=True)
    if from_browser in done:
        code = 1000
        if not from_browser.cancelled() and from_browser.exception() is None:
            code = from_browser.result()
        await upstream.close(code=_sendable(code))
    else:
        code = _sendable(upstream.close_code)
        with contextlib.suppress(OSError, RuntimeError):
            await send(
                {"type": "websocket.close", "code": code, "reason": upstream.close_reason or ""}
            )


async def _browser_to_upstream(upstream: ClientConnection, receive: Receive) -> int:
    """Relays the browser's messages; returns the browser's close code."""
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return int(message.get("code", 1000))
        if message["type"] != "websocket.receive":
            continue
        data = message.get("bytes")
        if data is None:
            data = message.get("text")
        if data is not None:
            try:
                await upstream.send(data)
            except ConnectionClosed:
                return 1000


async def _upstream_to_browser(upstream: ClientConnection, send: Send) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for data in upstream:
            if isinstance(data, bytes):
                await send({"type": "websocket.send", "bytes": data})
            else:
                await send({"type": "websocket.send", "text": data})


def _sendable(code: int | None) -> int:
    """A close code that may travel in a close frame (1005, 1006, 1015 may not)."""
    if code is None or code in (1005, 1006, 1015) or not 1000 <= code < 5000:
        return 1000 if code in (None, 1005) else CLOSE_UPSTREAM_FAILED
    return code


def _http_scheme(scope: Scope) -> str:
    return "https" if scope.get("scheme") == "wss" else "http"
