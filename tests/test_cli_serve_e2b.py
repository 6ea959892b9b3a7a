"""``tessera sandbox serve-e2b``: a real isolated sandbox served to E2B's SDK, from the
command line, until Ctrl+C."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from e2b import Sandbox
from typer.testing import CliRunner

from tessera.cli import cli
from tessera.sandbox.local.cgroups import DEFAULT_PARENT
from tessera.sandbox.templates import TemplateCache
from tests.conftest import free_port, shared_test_cache
from tests.sandbox.sandbox_test_support import processes_in

SERVE = [sys.executable, "-m", "tessera.cli", "sandbox", "serve-e2b"]
READY_SECONDS = 60.0
CGROUP_ROOT = Path("/sys/fs/cgroup")


class Output:
    """A subprocess's output, read line by line in a thread (reads never block a test)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        assert process.stdout is not None
        stream = process.stdout
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self._queue.put(line)
        self._queue.put(None)

    def until(self, marker: str, within: float) -> str:
        """The output so far, once a line holds ``marker``; fails after ``within`` s."""
        deadline = time.monotonic() + within
        while not any(marker in line for line in self.lines):
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {marker!r} in time:\n{self.text}") from None
            if line is None:
                raise AssertionError(f"the command ended before {marker!r}:\n{self.text}")
            self.lines.append(line)
        return self.text

    @property
    def text(self) -> str:
        return "".join(self.lines)


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("E2B_", "TESSERA_"))
    }
    env |= {
        "TESSERA_DATA_DIR": str(data_dir),
        "TESSERA_CACHE_DIR": str(shared_test_cache()),
        "COLUMNS": "240",  # one line per sentence: the test reads them
        **extra,
    }
    return env


def sandbox_processes(sandbox_id: str) -> list[int]:
    """Live processes in the sandbox's control group, whatever their namespace."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            groups = (entry / "cgroup").read_text()
            state = next(
                line for line in (entry / "status").read_text().splitlines() if line[:6] == "State:"
            )
        except (OSError, StopIteration):
            continue
        if f"/{DEFAULT_PARENT}/{sandbox_id}\n" in groups and " Z " not in state + " ":
            found.append(int(entry.name))
    return found


def sandbox_groups(sandbox_id: str) -> list[Path]:
    return [g for g in CGROUP_ROOT.glob(f"*/{DEFAULT_PARENT}/{sandbox_id}") if g.is_dir()]


def all_sandbox_groups() -> set[str]:
    """The names of the sandbox control groups under Tessera's default parent."""
    return {g.name for g in CGROUP_ROOT.glob(f"*/{DEFAULT_PARENT}/*") if g.is_dir()}


def answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def serve(tmp_path: Path, template_cache: TemplateCache) -> Iterator[subprocess.Popen[str]]:
    port = free_port()
    process = subprocess.Popen(
        [*SERVE, "--host", "127.0.0.1", "--port", str(port)],
        env=environment(tmp_path / "data"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    process.port = port  # type: ignore[attr-defined]
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serves_a_sandbox_to_the_sdk_resets_and_stops(
    serve: subprocess.Popen[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port: int = serve.port  # type: ignore[attr-defined]
    output = Output(serve)
    text = output.until("Ctrl+C stops it", within=READY_SECONDS)

    first_id = re.search(r"Sandbox (\S+) \(react\) serves E2B's protocol", text)
    assert first_id, text
    exports = dict(re.findall(r"export (E2B_\w+)=(\S+)", text))
    assert exports == {"E2B_DEBUG": "true", "E2B_SANDBOX_URL": f"http://127.0.0.1:{port}"}
    reset_url = re.search(r"curl -X POST (\S+)", text)
    assert reset_url and reset_url.group(1) == f"http://127.0.0.1:{port}/tessera/reset", text

    # As printed: the environment, then ``Sandbox.create()``.
    for name, value in exports.items():
        monkeypatch.setenv(name, value)
    sandbox = Sandbox.create()
    assert "Linux" in sandbox.commands.run("uname -a").stdout
    assert sandbox.commands.run("id -u").stdout.strip() != "0"
    sandbox.files.write("/home/user/kept.txt", "until the reset")
    assert sandbox.files.read("/home/user/kept.txt") == "until the reset"
    sandbox.commands.run("sleep 41", background=True)

    answer = httpx.post(reset_url.group(1), timeout=READY_SECONDS, trust_env=False)
    assert answer.status_code == 200, answer.text
    second_id = answer.json()["sandbox_id"]
    assert second_id != first_id.group(1)
    assert sandbox_processes(first_id.group(1)) == []

    fresh = Sandbox.create()
    assert not fresh.files.exists("/home/user/kept.txt")
    assert not any("sleep 41" in " ".join(p.args) for p in fresh.commands.list())
    fresh.commands.run("sleep 43", background=True)  # Ctrl+C must end it too
    assert sandbox_processes(second_id)

    serve.send_signal(signal.SIGINT)
    assert serve.wait(timeout=30) == 0, output.text
    for sandbox_id in (first_id.group(1), second_id):
        assert sandbox_processes(sandbox_id) == [], sandbox_id
        assert sandbox_groups(sandbox_id) == [], sandbox_id
    assert processes_in(tmp_path) == []
    assert not answers(port)
    served = tmp_path / "data" / "e2b-sandboxes"
    assert not {first_id.group(1), second_id} & {p.name for p in served.iterdir()}


def test_refuses_unisolated_sandboxes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, template_cache: TemplateCache
) -> None:
    for name, value in environment(tmp_path / "data", TESSERA_SANDBOX_ISOLATION="none").items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["sandbox", "serve-e2b", "--port", str(free_port())])
    assert result.exit_code == 1, result.output
    assert "bubblewrap" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "data" / "e2b-sandboxes").exists()


def test_a_port_in_use_is_refused_and_the_sandbox_ended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, template_cache: TemplateCache
) -> None:
    for name, value in environment(tmp_path / "data").items():
        monkeypatch.setenv(name, value)
    groups_before = all_sandbox_groups()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            cli, ["sandbox", "serve-e2b", "--host", "127.0.0.1", "--port", str(port)]
        )
    assert result.exit_code == 1, result.output
    assert f"Cannot serve on 127.0.0.1:{port}" in result.output
    # The sandbox was made before the port was asked for: it is gone with its processes.
    assert all_sandbox_groups() - groups_before == set()
    folders = (tmp_path / "data" / "e2b-sandboxes").glob("*/")
    assert [f for f in folders if not f.name.startswith(".")] == []
