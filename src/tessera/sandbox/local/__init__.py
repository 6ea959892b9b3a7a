"""The ``local`` sandbox provider (see ``provider``)."""

from tessera.sandbox.local.provider import LocalSandboxProvider
from tessera.sandbox.local.sandbox import LocalSandbox

__all__ = ["LocalSandbox", "LocalSandboxProvider"]
