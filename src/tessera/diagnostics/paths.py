"""Project paths out of the paths and URLs errors name.

The same file shows up in many spellings: ``/home/user/app/src/App.tsx`` inside an
isolated or E2B sandbox, ``/var/lib/tessera/sandboxes/k3j…/src/App.tsx`` for a local one
seen from the host, ``file:///home/user/app/…`` in Node's stacks, and
``http://5173-k3j….localhost:8000/src/App.tsx?t=1712:12:5`` in the browser's. An error is
only useful to a person (or a model fixing it) with the path the project knows,
``src/App.tsx``, so every location is brought back to that form.
"""

from __future__ import annotations

import re

_ROOT = re.compile(
    r"(?:file://)?/home/user/app/"  # inside a sandbox
    r"|(?:file://)?(?:/[^\s/'\"():]+)*/sandboxes/[a-z0-9]{6,40}/"  # a local sandbox's folder
    r"|https?://\d{1,5}-[a-z0-9]+\.[\w.-]+(?::\d{1,5})?/"  # a preview host
    r"|https?://(?:localhost|127\.0\.0\.1)(?::\d{1,5})?/"  # a dev server seen from inside
)
_QUERY = re.compile(r"(\.[A-Za-z0-9]{1,8})\?[\w.=&%-]*")
_LOCATION = re.compile(r"(?P<path>.*?)(?::(?P<line>\d+|undefined)(?::(?:\d+|NaN|undefined))?)?")
_NOT_APP = ("node_modules/", ".venv/", ".tessera-packages/", "@", "__tessera/", ".vite")


def strip_roots(text: str) -> str:
    """``text`` with every sandbox folder, preview origin and cache-busting query removed,
    so the paths in it read as project paths."""
    return _QUERY.sub(r"\1", _ROOT.sub("", text))


def project_path(raw: str) -> str | None:
    """The project path ``raw`` names (no line or column), or None when it is outside the
    project (a system file, ``<frozen runpy>``, ``node:internal/…``)."""
    path = strip_roots(raw.strip())
    if not path or path.startswith(("/", "<", "node:", "internal/")) or "://" in path:
        return None
    path = path.removeprefix("./")
    if not path or ".." in path.split("/"):
        return None
    return path


def split_location(raw: str) -> tuple[str, int | None]:
    """``path:line:column`` (line and column optional, as Vite and browsers write them) as
    ``(path, line)``; Vite's ``:undefined:NaN`` counts as no line."""
    text = strip_roots(raw.strip())
    match = _LOCATION.fullmatch(text)
    if match is None:  # pragma: no cover - the pattern matches any text
        return text, None
    line = match["line"]
    return match["path"], int(line) if line and line.isdigit() else None


def is_app_file(path: str | None) -> bool:
    """True for a project path that is the app's own code (not a package, the virtual
    environment, Vite's client or Tessera's preview script)."""
    if not path:
        return False
    return not path.startswith(_NOT_APP) and "site-packages/" not in path
