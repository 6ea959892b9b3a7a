"""Exports: the working copy as a zip, the history as a git repository (read back with the
git CLI: cloned, logged, each commit's tree compared with its version)."""

from __future__ import annotations

import io
import subprocess
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tessera.errors import ProjectNotFound
from tessera.export import AUTHOR, Exporter, ExportFailed
from tessera.store import Store

START = datetime(2024, 3, 1, 9, 30, 15, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[datetime]]:
    """The store's clock, one hour and a few seconds further at every call (so each
    version has its own, distinct date); the times handed out are recorded."""
    handed: list[datetime] = []

    def now() -> datetime:
        moment = START + timedelta(hours=len(handed), seconds=7 * len(handed))
        handed.append(moment)
        return moment

    monkeypatch.setattr("tessera.store.store._now", now)
    yield handed


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        ["git", "-c", "safe.directory=*", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1"},
    )
    return done.stdout


def unzip(data: bytes, into: Path) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(into)
        return archive.namelist()


def files_under(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text()
        for path in root.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


async def history_project(store: Store) -> str:
    """Four versions: files added (a nested one, one with a space, non-ASCII text), one
    changed, one deleted and one added, then a restore of the first snapshot."""
    project = await store.create_project(name="Café Todo List!")
    first = {
        "index.html": "<div id=root></div>\n",
        "src/App.tsx": "export default () => <h1>Crème brûlée ☕</h1>\n",
        "src/deep/nested/util.ts": "export const one = 1\n",
        "notes/read me.md": "# Notes\n",
    }
    await store.commit_version(project.id, changes=first, message="First draft", kind="assistant")
    await store.commit_version(
        project.id,
        changes={"src/App.tsx": "export default () => <h1>Two</h1>\n"},
        message="Hand edits: src/App.tsx",
        kind="edit",
    )
    await store.commit_version(
        project.id,
        changes={"src/deep/nested/util.ts": None, "src/extra.css": "h1 { color: red }\n"},
        message="Moved the helper away",
        kind="assistant",
    )
    restore: dict[str, str | None] = {**first, "src/extra.css": None}
    await store.commit_version(
        project.id, changes=restore, message="Restored version 1", kind="restore"
    )
    return project.id


async def test_git_export_has_one_commit_per_version_with_messages_dates_and_trees(
    store: Store, clock: list[datetime], tmp_path: Path
) -> None:
    project_id = await history_project(store)
    versions = await store.list_versions(project_id)
    assert len({v.created_at for v in versions}) == 4  # the clock gave each its own date

    archive = await Exporter(store).git_zip(project_id)

    assert archive.filename == "cafe-todo-list.git.zip"
    assert archive.media_type == "application/zip"
    names = unzip(archive.data, tmp_path / "unzipped")
    assert all(name.startswith("cafe-todo-list/") for name in names)
    exported = tmp_path / "unzipped" / "cafe-todo-list"
    assert (exported / ".git" / "HEAD").is_file()

    clone = tmp_path / "clone"
    git("clone", "--quiet", str(exported), str(clone), cwd=tmp_path)
    log = git("log", "--reverse", "--format=%H%x1f%an <%ae>%x1f%at%x1f%ct%x1f%B%x1e", cwd=clone)
    commits = [entry.strip("\n").split("\x1f") for entry in log.split("\x1e") if entry.strip()]

    assert len(commits) == len(versions) == 4
    for (sha, author, authored, committed, body), version in zip(commits, versions, strict=True):
        assert author == AUTHOR
        expected = int(version.created_at.timestamp())
        assert int(authored) == expected and int(committed) == expected
        subject, _, trailers = body.partition("\n\n")
        assert subject == version.message
        assert f"Version: {version.number}" in trailers and f"Kind: {version.kind}" in trailers
        tree = git("ls-tree", "-r", "--name-only", "-z", sha, cwd=clone).split("\0")
        snapshot = await store.read_version_files(project_id, version.id)
        assert sorted(path for path in tree if path) == sorted(snapshot)
        for path, content in snapshot.items():
            assert git("show", f"{sha}:{path}", cwd=clone) == content

    # The working tree is the newest version, clean for git.
    newest = await store.read_version_files(project_id, versions[-1].id)
    assert files_under(exported) == newest
    assert git("status", "--porcelain", cwd=exported) == ""
    assert files_under(clone) == newest


async def test_git_export_of_many_versions_keeps_each_content_once(
    store: Store, tmp_path: Path
) -> None:
    project = await store.create_project(name="big")
    base = {f"src/file{i}.ts": f"export const v{i} = 0\n" for i in range(10)}
    await store.commit_version(project.id, changes=base, message="v1", kind="assistant")
    for n in range(2, 41):
        await store.commit_version(
            project.id,
            changes={f"src/file{n % 10}.ts": f"export const v{n % 10} = {n}\n"},
            message=f"v{n}",
            kind="edit",
        )

    archive = await Exporter(store).git_zip(project.id)
    unzip(archive.data, tmp_path)
    repo = tmp_path / "big"

    assert git("rev-list", "--count", "HEAD", cwd=repo).strip() == "40"
    assert git("log", "-1", "--format=%s", cwd=repo).strip() == "v40"
    # One blob per distinct content: the 10 first contents and the 39 changes.
    listing = git("cat-file", "--batch-all-objects", "--batch-check=%(objecttype)", cwd=repo)
    assert listing.split().count("blob") == 49
    assert listing.split().count("commit") == 40
    git("fsck", "--strict", "--no-dangling", cwd=repo)


async def test_a_project_without_versions_exports_its_files_as_one_commit(
    store: Store, tmp_path: Path
) -> None:
    project = await store.create_project(name="Drafts")
    await store.write_file(project.id, "index.html", "<p>draft</p>\n")

    archive = await Exporter(store).git_zip(project.id)
    unzip(archive.data, tmp_path)
    repo = tmp_path / "drafts"

    assert git("rev-list", "--count", "HEAD", cwd=repo).strip() == "1"
    assert files_under(repo) == {"index.html": "<p>draft</p>\n"}


async def test_an_empty_project_exports_an_empty_repository(store: Store, tmp_path: Path) -> None:
    project = await store.create_project(name="nothing yet")

    archive = await Exporter(store).git_zip(project.id)
    unzip(archive.data, tmp_path)
    repo = tmp_path / "nothing-yet"

    assert git("rev-parse", "--is-inside-work-tree", cwd=repo).strip() == "true"
    assert files_under(repo) == {}
    assert git("rev-list", "--all", cwd=repo).strip() == ""


async def test_working_copy_zip_holds_the_current_files_in_one_folder(
    store: Store, clock: list[datetime], tmp_path: Path
) -> None:
    project_id = await history_project(store)
    await store.write_file(project_id, "src/App.tsx", "unsaved ✓\n")  # no version for this

    archive = await Exporter(store).working_copy_zip(project_id)

    assert archive.filename == "cafe-todo-list.zip"
    names = unzip(archive.data, tmp_path)
    assert sorted(names) == sorted(
        f"cafe-todo-list/{path}" for path in await store.read_files(project_id)
    )
    assert files_under(tmp_path / "cafe-todo-list") == await store.read_files(project_id)
    with zipfile.ZipFile(io.BytesIO(archive.data)) as opened:
        stamp = opened.getinfo("cafe-todo-list/index.html").date_time
    updated = (await store.get_project(project_id)).updated_at
    assert stamp[:4] == (updated.year, updated.month, updated.day, updated.hour)


async def test_exports_of_an_unknown_project_are_not_found(store: Store) -> None:
    with pytest.raises(ProjectNotFound):
        await Exporter(store).working_copy_zip("nope")
    with pytest.raises(ProjectNotFound):
        await Exporter(store).git_zip("nope")


async def test_a_failing_git_is_reported_with_its_step(store: Store) -> None:
    project = await store.create_project(name="p")
    with pytest.raises(ExportFailed, match="git init failed"):
        await Exporter(store, git="/bin/false").git_zip(project.id)


async def test_a_missing_git_is_reported_with_the_fix(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = await store.create_project(name="p")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ExportFailed, match="apt install git"):
        await Exporter(store).git_zip(project.id)
