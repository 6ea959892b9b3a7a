"""Published apps at ``/apps/{slug}/``: the files of their production build, served from
Tessera's data folder whether or not the project's sandbox runs.

A path without an extension that names no file gets ``index.html`` (the app's client-side
router decides), anything else missing is a 404 page. A path is resolved and must stay
inside the site's folder: ``..``, encoded or not, and links never lead out of it. Vite's
hashed assets (``assets/index-9YvmKcW4.js``) never change under their name, so browsers
may keep them for a year; everything else is revalidated.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path, PurePosixPath
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from tessera.publish import Publisher, is_slug

router = APIRouter(prefix="/apps", tags=["published"], include_in_schema=False)

IMMUTABLE: Final = "public, max-age=31536000, immutable"
REVALIDATE: Final = "no-cache"

_HASHED_ASSET: Final = re.compile(r"^assets/(?:.+/)?[^/]+-[A-Za-z0-9_-]{8,}\.[A-Za-z0-9]+$")

CONTENT_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".wasm": "application/wasm",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".mp3": "audio/mpeg",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".pdf": "application/pdf",
}
"""Fixed answers for what web apps ship, whatever the host's mime.types says."""

NOT_FOUND_PAGE: Final = """<!doctype html><meta charset="utf-8"><title>Not found</title>
<h1>Not found</h1><p>{what}</p>
"""


def _publisher(request: Request) -> Publisher:
    publisher: Publisher = request.app.state.publisher
    return publisher


@router.api_route("/{slug}", methods=["GET", "HEAD"])
def app_root(slug: str) -> Response:
    """The app's address without its final slash: relative asset URLs need it."""
    if not is_slug(slug):
        return _not_found("No app is published at this address.")
    return RedirectResponse(f"/apps/{slug}/", status_code=308)


@router.api_route("/{slug}/{path:path}", methods=["GET", "HEAD"])
def app_file(slug: str, path: str, request: Request) -> Response:
    """Runs in the thread pool: it touches the file system."""
    site = _publisher(request).site(slug)
    if site is None:
        return _not_found("No app is published at this address.")
    target = _locate(site, path)
    if target is None:
        return _not_found("This page is not part of the published app.")
    relative = target.relative_to(site).as_posix()
    return FileResponse(
        target,
        media_type=content_type(target.name),
        headers={
            "Cache-Control": IMMUTABLE if _HASHED_ASSET.match(relative) else REVALIDATE,
            "X-Content-Type-Options": "nosniff",
        },
    )


def _locate(site: Path, path: str) -> Path | None:
    """The file ``path`` names in ``site``; ``index.html`` for an extensionless path that
    names no file; None for anything else, and for any path leading out of ``site``."""
    if "\x00" in path or "\\" in path:
        return None
    parts = PurePosixPath(path).parts
    if ".." in parts or path.startswith("/"):
        return None
    candidate = (site / path).resolve()
    if not candidate.is_relative_to(site):
        return None
    if candidate.is_dir():
        candidate = candidate / "index.html"
    if candidate.is_file():
        return candidate
    last = parts[-1] if parts else ""
    if "." not in last:
        index = site / "index.html"
        return index if index.is_file() else None
    return None


def content_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    known = CONTENT_TYPES.get(suffix)
    if known is not None:
        return known
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def _not_found(what: str) -> HTMLResponse:
    return HTMLResponse(
        NOT_FOUND_PAGE.format(what=what),
        status_code=404,
        headers={"Cache-Control": REVALIDATE},
    )
