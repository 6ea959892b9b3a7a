"""The terminal of a project: a WebSocket to a shell in its sandbox.

``WS /api/projects/{id}/terminal?cols=80&rows=24`` opens a shell (bash, else sh) with a
pseudo-terminal of that size in the project's sandbox (started or resumed first), in the
project folder. Closing the socket kills the shell and everything started from it.

Frames:

- client → server: a text frame is keystrokes (sent to the shell as UTF-8), a binary frame
  raw bytes. A text frame whose first character is NUL (``"\\u0000"``) is a control
  message, JSON after the NUL: ``{"type": "resize", "cols": N, "rows": M}``. Keystrokes
  never contain NUL as their first character except Ctrl+Space / Ctrl+@, which a client
  sends as a binary frame.
- server → client: binary frames are the terminal's output, as the shell wrote it. Text
  frames starting with NUL are control messages: ``{"type": "exit", "exit_code": N|null}``
  once the shell has ended (the server then closes with 1000), ``{"type": "error", "code",
  "message"}`` when the shell could not be opened (the server then closes with 4000 + the
  HTTP status of the error: 4404 no such project, 4422 impossible size, 4503 the sandbox
  did not start) or when a control message was refused (the session goes on).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, WebSocket
from starlette.websockets import WebSocketState

from tessera.errors import InvalidInput, TesseraError
from tessera.terminal import ProjectTerminal, TerminalService

router = APIRouter(prefix="/api/projects", tags=["terminal"])

CONTROL = "\x00"
"""First character of a control message (both ways)."""

NORMAL_CLOSURE = 1000
_CLOSE_REASON_BYTES = 120
"""WebSocket close reasons are limited to 123 bytes."""


def _service(websocket: WebSocket) -> TerminalService:
    """The service over the app's store and sandbox manager (it holds no state)."""
    state = websocket.app.state
    return TerminalService(store=state.store, sandboxes=state.sandboxes)


Terminals = Annotated[TerminalService, Depends(_service)]


@router.websocket("/{project_id}/terminal")
async def terminal(
    websocket: WebSocket, project_id: str, terminals: Terminals, cols: int = 80, rows: int = 24
) -> None:
    await websocket.accept()
    try:
        shell = await terminals.open(project_id, cols=cols, rows=rows)
    except TesseraError as exc:
        await _refuse(websocket, exc)
        return
    await TerminalSession(websocket, shell).run()


class TerminalSession:
    """One socket and its shell: keystrokes in, output out, until either side ends."""

    def __init__(self, websocket: WebSocket, shell: ProjectTerminal) -> None:
        self._websocket = websocket
        self._shell = shell

    async def run(self) -> None:
        output = asyncio.create_task(self._forward_output())
        keystrokes = asyncio.create_task(self._forward_input())
        try:
            done, _ = await asyncio.wait({output, keystrokes}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (output, keystrokes):
                task.cancel()
            await self._shell.close()
            await asyncio.gather(output, keystrokes, return_exceptions=True)
        if output in done and not output.cancelled() and output.exception() is None:
            with contextlib.suppress(Exception):  # the client may be gone already
                await _send_control(
                    self._websocket, {"type": "exit", "exit_code": self._shell.exit_code}
                )
                await self._websocket.close(NORMAL_CLOSURE, "The shell ended.")

    async def _forward_output(self) -> None:
        async for chunk in self._shell.read():
            await self._websocket.send_bytes(chunk)

    async def _forward_input(self) -> None:
        """Returns when the client goes away."""
        while True:
            message = await self._websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text: str | None = message.get("text")
            data: bytes | None = message.get("bytes")
            if text is not None and text.startswith(CONTROL):
                await self._control(text[len(CONTROL) :])
            elif text:
                await self._shell.write(text.encode())
            elif data:
                await self._shell.write(data)

    async def _control(self, payload: str) -> None:
        try:
            message = _parse_control(payload)
            await self._shell.resize(_integer(message, "cols"), _integer(message, "rows"))
        except TesseraError as exc:
            await _send_control(self._websocket, {"type": "error", **exc.to_dict()})


def _parse_control(payload: str) -> dict[str, Any]:
    try:
        message = json.loads(payload)
    except ValueError:
        message = None
    if not isinstance(message, dict) or message.get("type") != "resize":
        raise InvalidInput(
            'A control message is NUL followed by JSON: {"type": "resize", "cols": N, "rows": M}.'
        )
    return message


def _integer(message: dict[str, Any], name: str) -> int:
    value = message.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(
            f"A resize needs whole numbers of columns and rows; {name} is {value!r}."
        )
    return value


async def _send_control(websocket: WebSocket, message: dict[str, Any]) -> None:
    await websocket.send_text(CONTROL + json.dumps(message))


async def _refuse(websocket: WebSocket, exc: TesseraError) -> None:
    """Says why the shell could not be opened, then closes with 4000 + its HTTP status."""
    if websocket.client_state != WebSocketState.CONNECTED:
        return
    with contextlib.suppress(Exception):  # the client may be gone already
        await _send_control(websocket, {"type": "error", **exc.to_dict()})
        reason = exc.message.encode()[:_CLOSE_REASON_BYTES].decode(errors="ignore")
        await websocket.close(4000 + exc.status_code, reason)


__all__ = ["CONTROL", "TerminalSession", "router"]
