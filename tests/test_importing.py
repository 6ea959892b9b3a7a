"""Reading uploaded projects: zip archives and folder uploads, their dangers and limits."""

from __future__ import annotations

import io
import stat
import time
import tracemalloc
import zipfile
from collections.abc import Iterable

import pytest
from starlette.datastructures import Headers, UploadFile

from tessera.errors import InvalidInput
from tessera.importing import (
    ImportLimits,
    Skipped,
    UnsafeEntry,
    UploadTooLarge,
    read_uploaded_files,
    read_zip,
)

MB = 1_000_000


def make_zip(entries: Iterable[tuple[str, bytes]]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def make_symlink_zip(
    name: str, target: str, *, extra: Iterable[tuple[str, bytes]] = ()
) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for entry_name, data in extra:
            archive.writestr(entry_name, data)
        info = zipfile.ZipInfo(name)
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, target)
    buffer.seek(0)
    return buffer


def upload(name: str, data: bytes) -> UploadFile:
    return UploadFile(io.BytesIO(data), size=len(data), filename=name, headers=Headers())


async def test_a_zipped_folder_loses_its_top_folder_and_keeps_its_text_files() -> None:
    archive = make_zip(
        [
            ("my-app/package.json", b'{"name": "my-app"}'),
            ("my-app/src/App.tsx", "export const hi = 'héllo'\n".encode()),
            ("my-app/README.md", b"# My app\n"),
        ]
    )
    imported = await read_zip(archive)
    assert imported.files == {
        "package.json": '{"name": "my-app"}',
        "src/App.tsx": "export const hi = 'héllo'\n",
        "README.md": "# My app\n",
    }
    assert imported.folder == "my-app"
    assert imported.skipped == []


async def test_without_a_shared_top_folder_nothing_is_stripped() -> None:
    imported = await read_zip(make_zip([("index.html", b"<p>hi</p>"), ("src/main.ts", b"x")]))
    assert set(imported.files) == {"index.html", "src/main.ts"}
    assert imported.folder is None


@pytest.mark.parametrize(
    "name",
    ["../x", "/etc/x", "a/../../x", "..\\evil.txt", "C:/Windows/x", "app/../../../etc/passwd"],
)
async def test_zip_slip_entries_refuse_the_whole_zip_naming_the_entry(name: str) -> None:
    archive = make_zip([("app/ok.txt", b"fine"), (name, b"owned")])
    with pytest.raises(UnsafeEntry) as refused:
        await read_zip(archive)
    assert repr(name) in refused.value.message
    assert "Nothing was imported" in refused.value.message
    assert refused.value.status_code == 422


async def test_a_symlink_entry_is_refused_naming_it() -> None:
    archive = make_symlink_zip("app/passwd", "/etc/passwd", extra=[("app/ok.txt", b"fine")])
    with pytest.raises(UnsafeEntry) as refused:
        await read_zip(archive)
    assert "'app/passwd'" in refused.value.message
    assert "symbolic link" in refused.value.message


async def test_generated_folders_and_system_junk_are_skipped_and_reported_once() -> None:
    archive = make_zip(
        [
            ("proj/src/App.tsx", b"app"),
            ("proj/node_modules/react/index.js", b"module.exports = 1"),
            ("proj/node_modules/react/package.json", b"{}"),
            ("proj/.git/HEAD", b"ref: refs/heads/main"),
            ("proj/api/__pycache__/app.cpython-311.pyc", b"\x00\x01"),
            ("proj/dist/index.html", b"<built>"),
            ("proj/.venv/bin/python", b"#!"),
            ("proj/.DS_Store", b"\x00\x00"),
            ("__MACOSX/proj/._App.tsx", b"\x00"),
            ("__MACOSX/proj/src/._x", b"\x00"),
        ]
    )
    imported = await read_zip(archive)
    assert imported.files == {"src/App.tsx": "app"}
    assert imported.folder == "proj"
    skipped_paths = [entry.path for entry in imported.skipped]
    assert sorted(skipped_paths) == sorted(
        [
            "__MACOSX/",
            "node_modules/",
            ".git/",
            "api/__pycache__/",
            "dist/",
            ".venv/",
            "proj/.DS_Store",
        ]
    )


async def test_binary_and_oversized_files_are_skipped_with_a_reason() -> None:
    limits = ImportLimits(total_bytes=10 * MB, file_bytes=1_000, files=100)
    archive = make_zip(
        [
            ("logo.png", b"\x89PNG\r\n\x1a\n\xff\xfe\x00binary"),
            ("data.bin", b"text with a \x00 NUL"),
            ("big.txt", b"a" * 1_001),
            ("ok.txt", b"a" * 1_000),
        ]
    )
    imported = await read_zip(archive, limits=limits)
    assert imported.files == {"ok.txt": "a" * 1_000}
    reasons = {entry.path: entry.reason for entry in imported.skipped}
    assert set(reasons) == {"logo.png", "data.bin", "big.txt"}
    assert "binary" in reasons["logo.png"] and "text files only" in reasons["logo.png"]
    assert "binary" in reasons["data.bin"]
    assert "larger than" in reasons["big.txt"]


