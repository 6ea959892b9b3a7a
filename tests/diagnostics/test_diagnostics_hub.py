"""Diagnostics: per-project output and grouped errors, waiting for errors, the console feed."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from tessera.diagnostics.hub import Diagnostics
from tessera.diagnostics.logparse import LogScanner
from tessera.diagnostics.model import AppError

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> list[str]:
    return (SAMPLES / name).read_text().splitlines()


def feed(hub: Diagnostics, project: str, lines: list[str]) -> None:
    for line in lines:
        hub.log(project, line)


def test_output_is_grouped_into_errors_per_project() -> None:
    hub = Diagnostics()
    feed(hub, "p1", [*sample("flask_500_tracebacks.log"), "done"])
    feed(hub, "p2", [*sample("vite_missing_imports.log"), "2:31:00 AM [vite] (client) hmr update"])
    p1 = [(e.message, e.count) for e in hub.errors("p1")]
    assert p1 == [
        ("ZeroDivisionError: division by zero", 2),
        ("jinja2.exceptions.TemplateNotFound: missing.html", 1),
    ]
    assert [e.count for e in hub.errors("p2")] == [5, 8]
    assert hub.errors("unknown") == [] and hub.lines("unknown") == []
    assert hub.lines("p1")[-1] == "done"


def test_only_the_last_lines_are_kept() -> None:
    hub = Diagnostics(max_lines=500)
    feed(hub, "p", [f"line {i}" for i in range(620)])
    assert hub.lines("p") == [f"line {i}" for i in range(120, 620)]


def test_at_most_max_errors_are_kept_the_least_recently_seen_dropped() -> None:
    hub = Diagnostics(max_errors=50)
    # Numbers are no part of a signature: the messages differ by letters.
    names = [f"Error {chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(52)]
    for name in names[:50]:
        hub.report("p", AppError.create(source="server", message=name))
    hub.report("p", AppError.create(source="server", message=names[0]))  # seen again
    hub.report("p", AppError.create(source="server", message=names[50]))
    messages = [e.message for e in hub.errors("p")]
    assert len(messages) == 50
    assert names[0] in messages and names[50] in messages
    assert names[1] not in messages  # the least recently seen went
    assert messages == [names[0], *names[2:51]]  # oldest first


def test_a_repeat_increments_count_and_last_seen() -> None:
    hub = Diagnostics()
    hub.report("p", AppError.create(source="build", message="boom 1", file="a.ts", at=10.0))
    hub.report("p", AppError.create(source="build", message="boom 2", file="a.ts", at=20.0))
    (error,) = hub.errors("p")
    assert (error.count, error.first_seen, error.last_seen, error.message) == (
        2,
        10.0,
        20.0,
        "boom 2",
    )
    assert hub.errors_since("p", 15.0) == [error]
    assert hub.errors_since("p", 25.0) == []


def test_errors_are_listed_oldest_first() -> None:
    hub = Diagnostics()
    hub.report("p", AppError.create(source="server", message="second", at=20.0))
    hub.report("p", AppError.create(source="server", message="first", at=10.0))
    assert [e.message for e in hub.errors("p")] == ["first", "second"]


def test_browser_reports_are_validated() -> None:
    hub = Diagnostics()
    assert hub.report_browser("p", {"kind": "error"}) is None
    assert hub.report_browser("p", {"message": 3}) is None
    assert hub.errors("p") == []
    error = hub.report_browser("p", {"kind": "console", "message": "Oops", "count": 2})
    assert error is not None and error.source == "browser"
    again = hub.report_browser("p", {"kind": "console", "message": "Oops"})
    assert again is error and error.count == 3
    assert hub.errors("p") == [error]


def test_clear_forgets_errors_but_keeps_the_output() -> None:
    hub = Diagnostics()
    feed(hub, "p", [*sample("flask_no_app.log"), "next"])
    assert hub.errors("p")
    hub.clear("p")
    assert hub.errors("p") == []
    assert hub.lines("p")[-1] == "next"


def test_log_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: LogScanner, line: str) -> list[AppError]:
        raise RuntimeError("parser fault")

    hub = Diagnostics()
    monkeypatch.setattr(LogScanner, "feed", broken)
    hub.log("p", "Traceback (most recent call last):")
    assert hub.lines("p") == ["Traceback (most recent call last):"]


def test_output_lines_are_stored_clean_and_capped() -> None:
    hub = Diagnostics()
    hub.log("p", "\x1b[31mred\x1b[0m\n")
    hub.log("p", "x" * 100_000)
    assert hub.lines("p")[0] == "red"
    assert len(hub.lines("p")[1]) == 4000


# --- waiting for errors ---------------------------------------------------------------------
async def test_a_report_without_a_visible_end_is_completed_when_output_goes_quiet() -> None:
    hub = Diagnostics(flush_after=0.05)
    since = time.time()
    feed(hub, "p", sample("flask_missing_module.log"))  # the process died: nothing follows
    assert hub.errors("p") == []
    errors = await hub.wait_for_errors("p", since=since, timeout=5, settle=0)
    assert [(e.message, e.file) for e in errors] == [
        ("ModuleNotFoundError: No module named 'helpers'", "app.py")
    ]


async def test_wait_for_errors_gives_up_after_the_timeout() -> None:
    hub = Diagnostics()
    hub.report("p", AppError.create(source="server", message="old", at=time.time() - 60))
    started = time.monotonic()
    assert await hub.wait_for_errors("p", since=time.time(), timeout=0.3) == []
    assert 0.25 <= time.monotonic() - started < 2


async def test_wait_for_errors_returns_at_once_when_errors_are_there() -> None:
    hub = Diagnostics()
    since = time.time()
    hub.report("p", AppError.create(source="server", message="already"))
    started = time.monotonic()
    errors = await hub.wait_for_errors("p", since=since, timeout=10, settle=0)
    assert [e.message for e in errors] == ["already"]
    assert time.monotonic() - started < 1


async def test_wait_for_errors_lets_related_errors_settle() -> None:
    hub = Diagnostics()
    loop = asyncio.get_running_loop()
    since = time.time()

    def later(message: str) -> None:
        hub.report("p", AppError.create(source="build", message=message))

    loop.call_later(0.1, later, "first")
    loop.call_later(0.3, later, "related")
    loop.call_later(2.0, later, "too late")
    started = time.monotonic()
    errors = await hub.wait_for_errors("p", since=since, timeout=5, settle=0.5)
    elapsed = time.monotonic() - started
    assert [e.message for e in errors] == ["first", "related"]
    assert 0.55 <= elapsed < 1.5


async def test_an_old_error_repeating_counts_as_new() -> None:
    hub = Diagnostics()
    hub.report("p", AppError.create(source="server", message="flaky", at=time.time() - 60))
    since = time.time()
    asyncio.get_running_loop().call_later(
        0.05, hub.report, "p", AppError.create(source="server", message="flaky")
    )
    errors = await hub.wait_for_errors("p", since=since, timeout=5, settle=0)
    assert [(e.message, e.count) for e in errors] == [("flaky", 2)]


async def test_forgetting_a_project_ends_a_wait() -> None:
    hub = Diagnostics()
    asyncio.get_running_loop().call_later(0.05, hub.forget, "p")
    started = time.monotonic()
    assert await hub.wait_for_errors("p", since=time.time(), timeout=10, settle=0) == []
    assert time.monotonic() - started < 2


# --- the console feed -----------------------------------------------------------------------
async def next_entry(entries: Any) -> dict[str, Any]:
    entry: dict[str, Any] = await asyncio.wait_for(anext(entries), 5)
    return entry


async def test_a_subscriber_gets_the_backlog_then_live_entries() -> None:
    hub = Diagnostics()
    feed(hub, "p", ["hello", *sample("flask_no_app.log"), "after"])
    (error,) = hub.errors("p")
    entries = hub.subscribe("p")
    backlog = [await next_entry(entries) for _ in range(len(hub.lines("p")) + 1)]
    assert [e["line"] for e in backlog[:-1]] == hub.lines("p")
    assert all(e["type"] == "log" and isinstance(e["at"], float) for e in backlog[:-1])
    assert backlog[-1] == {"type": "error", "error": error.to_dict()}

    hub.log("p", "live line")
    assert (await next_entry(entries))["line"] == "live line"
    hub.report("p", AppError.create(source="browser", message="Uncaught Error: x"))
    live = await next_entry(entries)
    assert live["type"] == "error" and live["error"]["message"] == "Uncaught Error: x"
    hub.report("p", AppError.create(source="browser", message="Uncaught Error: x"))
    assert (await next_entry(entries))["error"]["count"] == 2
    hub.clear("p")
    assert await next_entry(entries) == {"type": "cleared"}
    await entries.aclose()


async def test_a_slow_subscriber_loses_the_oldest_entries_and_is_told() -> None:
    hub = Diagnostics(subscriber_queue=10)
    entries = hub.subscribe("p")
    hub.log("p", "first")
    assert (await next_entry(entries))["line"] == "first"  # backlog: subscribed now
    started = time.monotonic()
    feed(hub, "p", [f"line {i}" for i in range(1000)])  # nobody reads meanwhile
    assert time.monotonic() - started < 1
    assert await next_entry(entries) == {"type": "dropped", "count": 990}
    rest = [(await next_entry(entries))["line"] for _ in range(10)]
    assert rest == [f"line {i}" for i in range(990, 1000)]
    await entries.aclose()


async def test_a_subscriber_that_leaves_is_no_longer_fed() -> None:
    hub = Diagnostics()
    entries = hub.subscribe("p")
    hub.log("p", "x")
    await next_entry(entries)
    await entries.aclose()
    hub.log("p", "y")  # must not fail nor keep anything for the departed reader
    assert hub.lines("p") == ["x", "y"]


async def test_forgetting_a_project_ends_its_feeds_and_drops_its_state() -> None:
    hub = Diagnostics()
    feed(hub, "p", ["a"])
    entries = hub.subscribe("p")
    assert (await next_entry(entries))["line"] == "a"
    hub.forget("p")
    with pytest.raises(StopAsyncIteration):
        await next_entry(entries)
    assert hub.lines("p") == [] and hub.errors("p") == []


def test_a_reported_error_is_kept_as_a_copy() -> None:
    hub = Diagnostics()
    mine = AppError.create(source="server", message="The dev server stopped (exit code 1)")
    hub.report("p", mine)
    hub.report(
        "p", AppError.create(source="server", message="The dev server stopped (exit code 2)")
    )
    assert mine.count == 1
    assert [error.count for error in hub.errors("p")] == [2]
