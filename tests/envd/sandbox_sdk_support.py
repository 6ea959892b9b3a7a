"""A real isolated Tessera sandbox served as E2B's SDK expects one, for the SDK's tests.

``ServedSandboxThread`` runs a ``ServedSandbox`` (an isolated local sandbox from the warm
react template, its envd daemon started inside it) and an ``EnvdEndpoint`` on a free
127.0.0.1 port, on an event loop of its own thread: the async SDK (on the test's loop) and
the sync SDK (blocking the test's thread) both reach it over TCP, as they would reach a
cloud sandbox.

Its processes are in control groups under a parent of its own
(``Isolation(cgroup_parent=...)``), so what it leaves behind can be found afterwards.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import secrets
import struct
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tessera.sandbox.local import LocalSandboxProvider
from tessera.sandbox.local.envd_endpoint import RESET_PATH, EnvdEndpoint
from tessera.sandbox.local.isolation import Isolation
from tessera.sandbox.templates import TemplateCache
from tessera.serve_e2b import ServedSandbox
from tests.security.security_support import (
    SandboxProcess,
    processes_under,
    remove_cgroup_parent,
    unique_cgroup_parent,
)

T = TypeVar("T")

PREVIEW_DOMAIN = "localhost:8000"
START_SECONDS = 90.0
"""Creating a sandbox and starting its daemon (a cold machine's first run is slower)."""
SANDBOX_HOME = "/home/user"


class ServedSandboxThread:
    """One served sandbox on a loop of its own thread (see the module's docstring)."""

    def __init__(self, root: Path, cache: TemplateCache, template: str = "react") -> None:
        self.root = root
        self.cgroup_parent = unique_cgroup_parent()
        self.template = template
        self.provider = LocalSandboxProvider(
            root,
            cache,
            preview_domain=PREVIEW_DOMAIN,
            isolation=Isolation(cgroup_parent=self.cgroup_parent),
        )
        self.served = ServedSandbox(self.provider, template)
        self.endpoint = EnvdEndpoint(lambda: self.served.upstream, on_reset=self.served.reset)
        self.port = 0
        self.sandbox_ids: list[str] = []
        """Every sandbox it served, the current one last."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="served-sandbox", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sandbox_id(self) -> str:
        return self.served.sandbox.sandbox_id

    @property
    def folder(self) -> Path:
        """The sandbox's project folder on this machine (its ``/home/user/app``)."""
        return self.served.sandbox.folder

    @property
    def user_uid(self) -> int:
        """The uid of the sandbox's ``user`` (the machine's unprivileged sandbox user)."""
        owner = self.served.sandbox.runtime.file_owner()
        assert owner is not None, "isolated sandboxes run as a user of their own"
        return owner[0]

    def start(self) -> None:
        self._thread.start()
        try:
            self.call(self._start(), timeout=START_SECONDS)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._thread.is_alive():
            self.call(self._close(), timeout=30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._loop.close()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Runs ``coro`` on the sandbox's loop and waits for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def reset(self) -> str:
        """``POST /tessera/reset`` as a client would; the new sandbox's id."""
        answer = httpx.post(self.url + RESET_PATH, timeout=START_SECONDS, trust_env=False)
        assert answer.status_code == 200, answer.text
        sandbox_id: str = answer.json()["sandbox_id"]
        self.sandbox_ids.append(sandbox_id)
        return sandbox_id

    def processes(self, sandbox_id: str | None = None) -> list[SandboxProcess]:
        """Live processes of its sandboxes (of ``sandbox_id`` alone when given)."""
        found = processes_under(self.cgroup_parent)
        if sandbox_id is None:
            return found
        return [p for p in found if p.group.rstrip("/").endswith("/" + sandbox_id)]

    def leftovers(self) -> tuple[list[SandboxProcess], list[str]]:
        """After ``close``: the processes and control groups its sandboxes left."""
        wait_for(lambda: not self.processes(), within=5.0)
        return self.processes(), remove_cgroup_parent(self.cgroup_parent)

    async def _start(self) -> None:
        await self.served.start()
        self.sandbox_ids.append(self.served.sandbox.sandbox_id)
        self.port = await self.endpoint.start("127.0.0.1", 0)

    async def _close(self) -> None:
        await self.endpoint.aclose()
        await self.served.aclose()
        await self.provider.aclose()


def wait_for(condition: Callable[[], object], within: float, every: float = 0.05) -> bool:
    """Polls ``condition()`` until it is true or ``within`` seconds passed."""
    deadline = time.monotonic() + within
    while True:
        if condition():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(every)


async def wait_for_async(
    condition: Callable[[], object | Awaitable[object]], within: float, every: float = 0.05
) -> bool:
    """``wait_for`` without blocking the loop; ``condition`` may be a coroutine function."""
    deadline = time.monotonic() + within
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(every)


def unique_dir(label: str) -> str:
    """A folder of the sandbox's user no other test uses (tests share one sandbox)."""
    return f"{SANDBOX_HOME}/{label}-{secrets.token_hex(4)}"


def health(url: str) -> int:
    return httpx.get(url + "/health", timeout=5, trust_env=False).status_code


# --- Connect's wire format, for requests the SDK would never send ----------------------
END_STREAM = 0x02
HTTP_CODES = {
    400: "internal",
    401: "unauthenticated",
    403: "permission_denied",
    404: "unimplemented",
    429: "unavailable",
    502: "unavailable",
    503: "unavailable",
    504: "unavailable",
}
"""How Connect's spec reads an HTTP error status that carries no Connect error."""


def envelope(payload: bytes, flags: int = 0) -> bytes:
    return struct.pack(">BI", flags, len(payload)) + payload


def envelopes(body: bytes) -> Iterator[tuple[int, bytes]]:
    """The (flags, payload) of each envelope of a Connect stream's body."""
    offset = 0
    while offset + 5 <= len(body):
        flags, size = struct.unpack(">BI", body[offset : offset + 5])
        yield flags, body[offset + 5 : offset + 5 + size]
        offset += 5 + size


def connect_error_code(answer: httpx.Response) -> str:
    """The Connect error code of an answer: a unary error's JSON body, or a stream's
    end-of-stream envelope. Fails when the answer carries no Connect error."""
    content_type = answer.headers.get("content-type", "")
    if content_type.startswith("application/connect+"):
        ends = [payload for flags, payload in envelopes(answer.content) if flags & END_STREAM]
        assert ends, f"a stream without its end message: {answer.content!r}"
        error = json.loads(ends[-1]).get("error")
        assert error, f"the stream ended without an error: {ends[-1]!r}"
        code: str = error["code"]
        return code
    assert answer.status_code >= 400, (answer.status_code, answer.text)
    if not answer.content:
        # No error message: Connect clients read the HTTP status (Connect's spec).
        return HTTP_CODES.get(answer.status_code, "unknown")
    assert content_type.startswith("application/json"), (answer.status_code, answer.text)
    body = answer.json()
    code = body["code"]
    assert isinstance(code, str), body
    return code
