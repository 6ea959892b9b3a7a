"""Publishing: a production build of a project, served by Tessera at ``/apps/{slug}/``.

The build runs in the project's own sandbox (``npm run build -- --base=/apps/{slug}/``,
the app's dependencies are already there) and its output is copied out, so the published
app is served from Tessera's data folder whether or not the sandbox runs. A project's
publication is kept in the store's settings (scope = project id, key ``publication``);
which project owns a slug is kept beside it in the global scope (``published_slugs``,
slug → project id), checked against the owner's own record, so a deleted project or a
copied record never holds a slug.

On disk, ``published/{slug}`` is a symbolic link to one build folder under
``published/.builds/``: a new build is written into a ``.tmp`` folder, renamed, and the
link replaced in one ``rename`` — a visitor gets the old files or the new ones, never a
mix or nothing. The build replaced last is kept until the next publish, for requests that
were being answered from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import unicodedata
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Final

from tessera.errors import (
    CommandFailed,
    CommandTimeout,
    Conflict,
    FileNotFound,
    InvalidInput,
    InvalidPath,
    NotFound,
    ProjectNotFound,
    TesseraError,
)
from tessera.sandbox.base import Sandbox
from tessera.sandbox.detect import detect_app_type
from tessera.sandbox.manager import SandboxManager
from tessera.store import Store

PUBLICATION_KEY: Final = "publication"
"""Project setting: the project's publication (``Publication.to_record``)."""

SLUGS_KEY: Final = "published_slugs"
"""Global setting: slug → the project id that published there."""

GLOBAL_SCOPE: Final = "global"

MIN_SLUG, MAX_SLUG = 3, 40
_SLUG_RE: Final = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")

BUILD_DIR: Final = "dist/tessera-publish"
"""Where the build is written inside the project folder: under ``dist/``, which Vite's
dev server does not watch, so building does not reload an open preview."""

BUILD_TIMEOUT_SECONDS: Final = 300.0
MAX_SITE_BYTES: Final = 200 * 1024 * 1024
BUILDS_FOLDER: Final = ".builds"
OUTPUT_LINES: Final = 15
PLAIN_OUTPUT: Final = {"NO_COLOR": "1", "FORCE_COLOR": "0", "CI": "1"}
"""The build's output without colours or progress animations, to be shown as text."""
_ANSI_RE: Final = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_STACK_LINE_RE: Final = re.compile(r"^\s+at \S")


class PublishRefused(InvalidInput):
    """The project cannot be published as it is (a Flask app, no build script)."""

    code = "publish_refused"


class SlugTaken(Conflict):
    code = "slug_taken"


class BuildFailed(InvalidInput):
    """The app's production build failed; ``output`` has its last lines."""

    code = "build_failed"

    def __init__(self, message: str, *, output: str = "") -> None:
        super().__init__(message)
        self.output = output


class NotPublished(NotFound):
    code = "not_published"


