"""The running app's errors: read from its dev servers' output and reported by its preview
page, grouped, and streamed to the console (``hub.Diagnostics``)."""

from tessera.diagnostics.hub import Diagnostics
from tessera.diagnostics.logparse import LogScanner
from tessera.diagnostics.model import AppError, Source

__all__ = ["AppError", "Diagnostics", "LogScanner", "Source"]
