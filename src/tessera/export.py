"""Taking a project away: its working copy as a zip, or its history as a git repository.

The git repository has one commit per version, oldest first, each dated when the version
was made, so ``git log`` tells the project's story and any version can be checked out. It
is built with the git CLI's ``fast-import`` — every distinct file content streamed once as
a blob, each commit as the changes from the one before — which writes a single pack and
takes well under a second for hundreds of versions, where one ``git commit`` per version
would spawn processes and rewrite the index hundreds of times. The store is read while
git is already consuming the stream.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from tessera.errors import TesseraError
from tessera.publish import slugify
from tessera.store import Store
from tessera.store.records import ProjectRecord, VersionRecord

AUTHOR: Final = "Tessera <tessera@localhost>"
BRANCH: Final = "main"
GIT_TIMEOUT_SECONDS: Final = 120.0
ZIP_MEDIA_TYPE: Final = "application/zip"

_ZIP_EPOCH: Final = datetime(1980, 1, 1, tzinfo=UTC)
"""The earliest date a zip entry can carry."""


class ExportFailed(TesseraError):
    """The export could not be built on this server (git missing or failing)."""

    status_code = 500
    code = "export_failed"


@dataclass(frozen=True, slots=True)
class ExportArchive:
    """A zip ready to download: its attachment file name and its bytes."""

    filename: str
    data: bytes
    media_type: str = ZIP_MEDIA_TYPE


class Exporter:
    """Builds downloads of a project from the store (the source of truth)."""

    def __init__(self, store: Store, *, git: str | None = None) -> None:
        self.store = store
        self.git = git

    async def working_copy_zip(self, project_id: str) -> ExportArchive:
        """The working copy's files in a zip, inside one folder named after the project."""
        project = await self.store.get_project(project_id)
        files = await self.store.read_files(project_id)
        folder = export_name(project)
        data = await asyncio.to_thread(_zip_files, folder, files, project.updated_at)
        return ExportArchive(filename=f"{folder}.zip", data=data)

    async def git_zip(self, project_id: str) -> ExportArchive:
        """A zip of one folder that is a git repository of the project's versions (one
        commit each, oldest first), its working tree checked out at the newest."""
        project = await self.store.get_project(project_id)
        folder = export_name(project)
        git = self._git_binary()
        scratch = await asyncio.to_thread(tempfile.mkdtemp, prefix="tessera-export-")
        try:
            repo = Path(scratch) / folder
            runner = _Git(git, repo, home=Path(scratch))
            await runner.run("init", "--quiet", "--template=", f"--initial-branch={BRANCH}", ".")
            committed = await self._import_history(runner, project)
            if committed:
                await runner.run("reset", "--quiet", "--hard", BRANCH)
            data = await asyncio.to_thread(_zip_folder, repo, folder)
        finally:
            await asyncio.to_thread(shutil.rmtree, scratch, True)
        return ExportArchive(filename=f"{folder}.git.zip", data=data)

    async def _import_history(self, runner: _Git, project: ProjectRecord) -> bool:
        """Streams every version into ``git fast-import``; False when there was nothing
        to commit (no versions and no files)."""
        versions = await self.store.list_versions(project.id)
        git = await runner.start("fast-import", "--quiet", "--done")
        stream = _FastImportStream()
        committed = False
        try:
            if versions:
                for version in versions:
                    files = await self.store.read_version_files(project.id, version.id)
                    message = _commit_message(version)
                    git.stdin.write(stream.commit(files, message, version.created_at))
                    await git.stdin.drain()
                committed = True
            else:
                files = await self.store.read_files(project.id)
                if files:
                    message = "Files of the project as exported\n"
                    git.stdin.write(stream.commit(files, message, project.updated_at))
                    committed = True
            git.stdin.write(b"done\n")
            await git.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass  # git stopped reading: its exit status and message say why, below
        finally:
            git.stdin.close()
        await git.finish()
        return committed

    def _git_binary(self) -> str:
        found = self.git or shutil.which("git")
        if found is None:
            raise ExportFailed(
                "Exporting as a git repository needs git on the server, which is not "
                "installed; install it (apt install git) or download the zip of the files."
            )
        return found


def export_name(project: ProjectRecord) -> str:
    """The folder and file name of a project's downloads: its name as a slug."""
    return slugify(project.name)


