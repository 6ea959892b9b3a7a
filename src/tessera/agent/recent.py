"""Which files changed lately: the model sees them first (they are what the user is
working on)."""

from __future__ import annotations

from tessera.store import Store

RECENT_VERSIONS = 4


async def recent_paths(
    store: Store, project_id: str, *, versions: int = RECENT_VERSIONS
) -> list[str]:
    """Paths changed by the project's last ``versions`` versions, most recent first."""
    records = (await store.list_versions(project_id))[-(versions + 1) :]
    if len(records) < 2:
        return []  # one version: everything in it is new, nothing is "recent" yet
    snapshots = [await store.read_version_files(project_id, r.id) for r in records]
    current = await store.read_files(project_id)
    snapshots.append(current)
    seen: dict[str, None] = {}
    for newer, older in zip(reversed(snapshots), list(reversed(snapshots))[1:], strict=False):
        for path in sorted(set(newer) | set(older)):
            if newer.get(path) != older.get(path) and path in current:
                seen.setdefault(path)
    return list(seen)
