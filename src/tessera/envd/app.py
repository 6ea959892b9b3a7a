"""The envd daemon as one ASGI application: ``/health``, ``/files`` and the
``process.Process`` and ``filesystem.Filesystem`` Connect services.

```
GET  /health                      204 while the daemon serves
GET  /files?path=…  POST /files   files_http.py
POST /process.Process/{Method}    processes.py   (Connect: JSON or binary, unary/streams)
POST /filesystem.Filesystem/{…}   filesystem.py
```

Anything else gets a 404 (the Connect services answer unknown methods and malformed
envelopes with Connect errors themselves).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from connectrpc.code import Code
from connectrpc.codec import Codec, proto_binary_codec, proto_json_codec
from connectrpc.errors import ConnectError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from tessera.envd import files_http
from tessera.envd.filesystem import FilesystemService
from tessera.envd.identity import EnvdConfig
from tessera.envd.processes import ProcessService
from tessera.envd.proto.filesystem.filesystem_connect import FilesystemASGIApplication
from tessera.envd.proto.process.process_connect import ProcessASGIApplication

PROCESS_PREFIX = "/process.Process/"
FILESYSTEM_PREFIX = "/filesystem.Filesystem/"


class EnvdApp:
    """The daemon: routes each request to its service. ``processes`` and ``filesystem``
    are the services (``reset`` ends every process the daemon started)."""

    def __init__(self, config: EnvdConfig) -> None:
        self.config = config
        self.processes = ProcessService(config)
        self.filesystem = FilesystemService(config)
        codecs = checked_codecs()
        self._process_app = ProcessASGIApplication(self.processes, codecs=codecs)
        self._filesystem_app = FilesystemASGIApplication(self.filesystem, codecs=codecs)
        self._http = Starlette(
            routes=[Route("/health", _health, methods=["GET"]), *files_http.routes(config)],
            lifespan=self._lifespan,
        )
        self._http.add_exception_handler(404, _not_found)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path.startswith(PROCESS_PREFIX):
                await self._process_app(scope, receive, send)
                return
            if path.startswith(FILESYSTEM_PREFIX):
                await self._filesystem_app(scope, receive, send)
                return
        await self._http(scope, receive, send)

    async def reset(self) -> None:
        """Ends every process and watcher the daemon started."""
        await self.processes.reset()
        await self.filesystem.aclose()

    @contextlib.asynccontextmanager
    async def _lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self.processes.aclose()
            await self.filesystem.aclose()


class _CheckedCodec:
    """A codec whose undecodable input is the client's error (``invalid_argument``), not a
    server failure: Connect's defaults let a parse error escape as ``unknown`` and make the
    server drop the connection."""

    def __init__(self, codec: Codec[Any, Any]) -> None:
        self._codec = codec

    def name(self) -> str:
        return self._codec.name()

    def encode(self, message: Any) -> bytes:
        return self._codec.encode(message)

    def decode(self, data: bytes | bytearray, message_class: type[Any]) -> Any:
        try:
            return self._codec.decode(data, message_class)
        except ConnectError:
            raise
        except Exception as exc:
            raise ConnectError(
                Code.INVALID_ARGUMENT, f"the request could not be decoded: {exc}"
            ) from None


def checked_codecs() -> list[Codec[Any, Any]]:
    return [_CheckedCodec(codec) for codec in (proto_binary_codec(), proto_json_codec())]


def create_envd_app(config: EnvdConfig) -> EnvdApp:
    """The envd daemon for a sandbox described by ``config``."""
    return EnvdApp(config)


async def _health(_request: Request) -> Response:
    return Response(status_code=204)


async def _not_found(_request: Request, _exc: Exception) -> Response:
    return JSONResponse({"code": 404, "message": "not found"}, status_code=404)


__all__ = ["EnvdApp", "create_envd_app"]
