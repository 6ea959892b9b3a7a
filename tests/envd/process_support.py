"""Helpers of the envd process tests: sandbox-like configurations, a real envd server
(uvicorn on a free port, in a thread with its own event loop so that both the async and
the sync SDK can drive it), request contexts for calling the service directly, and
process checks."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
import uvloop
from connectrpc.method import IdempotencyLevel, MethodInfo
from connectrpc.request import Headers, RequestContext
from starlette.types import ASGIApp, Receive, Scope, Send

from tessera.envd.identity import EnvdConfig, EnvdUser
from tessera.envd.processes import ProcessService
from tessera.envd.proto.process.process_connect import ProcessASGIApplication
from tessera.envd.proto.process.process_pb import StartRequest, StartResponse

T = TypeVar("T")

SANDBOX_ACCOUNT = "tessera-sandbox"


def sandbox_account() -> pwd.struct_passwd | None:
    """The machine's unprivileged sandbox account, when the tests can switch to it."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SANDBOX_ACCOUNT)
    except KeyError:
        return None


@contextlib.contextmanager
def sandbox_homes() -> Iterator[EnvdConfig]:
    """A config like a sandbox's: ``user`` (the machine's sandbox account when there is
    one, else the current user) and ``root``, each with a home of their own under a
    world-traversable temporary folder."""
    base = Path(tempfile.mkdtemp(prefix="envd-procs-"))
    try:
        base.chmod(0o755)
        user_home, root_home = base / "home" / "user", base / "root"
        user_home.mkdir(parents=True)
        root_home.mkdir()
        base.joinpath("home").chmod(0o755)
        account = sandbox_account()
        if account is not None:
            os.chown(user_home, account.pw_uid, account.pw_gid)
            user = EnvdUser("user", account.pw_uid, account.pw_gid, str(user_home))
        else:
            user = EnvdUser("user", os.getuid(), os.getgid(), str(user_home))
        root = EnvdUser("root", 0, 0, str(root_home))
        yield EnvdConfig(users={"user": user, "root": root}, envs={"SANDBOX_WIDE": "yes"})
    finally:
        shutil.rmtree(base, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _ProcessOnlyApp:
    """``/health`` and the process service: the daemon's process side on its own."""

    def __init__(self, service: ProcessService) -> None:
        self.processes = service
        self._process_app = ProcessASGIApplication(service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.processes.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["path"] == "/health":
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await self._process_app(scope, receive, send)


def envd_app(config: EnvdConfig) -> tuple[ASGIApp, ProcessService]:
    """The daemon's app (the full one when it can be built) and its process service."""
    try:
        from tessera.envd.app import create_envd_app
    except ImportError:
        app = _ProcessOnlyApp(ProcessService(config))
        return app, app.processes
    full = create_envd_app(config)
    return full, full.processes


@dataclass
class EnvdServer:
    url: str
    config: EnvdConfig
    service: ProcessService
    loop: asyncio.AbstractEventLoop

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Runs ``coroutine`` on the server's event loop (where the service lives)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def reset(self) -> None:
        self.call(self.service.reset())


@contextlib.contextmanager
def serve_envd(config: EnvdConfig) -> Iterator[EnvdServer]:
    """envd under uvicorn (on uvloop, as the daemon runs) in a thread of its own."""
    app, service = envd_app(config)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=1,
        )
    )
    loops: list[asyncio.AbstractEventLoop] = []

    async def main() -> None:
        loops.append(asyncio.get_running_loop())
        await server.serve()

    def run() -> None:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(main())

    thread = threading.Thread(target=run, name="envd-test-server", daemon=True)
    thread.start()
    wait_until(lambda: server.started or not thread.is_alive(), timeout=10)
    if not server.started:
        raise AssertionError("the envd test server did not start")
    try:
        yield EnvdServer(f"http://127.0.0.1:{port}", config, service, loops[0])
    finally:
        server.should_exit = True
        thread.join(10)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0, step: float = 0.01) -> bool:
    """Polls ``condition`` until it holds (True) or ``timeout`` seconds passed (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


async def async_wait_until(
    condition: Callable[[], bool], within: float = 5.0, step: float = 0.01
) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(step)
    return condition()


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` exists at all (a zombie counts: it still answers ``kill -0``)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def dead(pid: int) -> bool:
    """Whether ``pid`` is gone or a zombie: for orphans (a command's background children),
    whose reaping is the init process's business, not the daemon's."""
    try:
        return proc_stat(pid)[0] == "Z"
    except FileNotFoundError:
        return True


def proc_stat(pid: int) -> list[str]:
    """``/proc/<pid>/stat`` fields from the state on (field 3 is index 0)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def context(
    headers: Mapping[str, str] | None = None, timeout_ms: int | None = None
) -> RequestContext[StartRequest, StartResponse]:
    """A request context as the Connect server builds it (for calling RPCs directly)."""
    method = MethodInfo(
        name="Start",
        service_name="process.Process",
        input=StartRequest,
        output=StartResponse,
        idempotency_level=IdempotencyLevel.UNKNOWN,
    )
    return RequestContext(
        method=method,
        http_method="POST",
        request_headers=Headers(dict(headers or {})),
        timeout_ms=timeout_ms,
    )
