"""``/files``: reading and writing file contents over plain HTTP, as envd serves them.

``GET /files?path=…[&username=…]`` answers the file's bytes (gzip-encoded when the client
accepts it). ``POST /files`` takes ``multipart/form-data`` (one ``file`` part per file, its
filename the target path; ``?path=`` names the target of a single file) or any other body
as one file's contents with ``?path=`` (``Content-Encoding: gzip`` is undone first), plus
``X-Metadata-<key>`` headers stored as the files' metadata. It answers
``[{"path", "name", "type": "file"}, …]``.

Errors are ``{"code": <status>, "message": …}`` with the statuses the SDK maps: 400 bad
request (no path, a directory, bad metadata), 401 unknown user, 404 no such file, 507 no
space left.

An upload is staged before its target is touched: in memory while small, then in an
anonymous file (``O_TMPFILE``) in the target's directory, so it counts against the same
disk and leaves no trace when it fails midway. Only a complete upload is copied into the
target, in place: the target keeps its inode, owner and mode, and a watcher sees the
writes to it that envd's own in-place writes cause (``CREATE``, ``CHMOD`` for the
ownership, ``WRITE``) and nothing of the staging.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import posixpath
import stat
import tempfile
import zlib
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, TypeVar

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Message

from tessera.envd.entries import (
    FILE_MODE,
    PathError,
    Problem,
    describe,
    ensure_dirs,
    problem_of,
    resolve_path,
    set_mode,
    validate_metadata,
    write_metadata,
)
from tessera.envd.identity import EnvdConfig, EnvdUser, UnknownUser, own_files

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
"""Bytes per read or write of file contents, and the most an upload keeps in memory."""
GZIP_LEVEL = 1
"""Compression of gzip downloads: the sandbox is local, so speed over size."""
METADATA_HEADER_PREFIX = "x-metadata-"
DRAIN_LIMIT = 64 * 1024 * 1024
"""Bytes of a refused upload read (and dropped) so that its client gets the answer."""

_STATUSES = {
    Problem.NOT_FOUND: 404,
    Problem.EXISTS: 400,
    Problem.INVALID: 400,
    Problem.DENIED: 403,
    Problem.NO_SPACE: 507,
    Problem.LIMIT: 503,
    Problem.INTERNAL: 500,
}

T = TypeVar("T")


class HTTPProblem(Exception):
    """A request ``/files`` refuses, with the status and message to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def routes(config: EnvdConfig, *, staging_dir: str | None = None) -> list[BaseRoute]:
    """``GET`` and ``POST /files`` for the sandbox described by ``config``. ``staging_dir``
    holds uploads whose target directory cannot keep an anonymous file (the system's
    temporary directory by default)."""
    endpoint = FilesEndpoint(config, staging_dir=staging_dir)
    return [Route("/files", endpoint.handle, methods=["GET", "POST"])]


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"code": status, "message": message}, status_code=status)


