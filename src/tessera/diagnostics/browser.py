"""Reports of the preview page's script (``preview/inject.py``) as ``AppError``s.

The page posts JSON objects::

    {"kind": "error" | "rejection" | "console" | "overlay", "message": str,
     "file": str, "line": int, "column": int, "stack": str, "count": int}

``error`` is an uncaught exception, ``rejection`` an unhandled promise rejection,
``console`` a ``console.error`` call, ``overlay`` the text of Vite's error overlay (a
module that does not compile: a ``build`` error, worded as Vite's log words it, so both
group together). Anything the page sends is untrusted: fields of the wrong type are
ignored, text is capped, and a payload without a message is not a report.
"""

from __future__ import annotations

from collections.abc import Mapping

from tessera.diagnostics.blocks import first_app_frame
from tessera.diagnostics.model import AppError
from tessera.diagnostics.paths import is_app_file, project_path, split_location, strip_roots
from tessera.diagnostics.vite import summarise

KINDS = ("error", "rejection", "console", "overlay")
MESSAGE_INPUT_LIMIT = 4000
STACK_INPUT_LIMIT = 8000
URL_LIMIT = 2000
MAX_COUNT = 1000


def browser_error(payload: Mapping[str, object]) -> AppError | None:
    """The error a page's report describes, or None for anything that is not a report."""
    if not isinstance(payload, Mapping):
        return None
    kind = payload.get("kind", "error")
    message = _text(payload.get("message"), MESSAGE_INPUT_LIMIT).strip()
    if kind not in KINDS or not message:
        return None
    stack = _text(payload.get("stack"), STACK_INPUT_LIMIT).strip()
    where = _text(payload.get("file"), URL_LIMIT)
    count = min(max(_number(payload.get("count")) or 1, 1), MAX_COUNT)
    if kind == "overlay":
        return _overlay_error(message, stack, where, count)
    lines = message.splitlines()
    file, line = first_app_frame(stack.splitlines())
    if file is None:
        path, _ = split_location(where)
        candidate = project_path(path) if where else None
        if is_app_file(candidate):
            file, line = candidate, _number(payload.get("line"))
    detail = "\n".join(part for part in ("\n".join(lines[1:]).strip(), stack) if part)
    return AppError(
        "browser",
        strip_roots(lines[0]),
        detail=strip_roots(detail) or None,
        file=file,
        line=line,
        count=count,
    )


def _overlay_error(message: str, frame: str, where: str, count: int) -> AppError:
    headline, *body = message.splitlines()
    text, file, line = summarise(headline, body)
    if where:
        path, number = split_location(where)
        file = project_path(path) or file
        line = number or line
    detail = strip_roots("\n".join(part for part in (message, frame) if part))
    return AppError("build", text, detail=detail, file=file, line=line, count=count)


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _number(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value != value or abs(value) > 10**9:  # NaN, absurd
        return None
    return int(value)
