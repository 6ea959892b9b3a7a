"""``HistoryService`` over a real store: what each version changed, snapshots, diffs,
restore (history only grows) and undo of the AI's turns."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tessera.errors import FileNotFound, InvalidInput, RunInProgress, VersionNotFound
from tessera.history import HistoryService
from tessera.sandbox.local import LocalSandboxProvider
from tessera.sandbox.manager import SandboxManager
from tessera.sandbox.templates import TemplateCache, get_template
from tessera.store import Store
from tests.conftest import RunsStandIn

STARTER = {"index.html": "<div id=root></div>\n", "src/App.tsx": "v1\n", "src/old.ts": "old\n"}


@pytest.fixture
def runs() -> RunsStandIn:
    return RunsStandIn()


@pytest.fixture
def history(store: Store, runs: RunsStandIn) -> HistoryService:
    return HistoryService(store=store, sandboxes=None, is_running=runs.is_running)


async def three_versions(store: Store) -> tuple[str, list[int]]:
    """v1 starter (edit), v2 the AI changes App and adds a file, v3 the AI deletes old.ts."""
    pid = (await store.create_project(name="History")).id
    v1 = await store.commit_version(pid, changes=STARTER, message="Started", kind="edit")
    v2 = await store.commit_version(
        pid,
        changes={"src/App.tsx": "v2\n", "src/new.ts": "new\n"},
        message="Add new",
        kind="assistant",
    )
    v3 = await store.commit_version(
        pid, changes={"src/old.ts": None}, message="Drop old", kind="assistant"
    )
    return pid, [v1.id, v2.id, v3.id]


async def test_versions_are_newest_first_with_what_each_changed(
    store: Store, history: HistoryService
) -> None:
    pid, ids = await three_versions(store)
    views = await history.versions(pid)
    assert [v.version.id for v in views] == ids[::-1]
    assert [(c.path, c.change) for c in views[0].changed] == [("src/old.ts", "deleted")]
    assert [(c.path, c.change) for c in views[1].changed] == [
        ("src/App.tsx", "modified"),
        ("src/new.ts", "added"),
    ]
    assert {c.change for c in views[2].changed} == {"added"} and len(views[2].changed) == 3
    shown = views[1].to_dict()
    assert shown["number"] == 2 and shown["kind"] == "assistant" and shown["file_count"] == 4
    assert shown["changed"][0] == {"path": "src/App.tsx", "change": "modified"}


async def test_changed_paths_match_a_comparison_of_whole_snapshots(
    store: Store, history: HistoryService
) -> None:
    """30 random commits; what the sha query reports equals comparing decoded snapshots."""
    rng = random.Random(5)
    pid = (await store.create_project(name="Random")).id
    names = [f"src/f{i}.ts" for i in range(12)]
    for step in range(30):
        current = await store.read_files(pid)
        changes: dict[str, str | None] = {}
        for name in rng.sample(names, 4):
            roll = rng.random()
            if name in current and roll < 0.3:
                changes[name] = None
            elif name in current and roll < 0.5:
                changes[name] = current[name]  # written again, unchanged
            else:
                changes[name] = f"content {rng.randint(0, 3)}\n"
        await store.commit_version(pid, changes=changes, message=f"step {step}", kind="edit")
    views = list(reversed(await history.versions(pid)))
    previous: dict[str, str] = {}
    for view in views:
        files = await history.snapshot(pid, view.version.id)
        expected = sorted(
            [(p, "added") for p in files if p not in previous]
            + [(p, "modified") for p in files if p in previous and previous[p] != files[p]]
            + [(p, "deleted") for p in previous if p not in files]
        )
        assert [(c.path, c.change) for c in view.changed] == expected
        previous = files


async def test_snapshots_of_a_version(store: Store, history: HistoryService) -> None:
    pid, ids = await three_versions(store)
    assert await history.snapshot(pid, ids[0]) == STARTER
    assert await history.snapshot_file(pid, ids[1], "src/App.tsx") == "v2\n"
    with pytest.raises(FileNotFound):
        await history.snapshot_file(pid, ids[2], "src/old.ts")
    with pytest.raises(VersionNotFound):
        await history.snapshot(pid, 999_999)
    other = (await store.create_project(name="Other")).id
    with pytest.raises(VersionNotFound):  # a version of another project
        await history.snapshot(other, ids[0])


async def test_diffs_between_versions_and_the_working_copy(
    store: Store, history: HistoryService
) -> None:
    pid, ids = await three_versions(store)
    diff = await history.diff(pid, ids[0], ids[2])
    assert [(d.path, d.change, d.before, d.after) for d in diff] == [
        ("src/App.tsx", "modified", "v1\n", "v2\n"),
        ("src/new.ts", "added", None, "new\n"),
        ("src/old.ts", "deleted", "old\n", None),
    ]
    assert await history.diff(pid, ids[2], None) == []
    await store.write_file(pid, "src/App.tsx", "unsaved as a version\n")
    (current,) = await history.diff(pid, ids[2], None)
    assert (current.path, current.before, current.after) == (
        "src/App.tsx",
        "v2\n",
        "unsaved as a version\n",
    )
    backwards = await history.diff(pid, ids[2], ids[0])
    assert [(d.path, d.change) for d in backwards][2] == ("src/old.ts", "added")


async def test_restore_adds_a_version_and_loses_nothing(
    store: Store, history: HistoryService
) -> None:
    pid, ids = await three_versions(store)
    restored = await history.restore(pid, ids[0])
    assert restored.version.kind == "restore" and restored.version.number == 4
    assert restored.version.message == "Restored version 1"
    assert {(c.path, c.change) for c in restored.changed} == {
        ("src/App.tsx", "modified"),
        ("src/new.ts", "deleted"),
        ("src/old.ts", "added"),
    }
    assert await store.read_files(pid) == STARTER
    # the versions after the restored one are all still there, files and all
    assert [v.number for v in await store.list_versions(pid)] == [1, 2, 3, 4]
    assert (await history.snapshot(pid, ids[2]))["src/new.ts"] == "new\n"
    again = await history.restore(pid, ids[2])
    assert again.version.message == "Restored version 3"
    assert await store.read_files(pid) == await history.snapshot(pid, ids[2])


async def test_restore_while_a_run_streams_changes_nothing(
    store: Store, history: HistoryService, runs: RunsStandIn
) -> None:
    pid, ids = await three_versions(store)
    before = await store.read_files(pid)
    runs.running.add(pid)
    with pytest.raises(RunInProgress, match="wait for the run to finish"):
        await history.restore(pid, ids[0])
    with pytest.raises(RunInProgress):
        await history.undo(pid)
    assert await store.read_files(pid) == before
    assert len(await store.list_versions(pid)) == 3
    runs.running.clear()
    await history.restore(pid, ids[0])
    assert await store.read_files(pid) == STARTER


async def test_restore_of_an_unknown_version_is_404(store: Store, history: HistoryService) -> None:
    pid, _ = await three_versions(store)
    with pytest.raises(VersionNotFound):
        await history.restore(pid, 424_242)
    assert len(await store.list_versions(pid)) == 3


async def test_undo_goes_back_one_turn_at_a_time(store: Store, history: HistoryService) -> None:
    pid, ids = await three_versions(store)
    first = await history.undo(pid)
    assert first.version.message == "Undid: Drop old" and first.version.kind == "restore"
    assert await store.read_files(pid) == await history.snapshot(pid, ids[1])
    second = await history.undo(pid)
    assert second.version.message == "Undid: Add new"
    assert await store.read_files(pid) == STARTER
    with pytest.raises(InvalidInput, match="Nothing to undo"):
        await history.undo(pid)
    assert len(await store.list_versions(pid)) == 5


async def test_undo_after_a_hand_edit_goes_back_before_the_newest_turn(
    store: Store, history: HistoryService
) -> None:
    pid, ids = await three_versions(store)
    await store.commit_version(pid, changes={"notes.md": "mine\n"}, message="Hand", kind="edit")
    undone = await history.undo(pid)
    assert undone.version.message == "Undid: Drop old"
    assert await store.read_files(pid) == await history.snapshot(pid, ids[1])


async def test_nothing_to_undo_without_a_turn(store: Store, history: HistoryService) -> None:
    pid = (await store.create_project(name="Quiet")).id
    with pytest.raises(InvalidInput, match="Nothing to undo"):
        await history.undo(pid)
    await store.commit_version(pid, changes={"a.txt": "a"}, message="First turn", kind="assistant")
    with pytest.raises(InvalidInput, match="Nothing to undo"):
        await history.undo(pid)  # the first version has nothing before it
    assert len(await store.list_versions(pid)) == 1


async def test_undo_when_the_files_match_no_version_goes_back_before_the_newest_turn(
    store: Store, history: HistoryService
) -> None:
    """An install wrote a lock file into the working copy (no version): undo still undoes
    the newest turn."""
    pid, ids = await three_versions(store)
    await store.write_file(pid, "package-lock.json", "{}\n")
    undone = await history.undo(pid)
    assert undone.version.message == "Undid: Drop old"
    assert await store.read_files(pid) == await history.snapshot(pid, ids[1])


@pytest.mark.slow
async def test_a_restore_reaches_the_running_sandbox(
    store: Store, tmp_path: Path, template_cache: TemplateCache
) -> None:
    provider = LocalSandboxProvider(tmp_path / "sandboxes", template_cache, preview_domain="x")
    manager = SandboxManager(provider, dev_server_timeout=30)
    try:
        pid = (await store.create_project(name="Synced")).id
        starter = get_template("react").files_dir
        app = {
            path: (starter / path).read_text()
            for path in ("package.json", "index.html", "vite.config.ts", "src/main.tsx")
        }
        first = await store.commit_version(
            pid,
            changes={**app, "src/App.tsx": "export default () => <h1>One</h1>\n"},
            message="Started",
            kind="edit",
        )
        await store.commit_version(
            pid,
            changes={"src/App.tsx": "export default () => <h1>Two</h1>\n", "src/x.ts": "x\n"},
            message="Two",
            kind="assistant",
        )
        deployment = await manager.deploy(pid, await store.read_files(pid))
        sandbox = await provider.connect(deployment.sandbox_id)
        assert "Two" in await sandbox.files.read("src/App.tsx")
        service = HistoryService(store=store, sandboxes=manager)
        await service.restore(pid, first.id)
        assert "One" in await sandbox.files.read("src/App.tsx")
        assert not await sandbox.files.exists("src/x.ts")
    finally:
        await manager.aclose()
        await provider.aclose()