# --- slugs -----------------------------------------------------------------------------
def slugify(text: str) -> str:
    """``text`` as a slug: ASCII letters and digits, lowercase, words joined by hyphens,
    3 to 40 characters ("My Todo App!" → "my-todo-app"; too short → "-app" added)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:MAX_SLUG].rstrip("-")
    if len(slug) < MIN_SLUG:
        slug = f"{slug}-app" if slug else "app"
    return slug


def check_slug(slug: str) -> str:
    """A slug given by the user, lowercased and trimmed; ``InvalidInput`` unless it is
    3 to 40 of a-z, 0-9 and hyphens, not starting or ending with a hyphen."""
    cleaned = slug.strip().lower()
    if not (MIN_SLUG <= len(cleaned) <= MAX_SLUG) or not _SLUG_RE.match(cleaned):
        raise InvalidInput(
            f"The address {slug!r} cannot be used: use {MIN_SLUG} to {MAX_SLUG} lowercase "
            "letters, digits and hyphens (not at the start or the end), such as 'my-app'."
        )
    return cleaned


def is_slug(text: str) -> bool:
    """Whether ``text`` is a valid slug as it is (no trimming or lowercasing)."""
    return MIN_SLUG <= len(text) <= MAX_SLUG and _SLUG_RE.match(text) is not None


def _numbered(base: str, number: int) -> str:
    suffix = f"-{number}"
    return base[: MAX_SLUG - len(suffix)].rstrip("-") + suffix


# --- records ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Publication:
    slug: str
    published_at: datetime
    version_number: int | None
    """The newest version when it was built (None for a project without versions)."""

    @property
    def url(self) -> str:
        return f"/apps/{self.slug}/"

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "url": self.url,
            "published_at": self.published_at.isoformat(),
            "version_number": self.version_number,
        }

    def to_record(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "published_at": self.published_at.isoformat(),
            "version_number": self.version_number,
        }

    @classmethod
    def from_record(cls, record: object) -> Publication | None:
        """The publication a setting holds, or None when it is not one."""
        if not isinstance(record, Mapping):
            return None
        slug, when, number = (
            record.get("slug"),
            record.get("published_at"),
            record.get("version_number"),
        )
        if not isinstance(slug, str) or not is_slug(slug) or not isinstance(when, str):
            return None
        try:
            published_at = datetime.fromisoformat(when)
        except ValueError:
            return None
        return cls(slug, published_at, number if isinstance(number, int) else None)


# --- the service -----------------------------------------------------------------------
class Publisher:
    """Publishes projects: builds, copies the output out, serves it by slug."""

    def __init__(
        self,
        *,
        store: Store,
        sandboxes: SandboxManager,
        published_dir: Path,
        build_timeout: float = BUILD_TIMEOUT_SECONDS,
        max_bytes: int = MAX_SITE_BYTES,
    ) -> None:
        self.store = store
        self.sandboxes = sandboxes
        self.published_dir = published_dir
        self.build_timeout = build_timeout
        self.max_bytes = max_bytes
        self._project_locks: dict[str, asyncio.Lock] = {}
        self._slugs_lock = asyncio.Lock()
        self._reserved: dict[str, str] = {}
        """Slugs being built for (slug → project id), not yet recorded."""

    # --- serving -------------------------------------------------------------------------
    def site(self, slug: str) -> Path | None:
        """The folder the published app at ``slug`` is served from (resolved), or None.
        Blocking (file system): call it from a worker thread."""
        if not is_slug(slug):
            return None
        root = self.published_dir.resolve()
        folder = (root / slug).resolve()
        if not folder.is_relative_to(root) or not folder.is_dir():
            return None
        return folder

    # --- the API's operations ------------------------------------------------------------
    async def current(self, project_id: str) -> Publication:
        """The project's publication; ``NotPublished`` (404) when it has none."""
        publication = await self._own_publication(project_id)
        if publication is None:
            raise NotPublished(
                "This project is not published; publish it to give it a public address."
            )
        return publication

    async def publish(self, project_id: str, slug: str | None = None) -> Publication:
        """Builds the project's current files for production and serves them at
        ``/apps/{slug}/``, replacing what was published there. Without ``slug``: the
        project's current slug, else one made from its name (numbered when taken).
        Raises ``SlugTaken`` (409) when another project publishes at ``slug``,
        ``PublishRefused`` for a Python app, ``BuildFailed`` when the build fails."""
        wanted = check_slug(slug) if slug is not None else None
        project = await self.store.get_project(project_id)
        async with self._project_lock(project_id):
            files = await self.store.read_files(project_id)
            _check_publishable(files)
            versions = await self.store.list_versions(project_id)
            previous = await self._own_publication(project_id)
            if wanted is None and previous is not None:
                wanted = previous.slug
            async with self._reserve(project_id, wanted, slugify(project.name)) as chosen:
                output = await self._build(project_id, files, chosen)
                await asyncio.to_thread(self._install, chosen, output)
                publication = Publication(
                    slug=chosen,
                    published_at=datetime.now(UTC),
                    version_number=versions[-1].number if versions else None,
                )
                try:
                    await self._record(project_id, publication)
                except ProjectNotFound:  # deleted while it was being built
                    await asyncio.to_thread(self._remove, chosen)
                    raise
            if previous is not None and previous.slug != chosen:
                await asyncio.to_thread(self._remove, previous.slug)
            return publication

    async def unpublish(self, project_id: str) -> None:
        """Stops serving the project's app and deletes its files; nothing to do when it
        is not published."""
        await self.store.get_project(project_id)
        async with self._project_lock(project_id):
            publication = await self._own_publication(project_id)
            await self.store.put_settings(project_id, {PUBLICATION_KEY: None})
            if publication is None:
                return
            async with self._slugs_lock:
                owners = await self._owners()
                owners.pop(publication.slug, None)
                await self.store.put_settings(GLOBAL_SCOPE, {SLUGS_KEY: owners})
            await asyncio.to_thread(self._remove, publication.slug)

    async def forget(self, project_id: str) -> None:
        """Unpublishes a project that was deleted (its own settings went with it)."""
        async with self._slugs_lock:
            owners = await self._owners()
            slugs = [slug for slug, owner in owners.items() if owner == project_id]
            if not slugs:
                return
            for slug in slugs:
                del owners[slug]
            await self.store.put_settings(GLOBAL_SCOPE, {SLUGS_KEY: owners})
        for slug in slugs:
            await asyncio.to_thread(self._remove, slug)

    # --- slugs ---------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def _reserve(
        self, project_id: str, wanted: str | None, default: str
    ) -> AsyncIterator[str]:
        """Chooses the slug (``wanted``, else ``default`` numbered until free) and keeps
        it from other projects until it is recorded."""
        async with self._slugs_lock:
            owners = await self._owners()
            if wanted is not None:
                owner = await self._owner(wanted, owners)
                if owner not in (None, project_id):
                    raise SlugTaken(
                        f"The address /apps/{wanted}/ is already used by another project; "
                        "choose another one."
                    )
                chosen = wanted
            else:
                chosen = default
                number = 1
                while await self._owner(chosen, owners) not in (None, project_id):
                    number += 1
                    chosen = _numbered(default, number)
            self._reserved[chosen] = project_id
        try:
            yield chosen
        finally:
            if self._reserved.get(chosen) == project_id:
                del self._reserved[chosen]

    async def _owner(self, slug: str, owners: Mapping[str, str]) -> str | None:
        """The project publishing at ``slug`` (or building for it), if any."""
        reserved = self._reserved.get(slug)
        if reserved is not None:
            return reserved
        project_id = owners.get(slug)
        if project_id is None:
            return None
        try:
            stored = await self.store.get_settings(project_id)
        except ProjectNotFound:
            return None
        publication = Publication.from_record(stored.get(PUBLICATION_KEY))
        return project_id if publication is not None and publication.slug == slug else None

    async def _owners(self) -> dict[str, str]:
        stored = (await self.store.get_settings(GLOBAL_SCOPE)).get(SLUGS_KEY)
        if not isinstance(stored, Mapping):
            return {}
        return {k: v for k, v in stored.items() if isinstance(k, str) and isinstance(v, str)}

    async def _own_publication(self, project_id: str) -> Publication | None:
        """The project's publication, when the slug is still its own (a duplicated
        project's copy of the record is not)."""
        stored = await self.store.get_settings(project_id)
        publication = Publication.from_record(stored.get(PUBLICATION_KEY))
        if publication is None:
            return None
        if (await self._owners()).get(publication.slug) != project_id:
            return None
        return publication

    async def _record(self, project_id: str, publication: Publication) -> None:
        await self.store.put_settings(project_id, {PUBLICATION_KEY: publication.to_record()})
        async with self._slugs_lock:
            owners = await self._owners()
            owners = {slug: owner for slug, owner in owners.items() if owner != project_id}
            owners[publication.slug] = project_id
            await self.store.put_settings(GLOBAL_SCOPE, {SLUGS_KEY: owners})

    def _project_lock(self, project_id: str) -> asyncio.Lock:
        return self._project_locks.setdefault(project_id, asyncio.Lock())

    # --- the build -----------------------------------------------------------------------
    async def _build(
        self, project_id: str, files: Mapping[str, str], slug: str
    ) -> dict[str, bytes]:
        """Runs the production build in the project's sandbox; returns its output files
        (path inside the output → bytes)."""
        command = f"npm run build -- --base=/apps/{slug}/ --outDir={BUILD_DIR} --emptyOutDir"
        async with self.sandboxes.sandbox_for(project_id, files) as sandbox:
            try:
                await sandbox.commands.run(command, envs=PLAIN_OUTPUT, timeout=self.build_timeout)
            except CommandFailed as exc:
                output = _tail(exc.stdout + "\n" + exc.stderr)
                raise BuildFailed(
                    "The production build failed; fix the errors it reports and publish "
                    f"again:\n{output}",
                    output=output,
                ) from None
            except CommandTimeout:
                raise BuildFailed(
                    f"The production build took longer than {self.build_timeout:.0f} s "
                    "and was stopped; try again, or make the app smaller."
                ) from None
            try:
                return await self._collect(sandbox)
            finally:
                await _clean_up(sandbox)

    async def _collect(self, sandbox: Sandbox) -> dict[str, bytes]:
        """Reads the build output out of the sandbox (bytes: images and fonts too)."""
        try:
            entries = await sandbox.files.list(BUILD_DIR, depth=64)
        except FileNotFound:
            entries = []
        output: dict[str, bytes] = {}
        total = 0
        for entry in entries:
            if entry.type != "file":
                continue
            relative = entry.path.removeprefix(f"{BUILD_DIR}/")
            if relative == entry.path or not _is_plain_path(relative):
                continue
            total += entry.size
            if total > self.max_bytes:
                raise BuildFailed(
                    f"The build output is larger than {self.max_bytes // (1024 * 1024)} MB; "
                    "make the app's assets smaller to publish it."
                )
            try:
                output[relative] = await sandbox.files.read_bytes(entry.path)
            except (FileNotFound, InvalidPath):  # a link leading out of the project
                continue
        if "index.html" not in output:
            raise BuildFailed(
                "The production build wrote no index.html; the app needs an index.html "
                "at the root of the project (as Vite expects) to be published."
            )
        return output

    # --- files on disk (blocking; run in a worker thread) --------------------------------
    def _install(self, slug: str, files: Mapping[str, bytes]) -> None:
        """Writes ``files`` as the site of ``slug`` and switches to it in one rename."""
        builds = self.published_dir / BUILDS_FOLDER
        builds.mkdir(parents=True, exist_ok=True)
        token = f"{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(4)}"
        staging = builds / f"{slug}.{token}.tmp"
        for relative, data in files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        build = builds / f"{slug}.{token}"
        staging.rename(build)
        link = self.published_dir / slug
        replaced = _link_target(link)
        pending = self.published_dir / f".{slug}.{token}.link"
        os.symlink(Path(BUILDS_FOLDER) / build.name, pending)
        if link.is_dir() and not link.is_symlink():  # a plain folder: moved aside first
            aside = builds / f"{slug}.{token}.old"
            link.rename(aside)
            replaced = aside
        os.replace(pending, link)
        keep = {build.name} | ({replaced.name} if replaced is not None else set())
        for old in builds.glob(f"{slug}.*"):
            if old.name not in keep:
                shutil.rmtree(old, ignore_errors=True)

    def _remove(self, slug: str) -> None:
        """Deletes the site of ``slug``: the link, then every build of it."""
        link = self.published_dir / slug
        if link.is_symlink():
            link.unlink()
        elif link.is_dir():
            shutil.rmtree(link, ignore_errors=True)
        builds = self.published_dir / BUILDS_FOLDER
        if builds.is_dir():
            for old in builds.glob(f"{slug}.*"):
                shutil.rmtree(old, ignore_errors=True)


