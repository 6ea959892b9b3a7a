from __future__ import annotations

import json
from pathlib import Path

import pytest

from tessera.errors import InvalidInput
from tessera.preview.inject import PREVIEW_SCRIPT, SCRIPT_PATH, STORAGE_PATH, inject_script
from tessera.preview.storage import PreviewStorage

TAG = f'<script src="{SCRIPT_PATH}"></script>'.encode()


def test_the_script_goes_first_into_head_before_the_apps_scripts() -> None:
    page = b'<!doctype html><html><HEAD lang="en"><script type="module" src="/x"></script>'
    out = inject_script(page)
    assert out.index(TAG) < out.index(b'type="module"')
    assert out.startswith(b'<!doctype html><html><HEAD lang="en">' + TAG)


def test_a_page_without_head_gets_the_script_at_the_start() -> None:
    assert inject_script(b"<p>hi</p>") == TAG + b"<p>hi</p>"


def test_the_script_talks_to_the_storage_endpoint() -> None:
    assert f'"{STORAGE_PATH}"' in PREVIEW_SCRIPT
    assert "localStorage" in PREVIEW_SCRIPT


async def test_storage_round_trips_per_sandbox(tmp_path: Path) -> None:
    storage = PreviewStorage(tmp_path)
    assert await storage.load("abc123") == b"{}"
    await storage.save("abc123", json.dumps({"todos": "[1,2]"}).encode())
    assert json.loads(await storage.load("abc123")) == {"todos": "[1,2]"}
    assert await storage.load("other1") == b"{}"
    assert json.loads(await PreviewStorage(tmp_path).load("abc123")) == {"todos": "[1,2]"}


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b'{"a": 1}', b'{"a": "x' + b"y" * (6 * 1024 * 1024) + b'"}']
)
async def test_storage_refuses_what_local_storage_cannot_hold(tmp_path: Path, body: bytes) -> None:
    with pytest.raises(InvalidInput):
        await PreviewStorage(tmp_path).save("abc123", body)


async def test_storage_refuses_ids_that_are_not_sandbox_ids(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        await PreviewStorage(tmp_path).load("../../etc")
