"""Waiting for a dev server to answer HTTP."""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from tessera.errors import DevServerFailed, TesseraError
from tessera.sandbox.base import CommandHandle

POLL_SECONDS = 0.05
OUTPUT_LINES = 40


async def answers(client: httpx.AsyncClient, url: str) -> bool:
    """One probe: True when ``url`` answers with a status below 500."""
    try:
        response = await client.get(url)
    except httpx.HTTPError:
        return False
    return response.status_code < 500


def probe_client(timeout: float = 2.0) -> httpx.AsyncClient:
    """A client for probes: loopback only, so proxy settings of the host never apply."""
    return httpx.AsyncClient(timeout=timeout, trust_env=False)


async def wait_until_answering(url: str, server: CommandHandle, *, within: float) -> None:
    """Polls ``url`` until it answers; raises ``DevServerFailed`` with the server's last
    output lines when the server exits first or ``within`` seconds pass (the server is
    then stopped, so that the next deployment starts it again)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with probe_client() as client:
        while True:
            if await answers(client, url):
                return
            if server.exit_code is not None:
                await _drain(server)
                raise DevServerFailed(
                    f"The dev server stopped (exit code {server.exit_code}) before it answered; "
                    "its last output lines say why.",
                    output=server.output_tail(OUTPUT_LINES),
                )
            if loop.time() >= deadline:
                await server.kill()
                raise DevServerFailed(
                    f"The dev server did not answer within {within:g} s; its last output "
                    "lines may say why.",
                    output=server.output_tail(OUTPUT_LINES),
                )
            await asyncio.sleep(POLL_SECONDS)


async def _drain(server: CommandHandle) -> None:
    """Lets the output of an exited server be read to its end."""
    with contextlib.suppress(TesseraError, TimeoutError):
        await asyncio.wait_for(server.wait(), 1.0)
