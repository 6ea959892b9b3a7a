"""``filesystem.Filesystem``: the Connect service behind ``sandbox.files`` (all but reading
and writing contents, which go through ``/files``).

Each RPC acts as the request's user (``Authorization: Basic``, else the default user):
relative paths are in that user's home, and directories created for the request are that
user's. The daemon itself is the sandbox's root, so it reads and changes anything, as
envd does. Failures answer with the Connect code the SDK turns into its exception
(``not_found`` → ``FileNotFoundException`` / ``exists() is False``, ``already_exists`` →
``make_dir() is False``, …); anything unexpected is ``internal``, never a traceback.
Blocking filesystem work runs in worker threads so one large listing or removal does not
stall the other requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import posixpath
import secrets
import shutil
import stat
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from connectrpc.code import Code
from connectrpc.errors import ConnectError
from connectrpc.request import RequestContext

from tessera.envd.entries import (
    OwnerNames,
    PathError,
    Problem,
    describe,
    ensure_dirs,
    entry_info,
    problem_of,
    resolve_path,
)
from tessera.envd.identity import EnvdConfig, EnvdUser, UnknownUser
from tessera.envd.proto.filesystem.filesystem_connect import Filesystem
from tessera.envd.proto.filesystem.filesystem_pb import (
    CreateWatcherRequest,
    CreateWatcherResponse,
    EntryInfo,
    GetWatcherEventsRequest,
    GetWatcherEventsResponse,
    ListDirRequest,
    ListDirResponse,
    MakeDirRequest,
    MakeDirResponse,
    MoveRequest,
    MoveResponse,
    RemoveRequest,
    RemoveResponse,
    RemoveWatcherRequest,
    RemoveWatcherResponse,
    StatRequest,
    StatResponse,
    WatchDirRequest,
    WatchDirResponse,
)
from tessera.envd.watch import DirWatch, PollingWatcher, is_network_mount, stream_events

logger = logging.getLogger(__name__)

KEEPALIVE_HEADER = "keepalive-ping-interval"
"""Seconds between keepalives the SDK asks for on ``WatchDir`` (it sends 50)."""
KEEPALIVE_CAP = 5.0
"""Longest quiet spell on a ``WatchDir`` stream. The server notices a client that went
away only when it next sends, so this bounds how long a stopped watch holds its inotify
instance (of which a user has only a few hundred)."""

_CODES = {
    Problem.NOT_FOUND: Code.NOT_FOUND,
    Problem.EXISTS: Code.ALREADY_EXISTS,
    Problem.INVALID: Code.INVALID_ARGUMENT,
    Problem.DENIED: Code.PERMISSION_DENIED,
    Problem.NO_SPACE: Code.RESOURCE_EXHAUSTED,
    Problem.LIMIT: Code.RESOURCE_EXHAUSTED,
    Problem.INTERNAL: Code.INTERNAL,
}

AnyContext = RequestContext[Any, Any]


@contextlib.contextmanager
def rpc_errors() -> Iterator[None]:
    """Turns what a request can fail with into the ``ConnectError`` envd answers."""
    try:
        yield
    except ConnectError:
        raise
    except UnknownUser as error:
        raise ConnectError(Code.UNAUTHENTICATED, str(error)) from None
    except PathError as error:
        raise ConnectError(Code.INVALID_ARGUMENT, str(error)) from None
    except OSError as error:
        raise ConnectError(_CODES[problem_of(error)], describe(error)) from None
    except Exception:
        logger.exception("filesystem request failed")
        raise ConnectError(Code.INTERNAL, "internal error") from None


class FilesystemService(Filesystem):
    """The ``filesystem.Filesystem`` service of one sandbox. ``aclose()`` ends every
    watcher it has open (the service stays usable)."""

    def __init__(self, config: EnvdConfig, *, keepalive_cap: float = KEEPALIVE_CAP) -> None:
        self.config = config
        self.keepalive_cap = keepalive_cap
        self._watchers: dict[str, PollingWatcher] = {}
        self._streams: set[asyncio.Event] = set()

    def _user(self, ctx: AnyContext) -> EnvdUser:
        return self.config.user_from_headers(ctx.request_headers)

    async def stat(
        self, request: StatRequest, ctx: RequestContext[StatRequest, StatResponse]
    ) -> StatResponse:
        with rpc_errors():
            path = resolve_path(request.path, self._user(ctx))
            return StatResponse(entry=await asyncio.to_thread(entry_info, path))

    async def list_dir(
        self, request: ListDirRequest, ctx: RequestContext[ListDirRequest, ListDirResponse]
    ) -> ListDirResponse:
        with rpc_errors():
            path = resolve_path(request.path, self._user(ctx))
            entries = await asyncio.to_thread(list_entries, path, request.depth or 1)
            return ListDirResponse(entries=entries)

    async def make_dir(
        self, request: MakeDirRequest, ctx: RequestContext[MakeDirRequest, MakeDirResponse]
    ) -> MakeDirResponse:
        with rpc_errors():
            user = self._user(ctx)
            path = resolve_path(request.path, user)
            return MakeDirResponse(entry=await asyncio.to_thread(make_dir, path, user))

    async def move(
        self, request: MoveRequest, ctx: RequestContext[MoveRequest, MoveResponse]
    ) -> MoveResponse:
        with rpc_errors():
            user = self._user(ctx)
            source = resolve_path(request.source, user)
            destination = resolve_path(request.destination, user)
            entry = await asyncio.to_thread(move, source, destination, user)
            return MoveResponse(entry=entry)

    async def remove(
        self, request: RemoveRequest, ctx: RequestContext[RemoveRequest, RemoveResponse]
    ) -> RemoveResponse:
        with rpc_errors():
            path = resolve_path(request.path, self._user(ctx))
            await asyncio.to_thread(remove, path)
            return RemoveResponse()

    async def watch_dir(
        self, request: WatchDirRequest, ctx: RequestContext[WatchDirRequest, WatchDirResponse]
    ) -> AsyncIterator[WatchDirResponse]:
        with rpc_errors():
            path = resolve_path(request.path, self._user(ctx))
            watch = DirWatch(path, recursive=request.recursive, include_entry=request.include_entry)
            await asyncio.to_thread(open_watch, watch, request.allow_network_mounts)
        stop = asyncio.Event()
        self._streams.add(stop)
        deadline = None if ctx.timeout_ms is None else time.monotonic() + ctx.timeout_ms / 1000
        events = stream_events(watch, keepalive=self._keepalive(ctx), deadline=deadline, stop=stop)
        try:
            with rpc_errors():
                async with contextlib.aclosing(events):
                    async for message in events:
                        yield message
        finally:
            self._streams.discard(stop)
            watch.close()

    async def create_watcher(
        self,
        request: CreateWatcherRequest,
        ctx: RequestContext[CreateWatcherRequest, CreateWatcherResponse],
    ) -> CreateWatcherResponse:
        with rpc_errors():
            path = resolve_path(request.path, self._user(ctx))
            watch = DirWatch(path, recursive=request.recursive, include_entry=request.include_entry)
            await asyncio.to_thread(open_watch, watch, request.allow_network_mounts)
            watcher_id = "w" + secrets.token_hex(8)
            self._watchers[watcher_id] = PollingWatcher(watch)
            return CreateWatcherResponse(watcher_id=watcher_id)

    async def get_watcher_events(
        self,
        request: GetWatcherEventsRequest,
        ctx: RequestContext[GetWatcherEventsRequest, GetWatcherEventsResponse],
    ) -> GetWatcherEventsResponse:
        with rpc_errors():
            watcher = self._watcher(request.watcher_id)
            return GetWatcherEventsResponse(events=watcher.take())

    async def remove_watcher(
        self,
        request: RemoveWatcherRequest,
        ctx: RequestContext[RemoveWatcherRequest, RemoveWatcherResponse],
    ) -> RemoveWatcherResponse:
        with rpc_errors():
            self._watcher(request.watcher_id).close()
            del self._watchers[request.watcher_id]
            return RemoveWatcherResponse()

    async def aclose(self) -> None:
        """Ends every watch: polling watchers are dropped, streams end cleanly."""
        for watcher in self._watchers.values():
            watcher.close()
        self._watchers.clear()
        for stop in self._streams:
            stop.set()

    def _watcher(self, watcher_id: str) -> PollingWatcher:
        watcher = self._watchers.get(watcher_id)
        if watcher is None:
            raise ConnectError(Code.NOT_FOUND, f"watcher {watcher_id!r} not found")
        return watcher

    def _keepalive(self, ctx: AnyContext) -> float:
        try:
            asked = float(ctx.request_headers.get(KEEPALIVE_HEADER, ""))
        except ValueError:
            return self.keepalive_cap
        return min(asked, self.keepalive_cap) if asked > 0 else self.keepalive_cap


def list_entries(path: str, depth: int) -> list[EntryInfo]:
    """What ``path`` holds, ``depth`` levels down, in envd's order: by name, each
    directory followed by what it holds. ``path`` may be a symlink to a directory; below
    it, symlinks are listed, not followed. Paths are reported under ``path`` as given."""
    try:
        actual = os.path.realpath(path, strict=True)
    except OSError as error:
        error.filename = path
        raise
    if not os.path.isdir(actual):
        raise ConnectError(Code.INVALID_ARGUMENT, f"path is not a directory: {path}")
    entries: list[EntryInfo] = []
    _walk(path, actual, depth, OwnerNames(), entries)
    return entries


def _walk(shown: str, actual: str, depth: int, names: OwnerNames, into: list[EntryInfo]) -> None:
    try:
        with os.scandir(actual) as listing:
            children = sorted(
                (entry.name, entry.is_dir(follow_symlinks=False)) for entry in listing
            )
    except (FileNotFoundError, NotADirectoryError):
        return  # removed while being listed
    for name, is_dir in children:
        try:
            into.append(
                entry_info(
                    posixpath.join(actual, name), names, shown_as=posixpath.join(shown, name)
                )
            )
        except FileNotFoundError:
            continue
        if is_dir and depth > 1:
            _walk(posixpath.join(shown, name), posixpath.join(actual, name), depth - 1, names, into)


def make_dir(path: str, user: EnvdUser) -> EntryInfo:
    """Creates ``path`` and its missing parents for ``user``; ``already_exists`` when it
    is a directory already, ``invalid_argument`` when it is something else."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        ensure_dirs(path, user)
        return entry_info(path)
    if stat.S_ISDIR(st.st_mode):
        raise ConnectError(Code.ALREADY_EXISTS, f"directory already exists: {path}")
    raise ConnectError(Code.INVALID_ARGUMENT, f"path exists and is not a directory: {path}")


