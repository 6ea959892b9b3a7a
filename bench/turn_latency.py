"""Benchmark: the latencies a user feels, measured in real Chromium against a real server.

    .venv/bin/python bench/turn_latency.py [--runs 5]

Starts ``tessera serve`` (offline demo model at its default pace, local sandboxes) and
measures, each over ``--runs`` runs:

- prompt → preview interactive: the prompt typed on the home page and Enter pressed, until
  the generated todo app's input is visible in the workspace's preview iframe;
- last token → preview interactive: a run streamed through the API while Chromium shows
  the project's preview (the starter page, as in the workspace); from the model's last
  token (the end of the chat message) until the todo app's input is visible there;
- hand edit → preview DOM updated: ``POST /deploy`` of a changed heading until the new
  heading is in the preview's DOM (hot update, no reload).

Prints a markdown table of medians and p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.async_api import Page, async_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, start_server, stop_server

TODO_INPUT = "input[placeholder='What needs to be done?']"
PROMPT = "Create a React todo app with local storage"


def row(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return f"| {name} | {len(ms)} | {statistics.median(ms):.0f} | {p95:.0f} | {ms[0]:.0f} |"


async def prompt_to_interactive(page: Page, url: str) -> float:
    await page.goto(url)
    prompt = page.get_by_test_id("home-prompt")
    await prompt.fill(PROMPT)
    started = time.perf_counter()
    await prompt.press("Enter")
    frame = page.frame_locator("[data-testid=preview-frame]")
    await frame.locator(TODO_INPUT).wait_for(state="visible", timeout=60_000)
    return time.perf_counter() - started


async def last_token_to_interactive(page: Page, client: httpx.AsyncClient) -> float:
    project = (await client.post("/api/projects", json={"name": "bench"})).json()["id"]
    preview = (await client.get(f"/api/projects/{project}/preview")).json()
    await page.goto(preview["preview_url"])
    last_token = 0.0
    async with client.stream(
        "POST", f"/api/projects/{project}/runs", json={"prompt": PROMPT}, timeout=120
    ) as answer:
        waiting = asyncio.create_task(
            page.locator(TODO_INPUT).wait_for(state="visible", timeout=120_000)
        )
        async for line in answer.aiter_lines():
            if line.startswith("data: ") and '"TEXT_MESSAGE_END"' in line:
                last_token = time.perf_counter()
        await waiting
    return time.perf_counter() - last_token


async def edit_to_dom(page: Page, client: httpx.AsyncClient, runs: int) -> list[float]:
    project = (await client.post("/api/projects", json={"name": "bench"})).json()["id"]
    async with client.stream(
        "POST", f"/api/projects/{project}/runs", json={"prompt": PROMPT}, timeout=120
    ) as answer:
        async for _ in answer.aiter_lines():
            pass
    preview = (await client.get(f"/api/projects/{project}/preview")).json()
    await page.goto(preview["preview_url"])
    await page.locator(TODO_INPUT).wait_for(state="visible")
    source = (await client.get(f"/api/projects/{project}/files/src/App.tsx")).json()["content"]
    heading = await page.locator("h1").inner_text()
    times: list[float] = []
    for run in range(runs):
        text = f"Edited heading {run}"
        edited = source.replace(f">{heading}<", f">{text}<")
        started = time.perf_counter()
        answer = await client.post(
            f"/api/projects/{project}/deploy", json={"files": {"src/App.tsx": edited}}
        )
        answer.raise_for_status()
        await page.wait_for_function(
            f"() => document.querySelector('h1')?.textContent === {json.dumps(text)}"
        )
        times.append(time.perf_counter() - started)
    return times


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp) / "data", {"TESSERA_OFFLINE_PACE": "1.0"})
        try:
            async with (
                async_playwright() as playwright,
                httpx.AsyncClient(base_url=server.url, timeout=60) as client,
            ):
                browser = await playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS
                )
                page = await browser.new_page(viewport={"width": 1400, "height": 900})
                prompt = [await prompt_to_interactive(page, server.url) for _ in range(args.runs)]
                token = [await last_token_to_interactive(page, client) for _ in range(args.runs)]
                edit = await edit_to_dom(page, client, args.runs * 2)
                await browser.close()
        finally:
            stop_server(server)
    print("| measurement | runs | median ms | p95 ms | min ms |")
    print("|---|---:|---:|---:|---:|")
    print(row("prompt → preview interactive (offline model, pace 1.0)", prompt))
    print(row("model's last token → preview interactive", token))
    print(row("hand edit deployed → preview DOM updated", edit))


if __name__ == "__main__":
    asyncio.run(main())
