"""Reports of the preview page's script, as AppErrors; junk is not a report."""

from __future__ import annotations

from typing import Any

import pytest

from tessera.diagnostics.browser import browser_error
from tessera.diagnostics.logparse import LogScanner

ORIGIN = "http://5173-k2v9q8x7w6p5.localhost:8000"


def test_an_uncaught_error_names_the_apps_frame_not_reacts() -> None:
    error = browser_error(
        {
            "kind": "error",
            "message": "Uncaught TypeError: Cannot read properties of undefined (reading 'map')",
            "file": f"{ORIGIN}/node_modules/.vite/deps/react-dom_client.js?v=5db9708b",
            "line": 9001,
            "column": 12,
            "stack": (
                "TypeError: Cannot read properties of undefined (reading 'map')\n"
                f"    at TodoList ({ORIGIN}/src/components/TodoList.tsx?t=1712:21:19)\n"
                f"    at renderWithHooks ({ORIGIN}/node_modules/.vite/deps/react-dom.js:1:2)"
            ),
        }
    )
    assert error is not None
    assert error.source == "browser"
    assert error.message == (
        "Uncaught TypeError: Cannot read properties of undefined (reading 'map')"
    )
    assert (error.file, error.line) == ("src/components/TodoList.tsx", 21)
    assert error.detail is not None
    assert "at TodoList (src/components/TodoList.tsx:21:19)" in error.detail
    assert ORIGIN not in error.detail


def test_without_an_app_frame_the_script_url_is_used_when_it_is_the_apps() -> None:
    error = browser_error(
        {
            "kind": "error",
            "message": "Uncaught Error: boom",
            "file": f"{ORIGIN}/src/main.tsx",
            "line": 4,
        }
    )
    assert error is not None and (error.file, error.line) == ("src/main.tsx", 4)
    outside = browser_error(
        {"kind": "error", "message": "Script error.", "file": "https://cdn.example.com/x.js"}
    )
    assert outside is not None and outside.file is None


def test_console_error_keeps_its_further_lines_as_detail() -> None:
    error = browser_error(
        {
            "kind": "console",
            "message": "Warning: Each child in a list should have a unique "
            '"key" prop.\n\nCheck the render method of `List`.',
            "count": 3,
        }
    )
    assert error is not None
    assert error.message.startswith("Warning: Each child in a list")
    assert error.detail == "Check the render method of `List`."
    assert error.count == 3


def test_vites_overlay_is_a_build_error_grouped_with_vites_log() -> None:
    overlay = browser_error(
        {
            "kind": "overlay",
            "message": "Transform failed with 1 error:\n\n[PARSE_ERROR] Expected `>` but "
            "found `)`\n   ╭─[ src/App.tsx:7:3 ]\n 7 │   )\n───╯",
            "file": "/home/user/app/src/App.tsx",
            "stack": "",
        }
    )
    scanner = LogScanner()
    lines = [
        "2:30:54 AM [vite] Internal server error: Transform failed with 1 error:",
        "",
        "[PARSE_ERROR] Expected `>` but found `)`",
        "   ╭─[ src/App.tsx:7:3 ]",
        "  File: /home/user/app/src/App.tsx",
    ]
    logged = [error for line in lines for error in scanner.feed(line)] + scanner.flush()
    assert overlay is not None and len(logged) == 1
    assert (overlay.source, overlay.message, overlay.file, overlay.line) == (
        "build",
        "[PARSE_ERROR] Expected `>` but found `)`",
        "src/App.tsx",
        7,
    )
    assert overlay.signature == logged[0].signature


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"kind": "error"},
        {"kind": "error", "message": "   "},
        {"kind": "error", "message": 42},
        {"kind": "mystery", "message": "boom"},
        {"message": ["boom"]},
        "not a mapping",
        None,
    ],
)
def test_junk_is_not_a_report(payload: Any) -> None:
    assert browser_error(payload) is None


def test_fields_of_the_wrong_type_are_ignored_and_text_is_capped() -> None:
    error = browser_error(
        {
            "kind": "rejection",
            "message": "Uncaught (in promise) " + "x" * 100_000,
            "file": {"not": "a string"},
            "line": "12",
            "stack": ["not", "a", "string"],
            "count": True,
        }
    )
    assert error is not None
    assert (error.file, error.line, error.detail, error.count) == (None, None, None, 1)
    assert len(error.message) <= 500
    many = browser_error({"kind": "console", "message": "x", "count": 10**12})
    assert many is not None and many.count == 1
    capped = browser_error({"kind": "console", "message": "x", "count": 5000})
    assert capped is not None and capped.count == 1000