# --- git -------------------------------------------------------------------------------
class _Git:
    """The git CLI in one repository folder, with no user or system configuration."""

    def __init__(self, binary: str, repo: Path, *, home: Path) -> None:
        self.binary = binary
        self.repo = repo
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "LC_ALL": "C",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_TERMINAL_PROMPT": "0",
        }

    async def start(self, *args: str) -> _GitProcess:
        """Starts ``git args``; its error output is collected meanwhile, so that a chatty
        git never blocks on a full pipe while it is being fed."""
        self.repo.mkdir(parents=True, exist_ok=True)
        process = await asyncio.create_subprocess_exec(
            self.binary,
            "-c",
            "core.autocrlf=false",
            *args,
            cwd=self.repo,
            env=self.env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        assert process.stdin is not None and process.stderr is not None
        errors = asyncio.ensure_future(process.stderr.read())
        return _GitProcess(process, process.stdin, errors, step=args[0])

    async def run(self, *args: str) -> None:
        running = await self.start(*args)
        running.stdin.close()
        await running.finish()


@dataclass(slots=True)
class _GitProcess:
    process: asyncio.subprocess.Process
    stdin: asyncio.StreamWriter
    errors: asyncio.Future[bytes]
    step: str

    async def finish(self) -> None:
        """Waits for the end; raises ``ExportFailed`` with git's last error line."""
        try:
            async with asyncio.timeout(GIT_TIMEOUT_SECONDS):
                errors = await self.errors
                code = await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise ExportFailed(
                f"git {self.step} took longer than {GIT_TIMEOUT_SECONDS:.0f} s; "
                "try again, or download the zip of the files."
            ) from None
        if code != 0:
            detail = errors.decode(errors="replace").strip().splitlines()
            raise ExportFailed(
                f"git {self.step} failed ({detail[-1] if detail else f'exit code {code}'}); "
                "download the zip of the files instead."
            )


class _FastImportStream:
    """``git fast-import`` commands for successive snapshots of a project on one branch:
    each distinct content becomes one blob (a mark), each snapshot one commit holding
    only what changed since the previous one."""

    def __init__(self) -> None:
        self._marks: dict[str, int] = {}
        self._tree: dict[str, int] = {}
        self._next_mark = 1

    def commit(self, files: Mapping[str, str], message: str, created: datetime) -> bytes:
        out = io.BytesIO()
        tree: dict[str, int] = {}
        for path, content in files.items():
            mark = self._marks.get(content)
            if mark is None:
                mark = self._mark()
                self._marks[content] = mark
                data = content.encode()
                out.write(b"blob\nmark :%d\ndata %d\n" % (mark, len(data)))
                out.write(data)
                out.write(b"\n")
            tree[path] = mark
        stamp = f"{int(created.timestamp())} +0000"
        text = message.encode()
        out.write(f"commit refs/heads/{BRANCH}\n".encode())
        out.write(f"author {AUTHOR} {stamp}\ncommitter {AUTHOR} {stamp}\n".encode())
        out.write(b"data %d\n" % len(text))
        out.write(text)
        out.write(b"\n")
        for path in sorted(set(self._tree) - set(tree)):
            out.write(b"D " + _quoted(path) + b"\n")
        for path, mark in sorted(tree.items()):
            if self._tree.get(path) != mark:
                out.write(b"M 100644 :%d " % mark + _quoted(path) + b"\n")
        out.write(b"\n")
        self._tree = tree
        return out.getvalue()

    def _mark(self) -> int:
        mark, self._next_mark = self._next_mark, self._next_mark + 1
        return mark


def _quoted(path: str) -> bytes:
    """A path as fast-import reads it: as is, or C-quoted when it must be (a leading
    double quote or a line break)."""
    if not path.startswith('"') and "\n" not in path:
        return path.encode()
    escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'.encode()


def _commit_message(version: VersionRecord) -> str:
    subject = version.message.strip() or f"Version {version.number}"
    return f"{subject}\n\nVersion: {version.number}\nKind: {version.kind}\n"


# --- zips ------------------------------------------------------------------------------
def _zip_time(when: datetime) -> tuple[int, int, int, int, int, int]:
    moment = max(when.astimezone(UTC), _ZIP_EPOCH)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


def _zip_files(folder: str, files: Mapping[str, str], modified: datetime) -> bytes:
    buffer = io.BytesIO()
    stamp = _zip_time(modified)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            entry = zipfile.ZipInfo(f"{folder}/{path}", date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o100644 << 16
            archive.writestr(entry, files[path].encode())
    return buffer.getvalue()


def _zip_folder(root: Path, folder: str) -> bytes:
    """``root`` as ``folder/`` in a zip, empty folders included (git expects some of its
    own, such as ``refs/tags``). Git's packs are compressed already, so they are stored."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, is_dir in _walk(root):
            name = f"{folder}/{path.relative_to(root).as_posix()}"
            if is_dir:
                archive.writestr(zipfile.ZipInfo(f"{name}/"), b"")
                continue
            packed = "/objects/pack/" in name
            archive.write(
                path,
                name,
                compress_type=zipfile.ZIP_STORED if packed else zipfile.ZIP_DEFLATED,
            )
    return buffer.getvalue()


def _walk(root: Path) -> Iterator[tuple[Path, bool]]:
    """Files under ``root`` and the folders with nothing in them, in a stable order."""
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        here = Path(folder)
        if here != root and not dirs and not names:
            yield here, True
        for name in sorted(names):
            yield here / name, False


__all__ = ["AUTHOR", "ExportArchive", "ExportFailed", "Exporter", "export_name"]
