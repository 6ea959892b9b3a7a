"""Checking the package names and versions a model asks to install.

The name and version end up as arguments of a package manager, so anything that could
be read as an option (a leading ``-``), a control character or a malformed name is
refused before it gets there.
"""

from __future__ import annotations

import re

MANAGERS = ("npm", "pip")
"""The package managers a dependency tag may name (``manager="pip"``)."""

MAX_NAME_CHARS = 214
MAX_VERSION_CHARS = 128

# npm names (optionally ``@scope/``) and Python distribution names (optionally ``[extras]``).
_NAME_RE = re.compile(r"(?:@[A-Za-z0-9][\w.-]*/)?[A-Za-z0-9][\w.-]*(?:\[[\w.,-]+\])?")
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def dependency_problem(name: str, version: str | None) -> str | None:
    """Why ``name``/``version`` cannot be installed, or ``None`` when they look fine."""
    shown = repr(name[:80])
    if not name:
        return "A <tessera-dependency> tag has no name attribute; it was ignored"
    if len(name) > MAX_NAME_CHARS or _NAME_RE.fullmatch(name) is None:
        hint = " (write the version in the version attribute)" if "@" in name[1:] else ""
        return f"The package name {shown} is not a valid package name{hint}; it was not added"
    if version is None:
        return None
    if not version.strip():
        return f"The version of {shown} is empty; it was not added"
    if len(version) > MAX_VERSION_CHARS:
        return f"The version of {shown} is longer than {MAX_VERSION_CHARS} characters"
    if version.lstrip().startswith("-") or _CONTROL_RE.search(version):
        return f"The version {version[:80]!r} of {shown} is not a version; it was not added"
    return None


def normalise_manager(manager: str | None) -> str | None:
    """A manager attribute as written (case and spaces ignored); ``None`` when absent."""
    if manager is None:
        return None
    return manager.strip().lower() or None


def manager_problem(manager: str | None, name: str) -> str | None:
    """Why ``manager`` (already normalised) cannot install ``name``, or ``None``."""
    if manager is None or manager in MANAGERS:
        return None
    known = " or ".join(f'manager="{known}"' for known in MANAGERS)
    return (
        f"The package manager {manager[:40]!r} of {name[:80]!r} is not one Tessera uses "
        f"(write {known}, or leave it out to use the project's); it was not added"
    )
