"""envd's ``filesystem.Filesystem`` service: entries described as envd describes them,
paths resolved for the acting user, directories created for that user, Connect errors the
SDK maps — called directly, then driven over HTTP by the real SDK (sync and async)."""

from __future__ import annotations

import errno
import os
import pwd
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from e2b import AsyncSandbox, FileType, Sandbox
from e2b.exceptions import (
    AuthenticationException,
    FileNotFoundException,
    InvalidArgumentException,
)

from tessera.envd import entries, filesystem
from tessera.envd.entries import PathError, permissions_string, resolve_path
from tessera.envd.filesystem import FilesystemService
from tessera.envd.identity import EnvdConfig
from tessera.envd.proto.filesystem.filesystem_pb import (
    FileType as PbFileType,
)
from tessera.envd.proto.filesystem.filesystem_pb import (
    ListDirRequest,
    MakeDirRequest,
    MoveRequest,
    RemoveRequest,
    StatRequest,
)
from tests.envd.files_support import (
    SANDBOX_ACCOUNT,
    EnvdServer,
    basic_auth,
    context,
    sandbox_config,
    serve,
)

ACCOUNT = pwd.getpwnam(SANDBOX_ACCOUNT)


@pytest.fixture
def config(tmp_path: Path) -> EnvdConfig:
    return sandbox_config(tmp_path)


@pytest.fixture
def service(config: EnvdConfig) -> FilesystemService:
    return FilesystemService(config)


def home(config: EnvdConfig, user: str = "user") -> Path:
    return Path(config.users[user].home)


def present(path: Path) -> bool:
    """Whether anything (a dangling symlink too) is at ``path``."""
    return os.path.lexists(path)


async def raises(code: Code, call: object) -> ConnectError:
    with pytest.raises(ConnectError) as caught:
        await call  # type: ignore[misc]
    assert caught.value.code == code, caught.value.message
    return caught.value


# -- paths and descriptions ------------------------------------------------------------


def test_paths_resolve_against_the_acting_users_home(config: EnvdConfig) -> None:
    user = config.users["user"]
    assert resolve_path("notes.txt", user) == f"{user.home}/notes.txt"
    assert resolve_path("", user) == user.home
    assert resolve_path("~", user) == user.home
    assert resolve_path("~/a/../b", user) == f"{user.home}/b"
    assert resolve_path("/tmp/./x//y/", user) == "/tmp/x/y"
    assert resolve_path("//etc/passwd", user) == "/etc/passwd"
    assert resolve_path("../" * 32, user) == "/"
    for bad in ("~root/x", "a\0b"):
        with pytest.raises(PathError):
            resolve_path(bad, user)


def test_permission_strings_are_envds() -> None:
    assert permissions_string(stat.S_IFREG | 0o644) == "-rw-r--r--"
    assert permissions_string(stat.S_IFDIR | 0o755) == "drwxr-xr-x"
    assert permissions_string(stat.S_IFLNK | 0o777) == "Lrwxrwxrwx"
    assert permissions_string(stat.S_IFDIR | stat.S_ISVTX | 0o777) == "dtrwxrwxrwx"
    assert permissions_string(stat.S_IFREG | stat.S_ISUID | 0o755) == "urwxr-xr-x"
    assert permissions_string(stat.S_IFCHR | 0o666) == "Dcrw-rw-rw-"
    assert permissions_string(stat.S_IFIFO | 0o600) == "prw-------"


# -- Stat ------------------------------------------------------------------------------


async def test_stat_describes_a_file(service: FilesystemService, config: EnvdConfig) -> None:
    path = home(config) / "report.txt"
    path.write_text("test")
    os.chown(path, ACCOUNT.pw_uid, ACCOUNT.pw_gid)
    path.chmod(0o644)
    os.setxattr(path, "user.e2b.author", b"ada")

    entry = (await service.stat(StatRequest(path="report.txt"), context())).entry

    assert entry is not None
    assert (entry.name, entry.path, entry.type) == ("report.txt", str(path), PbFileType.FILE)
    assert (entry.size, entry.mode, entry.permissions) == (4, 0o644, "-rw-r--r--")
    assert (entry.owner, entry.group) == (SANDBOX_ACCOUNT, SANDBOX_ACCOUNT)
    assert entry.modified_time is not None
    assert entry.modified_time.to_datetime().timestamp() == pytest.approx(path.stat().st_mtime)
    assert dict(entry.metadata) == {"author": "ada"}
    assert not entry.has_field("symlink_target")


