"""Helpers for the tests of envd's file side: a sandbox-like configuration on a temporary
folder, Connect request contexts for calling the service directly, and the daemon served
over real HTTP for the SDK to drive."""

from __future__ import annotations

import asyncio
import base64
import os
import pwd
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from connectrpc.method import IdempotencyLevel, MethodInfo
from connectrpc.request import Headers, RequestContext

from tessera.envd.app import create_envd_app
from tessera.envd.filesystem import FilesystemService
from tessera.envd.identity import EnvdConfig, EnvdUser
from tessera.envd.proto.filesystem.filesystem_pb import StatRequest, StatResponse

SANDBOX_ACCOUNT = "tessera-sandbox"
"""A real non-root account of this machine, standing in for the sandbox's ``user``."""

T = TypeVar("T")


def sandbox_config(root: Path) -> EnvdConfig:
    """A sandbox whose ``user`` is this machine's unprivileged account (home
    ``root/home/user``) and whose ``root`` is uid 0 (home ``root/root``)."""
    account = pwd.getpwnam(SANDBOX_ACCOUNT)
    user_home = root / "home" / "user"
    root_home = root / "root"
    for home, uid, gid in ((user_home, account.pw_uid, account.pw_gid), (root_home, 0, 0)):
        home.mkdir(parents=True, exist_ok=True)
        os.chown(home, uid, gid)
    return EnvdConfig(
        users={
            "user": EnvdUser("user", account.pw_uid, account.pw_gid, str(user_home)),
            "root": EnvdUser("root", 0, 0, str(root_home)),
        },
        default_user="user",
    )


def basic_auth(user: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:".encode()).decode()}


def context(
    headers: dict[str, str] | None = None, *, timeout_ms: int | None = None
) -> RequestContext[Any, Any]:
    """The context of a Connect request with ``headers`` (for calling a service directly)."""
    method = MethodInfo(
        name="Stat",
        service_name="filesystem.Filesystem",
        input=StatRequest,
        output=StatResponse,
        idempotency_level=IdempotencyLevel.UNKNOWN,
    )
    return RequestContext(
        method=method,
        http_method="POST",
        request_headers=Headers(headers or {}),
        timeout_ms=timeout_ms,
    )


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Polls ``condition`` until it holds; fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


class EnvdServer:
    """The envd daemon served by uvicorn on 127.0.0.1 in a thread of its own. Watch
    streams send keepalives every ``keepalive_cap`` seconds, so a test sees the server
    let go of a stopped watch soon."""

    def __init__(self, config: EnvdConfig, *, keepalive_cap: float = 0.2) -> None:
        self.config = config
        self.app = create_envd_app(config)
        self.service: FilesystemService = self.app.filesystem
        self.service.keepalive_cap = keepalive_cap
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                lifespan="on",
                log_level="warning",
                timeout_graceful_shutdown=1,
            )
        )
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.loop.run_until_complete(self._server.serve(sockets=[self._socket]))

    def start(self) -> None:
        self._thread.start()
        wait_until(lambda: self._server.started)

    def call(self, make: Callable[[], Awaitable[T]]) -> T:
        """Runs a coroutine on the server's event loop and returns its result."""

        async def run() -> T:
            return await make()

        future: Future[T] = asyncio.run_coroutine_threadsafe(run(), self.loop)
        return future.result(timeout=10)

    def stop(self) -> None:
        self.call(self.service.aclose)
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self.loop.close()


@contextmanager
def serve(config: EnvdConfig, *, keepalive_cap: float = 0.2) -> Iterator[EnvdServer]:
    server = EnvdServer(config, keepalive_cap=keepalive_cap)
    server.start()
    try:
        yield server
    finally:
        server.stop()
