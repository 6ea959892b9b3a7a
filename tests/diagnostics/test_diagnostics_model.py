"""AppError (grouping key, caps, dict form) and the paths errors name."""

from __future__ import annotations

import time

import pytest

from tessera.diagnostics.model import AppError, normalise
from tessera.diagnostics.paths import is_app_file, project_path, split_location, strip_roots
from tessera.diagnostics.text import DETAIL_LIMIT, MESSAGE_LIMIT, clean_line


def test_to_dict_has_the_consoles_fields() -> None:
    error = AppError.create(
        source="server", message="KeyError: 'b'", detail="Traceback…", file="app.py", line=7
    )
    assert error.to_dict() == {
        "id": error.signature,
        "source": "server",
        "message": "KeyError: 'b'",
        "detail": "Traceback…",
        "file": "app.py",
        "line": 7,
        "count": 1,
        "first_seen": error.first_seen,
        "last_seen": error.first_seen,
    }
    assert abs(error.first_seen - time.time()) < 5


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("connect ECONNREFUSED 127.0.0.1:5000", "connect ECONNREFUSED 127.0.0.1:40123"),
        ("took 1523 ms at 2:28:11 AM", "took 87 ms at 11:02:59 PM"),
        ("logged 2026-11-27T02:31:12.477Z", "logged 2026-12-01 13:00:00,001"),
        (
            "chunk vite.config.ts.timestamp-1795-f6007353afc23.mjs",
            "chunk vite.config.ts.timestamp-2-0a1b2c3d4e5f.mjs",
        ),
        ("object at 0x7f3a2b1c", "object at 0x55d0"),
        ("sandbox k2v9q8x7w6p5 failed", "sandbox 9xowwaxc05cd failed"),
    ],
)
def test_what_changes_between_repeats_does_not_change_the_signature(one: str, other: str) -> None:
    assert normalise(one) == normalise(other)
    assert AppError("server", one).signature == AppError("server", other).signature


def test_the_signature_tells_apart_source_message_and_file() -> None:
    base = AppError("build", "Unexpected token", file="src/App.tsx")
    assert base.signature == AppError("build", "Unexpected token", file="src/App.tsx").signature
    assert base.signature != AppError("browser", "Unexpected token", file="src/App.tsx").signature
    assert base.signature != AppError("build", "Unexpected string", file="src/App.tsx").signature
    assert base.signature != AppError("build", "Unexpected token", file="src/List.tsx").signature
    assert base.signature.isalnum() and len(base.signature) == 16


def test_the_message_is_one_capped_line_and_the_detail_is_capped() -> None:
    error = AppError("browser", "\n\n  first   line\nsecond line", detail="x\n" * 10_000)
    assert error.message == "first line"
    long = AppError("browser", "y" * 5000)
    assert len(long.message) == MESSAGE_LIMIT and long.message.endswith("…")
    assert error.detail is not None and len(error.detail) <= DETAIL_LIMIT
    assert error.detail.startswith("x\nx") and error.detail.endswith("x")
    assert "lines left out" in error.detail
    assert AppError("server", "   ").message == "Unknown error"


def test_a_repeat_counts_and_brings_the_newer_wording() -> None:
    first = AppError.create(source="server", message="KeyError: 'a'", line=3, at=100.0)
    again = AppError.create(source="server", message="KeyError: 'a'", line=5, at=160.0)
    first.absorb(again)
    assert (first.count, first.first_seen, first.last_seen, first.line) == (2, 100.0, 160.0, 5)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/home/user/app/src/App.tsx", "src/App.tsx"),
        ("file:///home/user/app/server/index.js", "server/index.js"),
        ("/var/lib/tessera/sandboxes/k2v9q8x7w6p5/api/app.py", "api/app.py"),
        ("/tmp/pytest-1/sandboxes/9xowwaxc05cd/src/index.css?direct", "src/index.css"),
        ("http://5173-k2v9q8x7w6p5.localhost:8000/src/App.tsx?t=1712345", "src/App.tsx"),
        ("https://5173-k2v9q8x7w6p5.preview.example.com/src/main.tsx", "src/main.tsx"),
        ("http://localhost:5173/src/App.tsx?import&t=1", "src/App.tsx"),
        ("./src/App.tsx", "src/App.tsx"),
        ("app.py", "app.py"),
        ("<frozen runpy>", None),
        ("/usr/lib/python3.11/json/decoder.py", None),
        ("node:internal/modules/esm/resolve", None),
        ("https://cdn.example.com/lib.js", None),
        ("/home/user/app/../../etc/passwd", None),
        ("", None),
    ],
)
def test_paths_become_project_paths(raw: str, expected: str | None) -> None:
    assert project_path(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/home/user/app/src/App.tsx:7:3", ("src/App.tsx", 7)),
        ("/home/user/app/src/index.css:undefined:NaN", ("src/index.css", None)),
        ("src/App.tsx", ("src/App.tsx", None)),
        ("http://5173-abc123def456.localhost:8000/src/App.tsx?t=17:12:5", ("src/App.tsx", 12)),
    ],
)
def test_locations_split_into_path_and_line(raw: str, expected: tuple[str, int | None]) -> None:
    assert split_location(raw) == expected


def test_only_the_apps_own_files_count_as_app_files() -> None:
    assert is_app_file("src/App.tsx") and is_app_file("api/app.py")
    for path in (
        None,
        "",
        "node_modules/.vite/deps/react-dom_client.js",
        ".venv/lib/python3.11/site-packages/flask/app.py",
        ".tessera-packages/requests/api.py",
        "@vite/client",
        "__tessera/preview.js",
    ):
        assert not is_app_file(path), path


def test_strip_roots_rewrites_paths_inside_text() -> None:
    text = 'File "/home/user/app/app.py", line 4 and /x/sandboxes/abcdef123456/src/a.ts?t=9:1'
    assert strip_roots(text) == 'File "app.py", line 4 and src/a.ts:1'


def test_clean_line_drops_terminal_codes() -> None:
    raw = "\x1b[2m2:28:11 AM\x1b[22m \x1b[36m\x1b[1m[vite]\x1b[22m\x1b[39m hi\x1b]8;;x\x07\r\n"
    assert clean_line(raw) == "2:28:11 AM [vite] hi"
    assert clean_line("progress 10%\rprogress 100%") == "progress 100%"
