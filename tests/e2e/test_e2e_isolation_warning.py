"""Without isolation, the UI says so on every page; with it, it says nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import RunningServer, start_server, stop_server

pytestmark = pytest.mark.e2e


@pytest.fixture
def unisolated_server(tmp_path: Path, warm_cache: None) -> Iterator[RunningServer]:
    running = start_server(tmp_path / "data", {"TESSERA_SANDBOX_ISOLATION": "none"})
    yield running
    stop_server(running)


def test_unisolated_sandboxes_are_announced(page: Page, unisolated_server: RunningServer) -> None:
    page.goto(unisolated_server.url)
    warning = page.get_by_test_id("isolation-warning")
    expect(warning).to_contain_text("without isolation")
    expect(page.get_by_test_id("home-prompt")).to_be_visible()


def test_isolated_sandboxes_show_no_warning(page: Page, server: RunningServer) -> None:
    page.goto(server.url)
    expect(page.get_by_test_id("home-prompt")).to_be_visible()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("isolation-warning")).to_have_count(0)
