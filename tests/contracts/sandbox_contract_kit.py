"""How the contract suite drives a provider, and process checks on this machine."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from tessera.sandbox.base import SandboxProvider


@dataclass(frozen=True)
class ProviderKit:
    """How the suite drives one provider: build instances over the same backend, and tell
    whether a process (by the pid a sandbox command printed) is still alive. ``skips``
    names the tests that do not apply to the provider, with the reason shown."""

    name: str
    make: Callable[[], SandboxProvider]
    alive: Callable[[int], bool]
    skips: Mapping[str, str] = field(default_factory=dict)
