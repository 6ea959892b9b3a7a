"""Benchmark: the latency Tessera adds between a model's token and its event on the wire.

    .venv/bin/python bench/event_latency.py [--runs 3] [--chat-tokens 200]
                                            [--file-tokens 800] [--interval 0.005]

Runs the real application (``create_app``: store, agent, run registry, SSE route, local
sandboxes from the warm template cache) under uvicorn on a free port of 127.0.0.1, in a
thread of this process, with a model that streams a scripted answer: chat text, then one
whole ``src/App.tsx`` whose every token carries a unique mark. The model notes the clock
(``time.perf_counter``, shared by every thread of the process) just before it hands each
token to Tessera; a client reads ``POST /api/projects/{id}/runs`` over a real HTTP
connection (httpx, streaming) and notes when each ``TEXT_MESSAGE_CONTENT`` and
``file_delta`` event carrying a mark arrives. Latency = arrival - hand-over, per token:
parser, workspace, event building, SSE encoding, the HTTP stack and the client's parsing.

Each run is one turn on a project seeded with the react template's starter files (as after
a first turn), so the sandbox starts early and deploys while the turn streams, as in real
use. ``--interval`` is the pause between tokens (0.005 s ≈ a fast model at 200 tokens/s;
0 streams as fast as possible and measures queueing under a burst as well). Prints a
markdown table: median, p95 and max in milliseconds over every token of every run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tessera.app import create_app
from tessera.config import Settings
from tessera.llm.base import CompletionRequest, StreamEnd, StreamItem, TextDelta, Usage
from tessera.sandbox.templates.registry import get_template
from tests.conftest import shared_test_cache

MARK_RE = re.compile(r"[wk]\d{6}")
TARGET_MEDIAN_MS = 20.0


@dataclass
class TimedProvider:
    """A model that streams a script and notes when it hands over each marked token.

    ``chat_tokens`` words of chat text (``w000001 ``...), then ``src/App.tsx`` with
    ``file_tokens`` marked strings (``'k000001', ``...) in an array the page counts.
    """

    chat_tokens: int
    file_tokens: int
    interval: float
    name: str = "timed"
    label: str = "timed script"
    handed: dict[str, float] = field(default_factory=dict)

    def script(self) -> list[str]:
        chunks = ["Here is the page. "]
        chunks += [f"w{index:06} " for index in range(self.chat_tokens)]
        chunks += ['\n<tessera-file path="src/App.tsx">\n', "const words = [\n"]
        chunks += [f"'k{index:06}', " for index in range(self.file_tokens)]
        chunks += [
            "\n]\n\nexport default function App() {\n",
            "  return <main><h1>Token stream</h1><p>{words.length} words</p></main>\n}\n",
            "</tessera-file>\nDone.",
        ]
        return chunks

    async def stream(self, request: CompletionRequest) -> AsyncIterator[StreamItem]:
        for chunk in self.script():
            if self.interval:
                await asyncio.sleep(self.interval)
            else:
                await asyncio.sleep(0)  # a real stream yields to the loop between reads
            mark = MARK_RE.search(chunk)
            if mark:
                self.handed[mark.group()] = time.perf_counter()
            yield TextDelta(chunk)
        yield StreamEnd("stop", Usage(1000, self.chat_tokens + self.file_tokens))

    async def aclose(self) -> None:
        return None


class ServerThread:
    """Tessera under uvicorn on a free port of 127.0.0.1, in a thread of this process."""

    def __init__(self, settings: Settings, provider: TimedProvider) -> None:
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        config = uvicorn.Config(
            create_app(settings, provider=provider),
            log_level="warning",
            loop="asyncio",
            ws="none",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def __enter__(self) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + 60
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("Tessera did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=60)
        self._socket.close()


@dataclass
class RunResult:
    latencies: dict[str, list[float]]  # event kind → seconds, one per marked token
    missing: int
    events: int
    error: str | None


async def one_run(
    client: httpx.AsyncClient, provider: TimedProvider, starter: dict[str, str]
) -> RunResult:
    project = (await client.post("/api/projects", json={"name": "bench"})).json()["id"]
    seeded = await client.post(f"/api/projects/{project}/deploy", json={"files": starter})
    seeded.raise_for_status()
    provider.handed.clear()
    arrived: dict[str, tuple[str, float]] = {}
    events = 0
    error: str | None = None
    async with client.stream(
        "POST", f"/api/projects/{project}/runs", json={"prompt": "a page"}, timeout=120
    ) as answer:
        answer.raise_for_status()
        async for line in answer.aiter_lines():
            now = time.perf_counter()
            if not line.startswith("data: "):
                continue
            events += 1
            event = json.loads(line[6:])
            kind = event.get("type")
            if kind == "TEXT_MESSAGE_CONTENT":
                text, label = event.get("delta", ""), "chat text (TEXT_MESSAGE_CONTENT)"
            elif kind == "CUSTOM" and event.get("name") == "file_delta":
                text, label = event["value"]["delta"], "file content (file_delta)"
            else:
                if kind == "RUN_ERROR":
                    error = event.get("message")
                continue
            for mark in MARK_RE.findall(text):
                arrived.setdefault(mark, (label, now))
    latencies: dict[str, list[float]] = {}
    for mark, handed in provider.handed.items():
        if mark in arrived:
            label, at = arrived[mark]
            latencies.setdefault(label, []).append(at - handed)
    return RunResult(latencies, len(provider.handed) - len(arrived), events, error)


def row(name: str, seconds: list[float]) -> str:
    ms = sorted(value * 1000 for value in seconds)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return f"| {name} | {len(ms)} | {statistics.median(ms):.2f} | {p95:.2f} | {ms[-1]:.2f} |"


def starter_files() -> dict[str, str]:
    files_dir = get_template("react").files_dir
    return {
        path.relative_to(files_dir).as_posix(): path.read_text()
        for path in sorted(files_dir.rglob("*"))
        if path.is_file()
    }


async def measure(url: str, provider: TimedProvider, runs: int) -> list[RunResult]:
    starter = starter_files()
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        return [await one_run(client, provider, starter) for _ in range(runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chat-tokens", type=int, default=200)
    parser.add_argument("--file-tokens", type=int, default=800)
    parser.add_argument("--interval", type=float, default=0.005)
    args = parser.parse_args()
    provider = TimedProvider(args.chat_tokens, args.file_tokens, args.interval)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp) / "data",
            cache_dir=shared_test_cache(),
            llm_provider="offline",
            autofix=False,
        )
        with ServerThread(settings, provider) as server:
            results = asyncio.run(measure(server.url, provider, args.runs))
    by_kind: dict[str, list[float]] = {}
    for result in results:
        for label, values in result.latencies.items():
            by_kind.setdefault(label, []).extend(values)
    every = [value for values in by_kind.values() for value in values]
    print(
        f"{args.runs} runs of {args.chat_tokens + args.file_tokens} tokens, "
        f"{args.interval * 1000:g} ms between tokens; "
        f"tokens not seen: {sum(r.missing for r in results)}; "
        f"run errors: {[r.error for r in results if r.error] or 'none'}"
    )
    print("| event | tokens | median ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    for label in sorted(by_kind):
        print(row(label, by_kind[label]))
    print(row("all", every))
    median = statistics.median(every) * 1000
    verdict = "meets" if median < TARGET_MEDIAN_MS else "MISSES"
    print(f"\nmedian {median:.2f} ms {verdict} the target of < {TARGET_MEDIAN_MS:g} ms")


if __name__ == "__main__":
    main()
