"""``FileService``: saves with edit-conflict checks, renames and deletes of files and
folders, uploads — each one version — over a real store."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from starlette.datastructures import UploadFile

from tessera.errors import (
    EditConflict,
    FileNotFound,
    InvalidInput,
    InvalidPath,
    PathExists,
    RunInProgress,
)
from tessera.files import FileService, content_sha
from tessera.importing import ImportLimits, UnsafeEntry, UploadTooLarge
from tessera.sandbox.local import LocalSandboxProvider
from tessera.sandbox.manager import SandboxManager
from tessera.sandbox.templates import TemplateCache, get_template
from tessera.store import Store
from tests.conftest import RunsStandIn

STARTER = {
    "package.json": '{"name": "app"}\n',
    "src/App.tsx": "export default function App() { return <h1>Hi</h1> }\n",
    "src/main.tsx": "import App from './App'\n",
    "src/components/Button.tsx": "export const Button = () => <button />\n",
    "src/components/Card.tsx": "export const Card = () => <div />\n",
}


@pytest.fixture
def runs() -> RunsStandIn:
    return RunsStandIn()


@pytest.fixture
def files(store: Store, runs: RunsStandIn) -> FileService:
    return FileService(store=store, sandboxes=None, is_running=runs.is_running)


async def new_project(store: Store) -> str:
    project = await store.create_project(name="Files")
    await store.commit_version(project.id, changes=STARTER, message="Started", kind="assistant")
    return project.id


def upload(name: str, data: bytes) -> UploadFile:
    return UploadFile(io.BytesIO(data), size=len(data), filename=name)


async def messages(store: Store, project_id: str) -> list[str]:
    return [v.message for v in await store.list_versions(project_id)]


# --- save ----------------------------------------------------------------------------------
async def test_a_save_is_one_version_and_an_unchanged_save_none(
    store: Store, files: FileService
) -> None:
    pid = await new_project(store)
    record = await files.save(pid, "src/App.tsx", "changed\n")
    assert record.sha == content_sha("changed\n") and record.size == 8
    created = await files.save(pid, "./src/new.ts", "export {}\n")
    assert created.path == "src/new.ts"
    await files.save(pid, "src/new.ts", "export {}\n")  # same content: no version
    assert await messages(store, pid) == ["Started", "Edited src/App.tsx", "Created src/new.ts"]
    assert (await store.read_files(pid))["src/App.tsx"] == "changed\n"


async def test_a_save_from_a_stale_tab_is_refused_and_the_first_save_kept(
    store: Store, files: FileService
) -> None:
    pid = await new_project(store)
    opened = content_sha(STARTER["src/App.tsx"])  # both tabs loaded this
    first = await files.save(pid, "src/App.tsx", "tab one\n", base_sha=opened)
    with pytest.raises(EditConflict) as refused:
        await files.save(pid, "src/App.tsx", "tab two\n", base_sha=opened)
    assert refused.value.current_sha == first.sha
    assert refused.value.to_dict()["current_sha"] == first.sha
    assert refused.value.message.startswith("src/App.tsx was changed elsewhere")
    assert (await store.read_files(pid))["src/App.tsx"] == "tab one\n"
    assert await messages(store, pid) == ["Started", "Edited src/App.tsx"]
    # saving again with the sha it was told about overwrites, as the message says
    await files.save(pid, "src/App.tsx", "tab two\n", base_sha=refused.value.current_sha)
    assert (await store.read_files(pid))["src/App.tsx"] == "tab two\n"


async def test_two_saves_at_once_with_the_same_base_let_exactly_one_through(
    store: Store, files: FileService
) -> None:
    pid = await new_project(store)
    opened = content_sha(STARTER["src/App.tsx"])
    results = await asyncio.gather(
        *(files.save(pid, "src/App.tsx", f"tab {i}\n", base_sha=opened) for i in range(4)),
        return_exceptions=True,
    )
    saved = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, EditConflict)]
    assert len(saved) == 1 and len(refused) == 3
    assert (await store.read_files(pid))["src/App.tsx"] == f"tab {results.index(saved[0])}\n"


async def test_a_new_file_with_an_empty_base_refuses_when_it_was_created_meanwhile(
    store: Store, files: FileService
) -> None:
    pid = await new_project(store)
    await files.save(pid, "notes.md", "first\n", base_sha="")
    with pytest.raises(EditConflict) as refused:
        await files.save(pid, "notes.md", "second\n", base_sha="")
    assert refused.value.current_sha == content_sha("first\n")
    await store.delete_files(pid, ["notes.md"], message="gone")
    with pytest.raises(EditConflict) as deleted:  # deleted elsewhere since it was opened
        await files.save(pid, "notes.md", "third\n", base_sha=content_sha("first\n"))
    assert deleted.value.current_sha == ""


async def test_a_save_onto_a_folder_or_inside_a_file_is_refused(
    store: Store, files: FileService
) -> None:
    pid = await new_project(store)
    with pytest.raises(PathExists, match="already a folder"):
        await files.save(pid, "src/components", "x")
    with pytest.raises(PathExists, match=r"package\.json is a file"):
        await files.save(pid, "package.json/x.ts", "x")
    with pytest.raises(InvalidPath):
        await files.save(pid, "../escape.ts", "x")
    assert await store.read_files(pid) == STARTER


# --- rename --------------------------------------------------------------------------------
async def test_renaming_a_file_keeps_its_content(store: Store, files: FileService) -> None:
    pid = await new_project(store)
    listed = await files.rename(pid, "src/main.tsx", "src/index.tsx")
    assert "src/index.tsx" in {f.path for f in listed} and "src/main.tsx" not in {
        f.path for f in listed
    }
    current = await store.read_files(pid)
    assert current["src/index.tsx"] == STARTER["src/main.tsx"] and "src/main.tsx" not in current
    assert (await messages(store, pid))[-1] == "Renamed src/main.tsx → src/index.tsx"


async def test_renaming_a_folder_moves_everything_under_it(
    store: Store, files: FileService
) -> None:
    pid = await new_project(store)
    await files.rename(pid, "src/components/", "src/ui")
    current = await store.read_files(pid)
    assert current["src/ui/Button.tsx"] == STARTER["src/components/Button.tsx"]
    assert current["src/ui/Card.tsx"] == STARTER["src/components/Card.tsx"]
    assert not any(path.startswith("src/components") for path in current)
    assert len(current) == len(STARTER)
    assert (await messages(store, pid))[-1] == "Renamed src/components → src/ui"


async def test_a_rename_onto_an_existing_path_changes_nothing(
    store: Store, files: FileService
) -> None:
    pid = await new_project(store)
    with pytest.raises(PathExists, match=r"src/App\.tsx already exists"):
        await files.rename(pid, "src/main.tsx", "src/App.tsx")
    await files.save(pid, "src/ui/Card.tsx", "other card\n")
    with pytest.raises(PathExists, match=r"src/ui/Card\.tsx already exists"):
        await files.rename(pid, "src/components", "src/ui")
    with pytest.raises(PathExists, match="already a folder"):
        await files.rename(pid, "package.json", "src/components")
    with pytest.raises(PathExists, match="is a file"):
        await files.rename(pid, "src/main.tsx", "package.json/main.tsx")
    current = await store.read_files(pid)
    assert current == {**STARTER, "src/ui/Card.tsx": "other card\n"}
    assert len(await store.list_versions(pid)) == 2


async def test_bad_renames_say_why(store: Store, files: FileService) -> None:
    pid = await new_project(store)
    with pytest.raises(FileNotFound):
        await files.rename(pid, "src/nothing", "src/else")
    with pytest.raises(InvalidInput, match="into itself"):
        await files.rename(pid, "src", "src/inner")
    with pytest.raises(InvalidInput, match="already has that name"):
        await files.rename(pid, "src/App.tsx", "src/App.tsx")
    with pytest.raises(InvalidPath):
        await files.rename(pid, "src/App.tsx", "node_modules/App.tsx")
    assert await store.read_files(pid) == STARTER


# --- delete --------------------------------------------------------------------------------
async def test_deleting_a_file_and_a_folder(store: Store, files: FileService) -> None:
    pid = await new_project(store)
    await files.delete(pid, "src/main.tsx")
    await files.delete(pid, "src/components")
    current = await store.read_files(pid)
    assert set(current) == {"package.json", "src/App.tsx"}
    assert (await messages(store, pid))[-2:] == ["Deleted src/main.tsx", "Deleted src/components"]
    with pytest.raises(FileNotFound):
        await files.delete(pid, "src/components")


async def test_the_last_file_is_never_deleted(store: Store, files: FileService) -> None:
    pid = await new_project(store)
    await files.delete(pid, "src")  # a folder, not everything: package.json stays
    with pytest.raises(InvalidInput, match="A project needs at least one file"):
        await files.delete(pid, "package.json")
    with pytest.raises(InvalidInput, match="A project needs at least one file"):
        await store.delete_files(pid, ["package.json"], message="checked in the store too")
    assert await store.read_files(pid) == {"package.json": STARTER["package.json"]}


async def test_renames_deletes_and_uploads_wait_for_a_run(
    store: Store, files: FileService, runs: RunsStandIn
) -> None:
    pid = await new_project(store)
    runs.running.add(pid)
    with pytest.raises(RunInProgress, match="wait for the run to finish"):
        await files.rename(pid, "src/App.tsx", "src/Main.tsx")
    with pytest.raises(RunInProgress):
        await files.delete(pid, "src/App.tsx")
    with pytest.raises(RunInProgress):
        await files.upload(pid, [upload("a.txt", b"a")])
    assert await store.read_files(pid) == STARTER
    assert len(await store.list_versions(pid)) == 1
    await files.save(pid, "src/App.tsx", "a hand edit during a run is kept\n")


# --- upload --------------------------------------------------------------------------------
async def test_an_upload_is_one_version_and_lists_what_it_skipped(
    store: Store, files: FileService
) -> None:
    pid = await new_project(store)
    result = await files.upload(
        pid,
        [
            upload("logo.svg", b"<svg></svg>"),
            upload("icons/add.svg", b"<svg>+</svg>"),
            upload("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
            upload("node_modules/x/index.js", b"module.exports = 1"),
            upload(".DS_Store", b"junk"),
        ],
        folder="public/",
    )
    assert [f.path for f in result.files] == ["public/icons/add.svg", "public/logo.svg"]
    assert result.files[1].size == len(b"<svg></svg>")
    skipped = {s.path: s.reason for s in result.skipped}
    assert "binary" in skipped["public/photo.png"]
    assert any(path.startswith("public/node_modules") for path in skipped)
    assert any(path.endswith(".DS_Store") for path in skipped)
    current = await store.read_files(pid)
    assert current["public/logo.svg"] == "<svg></svg>"
    assert (await messages(store, pid))[-1] == "Uploaded 2 files"
    assert result.to_dict()["files"] == [
        {"path": "public/icons/add.svg", "size": 12},
        {"path": "public/logo.svg", "size": 11},
    ]


async def test_an_upload_over_the_limits_changes_nothing(store: Store) -> None:
    small = FileService(
        store=store, sandboxes=None, upload_limits=ImportLimits(total_bytes=100, file_bytes=40)
    )
    pid = await new_project(store)
    result = await small.upload(pid, [upload("big.txt", b"x" * 41), upload("ok.txt", b"ok")])
    assert [f.path for f in result.files] == ["ok.txt"]
    assert [s.path for s in result.skipped] == ["big.txt"] and "larger" in result.skipped[0].reason
    before = await store.read_files(pid)
    with pytest.raises(UploadTooLarge):
        await small.upload(pid, [upload(f"f{i}.txt", b"y" * 30) for i in range(4)])
    with pytest.raises(UnsafeEntry):
        await small.upload(pid, [upload("fine.txt", b"x"), upload("../../etc/passwd", b"x")])
    with pytest.raises(PathExists):
        await small.upload(pid, [upload("src", b"a file where a folder is")])
    assert await store.read_files(pid) == before
    assert (await messages(store, pid))[-1] == "Uploaded 1 file"


# --- the running sandbox -------------------------------------------------------------------
@pytest.mark.slow
async def test_a_running_sandbox_gets_each_change(
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
        app["src/App.tsx"] = "export default function App() { return <h1>One</h1> }\n"
        app["src/parts/Title.tsx"] = "export const Title = 'one'\n"
        await store.commit_version(pid, changes=app, message="Started", kind="assistant")
        deployment = await manager.deploy(pid, await store.read_files(pid))
        sandbox = await provider.connect(deployment.sandbox_id)
        service = FileService(store=store, sandboxes=manager)

        await service.save(pid, "src/App.tsx", "export default function App() { return null }\n")
        assert "return null" in await sandbox.files.read("src/App.tsx")
        await service.rename(pid, "src/parts", "src/bits")
        assert await sandbox.files.read("src/bits/Title.tsx") == "export const Title = 'one'\n"
        assert not await sandbox.files.exists("src/parts/Title.tsx")
        await service.upload(pid, [upload("notes.md", b"# Notes\n")], folder="docs")
        assert await sandbox.files.read("docs/notes.md") == "# Notes\n"
        await service.delete(pid, "docs")
        assert not await sandbox.files.exists("docs/notes.md")
    finally:
        await manager.aclose()
        await provider.aclose()
