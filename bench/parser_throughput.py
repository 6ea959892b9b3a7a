"""Throughput and per-feed latency of the model-output parser.

Run: ``python bench/parser_throughput.py``. Two workloads:

- a 5 MB file in one ``<tessera-file>`` tag, fed in 1 KB chunks (a large generated file);
- a typical 20 KB answer (chat, six files, an edit, a dependency), fed in 20-character
  chunks (about the size of the text deltas model providers stream).

Each workload runs five times; the table shows the median throughput and the median and
95th-percentile time of one ``feed`` call over all runs.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from tessera.protocol.format import render_dependency, render_edit, render_file
from tessera.protocol.parser import StreamParser

RUNS = 5

_LINE = "export const value = compute(a < b, `template ${x}`); // keeps </tessera-fil away\n"

_COMPONENT = """import { useState } from "react";

export function Counter({ label }: { label: string }) {
  const [count, setCount] = useState(0);
  return (
    <button className="counter" onClick={() => setCount(count + 1)}>
      {label}: {count}
    </button>
  );
}
"""


def large_file() -> str:
    body = _LINE * (5 * 1024 * 1024 // len(_LINE))
    return f"Here is the file.\n{render_file('src/big.ts', body)}\nDone."


def typical_answer() -> str:
    parts = ["I'll build a small counter app with a list of items.\n\n"]
    index = 0
    while sum(map(len, parts)) < 19_000:
        parts.append(render_file(f"src/components/Counter{index}.tsx", _COMPONENT * 3))
        parts.append(f"\n\nComponent {index} shows a counter; a < b stays chat.\n")
        index += 1
    parts.append(render_edit("src/App.tsx", [("<h1>Old</h1>\n", "<h1>New</h1>\n")]))
    parts.append(render_dependency("zustand", "^5"))
    parts.append("\nRun it and click the buttons.\n")
    return "".join(parts)


def run(text: str, chunk: int) -> tuple[float, list[float]]:
    """Seconds for the whole text, and seconds of each feed call."""
    pieces = [text[start : start + chunk] for start in range(0, len(text), chunk)]
    parser = StreamParser()
    clock: Callable[[], float] = time.perf_counter
    latencies: list[float] = []
    started = clock()
    for piece in pieces:
        before = clock()
        parser.feed(piece)
        latencies.append(clock() - before)
    parser.close()
    return clock() - started, latencies


def measure(name: str, text: str, chunk: int) -> str:
    totals: list[float] = []
    latencies: list[float] = []
    for _ in range(RUNS):
        total, feeds = run(text, chunk)
        totals.append(total)
        latencies.extend(feeds)
    latencies.sort()
    megabytes = len(text.encode()) / 1_000_000
    throughput = megabytes / statistics.median(totals)
    median = statistics.median(latencies) * 1e6
    p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1e6
    size = f"{len(text.encode()) / 1024:,.0f} KB"
    return f"| {name} | {size} | {chunk} chars | {throughput:,.1f} | {median:,.1f} | {p95:,.1f} |"


def main() -> None:
    print("| workload | size | chunk | MB/s (median of 5) | feed median (µs) | feed p95 (µs) |")
    print("|---|---|---|---|---|---|")
    print(measure("large file", large_file(), 1024))
    print(measure("typical app", typical_answer(), 20))


if __name__ == "__main__":
    main()
