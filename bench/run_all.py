"""Runs every benchmark, one after the other, each in its own process (they measure time
and memory: none may share a process with another). Figures go to docs/benchmarks.md by
hand, with the ranges seen over several runs.

Run: ``make bench`` or ``python bench/run_all.py [name ...]``.
"""

from __future__ import annotations

import subprocess
import sys
import time

BENCHES = (
    "parser_throughput",
    "edit_accuracy",
    "event_latency",
    "sandbox_create",
    "turn_latency",
    "sandbox_memory",
    "history_diff",
    "export",
    "workspace_load",
    "envd_roundtrip",
)


def main(names: list[str]) -> int:
    unknown = sorted(set(names) - set(BENCHES))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHES)}")
        return 2
    failed: list[str] = []
    for name in names or BENCHES:
        print(f"\n=== {name} ===", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, "-m", f"bench.{name}"])
        print(f"=== {name}: exit {code}, {time.monotonic() - started:.0f} s", flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
