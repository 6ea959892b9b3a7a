"""Where Tessera reaches a server running in a sandbox: upstream addresses.

``Sandbox.upstream_url(port)`` is either an HTTP origin (``http://127.0.0.1:5173``: a
server on the host's network) or a unix socket (``unix:/run/tessera/<id>/5173.sock``: a
server in a sandbox with no network, reached through the sandbox's bridge). A path may
follow either (``unix:/run/…/5173.sock/src/App.tsx``); the socket path ends at ``.sock``.

``locate`` turns such a URL into what HTTP clients need, and ``upstream_client`` is an
``httpx`` client that sends requests to the socket a ``Target`` names (one connection pool
per socket, kept for the next requests).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

UNIX_PREFIX = "unix:"
SOCKET_EXTENSION = "tessera.unix_socket"
"""``httpx`` request extension naming the unix socket to send the request to."""
SOCKET_HOST = "localhost"
"""The host name in requests sent over a unix socket (dev servers accept it)."""

_UNIX_URL = re.compile(r"unix:(?P<socket>/.*?\.sock)(?P<rest>[/?].*)?", re.DOTALL)
_MAX_POOLS = 64


def unix_upstream(socket_path: Path | str) -> str:
    """The upstream address of a server reached through ``socket_path`` (``*.sock``)."""
    path = str(socket_path)
    if not path.startswith("/") or not path.endswith(".sock"):
        raise ValueError(f"a unix upstream needs an absolute path ending in .sock: {path!r}")
    return UNIX_PREFIX + path


@dataclass(frozen=True, slots=True)
class Target:
    """A request target: an ``http://`` URL, and the unix socket to reach it through."""

    url: str
    socket: str | None = None

    @property
    def extensions(self) -> dict[str, Any]:
        return {} if self.socket is None else {SOCKET_EXTENSION: self.socket}

    @property
    def websocket_uri(self) -> str:
        """The same target as a ``ws://`` (or ``wss://``) URI."""
        return "ws" + self.url.removeprefix("http")


def locate(url: str) -> Target:
    """The target of ``url``, an upstream address with an optional path and query."""
    match = _UNIX_URL.fullmatch(url)
    if match is None:
        if url.startswith(UNIX_PREFIX):
            raise ValueError(f"not a unix upstream (its socket must end in .sock): {url!r}")
        return Target(url)
    rest = match.group("rest") or "/"
    if rest.startswith("?"):
        rest = "/" + rest
    return Target(f"http://{SOCKET_HOST}{rest}", match.group("socket"))


class UpstreamTransport(httpx.AsyncBaseTransport):
    """Sends each request over TCP, or over the unix socket its ``SOCKET_EXTENSION`` names.

    The pools of the last ``max_pools`` sockets used are kept (the least recently used one
    is closed beyond that)."""

    def __init__(self, *, max_pools: int = _MAX_POOLS) -> None:
        self._tcp = httpx.AsyncHTTPTransport()
        self._sockets: OrderedDict[str, httpx.AsyncHTTPTransport] = OrderedDict()
        self._max_pools = max_pools

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        socket = request.extensions.get(SOCKET_EXTENSION)
        transport = self._tcp if socket is None else await self._for(str(socket))
        return await transport.handle_async_request(request)

    async def _for(self, socket: str) -> httpx.AsyncHTTPTransport:
        transport = self._sockets.get(socket)
        if transport is not None:
            self._sockets.move_to_end(socket)
            return transport
        transport = httpx.AsyncHTTPTransport(uds=socket)
        self._sockets[socket] = transport
        while len(self._sockets) > self._max_pools:
            _, oldest = self._sockets.popitem(last=False)
            await oldest.aclose()
        return transport

    async def aclose(self) -> None:
        transports = [self._tcp, *self._sockets.values()]
        self._sockets.clear()
        for transport in transports:
            await transport.aclose()


def upstream_client(
    *, timeout: httpx.Timeout | float, follow_redirects: bool = False
) -> httpx.AsyncClient:
    """A client for upstreams: TCP or unix sockets (see ``locate``), no proxy settings of
    the environment."""
    return httpx.AsyncClient(
        transport=UpstreamTransport(),
        timeout=timeout,
        trust_env=False,
        follow_redirects=follow_redirects,
    )


async def get(client: httpx.AsyncClient, url: str) -> httpx.Response:
    """``GET url`` (an upstream address with a path) through ``client``, an
    ``upstream_client``."""
    target = locate(url)
    return await client.get(target.url, extensions=target.extensions)
