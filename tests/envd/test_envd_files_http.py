"""``/files``: file contents read and written over HTTP as envd serves them — driven by
the real SDK (sync and async), and by hand for what the SDK never sends: bad bodies,
error bodies, interrupted uploads."""

from __future__ import annotations

import errno
import gzip
import io
import os
import pwd
import stat
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from e2b import AsyncSandbox, Sandbox
from e2b.exceptions import (
    AuthenticationException,
    FileNotFoundException,
    InvalidArgumentException,
    NotEnoughSpaceException,
)
from e2b.sandbox.filesystem.filesystem import WriteEntry

from tessera.envd import files_http
from tessera.envd.files_http import accepts_gzip
from tests.envd.files_support import SANDBOX_ACCOUNT, EnvdServer, sandbox_config, serve

ACCOUNT = pwd.getpwnam(SANDBOX_ACCOUNT)
BIG = os.urandom(3 * files_http.CHUNK + 12345)
"""More than an upload keeps in memory: staged in an anonymous file."""
BIG_TEXT = b"".join(b"line %d\n" % i for i in range(200_000))
"""As big, and quick to compress."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EnvdServer]:
    with serve(sandbox_config(tmp_path_factory.mktemp("sandbox"))) as running:
        yield running


@pytest.fixture
def home(server: EnvdServer) -> Path:
    return Path(server.config.users["user"].home)


@pytest.fixture(scope="module")
def sandbox(server: EnvdServer) -> Sandbox:
    return Sandbox.connect("local", debug=True, sandbox_url=server.url)


@pytest.fixture
async def async_sandbox(server: EnvdServer) -> AsyncSandbox:
    return await AsyncSandbox.connect("local", debug=True, sandbox_url=server.url)


@pytest.fixture(scope="module")
def client(server: EnvdServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url) as http:
        yield http


def owned_by_user(path: Path) -> bool:
    st = path.stat()
    return (st.st_uid, st.st_gid) == (ACCOUNT.pw_uid, ACCOUNT.pw_gid)


# -- writing and reading with the SDK --------------------------------------------------


def test_sync_sdk_writes_and_reads(sandbox: Sandbox, home: Path) -> None:
    info = sandbox.files.write("sync/text.txt", "This is a test file.")
    assert (info.path, info.name, info.metadata) == (str(home / "sync/text.txt"), "text.txt", None)
    sandbox.files.write("sync/bytes.bin", b"\x00\x01binary")
    sandbox.files.write("sync/stream.bin", io.BytesIO(b"from a file object"))
    sandbox.files.write("sync/text-io.txt", io.StringIO("text file object"))
    sandbox.files.write("sync/chunks.bin", iter([b"chunk one, ", b"chunk two"]))

    assert sandbox.files.read("sync/text.txt") == "This is a test file."
    assert sandbox.files.read("sync/bytes.bin", format="bytes") == bytearray(b"\x00\x01binary")
    assert sandbox.files.read("sync/stream.bin") == "from a file object"
    assert sandbox.files.read("sync/text-io.txt") == "text file object"
    assert sandbox.files.read("sync/chunks.bin") == "chunk one, chunk two"
    with sandbox.files.read("sync/text.txt", format="stream") as stream:
        assert b"".join(stream) == b"This is a test file."

    new = home / "sync/text.txt"
    assert owned_by_user(new) and owned_by_user(new.parent)
    assert stat.S_IMODE(new.stat().st_mode) == 0o644
    assert stat.S_IMODE(new.parent.stat().st_mode) == 0o755


async def test_async_sdk_writes_and_reads(async_sandbox: AsyncSandbox, home: Path) -> None:
    files = async_sandbox.files

    async def chunks() -> AsyncIterator[bytes]:
        yield b"async "
        yield b"chunks"

    await files.write("async/text.txt", "Hello, world!")
    await files.write("async/chunks.bin", chunks())
    await files.write("async/file-object.bin", io.BytesIO(b"file object"), use_octet_stream=False)

    assert await files.read("async/text.txt") == "Hello, world!"
    assert await files.read("async/chunks.bin", format="bytes") == bytearray(b"async chunks")
    assert await files.read("async/file-object.bin") == "file object"
    stream = await files.read("async/text.txt", format="stream")
    assert b"".join([chunk async for chunk in stream]) == b"Hello, world!"

    await files.write("async/text.txt", "New.")
    assert await files.read("async/text.txt") == "New."
    os.mknod(home / "async" / "empty")
    assert await files.read("async/empty") == ""


def test_write_files_writes_many_at_once(sandbox: Sandbox, home: Path) -> None:
    entries = [WriteEntry(path=f"many/file_{i}.txt", data=f"File {i}") for i in range(10)]

    infos = sandbox.files.write_files(entries)

    assert [info.path for info in infos] == [str(home / f"many/file_{i}.txt") for i in range(10)]
    assert all(info.type is not None and info.type.value == "file" for info in infos)
    for i in range(10):
        assert (home / f"many/file_{i}.txt").read_text() == f"File {i}"
    assert sandbox.files.write_files([]) == []


async def test_gzip_both_ways(async_sandbox: AsyncSandbox, home: Path) -> None:
    files = async_sandbox.files
    await files.write("gz/one.txt", "compressed on the way in", gzip=True)
    await files.write_files(
        [WriteEntry(path="gz/a.txt", data="A"), WriteEntry(path="gz/b.txt", data="B")], gzip=True
    )
    await files.write("gz/big.bin", BIG_TEXT, gzip=True)

    assert (home / "gz/one.txt").read_text() == "compressed on the way in"
    assert [(home / f"gz/{n}.txt").read_text() for n in "ab"] == ["A", "B"]
    assert (home / "gz/big.bin").read_bytes() == BIG_TEXT
    assert await files.read("gz/one.txt", gzip=True) == "compressed on the way in"
    assert await files.read("gz/big.bin", format="bytes", gzip=True) == BIG_TEXT


def test_large_uploads_are_staged_and_copied_whole(sandbox: Sandbox, home: Path) -> None:
    sandbox.files.write("big/multipart.bin", io.BytesIO(BIG), use_octet_stream=False)
    sandbox.files.write("big/octet.bin", io.BytesIO(BIG), use_octet_stream=True)

    assert (home / "big/multipart.bin").read_bytes() == BIG
    assert (home / "big/octet.bin").read_bytes() == BIG
    assert sorted(os.listdir(home / "big")) == ["multipart.bin", "octet.bin"]
    assert sandbox.files.read("big/octet.bin", format="bytes") == BIG


async def test_metadata_is_stored_reported_and_replaced(
    async_sandbox: AsyncSandbox, home: Path
) -> None:
    files = async_sandbox.files
    metadata = {"author": "mish", "purpose": "upload"}

    info = await files.write("meta/a.txt", "content", metadata=metadata)
    octet = await files.write("meta/b.txt", "content", metadata=metadata, use_octet_stream=True)

    assert info.metadata == metadata and octet.metadata == metadata
    assert (await files.get_info("meta/a.txt")).metadata == metadata
    assert [e.metadata for e in await files.list("meta")] == [metadata, metadata]
    assert (await files.rename("meta/b.txt", "meta/c.txt")).metadata == metadata
    assert os.getxattr(home / "meta/a.txt", "user.e2b.author") == b"mish"

    overwritten = await files.write("meta/a.txt", "again")
    assert overwritten.metadata is None
    assert (await files.get_info("meta/a.txt")).metadata is None


async def test_the_acting_user_owns_and_locates_files(
    async_sandbox: AsyncSandbox, server: EnvdServer
) -> None:
    root_home = Path(server.config.users["root"].home)

    info = await async_sandbox.files.write("deep/down/root.txt", "r", user="root")

    assert info.path == str(root_home / "deep/down/root.txt")
    assert (root_home / "deep").stat().st_uid == 0
    assert await async_sandbox.files.read("deep/down/root.txt", user="root") == "r"
    with pytest.raises(FileNotFoundException):
        await async_sandbox.files.read("deep/down/root.txt")


def test_writing_through_a_symlink_writes_its_target(sandbox: Sandbox, home: Path) -> None:
    (home / "real.txt").write_text("old")
    (home / "alias.txt").symlink_to("real.txt")

    sandbox.files.write("alias.txt", "new")

    assert (home / "alias.txt").is_symlink()
    assert (home / "real.txt").read_text() == "new"


# -- errors ----------------------------------------------------------------------------


def test_sdk_sees_envds_errors(sandbox: Sandbox, home: Path) -> None:
    (home / "a-dir").mkdir()
    with pytest.raises(FileNotFoundException):
        sandbox.files.read("no-such-file.txt")
    with pytest.raises(InvalidArgumentException):
        sandbox.files.read("a-dir")
    with pytest.raises(InvalidArgumentException):
        sandbox.files.write("a-dir", "a directory is no file")
    with pytest.raises(InvalidArgumentException):
        sandbox.files.write("a-dir/x", "data", metadata={"bad key": "x"})  # SDK refuses too
    with pytest.raises(AuthenticationException):
        sandbox.files.read("anything", user="nobody")
    with pytest.raises(AuthenticationException):
        sandbox.files.write("anything", "x", user="nobody")
    assert not (home / "anything").exists()


def test_error_bodies_carry_the_status_and_a_message(client: httpx.Client, home: Path) -> None:
    (home / "dir").mkdir(exist_ok=True)
    cases = {
        ("GET", "/files?path=missing.txt"): 404,
        ("GET", "/files?path=dir"): 400,
        ("GET", "/files"): 400,
        ("GET", "/files?path=x&username=nobody"): 401,
        ("POST", "/files"): 400,
        ("POST", "/files?path=dir"): 400,
        ("POST", "/files?path=x&username=nobody"): 401,
    }
    for (method, url), status in cases.items():
        response = client.request(
            method, url, content=b"data", headers={"Content-Type": "application/octet-stream"}
        )
        body = response.json()
        assert (response.status_code, body["code"]) == (status, status), (method, url, body)
        assert isinstance(body["message"], str) and body["message"]
    assert client.get("/files?path=/dev/null").status_code == 400


def test_raw_reads_are_octet_streams_gzip_only_when_asked(client: httpx.Client, home: Path) -> None:
    (home / "raw.txt").write_bytes(b"raw " * 1000)

    plain = client.get("/files?path=raw.txt", headers={"Accept-Encoding": "identity"})
    packed = client.send(
        client.build_request("GET", "/files?path=raw.txt", headers={"Accept-Encoding": "gzip"}),
        stream=True,
    )
    compressed = b"".join(packed.iter_raw())

    assert plain.headers["content-type"] == "application/octet-stream"
    assert "content-encoding" not in plain.headers and plain.content == b"raw " * 1000
    assert packed.headers["content-encoding"] == "gzip"
    assert len(compressed) < 1000 and gzip.decompress(compressed) == b"raw " * 1000
    assert accepts_gzip("deflate, gzip;q=0.5") and not accepts_gzip("gzip;q=0, br")


def test_disk_full_is_507_and_leaves_no_file(
    sandbox: Sandbox, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (home / "kept.txt").write_text("kept")
    real_write_all = files_http.write_all

    def full(fd: int, data: bytes) -> None:
        if data:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write_all(fd, data)

    monkeypatch.setattr(files_http, "write_all", full)

    with pytest.raises(NotEnoughSpaceException):
        sandbox.files.write("full/new.txt", "does not fit")
    with pytest.raises(NotEnoughSpaceException):
        sandbox.files.write("big-full.bin", BIG, use_octet_stream=True)
    assert not (home / "full/new.txt").exists()
    assert not (home / "big-full.bin").exists()


def test_failed_uploads_leave_no_file(client: httpx.Client, home: Path) -> None:
    truncated_gzip = gzip.compress(b"x" * 10_000)[:-10]
    bad = client.post(
        "/files?path=fail/gz.txt",
        content=truncated_gzip,
        headers={"Content-Type": "application/octet-stream", "Content-Encoding": "gzip"},
    )
    not_gzip = client.post(
        "/files?path=fail/not-gz.txt",
        content=b"plain",
        headers={"Content-Type": "application/octet-stream", "Content-Encoding": "gzip"},
    )
    brotli = client.post(
        "/files?path=fail/br.txt",
        content=b"whatever",
        headers={"Content-Type": "application/octet-stream", "Content-Encoding": "br"},
    )
    unfinished = client.post(
        "/files",
        content=b'--b\r\nContent-Disposition: form-data; name="file"; filename="fail/part.txt"'
        b"\r\n\r\npartial data",
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )

    assert [r.status_code for r in (bad, not_gzip, brotli, unfinished)] == [400] * 4
    for name in ("gz.txt", "not-gz.txt", "br.txt", "part.txt"):
        assert not (home / "fail" / name).exists()


def test_multipart_rules(client: httpx.Client, home: Path) -> None:
    def post(url: str, *names: str) -> httpx.Response:
        files = [("file", (name, b"data " + name.encode())) for name in names]
        return client.post(url, files=[*files, ("note", (None, b"ignored field"))])

    single = post("/files?path=mp/renamed.txt", "ignored-name.txt")
    several = post("/files", "mp/one.txt", "/tmp/../" + str(home / "mp/two.txt"))
    duplicate = post("/files", "mp/dup.txt", "mp/dup.txt")
    path_for_many = post("/files?path=mp/x.txt", "mp/y.txt", "mp/z.txt")
    nameless = client.post("/files", files=[("file", (None, b"no filename"))])

    assert single.json() == [
        {"path": str(home / "mp/renamed.txt"), "name": "renamed.txt", "type": "file"}
    ]
    assert [item["path"] for item in several.json()] == [
        str(home / "mp/one.txt"),
        str(home / "mp/two.txt"),
    ]
    assert (home / "mp/two.txt").read_bytes() == b"data /tmp/../" + str(
        home / "mp/two.txt"
    ).encode()
    assert [r.status_code for r in (duplicate, path_for_many, nameless)] == [400, 400, 400]
    assert not (home / "ignored-name.txt").exists()


def test_gzip_bodies_of_many_members_and_bombs(client: httpx.Client, home: Path) -> None:
    members = gzip.compress(b"first ") + gzip.compress(b"second")
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    payload = bomb.compress(b"\0" * (6 * files_http.CHUNK)) + bomb.flush()

    joined = client.post(
        "/files?path=gzm/joined.txt",
        content=members,
        headers={"Content-Type": "application/octet-stream", "Content-Encoding": "gzip"},
    )
    zeros = client.post(
        "/files?path=gzm/zeros.bin",
        content=payload,
        headers={"Content-Type": "application/octet-stream", "Content-Encoding": "gzip"},
    )

    assert joined.status_code == zeros.status_code == 200
    assert (home / "gzm/joined.txt").read_bytes() == b"first second"
    assert (home / "gzm/zeros.bin").stat().st_size == 6 * files_http.CHUNK
