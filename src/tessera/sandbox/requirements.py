"""A project's Python requirements: what ``requirements.txt`` asks for, and whether an
installed version already satisfies it.

Only plain named requirements with release-version specifiers (``flask``,
``requests>=2.31,<3``, ``Jinja2~=3.1``, ``six==1.*``) are understood; for anything else
(extras, environment markers, URLs, paths, options, pre-releases) ``satisfied`` answers
False, so the caller installs rather than guesses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

Release = tuple[int, ...]

_NAME = re.compile(r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(.*)", re.S)
_SPECIFIER = re.compile(r"\s*(~=|===|==|!=|<=|>=|<|>)\s*([^\s,]+)\s*")
_RELEASE = re.compile(r"v?(\d+(?:\.\d+)*)")
_COMMENT = re.compile(r"(?:^|\s)#.*$")


@dataclass(frozen=True, slots=True)
class Requirement:
    """One line of a requirements file.

    ``name`` (canonical) and ``specifiers`` are set for a plain named requirement; both
    are None for a line that only the installer understands.
    """

    line: str
    name: str | None = None
    specifiers: tuple[tuple[str, str], ...] | None = None

    @property
    def is_option(self) -> bool:
        """An option line (``-r other.txt``, ``--index-url …``) rather than a package."""
        return self.line.startswith("-")


def canonical_name(name: str) -> str:
    """The normalised form of a distribution name (PEP 503): ``Flask_Cors`` → ``flask-cors``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirements(text: str) -> list[Requirement]:
    """The requirements of a ``requirements.txt`` text, one per logical line."""
    requirements: list[Requirement] = []
    for raw in text.replace("\\\n", "").splitlines():
        line = _COMMENT.sub("", raw).strip()
        if line:
            requirements.append(_parse_line(line))
    return requirements


def _parse_line(line: str) -> Requirement:
    match = _NAME.fullmatch(line)
    if match is None:
        return Requirement(line)
    rest = match.group(2).strip()
    if rest.startswith("(") and rest.endswith(")"):
        rest = rest[1:-1]
    specifiers: list[tuple[str, str]] = []
    for part in rest.split(",") if rest else []:
        specifier = _SPECIFIER.fullmatch(part)
        if specifier is None:
            return Requirement(line)
        specifiers.append((specifier.group(1), specifier.group(2)))
    return Requirement(line, canonical_name(match.group(1)), tuple(specifiers))


def satisfied(requirement: Requirement, installed: Mapping[str, str]) -> bool:
    """True when ``installed`` (canonical name → version) is known to satisfy it."""
    if requirement.name is None or requirement.specifiers is None:
        return False
    version = installed.get(requirement.name)
    if version is None:
        return False
    return all(_holds(version, op, wanted) for op, wanted in requirement.specifiers)


def _release(text: str) -> Release | None:
    match = _RELEASE.fullmatch(text.strip())
    return tuple(int(part) for part in match.group(1).split(".")) if match else None


def _padded(a: Release, b: Release) -> tuple[Release, Release]:
    width = max(len(a), len(b))
    return a + (0,) * (width - len(a)), b + (0,) * (width - len(b))


def _holds(version: str, operator: str, wanted: str) -> bool:
    if operator == "===":
        return version == wanted
    installed = _release(version)
    if installed is None:
        return False
    if wanted.endswith(".*") and operator in ("==", "!="):
        prefix = _release(wanted[:-2])
        if prefix is None:
            return False
        matches = installed[: len(prefix)] + (0,) * (len(prefix) - len(installed)) == prefix
        return matches if operator == "==" else not matches
    bound = _release(wanted)
    if bound is None:
        return False
    if operator == "~=":
        if len(bound) < 2:
            return False
        left, right = _padded(installed, bound)
        return left >= right and left[: len(bound) - 1] == bound[:-1]
    left, right = _padded(installed, bound)
    return {
        "==": left == right,
        "!=": left != right,
        ">=": left >= right,
        "<=": left <= right,
        ">": left > right,
        "<": left < right,
    }[operator]
