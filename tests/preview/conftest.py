"""Fixtures of the preview tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sandbox.sandbox_test_support import processes_in


@pytest.fixture(autouse=True)
def no_leftover_processes(tmp_path: Path) -> Iterator[None]:
    yield
    assert processes_in(tmp_path) == [], "a process started by the test outlived it"
