"""Directory watching: inotify's events reported as envd reports them, recursion into new
directories, the streaming ``WatchDir`` (start, events, keepalives, deadline, end) and the
polling watcher the sync SDK uses — directly, then through the real SDK."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from e2b import (
    AsyncSandbox,
    FilesystemEvent,
    FilesystemEventType,
    NotFoundException,
    Sandbox,
    SandboxException,
)

from tessera.envd import filesystem
from tessera.envd.filesystem import FilesystemService
from tessera.envd.identity import EnvdConfig
from tessera.envd.proto.filesystem.filesystem_pb import (
    CreateWatcherRequest,
    EventType,
    FileType,
    GetWatcherEventsRequest,
    RemoveWatcherRequest,
    WatchDirRequest,
    WatchDirResponse,
)
from tessera.envd.watch import DirWatch, PollingWatcher, stream_events
from tests.envd.files_support import EnvdServer, context, sandbox_config, serve, wait_until

Seen = list[tuple[str, EventType]]


@pytest.fixture
def config(tmp_path: Path) -> EnvdConfig:
    return sandbox_config(tmp_path)


@pytest.fixture
def watched(config: EnvdConfig) -> Path:
    path = Path(config.users["user"].home) / "watched"
    path.mkdir()
    return path


def opened(root: Path, *, recursive: bool = False, include_entry: bool = False) -> DirWatch:
    watch = DirWatch(str(root), recursive=recursive, include_entry=include_entry)
    watch.open()
    return watch


def seen(watch: DirWatch) -> Seen:
    return [(event.name, event.type) for event in watch.drain()]


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


# -- inotify → envd events -------------------------------------------------------------


def test_events_are_named_and_typed_as_envd_reports_them(watched: Path) -> None:
    existing = watched / "existing.txt"
    existing.write_text("old")
    watch = opened(watched)
    try:
        (watched / "new.txt").write_text("hello")
        existing.chmod(0o600)
        with existing.open("a") as handle:
            handle.write("more")
        existing.rename(watched / "renamed.txt")
        (watched / "new.txt").unlink()
        (watched / "sub").mkdir()

        assert seen(watch) == [
            ("new.txt", EventType.CREATE),
            ("new.txt", EventType.WRITE),
            ("existing.txt", EventType.CHMOD),
            ("existing.txt", EventType.WRITE),
            ("existing.txt", EventType.RENAME),
            ("renamed.txt", EventType.CREATE),
            ("new.txt", EventType.REMOVE),
            ("sub", EventType.CREATE),
        ]
        (watched / "sub" / "inner.txt").write_text("not recursive: not seen")
        assert seen(watch) == []
    finally:
        watch.close()


def test_the_watched_directory_itself_is_named_dot(watched: Path) -> None:
    watch = opened(watched)
    try:
        watched.rmdir()
        assert seen(watch) == [(".", EventType.REMOVE)]
    finally:
        watch.close()


def test_recursive_watches_follow_new_and_moved_directories(watched: Path) -> None:
    (watched / "nested").mkdir()
    watch = opened(watched, recursive=True)
    try:
        (watched / "nested" / "a.txt").write_text("a")
        assert seen(watch) == [
            ("nested/a.txt", EventType.CREATE),
            ("nested/a.txt", EventType.WRITE),
        ]

        (watched / "fresh").mkdir()
        # Created before the new directory is watched: reported as created when it is.
        (watched / "fresh" / "early").mkdir()
        assert seen(watch) == [("fresh", EventType.CREATE), ("fresh/early", EventType.CREATE)]
        (watched / "fresh" / "early" / "late.txt").touch()
        assert seen(watch) == [("fresh/early/late.txt", EventType.CREATE)]

        (watched / "fresh").rename(watched / "moved")
        assert seen(watch) == [
            ("fresh", EventType.RENAME),
            ("moved", EventType.CREATE),
            ("moved/early", EventType.CREATE),
            ("moved/early/late.txt", EventType.CREATE),
        ]
        (watched / "moved" / "early" / "after.txt").touch()
        assert seen(watch) == [("moved/early/after.txt", EventType.CREATE)]
    finally:
        watch.close()


def test_directories_moved_out_of_the_tree_are_no_longer_watched(
    watched: Path, tmp_path: Path
) -> None:
    (watched / "leaving").mkdir()
    watch = opened(watched, recursive=True)
    try:
        (watched / "leaving").rename(tmp_path / "outside")
        assert seen(watch) == [("leaving", EventType.RENAME)]
        (tmp_path / "outside" / "x.txt").touch()
        assert seen(watch) == []
    finally:
        watch.close()


def test_events_carry_the_entry_when_asked(watched: Path) -> None:
    watch = opened(watched, include_entry=True)
    try:
        (watched / "f.txt").write_text("hi")
        created = watch.drain()[0]
        (watched / "f.txt").unlink()
        removed = watch.drain()[-1]
        assert created.entry is not None and created.entry.path == str(watched / "f.txt")
        assert created.entry.type == FileType.FILE
        assert removed.type == EventType.REMOVE and removed.entry is None
    finally:
        watch.close()


def test_a_watch_needs_a_directory(watched: Path) -> None:
    (watched / "file").touch()
    with pytest.raises(NotADirectoryError):
        opened(watched / "file")
    with pytest.raises(FileNotFoundError):
        opened(watched / "missing")


# -- polling and streaming -------------------------------------------------------------


async def test_a_polling_watcher_has_events_right_after_they_happen(watched: Path) -> None:
    fds = open_fds()
    watcher = PollingWatcher(opened(watched), limit=3)
    try:
        (watched / "a.txt").write_text("a")  # no await in between: the fetch reads inotify
        assert [(e.name, e.type) for e in watcher.take()] == [
            ("a.txt", EventType.CREATE),
            ("a.txt", EventType.WRITE),
        ]
        assert watcher.take() == []
        for name in "bcd":
            (watched / name).touch()
        await asyncio.sleep(0.05)  # the event loop reads them into the (bounded) buffer
        assert [e.name for e in watcher.take()] == ["b", "c", "d"]
        for name in "efghi":
            (watched / name).touch()
        assert [e.name for e in watcher.take()] == ["g", "h", "i"]  # the oldest dropped
    finally:
        watcher.close()
    assert open_fds() == fds


async def test_a_stream_starts_then_reports_and_keeps_alive(watched: Path) -> None:
    stop = asyncio.Event()
    stream = stream_events(opened(watched), keepalive=0.05, deadline=None, stop=stop)
    try:
        first = await anext(stream)
        assert first.event is not None and first.event.field == "start"
        (watched / "x.txt").touch()
        event = await anext(stream)
        assert event.event is not None and event.event.field == "filesystem"
        assert (event.event.value.name, event.event.value.type) == ("x.txt", EventType.CREATE)
        quiet = await anext(stream)
        assert quiet.event is not None and quiet.event.field == "keepalive"
        stop.set()
        with pytest.raises(StopAsyncIteration):
            await anext(stream)
    finally:
        await stream.aclose()


async def test_a_stream_ends_at_its_deadline_and_releases_inotify(watched: Path) -> None:
    fds = open_fds()
    watch = opened(watched)
    stream = stream_events(
        watch, keepalive=10, deadline=time.monotonic() + 0.1, stop=asyncio.Event()
    )
    messages: list[WatchDirResponse] = []
    with pytest.raises(ConnectError) as caught:
        async for message in stream:
            messages.append(message)
    assert caught.value.code == Code.DEADLINE_EXCEEDED
    assert [m.event.field for m in messages if m.event] == ["start"]
    assert watch.closed and open_fds() == fds


async def test_service_watchers_and_their_errors(config: EnvdConfig, watched: Path) -> None:
    service = FilesystemService(config)
    created = await service.create_watcher(CreateWatcherRequest(path="watched"), context())
    (watched / "a").touch()
    events = await service.get_watcher_events(
        GetWatcherEventsRequest(watcher_id=created.watcher_id), context()
    )
    assert [(e.name, e.type) for e in events.events] == [("a", EventType.CREATE)]

    await service.remove_watcher(RemoveWatcherRequest(watcher_id=created.watcher_id), context())
    for call in (
        service.get_watcher_events(
            GetWatcherEventsRequest(watcher_id=created.watcher_id), context()
        ),
        service.remove_watcher(RemoveWatcherRequest(watcher_id=created.watcher_id), context()),
    ):
        with pytest.raises(ConnectError) as caught:
            await call
        assert caught.value.code == Code.NOT_FOUND

    (watched / "file").touch()
    for path, code in (("watched/file", Code.INVALID_ARGUMENT), ("missing", Code.NOT_FOUND)):
        with pytest.raises(ConnectError) as caught:
            await service.create_watcher(CreateWatcherRequest(path=path), context())
        assert caught.value.code == code


async def test_network_filesystems_are_watched_only_when_allowed(
    config: EnvdConfig, watched: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filesystem, "is_network_mount", lambda _path: True)
    service = FilesystemService(config)

    with pytest.raises(ConnectError) as caught:
        await service.create_watcher(CreateWatcherRequest(path="watched"), context())
    assert caught.value.code == Code.INVALID_ARGUMENT

    allowed = await service.create_watcher(
        CreateWatcherRequest(path="watched", allow_network_mounts=True), context()
    )
    assert allowed.watcher_id
    await service.aclose()


async def test_closing_the_service_ends_every_watch(config: EnvdConfig, watched: Path) -> None:
    fds = open_fds()
    service = FilesystemService(config, keepalive_cap=10)
    polling = await service.create_watcher(CreateWatcherRequest(path="watched"), context())
    stream = service.watch_dir(
        WatchDirRequest(path="watched", recursive=True),
        context({"keepalive-ping-interval": "50"}, timeout_ms=60_000),
    )
    assert (await anext(stream)).event is not None

    await service.aclose()

    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(anext(stream), 1)
    with pytest.raises(ConnectError):
        await service.get_watcher_events(
            GetWatcherEventsRequest(watcher_id=polling.watcher_id), context()
        )
    assert open_fds() == fds


# -- the real SDK over HTTP ------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EnvdServer]:
    with serve(sandbox_config(tmp_path_factory.mktemp("sandbox")), keepalive_cap=0.1) as running:
        yield running


@pytest.fixture(scope="module")
def sandbox(server: EnvdServer) -> Sandbox:
    return Sandbox.connect("local", debug=True, sandbox_url=server.url)


@pytest.fixture
async def async_sandbox(server: EnvdServer) -> AsyncSandbox:
    return await AsyncSandbox.connect("local", debug=True, sandbox_url=server.url)


class Collector:
    """Events an async watch delivers, awaitable by what they are."""

    def __init__(self) -> None:
        self.events: list[FilesystemEvent] = []
        self._changed = asyncio.Event()

    def __call__(self, event: FilesystemEvent) -> None:
        self.events.append(event)
        self._changed.set()

    async def wait_for(self, name: str, kind: FilesystemEventType) -> None:
        async with asyncio.timeout(5):
            while not any(e.name == name and e.type == kind for e in self.events):
                self._changed.clear()
                await self._changed.wait()


async def test_async_sdk_streams_changes(async_sandbox: AsyncSandbox, server: EnvdServer) -> None:
    files = async_sandbox.files
    await files.make_dir("stream")
    await files.write("stream/watched.txt", "first")
    events = Collector()
    exits: list[Exception | None] = []

    handle = await files.watch_dir("stream", on_event=events, on_exit=exits.append)
    await files.write("stream/watched.txt", "second")
    await events.wait_for("watched.txt", FilesystemEventType.WRITE)
    await files.rename("stream/watched.txt", "stream/renamed.txt")
    await events.wait_for("watched.txt", FilesystemEventType.RENAME)
    await events.wait_for("renamed.txt", FilesystemEventType.CREATE)
    await files.remove("stream/renamed.txt")
    await events.wait_for("renamed.txt", FilesystemEventType.REMOVE)

    await handle.stop()
    assert exits == [None]
    # The server notices the client left at its next keepalive and lets go of the watch.
    wait_until(lambda: not server.service._streams)


async def test_async_sdk_recursive_watch(async_sandbox: AsyncSandbox) -> None:
    files = async_sandbox.files
    await files.make_dir("recursive/nested")
    events = Collector()

    handle = await files.watch_dir("recursive", on_event=events, recursive=True)
    await files.write("recursive/nested/file.txt", "content")
    await events.wait_for("nested/file.txt", FilesystemEventType.WRITE)
    await files.make_dir("recursive/added")
    await events.wait_for("added", FilesystemEventType.CREATE)
    await files.write("recursive/added/file.txt", "content")
    await events.wait_for("added/file.txt", FilesystemEventType.WRITE)
    await handle.stop()


async def test_async_sdk_watch_errors(async_sandbox: AsyncSandbox) -> None:
    await async_sandbox.files.write("plain.txt", "x")
    with pytest.raises(NotFoundException):
        await async_sandbox.files.watch_dir("missing-dir", on_event=lambda e: None)
    with pytest.raises(SandboxException):
        await async_sandbox.files.watch_dir("plain.txt", on_event=lambda e: None)


async def test_async_sdk_watch_timeout_reaches_on_exit(async_sandbox: AsyncSandbox) -> None:
    await async_sandbox.files.make_dir("timed")
    exits: list[Exception | None] = []
    ended = asyncio.Event()

    def on_exit(error: Exception | None) -> None:
        exits.append(error)
        ended.set()

    await async_sandbox.files.watch_dir(
        "timed", on_event=lambda e: None, on_exit=on_exit, timeout=0.3
    )
    await asyncio.wait_for(ended.wait(), 5)
    assert exits and isinstance(exits[0], SandboxException)


def test_sync_sdk_polls_a_watcher(sandbox: Sandbox) -> None:
    files = sandbox.files
    files.make_dir("polled")
    files.write("polled/existing.txt", "content")

    handle = files.watch_dir("polled")
    files.write("polled/existing.txt", "changed")
    events = handle.get_new_events()
    assert (events[0].type, events[0].name) == (FilesystemEventType.WRITE, "existing.txt")

    files.write("polled/new.txt", "content")
    # Created, given to the user, written: envd's three events for a new file.
    assert [(e.type, e.name) for e in handle.get_new_events()] == [
        (FilesystemEventType.CREATE, "new.txt"),
        (FilesystemEventType.CHMOD, "new.txt"),
        (FilesystemEventType.WRITE, "new.txt"),
    ]
    handle.stop()
    with pytest.raises(SandboxException):
        handle.get_new_events()


def test_sync_sdk_polls_a_recursive_watcher(sandbox: Sandbox) -> None:
    files = sandbox.files
    files.make_dir("polled-tree/nested")

    handle = files.watch_dir("polled-tree", recursive=True, include_entry=True)
    files.write("polled-tree/nested/file.txt", "content")
    events = handle.get_new_events()
    assert len(events) == 3
    assert (events[0].type, events[0].name) == (FilesystemEventType.CREATE, "nested/file.txt")
    assert events[0].entry is not None and events[0].entry.name == "file.txt"

    files.make_dir("polled-tree/added")
    files.write("polled-tree/added/file.txt", "content")
    kinds = {(e.type, e.name) for e in handle.get_new_events()}
    assert (FilesystemEventType.CREATE, "added") in kinds
    assert (FilesystemEventType.WRITE, "added/file.txt") in kinds
    handle.stop()
