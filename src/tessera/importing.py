"""Reading an uploaded project — a zip archive, or the files of a folder — into text files.

Every entry's name is checked before any content is read: an entry that would land outside
the project (``../x``, ``a/../../x``), an absolute path or a symbolic link refuses the whole
upload, naming the entry, so a refused upload creates nothing. The sizes are checked next,
from the archive's directory or the uploaded parts (over the limits: refused before anything
is unpacked), and contents are then read entry by entry with a running byte count, each
entry cut off past the per-file limit: an archive that unpacks to far more than it weighs (a
zip bomb) never gets into memory.

What is kept: text files (UTF-8). A single top folder shared by every entry (``my-app/…``,
as zipping a folder makes it) is stripped. Skipped, and reported: operating-system junk
(``.DS_Store``, ``__MACOSX/``), folders that are installed or generated rather than written
(``node_modules/``, ``.git/``, ``.venv/``, ``__pycache__/``, ``dist/``… reported once per
folder, never read), files over the per-file limit and binary files (Tessera keeps text
files only).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import stat
import zipfile
import zlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, Any, Final

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

from tessera.errors import InvalidInput, InvalidPath
from tessera.protocol.paths import validate_path

MB: Final = 1_000_000
CHUNK_BYTES: Final = 64 * 1024


@dataclass(frozen=True, slots=True)
class ImportLimits:
    """How much an upload may hold. Tests pass smaller ones."""

    total_bytes: int = 200 * MB
    """Unpacked bytes of every entry that is read or refused for its size (junk and
    generated folders are not counted: they are never read)."""
    file_bytes: int = 5 * MB
    files: int = 5_000


DEFAULT_LIMITS: Final = ImportLimits()

SKIPPED_FOLDERS: Final = frozenset(
    {
        "node_modules",
        ".git",
        ".venv",
        "venv",
        "__pycache__",
        "dist",
        ".tessera-packages",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
    }
)
"""Folders that are installed or generated, not written by hand (compared
case-insensitively, at any depth)."""

JUNK_FOLDERS: Final = frozenset({"__macosx"})
JUNK_FILES: Final = frozenset({".ds_store", "thumbs.db", "desktop.ini"})

_FORM_OVERHEAD_PER_FILE: Final = 2_048
"""Room for each part's headers (its file name may be a long relative path)."""
_MAX_FORM_FIELDS: Final = 20
_MAX_FIELD_BYTES: Final = 64 * 1024
_DRIVE_RE: Final = re.compile(r"^[A-Za-z]:")


class UploadTooLarge(InvalidInput):
    """An upload over the import limits (total size or number of files)."""

    status_code = 413
    code = "upload_too_large"


class UnsafeEntry(InvalidPath):
    """An archive entry or uploaded file name that would be written outside the project."""

    code = "unsafe_entry"


@dataclass(frozen=True, slots=True)
class Skipped:
    """An entry that was not imported, and why."""

    path: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class ImportedFiles:
    files: dict[str, str]
    """Project path -> text."""
    skipped: list[Skipped]
    folder: str | None = None
    """The top folder that was stripped, if any: a good name for the project."""


@dataclass(frozen=True, slots=True)
class ProjectUpload:
    """An import form read: the files, the name the user gave, and one the upload
    suggests (its top folder, or the zip's file name)."""

    imported: ImportedFiles
    name: str | None
    name_hint: str | None


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    size: int
    symlink: bool = False
    directory: bool = False


@dataclass(frozen=True, slots=True)
class _Plan:
    read: list[tuple[str, int]]
    """(project path, index of the entry) of the entries to read."""
    skipped: list[Skipped]
    folder: str | None


class _Budget:
    """The running count of unpacked bytes against the total limit."""

    def __init__(self, limits: ImportLimits) -> None:
        self._limits = limits
        self.used = 0

    def take(self, count: int) -> None:
        self.used += count
        if self.used > self._limits.total_bytes:
            raise _too_large(self.used, self._limits)


# --- public API ------------------------------------------------------------------------
async def read_zip(
    file: IO[bytes],
    *,
    limits: ImportLimits = DEFAULT_LIMITS,
    strip_top_folder: bool = True,
) -> ImportedFiles:
    """The text files of the zip archive ``file`` (a seekable binary file). Unpacking runs
    in a worker thread: it is CPU work that must not hold up the server."""
    return await asyncio.to_thread(_read_zip, file, limits, strip_top_folder)


async def read_uploaded_files(
    uploads: Sequence[UploadFile],
    *,
    limits: ImportLimits = DEFAULT_LIMITS,
    strip_top_folder: bool = True,
) -> ImportedFiles:
    """The text files of a folder upload: each upload's file name is its relative path."""
    entries = [_Entry(upload.filename or "", _upload_size(upload)) for upload in uploads]
    plan = _plan(entries, limits, strip_top_folder=strip_top_folder)
    budget = _Budget(limits)
    files: dict[str, str] = {}
    skipped = list(plan.skipped)
    for path, index in plan.read:
        data = await _read_upload(uploads[index], limits, budget)
        _keep(path, data, limits, files, skipped)
    return ImportedFiles(files=files, skipped=skipped, folder=plan.folder)