def _check_publishable(files: Mapping[str, str]) -> None:
    if detect_app_type(files) == "python":
        raise PublishRefused(
            "Publishing serves static front ends; a Flask app needs a running server, so "
            "it cannot be published here. Keep using its preview, or export the project "
            "and host it where Python runs."
        )
    manifest = files.get("package.json")
    if manifest is None:
        raise PublishRefused(
            "Publishing runs the app's build script from package.json, and this project "
            'has no package.json at its root; add one with a "build" script (vite build).'
        )
    try:
        scripts = json.loads(manifest).get("scripts") or {}
    except (ValueError, AttributeError):
        raise PublishRefused(
            "package.json is not valid JSON, so the app cannot be built; fix it and publish again."
        ) from None
    if not isinstance(scripts, dict) or not isinstance(scripts.get("build"), str):
        raise PublishRefused(
            'package.json has no "build" script; add "build": "vite build" to its '
            "scripts to publish the app."
        )


def _is_plain_path(path: str) -> bool:
    """A relative path with no ``..``, empty or ``.`` segment (nothing leaves the site)."""
    parts = PurePosixPath(path).parts
    return (
        bool(parts)
        and not path.startswith("/")
        and all(
            part not in ("", ".", "..") and "\\" not in part and "\x00" not in part
            for part in parts
        )
    )


def _link_target(link: Path) -> Path | None:
    if not link.is_symlink():
        return None
    return link.parent / os.readlink(link)


def _tail(text: str) -> str:
    """The end of a failed build's output that tells what is wrong: colours removed, and
    the stack trace of the build tool itself (its ``at …`` lines and after) left out."""
    lines: list[str] = []
    for line in _ANSI_RE.sub("", text).splitlines():
        if _STACK_LINE_RE.match(line):
            break
        if line.strip():
            lines.append(line.rstrip())
    return "\n".join(lines[-OUTPUT_LINES:])


async def _clean_up(sandbox: Sandbox) -> None:
    """Removes the build output from the project folder (and ``dist/`` if it is empty)."""
    with contextlib.suppress(TesseraError):
        await sandbox.files.remove(BUILD_DIR)
        if not await sandbox.files.list("dist"):
            await sandbox.files.remove("dist")


__all__ = [
    "BuildFailed",
    "NotPublished",
    "Publication",
    "PublishRefused",
    "Publisher",
    "SlugTaken",
    "check_slug",
    "is_slug",
    "slugify",
]
