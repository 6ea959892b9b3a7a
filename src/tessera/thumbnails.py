"""Thumbnails of projects: a screenshot of the running app, for the project list.

A screenshot is taken with headless Chromium, run as a subprocess, a few seconds after a
deploy is ready: debounced per project (a burst of deploys gives one screenshot, of the
last), one at a time on the whole machine (Chromium takes a core and a few hundred MB; a lock
file serialises every Tessera process), killed with its whole process group when it hangs,
and written atomically to ``{folder}/{project_id}.png`` so a reader never sees half a file.
Without Chromium nothing is taken (logged once) and project cards show no picture. A
thumbnail is a nicety: failures are logged, never raised.

Hook: after any deploy returns, call ``deployment_ready(project_id, deployment)``; it is
synchronous, never blocks, and ignores deployments that are not ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import re
import secrets
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit, urlunsplit

import httpx

from tessera.sandbox.deployment import Deployment

log = logging.getLogger(__name__)

CHROMIUM_CANDIDATES: Final = (
    "/usr/bin/chromium",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)
PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
DEFAULT_DELAY: Final = 3.0
DEFAULT_TIMEOUT: Final = 20.0
DEFAULT_WINDOW: Final = (1280, 800)
VIRTUAL_TIME_BUDGET_MS: Final = 4000
PROBE_TIMEOUT: Final = 5.0
LOCK_POLL_SECONDS: Final = 0.1
_PROJECT_ID_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")


def find_chromium(candidates: Sequence[str] = CHROMIUM_CANDIDATES) -> Path | None:
    """The first Chromium found: an absolute candidate that is executable, or a name on
    ``PATH``."""
    for candidate in candidates:
        if os.path.isabs(candidate):
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return Path(candidate)
        elif (found := shutil.which(candidate)) is not None:
            return Path(found)
    return None


def default_lock_path() -> Path:
    """One lock file for the machine, so that Tessera processes take turns."""
    return Path(tempfile.gettempdir()) / "tessera-thumbnails.lock"


class Thumbnailer:
    """Takes and keeps project thumbnails. Create it with ``Thumbnailer.detect(folder)``
    (finds Chromium), call ``schedule`` / ``deployment_ready`` from the event loop and
    ``aclose()`` at shutdown."""

    def __init__(
        self,
        folder: Path,
        *,
        chromium: Path | None,
        delay: float = DEFAULT_DELAY,
        timeout: float = DEFAULT_TIMEOUT,
        window: tuple[int, int] = DEFAULT_WINDOW,
        lock_path: Path | None = None,
    ) -> None:
        self.folder = folder
        self.chromium = chromium
        self.delay = delay
        self.timeout = timeout
        self.window = window
        self.lock_path = lock_path or default_lock_path()
        self._lock = asyncio.Lock()
        self._waiting: dict[str, asyncio.Task[None]] = {}
        self._tasks: dict[str, set[asyncio.Task[None]]] = {}
        self._closed = False
        self._told_missing = False

    @classmethod
    def detect(
        cls,
        folder: Path,
        *,
        delay: float = DEFAULT_DELAY,
        timeout: float = DEFAULT_TIMEOUT,
        lock_path: Path | None = None,
    ) -> Thumbnailer:
        """A thumbnailer with the Chromium this machine has (none: it takes nothing)."""
        return cls(
            folder, chromium=find_chromium(), delay=delay, timeout=timeout, lock_path=lock_path
        )

    # --- scheduling ------------------------------------------------------------------------
    def deployment_ready(self, project_id: str, deployment: Deployment) -> None:
        """The hook for after a deploy: a ready deployment that changed files (or whose
        project has no thumbnail yet) gets a screenshot soon."""
        if not deployment.ready:
            return
        if deployment.files or self.path_for(project_id) is None:
            self.schedule(project_id, deployment.preview_url)

    def schedule(self, project_id: str, preview_url: str) -> None:
        """Take a screenshot of ``preview_url`` in ``delay`` seconds, unless the project is
        scheduled again before then (the wait then starts over)."""
        if self._closed:
            return
        if self.chromium is None:
            if not self._told_missing:
                self._told_missing = True
                log.info("No Chromium found: projects get no thumbnails.")
            return
        _check_id(project_id)
        previous = self._waiting.pop(project_id, None)
        if previous is not None:
            previous.cancel()
        task = asyncio.get_running_loop().create_task(
            self._after_delay(project_id, preview_url), name=f"thumbnail {project_id}"
        )
        self._waiting[project_id] = task
        tasks = self._tasks.setdefault(project_id, set())
        tasks.add(task)
        task.add_done_callback(lambda done: self._finished(project_id, done))

    def pending(self, project_id: str) -> bool:
        """Whether a screenshot of the project is waiting or being taken."""
        return bool(self._tasks.get(project_id))

    # --- the files -------------------------------------------------------------------------
    def path_for(self, project_id: str) -> Path | None:
        """The project's thumbnail, if it has one."""
        if not _PROJECT_ID_RE.fullmatch(project_id):
            return None
        path = self.folder / f"{project_id}.png"
        return path if path.is_file() else None

    def forget(self, project_id: str) -> None:
        """Cancel the project's screenshots and delete its thumbnail (the project is gone)."""
        for task in list(self._tasks.get(project_id, ())):
            task.cancel()
        self._waiting.pop(project_id, None)
        if _PROJECT_ID_RE.fullmatch(project_id):
            (self.folder / f"{project_id}.png").unlink(missing_ok=True)

    async def aclose(self) -> None:
        """Cancel every waiting and running screenshot (a running Chromium is killed)."""
        self._closed = True
        tasks = [task for group in self._tasks.values() for task in group]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._waiting.clear()

    # --- taking one ------------------------------------------------------------------------
    async def capture(self, project_id: str, preview_url: str) -> Path | None:
        """Take the project's screenshot now (after any other screenshot on the machine);
        the thumbnail's path, or None when none could be taken."""
        _check_id(project_id)
        if self.chromium is None:
            return None
        async with self._lock, _machine_lock(self.lock_path):
            if not await _answers(preview_url):
                log.info("No thumbnail for %s: its preview does not answer.", project_id)
                return None
            return await self._shoot(self.chromium, project_id, preview_url)

    async def _after_delay(self, project_id: str, preview_url: str) -> None:
        await asyncio.sleep(self.delay)
        if self._waiting.get(project_id) is asyncio.current_task():
            del self._waiting[project_id]
        try:
            await self.capture(project_id, preview_url)
        except Exception:  # a thumbnail must never break anything else
            log.exception("Taking the thumbnail of %s failed.", project_id)

    def _finished(self, project_id: str, task: asyncio.Task[None]) -> None:
        tasks = self._tasks.get(project_id)
        if tasks is not None:
            tasks.discard(task)
            if not tasks:
                del self._tasks[project_id]

    async def _shoot(self, chromium: Path, project_id: str, url: str) -> Path | None:
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.folder / f"{project_id}.png"
        partial = self.folder / f".{project_id}.{secrets.token_hex(4)}.png"
        profile = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="tessera-thumbnail-"))
        width, height = self.window
        arguments = [
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--hide-scrollbars",
            "--no-first-run",
            "--no-default-browser-check",
            "--mute-audio",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
            f"--screenshot={partial}",
            url,
        ]
        try:
            finished = await _run(chromium, arguments, self.timeout)
            if not finished:
                log.warning("Chromium took over %.0f s for %s; it was stopped.", self.timeout, url)
                return None
            if not await asyncio.to_thread(_is_png, partial):
                log.warning("Chromium wrote no screenshot of %s.", url)
                return None
            os.replace(partial, final)
            return final
        finally:
            partial.unlink(missing_ok=True)
            await asyncio.to_thread(shutil.rmtree, profile, True)


