"""Terminals: an interactive shell with a pseudo-terminal in a sandbox — local (isolated and
unisolated) and E2B (against ``FakeE2BSdk``)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sandbox_test_support import poll

from tessera.sandbox.base import Sandbox, Terminal, TerminalSandbox
from tessera.sandbox.e2b import E2BSandboxProvider
from tessera.sandbox.e2b.fake import FakeE2BSdk
from tessera.sandbox.local import LocalSandbox, LocalSandboxProvider
from tessera.sandbox.local.isolated import IsolatedRuntime
from tessera.sandbox.local.isolation import Isolation
from tessera.sandbox.local.pty import BUFFER_LIMIT, PtyTerminal
from tessera.sandbox.sessions import session_members
from tessera.sandbox.templates import TemplateCache
from tests.security.security_support import (
    LIMITS,
    processes_under,
    remove_cgroup_parent,
    unique_cgroup_parent,
)

WITHIN = 10.0
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
"""Terminal control sequences (bash's bracketed paste mode, clearing a line)."""


class Screen:
    """Everything a terminal printed, read as it comes (as a browser does)."""

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal
        self.output = bytearray()
        self.reading = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for chunk in self.terminal.read():
            self.output.extend(chunk)

    @property
    def text(self) -> str:
        """The output as lines, without control sequences."""
        text = ESCAPES.sub("", self.output.decode(errors="replace"))
        return text.replace("\r", "")

    async def run(self, line: str, expected: str) -> re.Match[str]:
        """Types ``line`` and waits for output matching ``expected`` (a multi-line regex)
        printed after it."""
        start = len(self.text)
        await self.terminal.write(line.encode() + b"\n")
        deadline = time.monotonic() + WITHIN
        pattern = re.compile(expected, re.MULTILINE)
        while (found := pattern.search(self.text, start)) is None:
            assert time.monotonic() < deadline, f"{expected!r} not printed:\n{self.text[start:]}"
            await asyncio.sleep(0.02)
        return found

    async def ended(self) -> None:
        await asyncio.wait_for(self.reading, WITHIN)


@contextlib.asynccontextmanager
async def screen_of(sandbox: Sandbox, cols: int = 80, rows: int = 24) -> AsyncIterator[Screen]:
    assert isinstance(sandbox, TerminalSandbox)
    terminal = await sandbox.open_terminal(cols=cols, rows=rows)
    screen = Screen(terminal)
    try:
        yield screen
    finally:
        await terminal.close()
        await screen.ended()


@pytest.fixture
def cgroup_parent() -> Iterator[str]:
    parent = unique_cgroup_parent()
    yield parent
    assert processes_under(parent) == [], "a sandbox process outlived the test"
    assert remove_cgroup_parent(parent) == [], "a sandbox's control group was left"


@pytest.fixture(params=["bubblewrap", "none"])
async def local(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    template_cache: TemplateCache,
    cgroup_parent: str,
) -> AsyncIterator[LocalSandbox]:
    provider = LocalSandboxProvider(
        tmp_path / "sandboxes",
        template_cache,
        preview_domain="localhost:8000",
        isolation=Isolation(mode=request.param, limits=LIMITS, cgroup_parent=cgroup_parent),
    )
    sandbox = await provider.create("react")
    yield sandbox
    await provider.aclose()


async def test_a_shell_runs_commands_on_a_terminal(local: LocalSandbox) -> None:
    isolated = isinstance(local.runtime, IsolatedRuntime)
    async with screen_of(local) as screen:
        await screen.run("echo $((6*7))", r"^42$")
        await screen.run("tty", r"^/dev/pts/\d+$")
        await screen.run("[ -t 0 ] && [ -t 1 ] && echo interactive", r"^interactive$")
        await screen.run('echo "term=$TERM"', r"^term=xterm-256color$")
        folder = await screen.run("pwd", r"^(/\S+)$")
        assert folder.group(1) == ("/home/user/app" if isolated else str(local.folder))
        await screen.run("ls package.json", r"^package\.json$")


async def test_a_resize_reaches_the_shell(local: Sandbox) -> None:
    async with screen_of(local, cols=100, rows=30) as screen:
        await screen.run("stty size", r"^30 100$")
        await screen.run("trap 'echo got-winch' WINCH; echo trapped", r"^trapped$")
        await screen.terminal.resize(132, 43)
        await screen.run("stty size", r"^43 132$")
        assert "got-winch" in screen.text


async def test_the_shell_gets_no_host_variable(
    local: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESSERA_TEST_SECRET", "leaked")
    async with screen_of(local) as screen:
        await screen.run('echo "[${TESSERA_TEST_SECRET-unset}]"', r"^\[unset\]$")


async def test_closing_ends_the_shell_and_everything_it_started(local: Sandbox) -> None:
    async with screen_of(local) as screen:
        await screen.run("sleep 1000 & echo started", r"^started$")
        await screen.run("(trap '' HUP TERM; exec sleep 1001) & echo stubborn", r"^stubborn$")
        terminal = screen.terminal
        assert isinstance(terminal, PtyTerminal)
        session = terminal.pid
        assert len(session_members(session)) >= 3  # the shell and both sleeps
        await terminal.close()
        await screen.ended()
        assert session_members(session) == []
        assert terminal.exit_code is not None


async def test_the_output_ends_when_the_shell_exits(local: Sandbox) -> None:
    async with screen_of(local) as screen:
        await screen.terminal.write(b"echo bye; exit 3\n")
        await screen.ended()
        assert re.search(r"^bye$", screen.text, re.MULTILINE)
        await poll(lambda: _exited(screen.terminal))
        assert screen.terminal.exit_code == 3
        await screen.terminal.write(b"ignored\n")  # no error once it has ended


async def _exited(terminal: Terminal) -> bool:
    return terminal.exit_code is not None


async def test_output_waits_for_a_slow_reader_without_loss(local: Sandbox) -> None:
    """Nobody reads: the shell's writes block once the bounded buffer is full; then all of
    the output arrives."""
    assert isinstance(local, TerminalSandbox)
    terminal = await local.open_terminal(cols=80, rows=24)
    try:
        size = 8 * BUFFER_LIMIT
        await terminal.write(f"head -c {size} /dev/zero | tr '\\0' x; exit\n".encode())
        await asyncio.sleep(1.5)
        assert terminal.exit_code is None, "the shell went on while nobody read its output"
        output = bytearray()
        async with asyncio.timeout(WITHIN):
            async for chunk in terminal.read():
                output.extend(chunk)
        assert output.count(b"x") >= size
        assert terminal.exit_code == 0
    finally:
        await terminal.close()


# --- isolated only ---------------------------------------------------------------------------
@pytest.fixture
async def sandboxed(
    tmp_path: Path, template_cache: TemplateCache, cgroup_parent: str
) -> AsyncIterator[Sandbox]:
    provider = LocalSandboxProvider(
        tmp_path / "sandboxes",
        template_cache,
        preview_domain="localhost:8000",
        isolation=Isolation(limits=LIMITS, cgroup_parent=cgroup_parent),
    )
    sandbox = await provider.create("react")
    yield sandbox
    await provider.aclose()


async def test_an_isolated_shell_sees_only_its_sandbox(sandboxed: Sandbox) -> None:
    async with screen_of(sandboxed) as screen:
        await screen.run("ls /root; echo rc=$?", r"^rc=[1-9]\d*$")
        assert "Permission denied" in screen.text  # the sandbox's own root home, closed
        await screen.run("pwd; id -un; hostname", r"^/home/user/app\nuser\nsandbox$")
        # The terminal is the sandbox's own (its /dev/pts), and belongs to its user.
        await screen.run("stat -c %U $(tty)", r"^user$")
        await screen.run("ls /dev/pts | grep -c '^[0-9]'", r"^1$")


async def test_an_isolated_shell_counts_against_the_sandbox_limits(
    sandboxed: Sandbox, cgroup_parent: str
) -> None:
    async with screen_of(sandboxed) as screen:
        found = await screen.run("echo pid=$$", r"^pid=(\d+)$")
        inner = int(found.group(1))
        shells = [p for p in processes_under(cgroup_parent) if p.inner_pid == inner]
        assert len(shells) == 1
        assert shells[0].group.endswith(f"/{sandboxed.sandbox_id}")


async def test_stopping_a_sandbox_ends_its_terminals(sandboxed: Sandbox) -> None:
    async with screen_of(sandboxed) as screen:
        await screen.run("echo ready", r"^ready$")
        await sandboxed.kill()
        await screen.ended()


# --- E2B -------------------------------------------------------------------------------------
@pytest.fixture
async def e2b(tmp_path: Path) -> AsyncIterator[Sandbox]:
    cloud = FakeE2BSdk(tmp_path / "e2b")
    provider = E2BSandboxProvider("e2b_test_key", sdk=cloud, sandbox_timeout=120)
    try:
        yield await provider.create("react", metadata={"project_id": "p1"})
    finally:
        await provider.aclose()
        await cloud.aclose()


async def test_an_e2b_terminal_runs_a_shell_in_the_project_folder(e2b: Sandbox) -> None:
    async with screen_of(e2b, cols=90, rows=20) as screen:
        await screen.run("echo $((6*7))", r"^42$")
        await screen.run("tty", r"^/dev/pts/\d+$")
        await screen.run('echo "term=$TERM"', r"^term=xterm-256color$")
        await screen.run("basename $PWD; ls package.json", r"^app\npackage\.json$")
        await screen.run("stty size", r"^20 90$")
        await screen.terminal.resize(100, 33)
        await screen.run("stty size", r"^33 100$")


async def test_closing_an_e2b_terminal_kills_its_shell(e2b: Sandbox) -> None:
    async with screen_of(e2b) as screen:
        found = await screen.run("echo pid=$$", r"^pid=(\d+)$")
        shell = int(found.group(1))
        await screen.terminal.close()
        await screen.ended()
        assert session_members(shell) == []


async def test_an_e2b_terminal_ends_with_its_shell(e2b: Sandbox) -> None:
    async with screen_of(e2b) as screen:
        await screen.terminal.write(b"exit 0\n")
        await screen.ended()
        await poll(lambda: _exited(screen.terminal))
        assert screen.terminal.exit_code == 0
        await screen.terminal.write(b"ignored\n")
