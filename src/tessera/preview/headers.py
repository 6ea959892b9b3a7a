"""Which request and response headers cross the proxy."""

from __future__ import annotations

from collections.abc import Iterable

Header = tuple[bytes, bytes]

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
    }
)


def end_to_end(headers: Iterable[Header], *, drop: Iterable[bytes] = ()) -> list[Header]:
    """``headers`` without hop-by-hop ones (including those named by ``Connection``) and
    without the names in ``drop`` (lower case)."""
    headers = list(headers)
    excluded = set(HOP_BY_HOP).union(drop)
    for name, value in headers:
        if name.lower() == b"connection":
            excluded.update(token.strip().lower() for token in value.split(b","))
    return [(name, value) for name, value in headers if name.lower() not in excluded]


def header(headers: Iterable[Header], name: bytes) -> bytes | None:
    """The first value of ``name`` (lower case), or None."""
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def forwarded(scope_client: object, scheme: str, host: bytes | None) -> list[Header]:
    """``X-Forwarded-*`` headers describing the browser's request."""
    extra: list[Header] = [(b"x-forwarded-proto", scheme.encode())]
    if host:
        extra.append((b"x-forwarded-host", host))
    if isinstance(scope_client, (tuple, list)) and scope_client:
        extra.append((b"x-forwarded-for", str(scope_client[0]).encode()))
    return extra
