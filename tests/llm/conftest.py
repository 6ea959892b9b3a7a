"""Node toolchains for the offline model's build tests, installed once per machine.

``TESSERA_TEST_CACHE_DIR`` (default ``~/.cache/tessera-test``) holds them:
``llm-node-modules`` is the react template's dependencies, ``llm-typecheck`` TypeScript
and React's type definitions (the template itself has no type checker).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from offline_support import TEMPLATE_DIR, cache_root, npm_install

TYPECHECK_MANIFEST = {
    "name": "tessera-llm-typecheck",
    "private": True,
    "devDependencies": {
        "typescript": "5.9.3",
        "@types/react": "19.3.0",
        "@types/react-dom": "19.3.0",
    },
}


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """The react template's node_modules (``npm install`` of its package.json)."""
    manifest = (TEMPLATE_DIR / "package.json").read_text()
    return npm_install(cache_root() / "llm-node-modules", manifest)


@pytest.fixture(scope="session")
def typecheck_modules() -> Path:
    return npm_install(
        cache_root() / "llm-typecheck", json.dumps(TYPECHECK_MANIFEST, indent=2) + "\n"
    )
