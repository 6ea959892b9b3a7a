"""A project's npm dependencies: what ``package.json`` asks for, and whether an installed
version already satisfies it.

``satisfies`` understands the usual semver ranges (``^``, ``~``, comparators, x-ranges,
``||``); for anything else (tags, ``file:``, git URLs, prereleases) it answers False, so
the caller installs rather than guesses.
"""

from __future__ import annotations

import json
import re

Version = tuple[int, int, int]

_VERSION = re.compile(r"v?(\d+)\.(\d+)\.(\d+)(?:\+[0-9A-Za-z.-]+)?")
_PARTIAL = re.compile(r"v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?")
_OPERATOR = r"(\^|~|>=|<=|>|<|=)"
_COMPARATOR = re.compile(_OPERATOR + r"?(.+)")
_ANY = ("", "*", "x", "X", "latest")


def declared_dependencies(package_json: str) -> dict[str, str]:
    """``dependencies`` and ``devDependencies`` of a ``package.json`` text ({} if invalid)."""
    try:
        data = json.loads(package_json)
    except ValueError:
        return {}
    deps: dict[str, str] = {}
    if isinstance(data, dict):
        for section in ("dependencies", "devDependencies"):
            value = data.get(section)
            if isinstance(value, dict):
                deps.update({str(name): str(spec) for name, spec in value.items()})
    return deps


def parse_version(text: str) -> Version | None:
    """A release version ``MAJOR.MINOR.PATCH`` (None for prereleases and anything else)."""
    match = _VERSION.fullmatch(text.strip())
    if not match:
        return None
    return int(match[1]), int(match[2]), int(match[3])


def satisfies(version: str, spec: str) -> bool:
    """True when ``version`` is known to satisfy the npm range ``spec``."""
    installed = parse_version(version)
    if installed is None:
        return False
    for alternative in spec.split("||"):
        bounds = _range(alternative.strip())
        if bounds is not None and all(_holds(installed, op, v) for op, v in bounds):
            return True
    return False


def _range(text: str) -> list[tuple[str, Version]] | None:
    """The comparators of one range set, or None when it is not understood."""
    if text in _ANY:
        return []
    if " - " in text:
        return None
    bounds: list[tuple[str, Version]] = []
    for token in re.sub(_OPERATOR + r"\s+", r"\1", text).split():
        match = _COMPARATOR.fullmatch(token)
        converted = _comparator(match[1] or "", match[2]) if match else None
        if converted is None:
            return None
        bounds.extend(converted)
    return bounds


def _comparator(operator: str, operand: str) -> list[tuple[str, Version]] | None:
    match = _PARTIAL.fullmatch(operand)
    if not match:
        return None
    parts = [None if p is None or p in "xX*" else int(p) for p in match.groups()]
    major, minor, patch = parts
    if major is None:
        return [] if operator in ("", "=", ">=", "^", "~") else None
    low: Version = (major, minor or 0, patch or 0)
    if operator == "^":
        if major > 0 or minor is None:
            high: Version = (major + 1, 0, 0)
        elif minor > 0 or patch is None:
            high = (0, minor + 1, 0)
        else:
            high = (0, 0, (patch or 0) + 1)
        return [(">=", low), ("<", high)]
    if operator == "~":
        high = (major + 1, 0, 0) if minor is None else (major, minor + 1, 0)
        return [(">=", low), ("<", high)]
    if operator in ("", "="):
        if minor is None:
            return [(">=", low), ("<", (major + 1, 0, 0))]
        if patch is None:
            return [(">=", low), ("<", (major, minor + 1, 0))]
        return [("=", low)]
    if operator in (">", "<=") and (minor is None or patch is None):
        # ">1.2" means ">=1.3.0"; "<=1.2" means "<1.3.0"
        bump = (major + 1, 0, 0) if minor is None else (major, minor + 1, 0)
        return [(">=" if operator == ">" else "<", bump)]
    return [(operator, low)]


def _holds(version: Version, operator: str, bound: Version) -> bool:
    if operator == ">=":
        return version >= bound
    if operator == ">":
        return version > bound
    if operator == "<":
        return version < bound
    if operator == "<=":
        return version <= bound
    return version == bound
