"""The built front end: ``/assets/*`` and ``index.html`` for every other page path."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>Tessera</title>
<h1>Tessera's front end is not built</h1>
<p>Run <code>make run</code>
(or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>).</p>
"""


def mount_web(app: FastAPI, static_dir: Path = STATIC_DIR) -> None:
    assets = static_dir / "assets"
    if assets.is_dir():
        app.mount("/assets", StaticFiles(directory=assets), name="assets")
    router = APIRouter(include_in_schema=False)
    static_root = static_dir.resolve()

    @router.get("/{page:path}")
    def page(page: str) -> Response:
        """Runs in the thread pool: it touches the file system."""
        if page.startswith("api/"):
            return Response(
                status_code=404,
                content='{"error": {"code": "not_found", "message": "No such API endpoint."}}',
                media_type="application/json",
            )
        candidate = (static_dir / page).resolve()
        if page and candidate.is_file() and candidate.is_relative_to(static_root):
            return FileResponse(candidate)
        index = static_dir / "index.html"
        if index.is_file():
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return HTMLResponse(NOT_BUILT, status_code=503)

    app.include_router(router)