class FilesEndpoint:
    """``/files`` of one sandbox: every failure becomes an error body, never a traceback."""

    def __init__(self, config: EnvdConfig, *, staging_dir: str | None = None) -> None:
        self.config = config
        self.staging_dir = staging_dir

    async def handle(self, request: Request) -> Response:
        body = BodyTracker(request)
        response = await self._answer(Request(request.scope, body.receive))
        if request.method == "POST" and response.status_code >= 400 and not body.ended:
            await body.drain()
        return response

    async def _answer(self, request: Request) -> Response:
        try:
            if request.method == "POST":
                return await self.upload(request)
            return await self.download(request)
        except HTTPProblem as problem:
            return error_response(problem.status, problem.message)
        except UnknownUser as error:
            return error_response(401, str(error))
        except PathError as error:
            return error_response(400, str(error))
        except OSError as error:
            status = _STATUSES[problem_of(error)]
            if status == 507:
                return error_response(507, f"not enough disk space available: {describe(error)}")
            return error_response(status, describe(error))
        except ClientDisconnect:
            return error_response(400, "the client went away before the upload completed")
        except Exception:
            logger.exception("%s /files failed", request.method)
            return error_response(500, "internal error")

    def _user(self, request: Request) -> EnvdUser:
        return self.config.user_from_headers(request.headers, request.query_params.get("username"))

    async def download(self, request: Request) -> Response:
        user = self._user(request)
        path = resolve_path(request.query_params.get("path", ""), user)
        fd = await run_blocking(open_for_reading, path)
        gzip = accepts_gzip(request.headers.get("accept-encoding", ""))
        headers = {"Vary": "Accept-Encoding"}
        if gzip:
            headers["Content-Encoding"] = "gzip"
        return StreamingResponse(
            read_chunks(fd, gzip=gzip), media_type="application/octet-stream", headers=headers
        )

    async def upload(self, request: Request) -> Response:
        user = self._user(request)
        metadata = {
            name.removeprefix(METADATA_HEADER_PREFIX): value
            for name, value in request.headers.items()
            if name.startswith(METADATA_HEADER_PREFIX)
        }
        validate_metadata(metadata)
        path = request.query_params.get("path")
        body: AsyncIterator[bytes] = request.stream()
        encoding = request.headers.get("content-encoding", "").strip().lower()
        if encoding == "gzip":
            body = gunzip(body)
        elif encoding not in ("", "identity"):
            raise HTTPProblem(400, f"unsupported Content-Encoding {encoding!r} (gzip is)")
        content_type, options = parse_options_header(request.headers.get("content-type"))
        uploader = Uploader(user, metadata, staging_dir=self.staging_dir)
        if content_type == b"multipart/form-data":
            boundary = options.get(b"boundary")
            if not boundary:
                raise HTTPProblem(400, "multipart body without a boundary")
            await uploader.multipart(body, boundary, path)
        else:
            if not path:
                raise HTTPProblem(400, "the path of the file is required (?path=)")
            await uploader.single(body, path)
        return JSONResponse(uploader.written)


class BodyTracker:
    """Knows whether a request's body was read to its end; ``drain`` reads what is left of
    a refused upload (up to ``limit`` bytes), so that the client, still sending, gets the
    answer rather than a connection reset."""

    def __init__(self, request: Request) -> None:
        self._receive = request.receive
        self.ended = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.ended = True
        return message

    async def drain(self, limit: int = DRAIN_LIMIT) -> None:
        received = 0
        with contextlib.suppress(ClientDisconnect, OSError):
            while not self.ended and received <= limit:
                message = await self.receive()
                received += len(message.get("body", b""))


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether ``Accept-Encoding`` allows gzip (listed without ``q=0``)."""
    for item in accept_encoding.split(","):
        coding, _, parameters = item.strip().partition(";")
        if coding.strip().lower() not in ("gzip", "x-gzip"):
            continue
        quality = parameters.strip().lower()
        if quality.startswith("q="):
            try:
                return float(quality[2:]) > 0
            except ValueError:
                return False
        return True
    return False


def open_for_reading(path: str) -> int:
    """A descriptor on the regular file at ``path`` (symlinks followed)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            raise HTTPProblem(400, f"path {path!r} is {kind}")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


