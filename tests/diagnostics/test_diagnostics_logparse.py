"""LogScanner against real output of Tessera's templates (captured from real sandboxes:
``samples/*.log``; the isolated ones name files under /home/user/app, the unisolated ones
under a local sandbox's folder)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from tessera.diagnostics.logparse import LogScanner
from tessera.diagnostics.model import AppError

SAMPLES = Path(__file__).parent / "samples"

Seen = tuple[str, str, str | None, int | None]
"""(source, message, file, line) of one error."""


def scan(lines: list[str]) -> list[AppError]:
    scanner = LogScanner()
    found: list[AppError] = []
    for line in lines:
        found += scanner.feed(line)
    return found + scanner.flush()


def sample(name: str) -> list[str]:
    return (SAMPLES / name).read_text().splitlines()


def grouped(errors: list[AppError]) -> Counter[Seen]:
    return Counter((e.source, e.message, e.file, e.line) for e in errors)


EXPECTED: dict[str, dict[Seen, int]] = {
    "vite_tsx_syntax_error.log": {
        ("build", "[PARSE_ERROR] Expected `>` but found `)`", "src/App.tsx", 7): 2,
    },
    "vite_tsx_syntax_error_unisolated.log": {
        ("build", "[PARSE_ERROR] Expected `>` but found `)`", "src/App.tsx", 7): 2,
    },
    "vite_missing_imports.log": {
        (
            "build",
            'Failed to resolve import "./components/Header" from "src/App.tsx". '
            "Does the file exist?",
            "src/App.tsx",
            1,
        ): 5,
        (
            "build",
            'Failed to resolve import "date-fns" from "src/App.tsx". Does the file exist?',
            "src/App.tsx",
            1,
        ): 8,
    },
    "vite_css_missing_import.log": {
        (
            "build",
            "[postcss] ENOENT: no such file or directory, open './theme.css'",
            "src/index.css",
            None,
        ): 3,
    },
    "vite_config_missing_package.log": {
        (
            "build",
            "Error [ERR_MODULE_NOT_FOUND]: Cannot find package '@vitejs/plugin-rect' imported "
            "from node_modules/.vite-temp/vite.config.ts.timestamp-1795746669741-"
            "f6007353afc23.mjs",
            "vite.config.ts",
            None,
        ): 1,
    },
    "vite_config_syntax_error.log": {
        ("build", "[PARSE_ERROR] Unexpected token", "vite.config.ts", 2): 1,
    },
    "npm_install_no_matching_version.log": {
        (
            "build",
            "npm ETARGET: No matching version found for react-dom@999.0.0.",
            "package.json",
            None,
        ): 1,
    },
    "pip_no_matching_distribution.log": {
        ("build", "pip: No matching distribution found for requests==999.0.0", None, None): 1,
    },
    "flask_name_error_at_import.log": {
        ("server", "NameError: name 'load_items' is not defined", "app.py", 4): 1,
    },
    "flask_syntax_error.log": {("server", "SyntaxError: invalid syntax", "app.py", 6): 1},
    "flask_missing_module.log": {
        ("server", "ModuleNotFoundError: No module named 'helpers'", "app.py", 2): 1,
    },
    "flask_no_app.log": {("server", "Error: Could not import 'app'.", None, None): 1},
    "flask_500_tracebacks.log": {
        ("server", "ZeroDivisionError: division by zero", "app.py", 7): 2,
        ("server", "jinja2.exceptions.TemplateNotFound: missing.html", "app.py", 22): 1,
    },
    "flask_500_tracebacks_unisolated.log": {
        ("server", "ZeroDivisionError: division by zero", "app.py", 7): 2,
        ("server", "jinja2.exceptions.TemplateNotFound: missing.html", "app.py", 22): 1,
    },
    "flask_error_on_request_coloured.log": {("server", "KeyError: 'b'", "app.py", 7): 1},
    "flask_error_in_app_coloured.log": {("server", "KeyError: 'b'", "app.py", 7): 1},
    "fullstack_api_500_and_tsx_error.log": {
        ("server", "KeyError: 'missing'", "api/app.py", 24): 1,
        ("build", "[PARSE_ERROR] Unexpected token", "src/App.tsx", 15): 2,
    },
    "fullstack_proxy_error.log": {
        ("server", "ModuleNotFoundError: No module named 'missing_helpers'", "api/app.py", 2): 1,
        (
            "server",
            "http proxy error: /api/hello (Error: connect ECONNREFUSED 127.0.0.1:5000)",
            None,
            None,
        ): 1,
    },
    "healthy_react_python_fullstack.log": {},
}


def test_every_sample_has_expectations() -> None:
    assert sorted(path.name for path in SAMPLES.glob("*.log")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_output_gives_one_error_per_report(name: str) -> None:
    assert grouped(scan(sample(name))) == Counter(EXPECTED[name])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_repeats_of_one_fault_share_a_signature(name: str) -> None:
    signatures = {(e.source, e.message, e.file): e.signature for e in scan(sample(name))}
    for error in scan(sample(name)):
        assert signatures[(error.source, error.message, error.file)] == error.signature
    assert len(set(signatures.values())) == len(signatures)


def test_a_vite_report_keeps_its_code_frame_but_not_vites_own_stack() -> None:
    internal = [e for e in scan(sample("vite_tsx_syntax_error.log")) if "Internal" in e.detail]
    assert len(internal) == 1
    detail = internal[0].detail
    assert detail is not None
    assert detail.startswith("[vite] Internal server error: Transform failed with 1 error:")
    assert " 7 │   )" in detail and "`>` expected" in detail
    assert "File: src/App.tsx" in detail
    assert "transformWithOxc" not in detail and "/home/user/app" not in detail


def test_a_traceback_keeps_every_frame_with_project_paths() -> None:
    (error,) = scan(sample("flask_name_error_at_import.log"))
    assert error.detail is not None
    assert error.detail.startswith("Traceback (most recent call last):")
    assert 'File "app.py", line 4, in <module>' in error.detail
    assert 'File ".venv/lib/python3.11/site-packages/flask/cli.py"' in error.detail
    assert error.detail.endswith("NameError: name 'load_items' is not defined")


def test_a_report_is_complete_once_a_later_line_shows_its_end() -> None:
    scanner = LogScanner()
    lines = sample("flask_500_tracebacks.log")
    end = lines.index("ZeroDivisionError: division by zero")
    assert [scanner.feed(line) for line in lines[:end]] == [[]] * end
    assert scanner.feed(lines[end]) == []  # a chained exception could still follow
    assert scanner.pending
    (error,) = scanner.feed(lines[end + 1])  # the next request's log line
    assert error.message == "ZeroDivisionError: division by zero"


def test_flush_completes_a_report_at_the_end_of_the_output() -> None:
    scanner = LogScanner()
    for line in sample("flask_missing_module.log"):
        assert scanner.feed(line) == []
    assert scanner.pending
    (error,) = scanner.flush()
    assert error.file == "app.py"
    assert not scanner.pending and scanner.flush() == []


def test_colour_codes_do_not_change_what_is_found() -> None:
    def coloured(line: str) -> str:
        line = re.sub(r"^(\d+:\d+:\d+ [AP]M) ", "\x1b[2m\\1\x1b[22m ", line)
        line = line.replace("[vite]", "\x1b[36m\x1b[1m[vite]\x1b[22m\x1b[39m")
        line = line.replace("Internal server error:", "\x1b[31mInternal server error:")
        return line + "\x1b[39m" if "\x1b[31m" in line else line

    plain = sample("vite_missing_imports.log")
    assert grouped(scan([coloured(line) for line in plain])) == grouped(scan(plain))


def test_processes_are_read_apart_when_their_lines_interleave() -> None:
    lines = sample("fullstack_api_500_and_tsx_error.log")
    api = [line for line in lines if line.startswith("api | ")]
    web = [line for line in lines if line.startswith("web | ")]
    mixed: list[str] = []
    for index in range(max(len(api), len(web))):
        mixed += api[index : index + 1] + web[index : index + 1]
    assert grouped(scan(mixed)) == Counter(EXPECTED["fullstack_api_500_and_tsx_error.log"])


@pytest.mark.parametrize(
    "line",
    [
        "[tessera] Traceback (most recent call last):",
        "[tessera] The app was stopped: it used more than 1 GiB of memory (the sandbox's limit).",
        "api | [tessera] Error: the API server was stopped",
        "[tessera] npm error code E404",
    ],
)
def test_tesseras_own_notes_are_never_errors(line: str) -> None:
    scanner = LogScanner()
    assert scanner.feed(line) == []
    assert not scanner.pending
    assert scanner.flush() == []


def test_tessera_notes_inside_a_report_do_not_cut_it() -> None:
    lines = sample("vite_tsx_syntax_error.log")
    at = lines.index("  Plugin: vite:oxc")
    noted = [*lines[:at], "[tessera] Syncing 1 file", *lines[at:]]
    assert grouped(scan(noted)) == grouped(scan(lines))


@pytest.mark.parametrize(
    "line",
    [
        "  VITE v8.3.8  ready in 334 ms",
        "  ➜  Local:   http://127.0.0.1:5173/",
        "2:34:25 AM [vite] (client) hmr update /src/App.tsx",
        "2:34:26 AM [vite] (client) page reload index.html",
        '127.0.0.1 - - [27/Nov/2026 02:34:29] "GET / HTTP/1.1" 200 -',
        '127.0.0.1 - - [27/Nov/2026 02:34:29] "GET /missing HTTP/1.1" 404 -',
        "WARNING: This is a development server. Do not use it in a production deployment.",
        "npm warn deprecated inflight@1.0.6: This module is not supported, and leaks memory.",
        "/home/user/app/app.py:3: DeprecationWarning: datetime.utcnow() is deprecated",
        "(!) Some chunks are larger than 500 kB after minification.",
        " * Debug mode: on",
        "added 3 packages in 2s",
        "Error handling is described in the README.",
    ],
)
def test_ordinary_output_is_not_an_error(line: str) -> None:
    assert scan([line, line, "next line"]) == []


def test_vites_older_esbuild_reports_name_the_file_and_line() -> None:
    lines = [
        "10:01:02 AM [vite] Internal server error: Transform failed with 1 error:",
        '/home/user/app/src/components/List.tsx:12:8: ERROR: Expected ")" but found "{"',
        "  Plugin: vite:esbuild",
        "  File: /home/user/app/src/components/List.tsx:12:8",
        "  ",
        '  Expected ")" but found "{"',
        "  10 |  export function List() {",
        "  11 |    return (",
        "  12 |      <ul {",
        "     |          ^",
        "      at failureErrorWithLog (/home/user/app/node_modules/esbuild/lib/main.js:1472:15)",
        "10:01:03 AM [vite] (client) hmr update /src/App.tsx",
    ]
    (error,) = scan(lines)
    assert (error.source, error.message) == ("build", 'Expected ")" but found "{"')
    assert (error.file, error.line) == ("src/components/List.tsx", 12)


def test_a_plugin_headline_opens_a_report() -> None:
    lines = [
        "[plugin:vite:react-babel] /home/user/app/src/App.jsx: Unexpected token (4:9)",
        "  Plugin: vite:react-babel",
        "  File: /home/user/app/src/App.jsx:4:9",
    ]
    (error,) = scan(lines)
    assert error.message == "src/App.jsx: Unexpected token (4:9)"
    assert (error.file, error.line) == ("src/App.jsx", 4)


def test_a_chained_python_exception_is_one_error_named_by_the_last() -> None:
    lines = [
        "Traceback (most recent call last):",
        '  File "/home/user/app/app.py", line 10, in load',
        "    return json.loads(text)",
        "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)",
        "",
        "During handling of the above exception, another exception occurred:",
        "",
        "Traceback (most recent call last):",
        '  File "/home/user/app/app.py", line 14, in index',
        "    raise ValueError('bad settings file')",
        "ValueError: bad settings file",
        '127.0.0.1 - - [27/Nov/2026 02:37:46] "GET / HTTP/1.1" 500 -',
    ]
    (error,) = scan(lines)
    assert error.message == "ValueError: bad settings file"
    assert (error.file, error.line) == ("app.py", 14)
    assert error.detail is not None and "JSONDecodeError" in error.detail


def test_npm_errors_of_older_npm_are_read_too() -> None:
    lines = [
        "npm ERR! code E404",
        "npm ERR! 404 Not Found - GET https://registry.npmjs.org/left-padd - Not found",
        "npm ERR! 404",
        "npm ERR! 404  'left-padd@*' is not in this registry.",
        "npm ERR! A complete log of this run can be found in: /home/user/.npm/_logs/x.log",
        "[tessera] Installing dependencies failed",
    ]
    (error,) = scan(lines)
    assert error.message == (
        "npm E404: 404 Not Found - GET https://registry.npmjs.org/left-padd - Not found"
    )
    assert error.file == "package.json"


def test_a_node_crash_names_the_first_frame_in_the_app() -> None:
    lines = [
        "TypeError: Cannot read properties of undefined (reading 'map')",
        "    at render (file:///home/user/app/server/render.js:14:22)",
        "    at main (file:///home/user/app/server/index.js:3:1)",
        "    at node:internal/main/run_main_module:28:49",
        "Node.js v20.20.0",
    ]
    (error,) = scan(lines)
    assert error.message == "TypeError: Cannot read properties of undefined (reading 'map')"
    assert (error.file, error.line) == ("server/render.js", 14)


def test_a_report_without_an_end_is_cut_at_a_bounded_length() -> None:
    lines = ["1:00:00 PM [vite] Internal server error: boom"] + [f"  line {i}" for i in range(500)]
    errors = scan(lines)
    assert [error.message for error in errors] == ["boom"]
    assert errors[0].detail is not None and len(errors[0].detail) <= 8000