async def test_a_symlink_reports_its_targets_type(
    service: FilesystemService, config: EnvdConfig
) -> None:
    target = home(config) / "dir" / "test.txt"
    target.parent.mkdir()
    target.write_text("Hello")
    (home(config) / "dir" / "link").symlink_to("test.txt")
    (home(config) / "dir" / "to-dir").symlink_to(target.parent)
    (home(config) / "dir" / "dangling").symlink_to("missing")

    link = (await service.stat(StatRequest(path="dir/link"), context())).entry
    to_dir = (await service.stat(StatRequest(path="dir/to-dir"), context())).entry
    dangling = (await service.stat(StatRequest(path="dir/dangling"), context())).entry

    assert link is not None and to_dir is not None and dangling is not None
    assert (link.type, link.symlink_target) == (PbFileType.FILE, str(target))
    assert link.permissions == "Lrwxrwxrwx"
    assert link.path == str(home(config) / "dir" / "link")
    assert not link.is_symlink
    assert (to_dir.type, to_dir.symlink_target) == (PbFileType.DIRECTORY, str(target.parent))
    assert dangling.type == PbFileType.UNSPECIFIED
    assert dangling.symlink_target == str(home(config) / "dir" / "missing")


async def test_stat_errors(service: FilesystemService, config: EnvdConfig) -> None:
    await raises(Code.NOT_FOUND, service.stat(StatRequest(path="missing"), context()))
    error = await raises(
        Code.UNAUTHENTICATED, service.stat(StatRequest(path="/"), context(basic_auth("nobody")))
    )
    assert "nobody" in error.message
    await raises(Code.INVALID_ARGUMENT, service.stat(StatRequest(path="~other"), context()))


async def test_the_acting_user_comes_from_the_authorization_header(
    service: FilesystemService, config: EnvdConfig
) -> None:
    (home(config, "root") / "only-root.txt").write_text("x")

    as_root = await service.stat(StatRequest(path="only-root.txt"), context(basic_auth("root")))

    assert as_root.entry is not None and as_root.entry.owner == "root"
    await raises(Code.NOT_FOUND, service.stat(StatRequest(path="only-root.txt"), context()))


