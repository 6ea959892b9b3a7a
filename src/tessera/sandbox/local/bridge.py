"""The in-sandbox forwarder: unix sockets on the host side, 127.0.0.1 ports inside.

This file is not imported by Tessera: it is bound read-only into every isolated sandbox and
run there with the sandbox's own ``/usr/bin/python3 -I -S`` (standard library only), as
the sandbox's first process (the one whose namespaces every command of the sandbox enters).
A sandbox has no network of its own, so Tessera reaches a server in it through this
process:

* the file descriptor named by the only argument is one end of a ``SOCK_SEQPACKET``
  socket pair whose other end Tessera holds. Tessera sends ``listen PORT`` with a listening unix socket attached
  (the socket file lives on the host, where the sandbox cannot see or write it); the
  forwarder answers ``ok PORT`` and from then on accepts connections on that socket and
  relays each one to ``127.0.0.1:PORT`` inside the sandbox. ``ping`` is answered ``pong``.
* When Tessera closes its end (it stopped, or it is restarting the sandbox), the forwarder
  exits, and with it the sandbox's namespaces.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys

_CHUNK = 65536
_MAX_FDS = 4


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copies ``reader`` into ``writer`` until the end, then half-closes ``writer``."""
    try:
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.close()


async def _relay(port: int, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
    try:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        client_w.close()  # nothing listens yet: the caller sees the connection closed
        return
    try:
        await asyncio.gather(_pipe(client_r, server_w), _pipe(server_r, client_w))
    finally:
        for writer in (client_w, server_w):
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()


class Forwarder:
    def __init__(self, control: socket.socket) -> None:
        self.control = control
        self.servers: dict[int, asyncio.AbstractServer] = {}
        self.closed = asyncio.Event()

    def on_control(self) -> None:
        try:
            message, fds, _flags, _addr = socket.recv_fds(self.control, 256, _MAX_FDS)
        except BlockingIOError:
            return
        except OSError:
            message, fds = b"", []
        if not message:
            self.closed.set()
            return
        asyncio.ensure_future(self.handle(message.decode(errors="replace").split(), fds))

    async def handle(self, words: list[str], fds: list[int]) -> None:
        if words == ["ping"]:
            self.reply("pong")
        elif len(words) == 2 and words[0] == "listen" and words[1].isdigit() and len(fds) == 1:
            port = int(words[1])
            listener = socket.socket(fileno=fds.pop())
            old = self.servers.pop(port, None)
            if old is not None:
                old.close()
            self.servers[port] = await asyncio.start_unix_server(
                lambda r, w: _relay(port, r, w), sock=listener
            )
            self.reply(f"ok {port}")
        else:
            self.reply("error unknown request")
        for fd in fds:
            os.close(fd)

    def reply(self, text: str) -> None:
        with contextlib.suppress(OSError):
            self.control.send(text.encode())


async def main(control_fd: int) -> None:
    control = socket.socket(fileno=control_fd)
    control.setblocking(False)
    forwarder = Forwarder(control)
    loop = asyncio.get_running_loop()
    loop.add_reader(control.fileno(), forwarder.on_control)
    await forwarder.closed.wait()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(int(sys.argv[1])))
    sys.exit(0)
