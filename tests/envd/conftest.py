"""Fixtures shared by the envd tests: one served isolated sandbox per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tessera.sandbox.templates import TemplateCache
from tests.envd.sandbox_sdk_support import ServedSandboxThread


@pytest.fixture(scope="module")
def served_sandbox(
    tmp_path_factory: pytest.TempPathFactory, template_cache: TemplateCache
) -> Iterator[ServedSandboxThread]:
    """A real isolated sandbox from the react template, its envd daemon reachable at
    ``served_sandbox.url``; afterwards none of its processes or control groups is left."""
    served = ServedSandboxThread(tmp_path_factory.mktemp("e2b-sandboxes"), template_cache)
    served.start()
    try:
        yield served
    finally:
        served.close()
    processes, groups = served.leftovers()
    assert processes == [], f"sandbox processes outlived the module: {processes}"
    assert groups == [], f"sandbox control groups were left: {groups}"