async def test_unexpected_failures_are_internal_without_details(
    service: FilesystemService, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(filesystem, "entry_info", explode)

    error = await raises(Code.INTERNAL, service.stat(StatRequest(path="/"), context()))

    assert "secret" not in error.message


# -- ListDir ---------------------------------------------------------------------------


@pytest.fixture
def tree(config: EnvdConfig) -> Path:
    root = home(config) / "tree"
    for directory in ("subdir1/subdir1_1", "subdir1/subdir1_2", "subdir2/subdir2_1"):
        (root / directory).mkdir(parents=True)
    (root / "file1.txt").write_text("Hello")
    (root / "subdir1" / "subdir1_1" / "deep.txt").write_text("deep")
    return root


async def test_list_dir_walks_to_the_asked_depth_in_envds_order(
    service: FilesystemService, tree: Path
) -> None:
    async def listing(depth: int) -> list[tuple[str, str, PbFileType]]:
        response = await service.list_dir(ListDirRequest(path="tree", depth=depth), context())
        return [(e.name, e.path.removeprefix(f"{tree}/"), e.type) for e in response.entries]

    one = [
        ("file1.txt", "file1.txt", PbFileType.FILE),
        ("subdir1", "subdir1", PbFileType.DIRECTORY),
        ("subdir2", "subdir2", PbFileType.DIRECTORY),
    ]
    assert await listing(0) == one  # unset depth is 1
    assert await listing(1) == one
    assert [path for _, path, _ in await listing(2)] == [
        "file1.txt",
        "subdir1",
        "subdir1/subdir1_1",
        "subdir1/subdir1_2",
        "subdir2",
        "subdir2/subdir2_1",
    ]
    assert ("deep.txt", "subdir1/subdir1_1/deep.txt", PbFileType.FILE) in await listing(3)


async def test_list_dir_through_a_symlink_reports_the_asked_path(
    service: FilesystemService, tree: Path, config: EnvdConfig
) -> None:
    (home(config) / "alias").symlink_to(tree)
    (tree / "loop").symlink_to(tree)

    response = await service.list_dir(ListDirRequest(path="alias", depth=5), context())
    paths = [entry.path for entry in response.entries]

    assert f"{home(config)}/alias/file1.txt" in paths
    assert f"{home(config)}/alias/loop" in paths  # listed, never followed
    assert not any("/loop/" in path for path in paths)


async def test_list_dir_errors(service: FilesystemService, tree: Path) -> None:
    await raises(Code.NOT_FOUND, service.list_dir(ListDirRequest(path="nope"), context()))
    await raises(
        Code.INVALID_ARGUMENT, service.list_dir(ListDirRequest(path="tree/file1.txt"), context())
    )


# -- MakeDir, Move, Remove -------------------------------------------------------------


async def test_make_dir_creates_parents_for_the_user(
    service: FilesystemService, config: EnvdConfig
) -> None:
    response = await service.make_dir(MakeDirRequest(path="a/b/c"), context())

    assert response.entry is not None
    assert (response.entry.path, response.entry.type) == (
        str(home(config) / "a/b/c"),
        PbFileType.DIRECTORY,
    )
    for directory in ("a", "a/b", "a/b/c"):
        st = (home(config) / directory).stat()
        assert (st.st_uid, st.st_gid) == (ACCOUNT.pw_uid, ACCOUNT.pw_gid)
        assert stat.S_IMODE(st.st_mode) == 0o755
    assert response.entry.permissions == "drwxr-xr-x"
    await raises(Code.ALREADY_EXISTS, service.make_dir(MakeDirRequest(path="a/b"), context()))


async def test_make_dir_over_a_file_is_invalid(
    service: FilesystemService, config: EnvdConfig
) -> None:
    (home(config) / "file").write_text("x")

    await raises(Code.INVALID_ARGUMENT, service.make_dir(MakeDirRequest(path="file"), context()))
    await raises(
        Code.INVALID_ARGUMENT, service.make_dir(MakeDirRequest(path="file/sub"), context())
    )


async def test_make_dir_leaves_existing_parents_alone(
    service: FilesystemService, config: EnvdConfig
) -> None:
    await service.make_dir(
        MakeDirRequest(path="/tmp/../" + str(home(config, "root")) + "/x"), context()
    )

    assert home(config, "root").stat().st_uid == 0
    assert (home(config, "root") / "x").stat().st_uid == ACCOUNT.pw_uid


async def test_move_renames_and_creates_parents(
    service: FilesystemService, config: EnvdConfig
) -> None:
    (home(config) / "old.txt").write_text("content")

    response = await service.move(
        MoveRequest(source="old.txt", destination="new/place/new.txt"), context()
    )

    assert response.entry is not None and response.entry.path == str(
        home(config) / "new/place/new.txt"
    )
    assert (home(config) / "new/place/new.txt").read_text() == "content"
    assert not (home(config) / "old.txt").exists()
    assert (home(config) / "new").stat().st_uid == ACCOUNT.pw_uid


async def test_move_of_a_missing_source_creates_nothing(
    service: FilesystemService, config: EnvdConfig
) -> None:
    await raises(
        Code.NOT_FOUND, service.move(MoveRequest(source="nope", destination="d/x"), context())
    )
    assert not (home(config) / "d").exists()


async def test_move_across_filesystems_copies_with_owners(
    service: FilesystemService, config: EnvdConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = home(config) / "project"
    (source / "src").mkdir(parents=True)
    (source / "src" / "main.py").write_text("print('hi')")
    (source / "link").symlink_to("src/main.py")
    for path in (source, source / "src", source / "src" / "main.py"):
        os.chown(path, ACCOUNT.pw_uid, ACCOUNT.pw_gid)

    def cross_device(_source: str, _destination: str) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(filesystem.os, "rename", cross_device)
    await service.move(MoveRequest(source="project", destination="moved"), context())

    moved = home(config) / "moved"
    assert not source.exists()
    assert (moved / "src" / "main.py").read_text() == "print('hi')"
    assert os.readlink(moved / "link") == "src/main.py"
    for path in (moved, moved / "src", moved / "src" / "main.py"):
        assert path.stat().st_uid == ACCOUNT.pw_uid


async def test_remove_takes_files_trees_and_links_but_not_link_targets(
    service: FilesystemService, tree: Path, config: EnvdConfig
) -> None:
    (home(config) / "link").symlink_to(tree)

    await service.remove(RemoveRequest(path="link"), context())
    assert present(tree) and not present(home(config) / "link")
    await service.remove(RemoveRequest(path="tree/file1.txt"), context())
    assert not present(tree / "file1.txt")
    await service.remove(RemoveRequest(path="tree"), context())
    assert not present(tree)
    await service.remove(RemoveRequest(path="tree"), context())  # nothing there: no error


async def test_disk_full_is_resource_exhausted(
    service: FilesystemService, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(_path: str, _mode: int = 0o777) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", _path)

    monkeypatch.setattr(entries.os, "mkdir", full)

    await raises(Code.RESOURCE_EXHAUSTED, service.make_dir(MakeDirRequest(path="d"), context()))


# -- the real SDK over HTTP ------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EnvdServer]:
    with serve(sandbox_config(tmp_path_factory.mktemp("sandbox"))) as running:
        yield running


@pytest.fixture(scope="module")
def sandbox(server: EnvdServer) -> Sandbox:
    return Sandbox.connect("local", debug=True, sandbox_url=server.url)


@pytest.fixture
async def async_sandbox(server: EnvdServer) -> AsyncSandbox:
    return await AsyncSandbox.connect("local", debug=True, sandbox_url=server.url)


def test_sdk_directory_operations(sandbox: Sandbox, server: EnvdServer) -> None:
    user_home = server.config.users["user"].home
    files = sandbox.files

    assert files.make_dir("sync-ops/sub") is True
    assert files.make_dir("sync-ops/sub") is False
    files.write("sync-ops/a.txt", "Hello, World!")
    assert files.exists("sync-ops/a.txt") is True
    assert files.exists("sync-ops/none") is False

    listed = files.list("sync-ops")
    assert [(e.name, e.type, e.path) for e in listed] == [
        ("a.txt", FileType.FILE, f"{user_home}/sync-ops/a.txt"),
        ("sub", FileType.DIR, f"{user_home}/sync-ops/sub"),
    ]
    info = files.get_info("sync-ops/a.txt")
    assert (info.size, info.mode, info.permissions) == (13, 0o644, "-rw-r--r--")
    assert (info.owner, info.group, info.symlink_target) == (SANDBOX_ACCOUNT, SANDBOX_ACCOUNT, None)
    directory = files.get_info("sync-ops/sub")
    assert (directory.type, directory.mode, directory.permissions) == (
        FileType.DIR,
        0o755,
        "drwxr-xr-x",
    )

    renamed = files.rename("sync-ops/a.txt", "sync-ops/b.txt")
    assert renamed.path == f"{user_home}/sync-ops/b.txt"
    files.remove("sync-ops")
    assert files.exists("sync-ops") is False
    files.remove("sync-ops")  # removing nothing is fine


async def test_async_sdk_directory_operations(
    async_sandbox: AsyncSandbox, server: EnvdServer
) -> None:
    user_home = server.config.users["user"].home
    files = async_sandbox.files
    for directory in ("ops/subdir1/subdir1_1", "ops/subdir1/subdir1_2", "ops/subdir2"):
        assert await files.make_dir(directory) is True
    await files.write("ops/file1.txt", "Hello, world!")

    assert [e.name for e in await files.list("ops")] == ["file1.txt", "subdir1", "subdir2"]
    assert [e.path.removeprefix(f"{user_home}/ops/") for e in await files.list("ops", depth=2)] == [
        "file1.txt",
        "subdir1",
        "subdir1/subdir1_1",
        "subdir1/subdir1_2",
        "subdir2",
    ]
    with pytest.raises(InvalidArgumentException):
        await files.list("ops", depth=0)  # refused by the SDK itself

    os.symlink("file1.txt", f"{user_home}/ops/link.txt")
    link = await files.get_info("ops/link.txt")
    assert link.type == FileType.FILE
    assert link.symlink_target == f"{user_home}/ops/file1.txt"

    assert await files.make_dir("ops") is False
    assert (await files.rename("ops", "ops2")).type == FileType.DIR
    await files.remove("ops2")
    assert await files.exists("ops2") is False


def test_sdk_maps_filesystem_errors(sandbox: Sandbox) -> None:
    with pytest.raises(FileNotFoundException):
        sandbox.files.get_info("does-not-exist")
    with pytest.raises(FileNotFoundException):
        sandbox.files.rename("does-not-exist", "other")
    with pytest.raises(FileNotFoundException):
        sandbox.files.list("does-not-exist")
    sandbox.files.write("plain.txt", "x")
    with pytest.raises(InvalidArgumentException):
        sandbox.files.list("plain.txt")
    with pytest.raises(AuthenticationException):
        sandbox.files.exists("plain.txt", user="nobody")


async def test_sdk_acts_as_the_user_it_names(
    async_sandbox: AsyncSandbox, server: EnvdServer
) -> None:
    info = await async_sandbox.files.write("mine.txt", "x", user="root")

    assert info.path == f"{server.config.users['root'].home}/mine.txt"
    assert (await async_sandbox.files.get_info("mine.txt", user="root")).owner == "root"
    assert await async_sandbox.files.exists("mine.txt") is False


def test_connect_answers_unknown_methods_and_malformed_requests(server: EnvdServer) -> None:
    headers = {"Content-Type": "application/json", "Connect-Protocol-Version": "1"}
    with httpx.Client(base_url=server.url) as client:
        unknown = client.post("/filesystem.Filesystem/Format", content=b"{}", headers=headers)
        malformed = client.post(
            "/filesystem.Filesystem/Stat", content=b"{not json", headers=headers
        )
        stream = client.post(
            "/filesystem.Filesystem/WatchDir",
            content=b"\x00\x00\x00\x00\x10{}",  # envelope claims 16 bytes, carries 2
            headers={**headers, "Content-Type": "application/connect+json"},
        )

    assert unknown.status_code == 404
    # connectrpc answers an undecodable body itself, as an error of its own choosing.
    assert malformed.status_code >= 400 and "code" in malformed.json()
    assert stream.status_code == 200
    assert stream.content.startswith(b"\x02") and b'"error"' in stream.content
