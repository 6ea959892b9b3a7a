"""A TCP address in front of a sandbox's envd daemon, where E2B's SDK can reach it.

``EnvdEndpoint`` listens on a host address (``localhost:49983`` for ``E2B_DEBUG=true``) and
relays every connection, byte for byte and both ways, to the daemon's upstream (the unix
socket Tessera reaches the sandbox's ``127.0.0.1:49983`` through). Streams stay streams:
nothing is buffered beyond a read.

One request is Tessera's own: ``POST /tessera/reset`` as the first request of a connection
(``curl -X POST http://localhost:49983/tessera/reset``) calls ``on_reset`` — a fresh
sandbox: every process ended, the files back to the template's — and answers with the
new sandbox's id; connections to the old sandbox end with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

from tessera.errors import TesseraError
from tessera.sandbox.upstream import UNIX_PREFIX

log = logging.getLogger(__name__)

RESET_PATH = "/tessera/reset"
MAX_HEAD_BYTES = 64 * 1024
CHUNK_BYTES = 64 * 1024

UpstreamGetter = Callable[[], str]
"""The daemon's current upstream (``unix:/….sock`` or ``http://127.0.0.1:PORT``)."""
Resetter = Callable[[], Awaitable[str]]
"""Replaces the sandbox; returns the new sandbox's id."""


class EnvdEndpoint:
    def __init__(self, upstream: UpstreamGetter, *, on_reset: Resetter | None = None) -> None:
        self._upstream = upstream
        self._on_reset = on_reset
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._reset_lock = asyncio.Lock()

    async def start(self, host: str, port: int) -> int:
        """Listens on ``host``:``port`` (0: any free port); returns the port."""
        self._server = await asyncio.start_server(self._accept, host, port)
        bound: int = self._server.sockets[0].getsockname()[1]
        return bound

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.create_task(self._serve(reader, writer))
        self._connections.add(task)
        task.add_done_callback(self._connections.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await _read_head(reader)
            if head is None:
                return
            if self._on_reset is not None and _is_reset(head):
                await self._reset(writer)
                return
            await self._relay(head, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            log.debug("envd connection ended: %s", exc)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _reset(self, writer: asyncio.StreamWriter) -> None:
        assert self._on_reset is not None
        async with self._reset_lock:
            body: dict[str, object]
            try:
                sandbox_id = await self._on_reset()
                status, body = "200 OK", {"sandbox_id": sandbox_id}
            except TesseraError as exc:
                status, body = "500 Internal Server Error", {"code": 500, "message": exc.message}
        payload = json.dumps(body).encode()
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
            + payload
        )
        await writer.drain()

    async def _relay(
        self, head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            up_reader, up_writer = await _open(self._upstream())
        except (OSError, TesseraError):
            writer.write(_UNAVAILABLE)
            await writer.drain()
            return
        up_writer.write(head)
        try:
            await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer))
        finally:
            up_writer.close()


async def _open(upstream: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    if upstream.startswith(UNIX_PREFIX):
        return await asyncio.open_unix_connection(upstream.removeprefix(UNIX_PREFIX))
    host, _, port = upstream.removeprefix("http://").rstrip("/").rpartition(":")
    return await asyncio.open_connection(host, int(port))


async def _pump(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
    """Copies until ``source`` ends, then half-closes ``target`` (the other way goes on)."""
    try:
        while chunk := await source.read(CHUNK_BYTES):
            target.write(chunk)
            await target.drain()
        if target.can_write_eof():
            target.write_eof()
    except (ConnectionError, OSError):
        target.close()


async def _read_head(reader: asyncio.StreamReader) -> bytes | None:
    """The first request's line and headers (None for a connection closed at once)."""
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        return exc.partial or None
    except asyncio.LimitOverrunError:
        return await reader.read(MAX_HEAD_BYTES)


def _is_reset(head: bytes) -> bool:
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    method, _, rest = line.partition(" ")
    path = rest.partition(" ")[0].partition("?")[0]
    return method == "POST" and path == RESET_PATH


_UNAVAILABLE_BODY = b'{"code": 502, "message": "the sandbox is not running"}'
_UNAVAILABLE = (
    b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\n"
    + f"Content-Length: {len(_UNAVAILABLE_BODY)}\r\nConnection: close\r\n\r\n".encode()
    + _UNAVAILABLE_BODY
)