async def _run(program: Path, arguments: Sequence[str], limit: float) -> bool:
    """Run ``program`` in a session of its own; False when it had to be killed for taking
    longer than ``limit`` seconds. Its whole process group is killed at the end either way (a
    browser leaves helper processes behind)."""
    process = await asyncio.create_subprocess_exec(
        str(program),
        *arguments,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        await asyncio.wait_for(process.wait(), limit)
        return True
    except TimeoutError:
        return False
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        if process.returncode is None:
            await process.wait()


@contextlib.asynccontextmanager
async def _machine_lock(path: Path) -> AsyncIterator[None]:
    """Hold an exclusive ``flock`` on ``path``, polling so that waiting stays cancellable.
    A lock file that cannot be opened is no reason to go without a thumbnail."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as exc:
            log.warning("Thumbnails run without the machine-wide lock (%s).", exc)
            yield
            return
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(LOCK_POLL_SECONDS)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


async def _answers(url: str) -> bool:
    """Whether the preview answers without a server error: Chromium would otherwise
    photograph its own "site can't be reached" page."""
    target, headers = _loopback(url)
    try:
        async with httpx.AsyncClient(timeout=PROBE_TIMEOUT, follow_redirects=True) as client:
            response = await client.get(target, headers=headers)
    except httpx.HTTPError:
        return False
    return response.status_code < 500


def _loopback(url: str) -> tuple[str, dict[str, str]]:
    """``*.localhost`` names loopback for browsers (as Chromium resolves them) but not
    always for the system's resolver: ask 127.0.0.1 with the original Host instead."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host != "localhost" and not host.endswith(".localhost"):
        return url, {}
    netloc = "127.0.0.1" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc)), {"Host": parts.netloc}


def _is_png(path: Path) -> bool:
    try:
        with path.open("rb") as file:
            return file.read(len(PNG_SIGNATURE)) == PNG_SIGNATURE
    except OSError:
        return False


def _check_id(project_id: str) -> None:
    if not _PROJECT_ID_RE.fullmatch(project_id):
        raise ValueError(f"not a project id: {project_id!r}")


__all__ = ["Thumbnailer", "default_lock_path", "find_chromium"]
