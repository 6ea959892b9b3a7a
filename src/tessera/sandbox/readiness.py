"""Waiting for a dev server to answer HTTP."""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from tessera.errors import DevServerFailed, TesseraError
from tessera.sandbox import upstream
from tessera.sandbox.base import CommandHandle

POLL_SECONDS = 0.05
OUTPUT_LINES = 40


async def answers(client: httpx.AsyncClient, url: str, *, any_status: bool = False) -> bool:
    """One probe: True when ``url`` answers with a status below 500 (with any status when
    ``any_status``)."""
    try:
        response = await upstream.get(client, url)
    except httpx.HTTPError:
        return False
    return any_status or response.status_code < 500


def probe_client(timeout: float = 2.0) -> httpx.AsyncClient:
    """A client for probes of upstream addresses (``http://127.0.0.1:PORT`` or a sandbox's
    unix socket); proxy settings of the host never apply."""
    return upstream.upstream_client(timeout=timeout)


async def wait_until_answering(
    url: str,
    server: CommandHandle,
    *,
    within: float,
    label: str = "dev server",
    any_status: bool = False,
) -> None:
    """Polls ``url`` until it answers (see ``answers``); raises ``DevServerFailed`` with the
    server's last output lines when the server exits first or ``within`` seconds pass (the
    server is then stopped, so that the next deployment starts it again). ``label`` names
    the server in messages."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with probe_client() as client:
        while True:
            if await answers(client, url, any_status=any_status):
                return
            if server.exit_code is not None:
                await _drain(server)
                raise DevServerFailed(
                    f"The {label} stopped (exit code {server.exit_code}) before it answered; "
                    "its last output lines say why.",
                    output=server.output_tail(OUTPUT_LINES),
                )
            if loop.time() >= deadline:
                await server.kill()
                raise DevServerFailed(
                    f"The {label} did not answer within {within:g} s; its last output "
                    "lines may say why.",
                    output=server.output_tail(OUTPUT_LINES),
                )
            await asyncio.sleep(POLL_SECONDS)


async def _drain(server: CommandHandle) -> None:
    """Lets the output of an exited server be read to its end."""
    with contextlib.suppress(TesseraError, TimeoutError):
        await asyncio.wait_for(server.wait(), 1.0)