@contextlib.asynccontextmanager
async def upload_form(
    request: Request, *, limits: ImportLimits = DEFAULT_LIMITS
) -> AsyncIterator[FormData]:
    """The request's multipart form, parsed within the limits (the uploaded files are
    spooled to temporary files, removed when the block ends)."""
    declared = request.headers.get("content-length", "")
    most = limits.total_bytes + limits.files * _FORM_OVERHEAD_PER_FILE
    if declared.isdigit() and int(declared) > most:
        raise _too_large(int(declared), limits)
    try:
        form = await request.form(
            max_files=limits.files, max_fields=_MAX_FORM_FIELDS, max_part_size=_MAX_FIELD_BYTES
        )
    except HTTPException as exc:
        if "too many files" in str(exc.detail).lower():
            raise UploadTooLarge(
                f"The upload has more than {limits.files:,} files; Tessera imports at most "
                f"{limits.files:,}. Leave out node_modules, build output and media."
            ) from exc
        raise InvalidInput(f"The upload could not be read: {exc.detail}") from exc
    try:
        yield form
    finally:
        await form.close()


async def read_import_form(
    form: FormData, *, limits: ImportLimits = DEFAULT_LIMITS
) -> ProjectUpload:
    """An import form: one ``zip`` file, or many ``files`` (a folder, each file named by its
    relative path), and an optional ``name``."""
    zips = _uploads(form, "zip")
    files = _uploads(form, "files")
    name_field = form.get("name")
    name = name_field if isinstance(name_field, str) and name_field.strip() else None
    if (zips and files) or len(zips) > 1:
        raise InvalidInput("Send either one zip file or the files of one folder, not both.")
    if zips:
        upload = zips[0]
        imported = await read_zip(upload.file, limits=limits)
        hint = imported.folder or _zip_stem(upload.filename)
    elif files:
        imported = await read_uploaded_files(files, limits=limits)
        hint = imported.folder
    else:
        raise InvalidInput(
            "Nothing was uploaded: choose a zip file or a folder of the project to import."
        )
    return ProjectUpload(imported=imported, name=name, name_hint=hint)


# --- planning: names and sizes, before any content is read ------------------------------
def _plan(entries: Sequence[_Entry], limits: ImportLimits, *, strip_top_folder: bool) -> _Plan:
    skipped: list[Skipped] = []
    folders: dict[str, Skipped] = {}
    named: list[tuple[int, list[str]]] = []
    for index, entry in enumerate(entries):
        segments = _safe_segments(entry)
        if entry.directory or not segments:
            continue
        junk = _junk_folder(segments)
        if junk is not None:
            folders.setdefault(junk, Skipped(junk, "system files, not part of the project"))
        elif segments[-1].lower() in JUNK_FILES or segments[-1].startswith("._"):
            skipped.append(Skipped("/".join(segments), "a system file, not part of the project"))
        else:
            named.append((index, segments))

    folder = _shared_top_folder([segments for _, segments in named]) if strip_top_folder else None
    if folder is not None:
        named = [(index, segments[1:]) for index, segments in named]

    read: list[tuple[str, int]] = []
    total = 0
    for index, segments in named:
        generated = _generated_folder(segments)
        if generated is not None:
            folders.setdefault(
                generated, Skipped(generated, "installed or generated files; not imported")
            )
            continue
        try:
            path = validate_path("/".join(segments))
        except InvalidPath as exc:
            skipped.append(Skipped("/".join(segments), exc.message))
            continue
        size = entries[index].size
        total += size
        if size > limits.file_bytes:
            skipped.append(Skipped(path, _file_too_large(size, limits)))
            continue
        read.append((path, index))
    if total > limits.total_bytes:
        raise _too_large(total, limits)
    if len(read) > limits.files:
        raise UploadTooLarge(
            f"The upload has {len(read):,} files; Tessera imports at most {limits.files:,}. "
            "Leave out dependencies, build output and media."
        )
    return _Plan(read=read, skipped=[*folders.values(), *skipped], folder=folder)


def _safe_segments(entry: _Entry) -> list[str]:
    """The entry's path segments; ``UnsafeEntry`` for a name that leaves the project."""
    name = entry.name.replace("\\", "/")
    if entry.symlink:
        raise _unsafe(entry.name, "is a symbolic link")
    if name.startswith("/") or _DRIVE_RE.match(name):
        raise _unsafe(entry.name, "has an absolute path")
    segments = [segment for segment in name.split("/") if segment not in ("", ".")]
    if ".." in segments:
        raise _unsafe(entry.name, "leads out of the project with '..'")
    return segments


def _unsafe(name: str, reason: str) -> UnsafeEntry:
    return UnsafeEntry(
        f"The upload was refused: its entry {name!r} {reason}, so it would be written "
        "outside the project. Nothing was imported; remove that entry and try again."
    )


