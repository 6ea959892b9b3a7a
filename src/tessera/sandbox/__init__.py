"""Sandboxes: the provider protocols (``base``), the ``local`` provider, templates and the
per-project service (``manager``)."""