def move(source: str, destination: str, user: EnvdUser) -> EntryInfo:
    """Renames ``source`` to ``destination``, creating the destination's missing parents
    for ``user``. Across filesystems (a sandbox's ``/tmp`` may be one of its own) the
    entry is copied, keeping owners, then removed."""
    os.lstat(source)  # not_found before anything is created
    ensure_dirs(posixpath.dirname(destination), user)
    try:
        os.rename(source, destination)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        _move_across(source, destination)
    return entry_info(destination)


def _move_across(source: str, destination: str) -> None:
    try:
        if stat.S_ISDIR(os.lstat(source).st_mode):
            shutil.copytree(source, destination, symlinks=True)
        else:
            shutil.copy2(source, destination, follow_symlinks=False)
        if os.geteuid() == 0:
            _copy_owners(source, destination)
    except BaseException:
        with contextlib.suppress(OSError):
            remove(destination)
        raise
    remove(source)


def _copy_owners(source: str, destination: str) -> None:
    def copy_owner(relative: str) -> None:
        st = os.lstat(posixpath.join(source, relative))
        os.lchown(posixpath.join(destination, relative), st.st_uid, st.st_gid)

    copy_owner("")
    for directory, dirnames, filenames in os.walk(source):
        relative = os.path.relpath(directory, source)
        for name in dirnames + filenames:
            copy_owner(posixpath.normpath(posixpath.join(relative, name)))


def remove(path: str) -> None:
    """Removes a file, a symlink (not its target) or a whole tree; nothing to remove is
    no error, as with envd."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def open_watch(watch: DirWatch, allow_network_mounts: bool) -> None:
    """Checks the watched path as envd does (``not_found``; ``invalid_argument`` for a
    file or, unless allowed, a network filesystem), then starts ``watch``."""
    if not os.path.isdir(watch.root):
        os.stat(watch.root)  # not_found when missing
        raise ConnectError(Code.INVALID_ARGUMENT, f"path is not a directory: {watch.root}")
    if not allow_network_mounts and is_network_mount(watch.root):
        raise ConnectError(
            Code.INVALID_ARGUMENT, f"cannot watch a path on a network filesystem: {watch.root}"
        )
    watch.open()