async def test_a_zip_bomb_of_zeros_is_refused_quickly_without_unpacking_it() -> None:
    buffer = io.BytesIO()
    chunk = bytes(MB)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("bomb/zeros.txt", "w", force_zip64=True) as entry:
            for _ in range(250):
                entry.write(chunk)
        archive.writestr("bomb/ok.txt", b"fine")
    assert buffer.tell() < 2 * MB  # it weighs little...
    buffer.seek(0)

    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(UploadTooLarge) as refused:
            await read_zip(buffer)
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.status_code == 413
    assert "250 MB" in refused.value.message and "200 MB" in refused.value.message
    assert elapsed < 2.0
    assert peak < 20 * MB


async def test_many_small_zero_files_are_cut_off_by_the_running_count() -> None:
    """Each entry is within the per-file limit; their sum is not."""
    limits = ImportLimits(total_bytes=3 * MB, file_bytes=1 * MB, files=100)
    archive = make_zip([(f"z{i}.txt", bytes(MB)) for i in range(4)])
    with pytest.raises(UploadTooLarge):
        await read_zip(archive, limits=limits)


async def test_a_zip_that_lies_about_its_sizes_is_refused_as_damaged() -> None:
    archive = make_zip([("a.txt", b"x" * 10_000)])
    data = bytearray(archive.getvalue())
    # shrink the declared size in the central directory to 10 bytes: reading stops there
    # and the checksum no longer matches
    directory = data.rfind(b"PK\x01\x02")
    data[directory + 24 : directory + 28] = (10).to_bytes(4, "little")
    local = data.find(b"PK\x03\x04")
    data[local + 22 : local + 26] = (10).to_bytes(4, "little")
    with pytest.raises(InvalidInput) as refused:
        await read_zip(io.BytesIO(bytes(data)))
    assert "'a.txt'" in refused.value.message


async def test_too_many_files_are_refused() -> None:
    limits = ImportLimits(total_bytes=10 * MB, file_bytes=MB, files=3)
    archive = make_zip([(f"f{i}.txt", b"x") for i in range(4)])
    with pytest.raises(UploadTooLarge) as refused:
        await read_zip(archive, limits=limits)
    assert "4 files" in refused.value.message


async def test_something_else_than_a_zip_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        await read_zip(io.BytesIO(b"this is not a zip at all"))
    assert "not a zip" in refused.value.message


async def test_a_folder_upload_strips_the_shared_folder_and_skips_the_rest() -> None:
    uploads = [
        upload("shop/package.json", b"{}"),
        upload("shop/src/App.tsx", b"export default 1"),
        upload("shop/node_modules/x/index.js", b"1"),
        upload("shop/public/photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF"),
        upload("shop/.DS_Store", b"\x00"),
    ]
    imported = await read_uploaded_files(uploads)
    assert imported.files == {"package.json": "{}", "src/App.tsx": "export default 1"}
    assert imported.folder == "shop"
    assert Skipped("node_modules/", "installed or generated files; not imported") in (
        imported.skipped
    )
    assert {entry.path for entry in imported.skipped} == {
        "node_modules/",
        "public/photo.jpg",
        "shop/.DS_Store",
    }


async def test_a_folder_upload_can_keep_its_folder() -> None:
    uploads = [upload("assets/a.css", b"a{}"), upload("assets/b.css", b"b{}")]
    imported = await read_uploaded_files(uploads, strip_top_folder=False)
    assert set(imported.files) == {"assets/a.css", "assets/b.css"}
    assert imported.folder is None


@pytest.mark.parametrize("name", ["../../etc/cron.d/x", "/root/.ssh/authorized_keys"])
async def test_an_uploaded_file_name_leaving_the_project_is_refused(name: str) -> None:
    with pytest.raises(UnsafeEntry) as refused:
        await read_uploaded_files([upload("app/a.txt", b"a"), upload(name, b"x")])
    assert repr(name) in refused.value.message


async def test_a_folder_upload_over_the_total_is_refused_before_reading() -> None:
    limits = ImportLimits(total_bytes=1_000, file_bytes=800, files=10)
    uploads = [upload("a.txt", b"a" * 600), upload("b.txt", b"b" * 600)]
    with pytest.raises(UploadTooLarge):
        await read_uploaded_files(uploads, limits=limits)
