"""The ``e2b`` sandbox provider: Tessera's sandboxes in E2B's cloud (see ``provider``).

Importing this package imports E2B's SDK; the app does so only when ``TESSERA_SANDBOX`` is
``e2b``.
"""

from tessera.sandbox.e2b.provider import E2BSandboxProvider
from tessera.sandbox.e2b.sandbox import E2BSandbox
from tessera.sandbox.e2b.sdk import CloudSdk, E2BSdk

__all__ = ["CloudSdk", "E2BSandbox", "E2BSandboxProvider", "E2BSdk"]
