"""Tessera: describe an app in plain language; watch it being written and running live."""

__version__ = "0.1.0"