def _junk_folder(segments: Sequence[str]) -> str | None:
    for depth, segment in enumerate(segments[:-1]):
        if segment.lower() in JUNK_FOLDERS:
            return "/".join(segments[: depth + 1]) + "/"
    return None


def _generated_folder(segments: Sequence[str]) -> str | None:
    for depth, segment in enumerate(segments[:-1]):
        if segment.lower() in SKIPPED_FOLDERS:
            return "/".join(segments[: depth + 1]) + "/"
    return None


def _shared_top_folder(paths: Sequence[Sequence[str]]) -> str | None:
    if not paths or any(len(segments) < 2 for segments in paths):
        return None
    tops = {segments[0] for segments in paths}
    return tops.pop() if len(tops) == 1 else None


def _too_large(size: int, limits: ImportLimits) -> UploadTooLarge:
    return UploadTooLarge(
        f"The upload is {size / MB:,.0f} MB once unpacked; Tessera imports at most "
        f"{limits.total_bytes / MB:,.0f} MB. Leave out dependencies (node_modules, .venv), "
        "build output and media files, then try again."
    )


def _file_too_large(size: int, limits: ImportLimits) -> str:
    return (
        f"larger than {limits.file_bytes / MB:g} MB ({size / MB:.1f} MB); "
        "Tessera keeps source files"
    )


# --- reading: text only, within the limits ----------------------------------------------
def _keep(
    path: str,
    data: bytes | None,
    limits: ImportLimits,
    files: dict[str, str],
    skipped: list[Skipped],
) -> None:
    """Put an entry's content into ``files``, or its reason into ``skipped``."""
    if data is None:
        skipped.append(Skipped(path, _file_too_large(limits.file_bytes + 1, limits)))
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        skipped.append(Skipped(path, "a binary file; Tessera keeps text files only"))
        return
    files[path] = text


def _read_zip(file: IO[bytes], limits: ImportLimits, strip_top_folder: bool) -> ImportedFiles:
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InvalidInput(
            "The file is not a zip archive (or it is damaged); choose a .zip file, or upload "
            "the project's folder instead."
        ) from exc
    with archive:
        infos = archive.infolist()
        entries = [
            _Entry(info.filename, info.file_size, _is_symlink(info), info.is_dir())
            for info in infos
        ]
        plan = _plan(entries, limits, strip_top_folder=strip_top_folder)
        budget = _Budget(limits)
        files: dict[str, str] = {}
        skipped = list(plan.skipped)
        for path, index in plan.read:
            data = _read_zip_entry(archive, infos[index], limits, budget)
            _keep(path, data, limits, files, skipped)
    return ImportedFiles(files=files, skipped=skipped, folder=plan.folder)


def _read_zip_entry(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ImportLimits, budget: _Budget
) -> bytes | None:
    """The entry's bytes, or None once it grows past the per-file limit."""
    try:
        with archive.open(info) as stream:
            return _read_capped(stream.read, limits, budget)
    except RuntimeError as exc:  # encrypted
        raise InvalidInput(
            f"The zip's entry {info.filename!r} is password-protected; "
            "zip the project without a password."
        ) from exc
    except NotImplementedError as exc:
        raise InvalidInput(
            f"The zip's entry {info.filename!r} uses a compression Tessera cannot read; "
            "zip the project again with standard (deflate) compression."
        ) from exc
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise InvalidInput(
            f"The zip's entry {info.filename!r} is damaged ({exc}); zip the project again."
        ) from exc


def _read_capped(
    read: Callable[[int], bytes], limits: ImportLimits, budget: _Budget
) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while chunk := read(CHUNK_BYTES):
        size += len(chunk)
        budget.take(len(chunk))
        if size > limits.file_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_upload(upload: UploadFile, limits: ImportLimits, budget: _Budget) -> bytes | None:
    await upload.seek(0)
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(CHUNK_BYTES):
        size += len(chunk)
        budget.take(len(chunk))
        if size > limits.file_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _upload_size(upload: UploadFile) -> int:
    if upload.size is not None:
        return upload.size
    upload.file.seek(0, 2)
    size = upload.file.tell()
    upload.file.seek(0)
    return size


def _uploads(form: FormData, field: str) -> list[UploadFile]:
    values: list[Any] = form.getlist(field)
    uploads = [value for value in values if isinstance(value, UploadFile)]
    if len(uploads) != len(values):
        raise InvalidInput(f"The form field {field!r} must hold files, not text.")
    return uploads


def _zip_stem(filename: str | None) -> str | None:
    if not filename:
        return None
    stem = PurePosixPath(filename.replace("\\", "/")).name
    stem = stem[:-4] if stem.lower().endswith(".zip") else stem
    return stem.strip() or None


__all__ = [
    "DEFAULT_LIMITS",
    "ImportLimits",
    "ImportedFiles",
    "ProjectUpload",
    "Skipped",
    "UnsafeEntry",
    "UploadTooLarge",
    "read_import_form",
    "read_uploaded_files",
    "read_zip",
    "upload_form",
]
