"""Preview host names: ``{port}-{sandbox_id}.{domain}``."""

from __future__ import annotations

import re
from dataclasses import dataclass

_LABEL = re.compile(r"(\d{1,5})-([a-z0-9]+)")


@dataclass(frozen=True, slots=True)
class PreviewTarget:
    sandbox_id: str
    port: int


class PreviewHosts:
    """Recognises preview hosts under ``domain`` (such as ``localhost:8000``).

    Matching ignores case; a host without a port also matches the domain without its port
    (Tessera behind a reverse proxy on the default port).
    """

    def __init__(self, domain: str) -> None:
        domain = domain.strip().lower().rstrip(".")
        suffixes = [f".{domain}"]
        name, colon, port = domain.rpartition(":")
        if colon and port.isdigit() and name:
            suffixes.append(f".{name}")
        self._suffixes = tuple(suffixes)

    def match(self, host: str) -> PreviewTarget | None:
        host = host.strip().lower()
        for suffix in self._suffixes:
            if host.endswith(suffix):
                found = _LABEL.fullmatch(host[: -len(suffix)])
                if found and 0 < int(found[1]) < 65536:
                    return PreviewTarget(sandbox_id=found[2], port=int(found[1]))
        return None
