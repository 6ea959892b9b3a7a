from __future__ import annotations

import dataclasses
import json
from datetime import datetime

import pytest

from tessera.store import Store


async def test_to_dict_is_json_serialisable(store: Store) -> None:
    project = await store.create_project(name="p")
    file = await store.write_file(project.id, "a.txt", "A")
    version = await store.commit_version(project.id, changes={}, message="v1", kind="edit")
    message = await store.add_message(project.id, role="user", content="hi")

    payload = json.loads(
        json.dumps(
            {
                "project": project.to_dict(),
                "file": file.to_dict(),
                "version": version.to_dict(),
                "message": message.to_dict(),
            }
        )
    )

    assert payload["project"] == {
        "id": project.id,
        "name": "p",
        "title": None,
        "description": None,
        "template": "react",
        "created_at": project.created_at.isoformat(),
        "updated_at": project.updated_at.isoformat(),
    }
    assert payload["file"] == {"path": "a.txt", "size": 1, "sha": file.sha}
    assert payload["version"]["number"] == 1
    assert payload["version"]["file_count"] == 1
    assert payload["message"]["version_id"] is None
    for stamp in (
        payload["project"]["created_at"],
        payload["version"]["created_at"],
        payload["message"]["created_at"],
    ):
        assert datetime.fromisoformat(stamp).utcoffset() is not None
        assert stamp.endswith("+00:00")


async def test_records_are_frozen(store: Store) -> None:
    project = await store.create_project(name="p")
    with pytest.raises(dataclasses.FrozenInstanceError):
        project.name = "changed"  # type: ignore[misc]
