"""An E2B-compatible in-sandbox daemon ("envd"): the HTTP ``/files`` and ``/health``
endpoints and the ``process.Process`` and ``filesystem.Filesystem`` Connect RPC services,
so that E2B's SDK drives a local sandbox exactly as it drives a cloud one.

It runs inside the sandbox (as the sandbox's root, with only the capabilities it needs to
act as the sandbox's users): the sandbox's isolation is what keeps it in; paths are the
sandbox's own. ``proto/`` holds the stubs generated from E2B's ``.proto`` files.
"""

ENVD_PORT = 49983
"""Where E2B's SDK expects envd (``E2B_DEBUG=true`` talks to ``localhost:49983``)."""