async def read_chunks(fd: int, *, gzip: bool) -> AsyncIterator[bytes]:
    """The contents of ``fd`` (gzip-compressed if asked), closing it at the end."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31) if gzip else None
    try:
        while data := await run_blocking(os.read, fd, CHUNK):
            out = compressor.compress(data) if compressor else data
            if out:
                yield out
        if compressor:
            yield compressor.flush()
    finally:
        os.close(fd)


async def gunzip(body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """A gzip body, decompressed as it arrives (concatenated members too), in pieces of
    at most ``CHUNK`` bytes however well it was compressed."""
    decompressor = zlib.decompressobj(31)
    fed = False  # whether the current member has begun
    try:
        async for chunk in body:
            data, more = chunk, True
            while data or more:
                fed = fed or bool(data)
                out = decompressor.decompress(data, CHUNK)
                if out:
                    yield out
                if decompressor.eof:
                    data = decompressor.unused_data
                    decompressor, fed, more = zlib.decompressobj(31), False, False
                else:
                    # Input left over, or output held back for want of room.
                    data, more = decompressor.unconsumed_tail, len(out) == CHUNK
    except zlib.error as error:
        raise HTTPProblem(400, f"the body is not valid gzip: {error}") from None
    if fed and not decompressor.eof:
        raise HTTPProblem(400, "the gzip body ends before its end")


class Uploader:
    """Writes the files of one ``POST /files`` for ``user`` and remembers what it wrote."""

    def __init__(
        self, user: EnvdUser, metadata: Mapping[str, str], *, staging_dir: str | None
    ) -> None:
        self.user = user
        self.metadata = metadata
        self.staging_dir = staging_dir
        self.written: list[dict[str, Any]] = []
        self._targets: set[str] = set()

    async def single(self, body: AsyncIterator[bytes], path: str) -> None:
        staged = await self._begin(path)
        try:
            async for chunk in body:
                await staged.write(chunk)
            await self._finish(staged)
        finally:
            staged.discard()

    async def multipart(
        self, body: AsyncIterator[bytes], boundary: bytes, path: str | None
    ) -> None:
        """Each ``file`` part, written as soon as it ends. ``path`` (``?path=``) replaces
        the filename of a single file."""
        reader = _MultipartReader(boundary)
        staged: StagedFile | None = None
        try:
            async for chunk in body:
                for kind, value in reader.feed(chunk):
                    if kind == "begin":
                        staged = await self._begin_part(value, path)
                    elif kind == "data" and staged is not None:
                        await staged.write(value)
                    elif kind == "end" and staged is not None:
                        await self._finish(staged)
                        staged.discard()
                        staged = None
            if not reader.complete:
                raise HTTPProblem(400, "the multipart body ends before its end")
        finally:
            if staged is not None:
                staged.discard()

    async def _begin_part(self, disposition: bytes, path: str | None) -> StagedFile | None:
        _, options = parse_options_header(disposition)
        if options.get(b"name") != b"file":
            return None  # envd reads only the "file" parts
        if path and self._targets:
            raise HTTPProblem(400, "?path= names the target of a single file only")
        target = path or os.fsdecode(options.get(b"filename", b""))
        if not target:
            raise HTTPProblem(400, "a file part without a filename (its target path)")
        return await self._begin(target)

    async def _begin(self, path: str) -> StagedFile:
        target = resolve_path(path, self.user)
        if target in self._targets:
            raise HTTPProblem(400, f"the upload names {target!r} more than once")
        self._targets.add(target)
        staged = StagedFile(target, self.user, staging_dir=self.staging_dir)
        await run_blocking(staged.prepare)
        return staged

    async def _finish(self, staged: StagedFile) -> None:
        stored = await run_blocking(staged.commit, self.metadata)
        info: dict[str, Any] = {
            "path": staged.target,
            "name": posixpath.basename(staged.target),
            "type": "file",
        }
        if stored and self.metadata:
            info["metadata"] = dict(self.metadata)
        self.written.append(info)


class _MultipartReader:
    """python-multipart's push parser, turned into ``("begin", content-disposition)``,
    ``("data", bytes)`` and ``("end", b"")`` steps per part for async handling."""

    def __init__(self, boundary: bytes) -> None:
        self.complete = False
        self._steps: list[tuple[str, bytes]] = []
        self._field = b""
        self._value = b""
        self._disposition = b""
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_end": self._on_end,
            },
        )

    def feed(self, chunk: bytes) -> list[tuple[str, bytes]]:
        try:
            self._parser.write(chunk)
        except Exception as error:
            raise HTTPProblem(400, f"malformed multipart body: {error}") from None
        steps, self._steps = self._steps, []
        return steps

    def _on_part_begin(self) -> None:
        self._disposition = b""

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _on_header_end(self) -> None:
        if self._field.lower() == b"content-disposition":
            self._disposition = self._value
        self._field = self._value = b""

    def _on_headers_finished(self) -> None:
        self._steps.append(("begin", self._disposition))

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        self._steps.append(("data", bytes(data[start:end])))

    def _on_part_end(self) -> None:
        self._steps.append(("end", b""))

    def _on_end(self) -> None:
        self.complete = True


class StagedFile:
    """One uploaded file on its way to ``target``."""

    def __init__(self, target: str, user: EnvdUser, *, staging_dir: str | None) -> None:
        self.target = target
        self.user = user
        self.staging_dir = staging_dir
        self._buffer = bytearray()
        self._spool: int | None = None

    def prepare(self) -> None:
        """Refuses a directory as target and creates its missing parents for the user."""
        if os.path.isdir(self.target):
            raise HTTPProblem(400, f"path {self.target!r} is a directory")
        ensure_dirs(posixpath.dirname(self.target), self.user)

    async def write(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) >= CHUNK:
            pending, self._buffer = bytes(self._buffer), bytearray()
            await run_blocking(self._spill, pending)

    def _spill(self, data: bytes) -> None:
        if self._spool is None:
            self._spool = anonymous_file(posixpath.dirname(self.target), self.staging_dir)
        write_all(self._spool, data)

    def commit(self, metadata: Mapping[str, str]) -> bool:
        """Copies the complete upload into the target, creating it (``0644``, the user's)
        when missing, and makes ``metadata`` its metadata; a target this created is
        removed again when that fails. False when the metadata could not be stored."""
        created = False
        try:
            fd = os.open(self.target, os.O_WRONLY | os.O_TRUNC | os.O_CLOEXEC)
        except FileNotFoundError:
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
            fd = os.open(self.target, flags, FILE_MODE)
            created = True
        try:
            try:
                if created:
                    set_mode(fd, FILE_MODE)
                    own_files(self.user, self.target)
                if self._spool is not None:
                    copy_all(self._spool, fd)
                write_all(fd, bytes(self._buffer))
                return write_metadata(fd, metadata)
            finally:
                os.close(fd)
        except BaseException:
            if created:
                _unlink_quietly(self.target)
            raise

    def discard(self) -> None:
        self._buffer = bytearray()
        if self._spool is not None:
            os.close(self._spool)
            self._spool = None


def anonymous_file(directory: str, fallback: str | None) -> int:
    """A read-write descriptor on a file without a name: in ``directory`` when its
    filesystem allows (``O_TMPFILE``), else in ``fallback`` (or the temporary directory),
    created and unlinked at once."""
    try:
        return os.open(directory, os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, 0o600)
    except OSError as error:
        if error.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            raise
    fd, name = tempfile.mkstemp(dir=fallback, prefix=".envd-upload-")
    os.unlink(name)
    return fd


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def copy_all(source: int, target: int) -> None:
    """Copies all of ``source`` to ``target``'s position, in the kernel where it can."""
    os.lseek(source, 0, os.SEEK_SET)
    try:
        while os.copy_file_range(source, target, CHUNK * 16):
            pass
        return
    except OSError as error:
        if error.errno not in (errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise
    while data := os.read(source, CHUNK):
        write_all(target, data)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError as error:
        logger.warning("could not remove the incomplete %s: %s", path, error)


async def run_blocking(function: Callable[..., T], *args: Any) -> T:
    """Runs ``function(*args)`` in a worker thread. A cancelled caller still waits for it
    to finish before going on: the work may use descriptors the caller closes next."""
    future = asyncio.get_running_loop().run_in_executor(None, function, *args)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait([future])
        raise
