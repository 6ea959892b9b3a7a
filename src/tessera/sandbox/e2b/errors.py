"""E2B's exceptions, turned into Tessera's errors with messages a user can act on.

E2B's SDK raises ``SandboxException`` and its subclasses (``TimeoutException``,
``NotFoundException``, ``InvalidArgumentException``, ``NotEnoughSpaceException``,
``RateLimitException``, ``CommandExitException``…), ``AuthenticationException`` and
``ServiceBusyException`` apart from that tree, and plain ``httpx`` errors when E2B cannot be
reached at all. ``translated`` is the one place that maps them; command results
(``CommandExitException``, command time limits) are mapped where commands are waited on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import httpx
from e2b import (
    AuthenticationException,
    FileNotFoundException,
    InvalidArgumentException,
    NotEnoughSpaceException,
    NotFoundException,
    RateLimitException,
    SandboxException,
    SandboxNotFoundException,
    SandboxNotRunningException,
    SandboxUnreachableException,
    ServiceBusyException,
    TemplateException,
    TimeoutException,
)

from tessera.errors import (
    FileNotFound,
    InvalidInput,
    SandboxError,
    SandboxNotFound,
    TemplateNotFound,
    TesseraError,
)

Subject = Literal["sandbox", "file", "template"]
"""What a not-found answer is about."""


class E2BAuthError(SandboxError):
    """E2B refused the API key."""

    code = "e2b_auth_error"


class E2BRateLimited(SandboxError):
    status_code = 429
    code = "e2b_rate_limited"


def translate(
    exc: BaseException, *, subject: Subject = "sandbox", name: str = ""
) -> TesseraError | None:
    """The Tessera error for an SDK exception (None for anything else).

    ``subject`` and ``name`` say what a not-found answer is about: a sandbox (its id), a
    file (its path relative to the project) or a template (its E2B name).
    """
    if isinstance(exc, TesseraError):
        return exc
    if isinstance(exc, AuthenticationException):
        return E2BAuthError(
            "E2B refused the API key; check E2B_API_KEY (keys are listed at "
            "https://e2b.dev/dashboard?tab=keys)."
        )
    if isinstance(exc, RateLimitException):
        return E2BRateLimited(
            "E2B's rate limit was reached (too many sandboxes or requests at once); "
            "wait a moment and try again."
        )
    if isinstance(exc, ServiceBusyException):
        return SandboxError("E2B has no capacity for this right now; try again in a moment.")
    if isinstance(exc, FileNotFoundException) or (
        subject == "file" and isinstance(exc, NotFoundException)
    ):
        return FileNotFound(f"{name or 'The file'!r} does not exist in the sandbox.")
    if subject == "template" and _is_not_found(exc):
        return TemplateNotFound(
            f"E2B has no template {name!r}; build Tessera's templates with "
            "`tessera templates build --provider e2b`."
        )
    if isinstance(exc, SandboxNotFoundException | SandboxNotRunningException | NotFoundException):
        what = f"sandbox {name!r}" if name else "sandbox"
        return SandboxNotFound(
            f"The E2B {what} no longer exists (it was killed or reached its timeout); "
            "deploy again to get a new one."
        )
    if isinstance(exc, SandboxUnreachableException):
        return SandboxError(
            "Tessera could not reach the E2B sandbox (its network may be down, or it is "
            "still starting); try again in a moment."
        )
    if isinstance(exc, TimeoutException):
        return SandboxError("E2B did not answer in time; try again in a moment.")
    if isinstance(exc, NotEnoughSpaceException):
        return SandboxError(
            "The sandbox's disk is full; remove large files or dependencies from the project."
        )
    if isinstance(exc, InvalidArgumentException):
        return InvalidInput(f"E2B refused the request: {exc}")
    if isinstance(exc, TemplateException):
        return SandboxError(
            "The E2B template is too old for this version of Tessera; rebuild it with "
            "`tessera templates build --provider e2b`."
        )
    if isinstance(exc, SandboxException):
        return SandboxError(f"E2B reported an error: {_short(exc)}")
    if isinstance(exc, httpx.TransportError):
        return SandboxError(
            "Tessera could not reach E2B: check this machine's internet connection "
            f"(and E2B_DOMAIN for a self-hosted E2B). Details: {_short(exc)}"
        )
    if isinstance(exc, httpx.HTTPError):
        return SandboxError(f"E2B answered with an error: {_short(exc)}")
    return None


@contextmanager
def translated(*, subject: Subject = "sandbox", name: str = "") -> Iterator[None]:
    """Raises the Tessera error for any SDK exception raised in the block."""
    try:
        yield
    except Exception as exc:
        error = translate(exc, subject=subject, name=name)
        if error is None or error is exc:
            raise
        raise error from exc


def _is_not_found(exc: BaseException) -> bool:
    return isinstance(exc, NotFoundException) or (
        isinstance(exc, SandboxException) and getattr(exc, "status_code", None) == 404
    )


def _short(exc: BaseException, limit: int = 300) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
