"""The in-sandbox forwarder: unix sockets on the host side, 127.0.0.1 ports inside.

This file is not imported by Tessera: it is bound read-only into every isolated sandbox and
run there with the sandbox's own ``/usr/bin/python3 -I -S`` (standard library only, and
no asyncio: it starts in a few tens of milliseconds), as the sandbox's first process (the
one whose namespaces every command of the sandbox enters). A sandbox has no network of its
own, so Tessera reaches a server in it through this process:

* the file descriptor named by the only argument is one end of a ``SOCK_SEQPACKET``
  socket pair whose other end Tessera holds. Tessera sends ``listen PORT`` with a listening
  unix socket attached (the socket file lives on the host, where the sandbox cannot see or
  write it); the forwarder answers ``ok PORT`` and from then on accepts connections on that
  socket and relays each one to ``127.0.0.1:PORT`` inside the sandbox (both ways, half
  closes included: HTTP and WebSockets alike). ``ping`` is answered ``pong``.
* When Tessera closes its end (it stopped, or it is restarting the sandbox), the forwarder
  exits, and with it the sandbox's namespaces.
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import sys

_CHUNK = 65536
_MAX_BUFFERED = 1024 * 1024
"""A side stops reading while this much waits to be written to the other side."""
_MAX_FDS = 4


class Side:
    """One socket of a relayed connection, and what waits to be written to it."""

    def __init__(self, sock: socket.socket, *, connecting: bool = False) -> None:
        self.sock = sock
        self.peer: Side | None = None
        self.pending = bytearray()
        self.connecting = connecting
        self.read_closed = False
        self.write_closed = False
        self.registered = 0


class Forwarder:
    def __init__(self, control: socket.socket) -> None:
        self.control = control
        self.selector = selectors.DefaultSelector()
        self.listeners: dict[int, socket.socket] = {}
        self.running = True
        control.setblocking(False)
        self.selector.register(control, selectors.EVENT_READ, ("control", None))

    # --- the loop -----------------------------------------------------------------------
    def run(self) -> None:
        while self.running:
            for key, events in self.selector.select():
                kind, item = key.data
                if kind == "control":
                    self.on_control()
                elif kind == "listener":
                    self.on_accept(key.fileobj, item)  # type: ignore[arg-type]
                else:
                    self.on_side(item, events)

    # --- control --------------------------------------------------------------------------
    def on_control(self) -> None:
        try:
            message, fds, _flags, _addr = socket.recv_fds(self.control, 256, _MAX_FDS)
        except BlockingIOError:
            return
        except OSError:
            message, fds = b"", []
        if not message:
            self.running = False
            return
        words = message.decode(errors="replace").split()
        if words == ["ping"]:
            self.reply("pong")
        elif len(words) == 2 and words[0] == "listen" and words[1].isdigit() and len(fds) == 1:
            self.listen(int(words[1]), socket.socket(fileno=fds.pop()))
            self.reply(f"ok {words[1]}")
        else:
            self.reply("error unknown request")
        for fd in fds:
            socket.socket(fileno=fd).close()

    def reply(self, text: str) -> None:
        try:
            self.control.send(text.encode())
        except OSError:
            self.running = False

    def listen(self, port: int, listener: socket.socket) -> None:
        old = self.listeners.pop(port, None)
        if old is not None:
            self.selector.unregister(old)
            old.close()
        listener.setblocking(False)
        self.listeners[port] = listener
        self.selector.register(listener, selectors.EVENT_READ, ("listener", port))

    # --- connections -----------------------------------------------------------------------
    def on_accept(self, listener: socket.socket, port: int) -> None:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Small writes go out at once: Nagle's algorithm meeting delayed ACKs would hold a
        # request's body ~40 ms on loopback.
        server.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.setblocking(False)
        server.setblocking(False)
        code = server.connect_ex(("127.0.0.1", port))
        if code not in (0, errno.EINPROGRESS):
            client.close()  # nothing listens yet: the caller sees the connection closed
            server.close()
            return
        near, far = Side(client), Side(server, connecting=code != 0)
        near.peer, far.peer = far, near
        self.update(near)
        self.update(far)

    def on_side(self, side: Side, events: int) -> None:
        peer = side.peer
        assert peer is not None
        if side.connecting:
            side.connecting = False
            if side.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                self.close(side)  # refused: nothing listens on the port yet
                return
        if events & selectors.EVENT_WRITE and side.pending:
            try:
                sent = side.sock.send(side.pending)
            except BlockingIOError:
                sent = 0
            except OSError:
                self.close(side)
                return
            del side.pending[:sent]
        if not side.pending and peer.read_closed and not side.write_closed:
            side.write_closed = True
            self.shutdown(side.sock)
        if events & selectors.EVENT_READ and not side.read_closed:
            try:
                data = side.sock.recv(_CHUNK)
            except BlockingIOError:
                data = None
            except OSError:
                self.close(side)
                return
            if data == b"":
                side.read_closed = True
                if not peer.pending and not peer.connecting and not peer.write_closed:
                    peer.write_closed = True
                    self.shutdown(peer.sock)
            elif data:
                peer.pending += data
        if side.read_closed and peer.read_closed and not side.pending and not peer.pending:
            self.close(side)
            return
        self.update(side)
        self.update(peer)

    def update(self, side: Side) -> None:
        peer = side.peer
        assert peer is not None
        events = 0
        if side.connecting or side.pending:
            events |= selectors.EVENT_WRITE
        if (
            not side.connecting
            and not peer.connecting
            and not side.read_closed
            and len(peer.pending) < _MAX_BUFFERED
        ):
            events |= selectors.EVENT_READ
        if events == side.registered:
            return
        if side.registered == 0:
            self.selector.register(side.sock, events, ("side", side))
        elif events == 0:
            self.selector.unregister(side.sock)
        else:
            self.selector.modify(side.sock, events, ("side", side))
        side.registered = events

    def close(self, side: Side) -> None:
        for one in (side, side.peer):
            if one is None or one.sock.fileno() < 0:
                continue
            if one.registered:
                self.selector.unregister(one.sock)
                one.registered = 0
            one.sock.close()

    @staticmethod
    def shutdown(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)


def main(control_fd: int) -> None:
    Forwarder(socket.socket(fileno=control_fd)).run()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main(int(sys.argv[1]))
    sys.exit(0)
