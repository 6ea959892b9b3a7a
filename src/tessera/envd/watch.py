"""Directory watching on inotify, as envd reports it: event names relative to the watched
directory, inotify's events mapped as envd's watcher (fsnotify) maps them, recursion that
follows directories created or moved into the tree.

Two ways to consume a watch, matching the SDK's two clients: ``stream_events`` for the
streaming ``WatchDir`` (async SDK), and ``PollingWatcher`` for ``CreateWatcher`` /
``GetWatcherEvents`` (sync SDK), which buffers events until fetched. Both read the
inotify descriptor as soon as the event loop sees it readable, and a fetch reads it once
more first: the sync SDK asks right after its own write returns and expects that write's
events to be there.

inotify is reached through ``ctypes`` (libc's ``inotify_init1`` / ``inotify_add_watch`` /
``inotify_rm_watch``); the descriptor is non-blocking and read with ``os.read``.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import errno
import logging
import os
import posixpath
import struct
import time
from collections import deque
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass
from typing import Final, Literal

from connectrpc.code import Code
from connectrpc.errors import ConnectError
from protobuf import Oneof

from tessera.envd.entries import entry_info
from tessera.envd.proto.filesystem.filesystem_pb import (
    EventType,
    FilesystemEvent,
    WatchDirResponse,
)

logger = logging.getLogger(__name__)

IN_MODIFY: Final = 0x00000002
IN_ATTRIB: Final = 0x00000004
IN_MOVED_FROM: Final = 0x00000040
IN_MOVED_TO: Final = 0x00000080
IN_CREATE: Final = 0x00000100
IN_DELETE: Final = 0x00000200
IN_DELETE_SELF: Final = 0x00000400
IN_MOVE_SELF: Final = 0x00000800
IN_Q_OVERFLOW: Final = 0x00004000
IN_IGNORED: Final = 0x00008000
IN_ONLYDIR: Final = 0x01000000
IN_DONT_FOLLOW: Final = 0x02000000
IN_EXCL_UNLINK: Final = 0x04000000
IN_ISDIR: Final = 0x40000000
IN_NONBLOCK: Final = os.O_NONBLOCK
IN_CLOEXEC: Final = os.O_CLOEXEC

WATCH_MASK: Final = (
    IN_CREATE
    | IN_MOVED_TO
    | IN_MOVED_FROM
    | IN_MOVE_SELF
    | IN_ATTRIB
    | IN_MODIFY
    | IN_DELETE
    | IN_DELETE_SELF
    # Unlinked children (anonymous upload staging files) make no events.
    | IN_EXCL_UNLINK
)

_EVENT_HEADER = struct.Struct("iIII")
_READ_SIZE = 64 * 1024

_TYPES: Final = (
    # One inotify event may carry several; this is the order envd reports them in.
    (IN_CREATE | IN_MOVED_TO, EventType.CREATE),
    (IN_MOVED_FROM | IN_MOVE_SELF, EventType.RENAME),
    (IN_ATTRIB, EventType.CHMOD),
    (IN_MODIFY, EventType.WRITE),
    (IN_DELETE | IN_DELETE_SELF, EventType.REMOVE),
)

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
_libc.inotify_init1.argtypes = [ctypes.c_int]
_libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
_libc.inotify_rm_watch.argtypes = [ctypes.c_int, ctypes.c_int]
_libc.statfs.argtypes = [ctypes.c_char_p, ctypes.c_void_p]

NETWORK_FILESYSTEMS: Final = frozenset(
    {
        0x6969,  # NFS
        0xFF534D42,  # CIFS
        0x517B,  # SMB
        0xFE534D42,  # SMB2
        0x65735546,  # FUSE
    }
)
"""``statfs`` magic numbers of the filesystems envd refuses to watch unless asked: their
events may never arrive."""


def _check(result: int, path: str | None = None) -> int:
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), path)
    return result


def is_network_mount(path: str) -> bool:
    """Whether ``path`` is on NFS, CIFS/SMB or FUSE (``statfs``'s ``f_type``, the first
    field of ``struct statfs`` on Linux)."""
    buffer = ctypes.create_string_buffer(256)
    _check(_libc.statfs(os.fsencode(path), buffer), path)
    f_type = ctypes.c_long.from_buffer(buffer).value & 0xFFFFFFFF
    return f_type in NETWORK_FILESYSTEMS


@dataclass(frozen=True, slots=True)
class RawEvent:
    wd: int
    mask: int
    cookie: int
    name: str


def parse_events(buffer: bytes) -> Iterator[RawEvent]:
    """The ``struct inotify_event`` records of one ``read``."""
    offset = 0
    while offset + _EVENT_HEADER.size <= len(buffer):
        wd, mask, cookie, length = _EVENT_HEADER.unpack_from(buffer, offset)
        start = offset + _EVENT_HEADER.size
        raw_name = buffer[start : start + length].split(b"\0", 1)[0]
        yield RawEvent(wd, mask, cookie, os.fsdecode(raw_name))
        offset = start + length


class Inotify:
    """One inotify instance (a non-blocking, close-on-exec descriptor)."""

    def __init__(self) -> None:
        self.fd = _check(_libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC))

    def add_watch(self, path: str, mask: int) -> int:
        return _check(_libc.inotify_add_watch(self.fd, os.fsencode(path), mask), path)

    def rm_watch(self, wd: int) -> None:
        _libc.inotify_rm_watch(self.fd, wd)  # gone already is fine: the watch is gone

    def read(self) -> list[RawEvent]:
        """Every event queued now (none when nothing is)."""
        events: list[RawEvent] = []
        while True:
            try:
                buffer = os.read(self.fd, _READ_SIZE)
            except BlockingIOError:
                return events
            if not buffer:
                return events
            events.extend(parse_events(buffer))

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class DirWatch:
    """Watches the directory ``root`` (and, if ``recursive``, every directory below it)
    and turns inotify's events into envd's ``FilesystemEvent``s. ``open()`` does the
    blocking part (adding watches across the tree) and may run in a worker thread;
    everything after runs on the event loop."""

    def __init__(self, root: str, *, recursive: bool, include_entry: bool) -> None:
        self.root = root
        self.recursive = recursive
        self.include_entry = include_entry
        self._inotify: Inotify | None = None
        self._dirs: dict[int, str] = {}
        """watch descriptor -> directory relative to ``root`` ("" for the root)."""
        self._limited = False

    @property
    def fd(self) -> int:
        if self._inotify is None:
            raise RuntimeError("watch is not open")
        return self._inotify.fd

    def open(self) -> None:
        """Starts watching; raises ``OSError`` (``ENOTDIR`` when ``root`` is no directory,
        ``EMFILE`` / ``ENOSPC`` when inotify's limits are reached)."""
        self._inotify = Inotify()
        try:
            self._dirs[self._inotify.add_watch(self.root, WATCH_MASK | IN_ONLYDIR)] = ""
            if self.recursive:
                self._add_subtree("", report=False)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._inotify is not None:
            self._inotify.close()
            self._inotify = None
        self._dirs.clear()

    @property
    def closed(self) -> bool:
        return self._inotify is None

    def drain(self) -> list[FilesystemEvent]:
        """The events that happened since the last drain, in order."""
        if self._inotify is None:
            return []
        events: list[FilesystemEvent] = []
        for raw in self._inotify.read():
            events.extend(self._translate(raw))
        return events

    def _translate(self, raw: RawEvent) -> list[FilesystemEvent]:
        if raw.mask & IN_Q_OVERFLOW:
            logger.warning("inotify queue overflowed for %s: events were lost", self.root)
            return []
        if raw.mask & IN_IGNORED:
            self._dirs.pop(raw.wd, None)
            return []
        base = self._dirs.get(raw.wd)
        if base is None:
            return []
        if raw.mask & (IN_DELETE_SELF | IN_MOVE_SELF):
            if base:
                return []  # a subdirectory's own end is reported by its parent's watch
            name = "."
        else:
            name = posixpath.join(base, raw.name) if base else raw.name
        events = [self._event(name, kind) for bits, kind in _TYPES if raw.mask & bits]
        if self.recursive and raw.mask & IN_ISDIR and name != ".":
            if raw.mask & IN_MOVED_FROM:
                self._drop_subtree(name)
            if raw.mask & (IN_CREATE | IN_MOVED_TO):
                events.extend(self._add_dir(name, report=True))
        return events

    def _event(self, name: str, kind: EventType) -> FilesystemEvent:
        entry = None
        if self.include_entry and kind not in (EventType.REMOVE, EventType.RENAME):
            try:
                entry = entry_info(posixpath.join(self.root, name) if name != "." else self.root)
            except OSError:
                entry = None  # gone again already
        return FilesystemEvent(name=name, type=kind, entry=entry)

    def _add_dir(self, relative: str, *, report: bool) -> list[FilesystemEvent]:
        """Watches a directory that appeared in the tree and what is already in it; with
        ``report``, what is in it is reported as created (it was, before the watch)."""
        if self._inotify is None:
            return []
        path = posixpath.join(self.root, relative)
        try:
            wd = self._inotify.add_watch(path, WATCH_MASK | IN_ONLYDIR | IN_DONT_FOLLOW)
        except OSError as error:
            if error.errno not in (errno.ENOENT, errno.ENOTDIR) and not self._limited:
                self._limited = True  # once per watch: a big tree would repeat it per directory
                logger.warning("cannot watch all of %s: %s", self.root, error)
            return []
        previous = self._dirs.get(wd)
        if previous is not None and previous != relative:
            self._rename_subtree(previous, relative)  # the same directory, moved
        self._dirs[wd] = relative
        return self._add_subtree(relative, report=report)

    def _add_subtree(self, relative: str, *, report: bool) -> list[FilesystemEvent]:
        events: list[FilesystemEvent] = []
        try:
            with os.scandir(posixpath.join(self.root, relative)) as listing:
                children = sorted(
                    (entry.name, entry.is_dir(follow_symlinks=False)) for entry in listing
                )
        except OSError:
            return events
        for child, is_dir in children:
            name = posixpath.join(relative, child) if relative else child
            if report:
                events.append(self._event(name, EventType.CREATE))
            if is_dir:
                events.extend(self._add_dir(name, report=report))
        return events

    def _rename_subtree(self, old: str, new: str) -> None:
        prefix = old + "/"
        for wd, name in list(self._dirs.items()):
            if name == old or name.startswith(prefix):
                self._dirs[wd] = new + name[len(old) :]

    def _drop_subtree(self, relative: str) -> None:
        prefix = relative + "/"
        for wd, name in list(self._dirs.items()):
            if name == relative or name.startswith(prefix):
                del self._dirs[wd]
                if self._inotify is not None:
                    self._inotify.rm_watch(wd)


async def open_watch(root: str, *, recursive: bool, include_entry: bool) -> DirWatch:
    """A started ``DirWatch`` (adding the tree's watches happens off the event loop)."""
    watch = DirWatch(root, recursive=recursive, include_entry=include_entry)
    await asyncio.to_thread(watch.open)
    return watch


class PollingWatcher:
    """A watch whose events wait in a bounded buffer until fetched (``CreateWatcher``):
    the oldest are dropped once ``limit`` are waiting."""

    def __init__(self, watch: DirWatch, *, limit: int = 10_000) -> None:
        self.watch = watch
        self._events: deque[FilesystemEvent] = deque(maxlen=limit)
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(watch.fd, self._read)

    def _read(self) -> None:
        try:
            self._events.extend(self.watch.drain())
        except Exception:
            logger.exception("reading watch events of %s failed", self.watch.root)

    def take(self) -> list[FilesystemEvent]:
        """Every event since the last call, including any the kernel has queued but the
        loop has not read yet."""
        self._read()
        events = list(self._events)
        self._events.clear()
        return events

    def close(self) -> None:
        if not self.watch.closed:
            self._loop.remove_reader(self.watch.fd)
            self.watch.close()


_START: Oneof[Literal["start"], WatchDirResponse.StartEvent] = Oneof(
    "start", WatchDirResponse.StartEvent()
)
_KEEPALIVE: Oneof[Literal["keepalive"], WatchDirResponse.KeepAlive] = Oneof(
    "keepalive", WatchDirResponse.KeepAlive()
)


def _filesystem(event: FilesystemEvent) -> Oneof[Literal["filesystem"], FilesystemEvent]:
    return Oneof("filesystem", event)


async def stream_events(
    watch: DirWatch,
    *,
    keepalive: float,
    deadline: float | None,
    stop: asyncio.Event,
) -> AsyncGenerator[WatchDirResponse, None]:
    """``WatchDir``'s stream: the ``start`` event once ``watch`` is open, then its events
    as they come, a ``keepalive`` after ``keepalive`` seconds without any, until ``stop``
    is set (a clean end) or ``deadline`` (``time.monotonic()``) passes
    (``deadline_exceeded``). Closes ``watch`` when it ends, however it ends."""
    loop = asyncio.get_running_loop()
    readable = asyncio.Event()

    def on_readable() -> None:
        # Level-triggered: stop listening until drained, or the loop spins while a
        # message waits to be sent.
        loop.remove_reader(watch.fd)
        readable.set()

    loop.add_reader(watch.fd, on_readable)
    try:
        yield WatchDirResponse(event=_START)
        while not stop.is_set():
            wait = keepalive
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ConnectError(Code.DEADLINE_EXCEEDED, "the watch reached its timeout")
                wait = min(wait, remaining)
            if not await _first_of(readable, stop, within=wait):
                if deadline is None or time.monotonic() < deadline:
                    yield WatchDirResponse(event=_KEEPALIVE)
                continue
            if stop.is_set():
                return
            readable.clear()
            events = watch.drain()
            loop.add_reader(watch.fd, on_readable)
            for event in events:
                yield WatchDirResponse(event=_filesystem(event))
    finally:
        if not watch.closed:
            loop.remove_reader(watch.fd)
        watch.close()


async def _first_of(*events: asyncio.Event, within: float) -> bool:
    """Waits until one of ``events`` is set; False when ``within`` seconds pass first."""
    if any(event.is_set() for event in events):
        return True
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        done, _ = await asyncio.wait(waiters, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    return bool(done)
