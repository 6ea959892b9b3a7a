"""The project's package manifests: checking them, and adding a dependency to them.

A broken ``package.json`` or ``requirements.txt`` stops the dev server or the installs,
and a dependency that points at a URL, a git repository or a local folder would fetch
code from outside the package registries (or reach into the machine). So a manifest is
checked before it is kept, with a message that says exactly what to fix, and adding a
dependency edits the manifest the way a person would: same indentation and key order,
one line changed or added.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from tessera.errors import ManifestInvalid
from tessera.protocol.dependencies import dependency_problem

PACKAGE_JSON = "package.json"
REQUIREMENTS = "requirements.txt"
API_REQUIREMENTS = "api/requirements.txt"
MANIFESTS: frozenset[str] = frozenset({PACKAGE_JSON, REQUIREMENTS, API_REQUIREMENTS})

DEPENDENCY_SECTIONS = (
    "dependencies",
    "devDependencies",
    "peerDependencies",
    "optionalDependencies",
)
PIP_OPERATORS = ("===", "==", "!=", "<=", ">=", "~=", "<", ">")

_NPM_SOURCES = (
    (re.compile(r"(?:file|link|portal|workspace):", re.I), "a local folder"),
    (re.compile(r"(?:git|git\+[a-z]+|github|gitlab|bitbucket|gist):", re.I), "a git repository"),
    (re.compile(r"[a-z][a-z0-9+.-]*://", re.I), "a URL"),
    (re.compile(r"(?:\.\.?(?:/|$)|~/|/)"), "a local path"),  # not "~1.2" (a range)
    (re.compile(r"[\w.-]+/[\w.-]+(?:#.*)?"), "a GitHub repository"),
)
_PIP_VCS_RE = re.compile(r"(?:git|hg|svn|bzr)\+", re.I)
_PIP_COMMENT_RE = re.compile(r"(?:^|\s)#.*$")
_ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".tgz", ".zip")


# --- checking ----------------------------------------------------------------------------


def validate_manifest(path: str, content: str) -> None:
    """Raises ``ManifestInvalid`` saying what is wrong with the manifest ``path``.

    ``package.json``: a JSON object whose dependency sections map valid package names to
    registry versions, whose ``scripts`` are strings and include ``dev`` (the Vite apps of
    the react and fullstack templates start with it). ``requirements.txt`` (root or
    ``api/``): one requirement per line (``flask``, ``flask==3.1``, ``requests>=2,<3``),
    no options, URLs, version-control or local paths. Other paths are not manifests and
    pass.
    """
    if path == PACKAGE_JSON:
        _check_package_json(content)
    elif path in MANIFESTS:
        _check_requirements(path, content)


def _check_package_json(content: str) -> None:
    manifest = _load_package_json(content)
    for section in DEPENDENCY_SECTIONS:
        if section not in manifest:
            continue
        entries = manifest[section]
        if not isinstance(entries, dict):
            raise ManifestInvalid(
                f'package.json: "{section}" must be an object mapping package names to '
                'versions, such as {"react": "^19.0.0"}.'
            )
        for name, spec in entries.items():
            problem = _npm_problem(name, spec)
            if problem:
                raise ManifestInvalid(f'package.json: in "{section}", {problem}')
    scripts = manifest.get("scripts", {})
    if not isinstance(scripts, dict) or not all(
        isinstance(command, str) for command in scripts.values()
    ):
        raise ManifestInvalid(
            'package.json: "scripts" must be an object of commands (strings), such as '
            '{"dev": "vite", "build": "vite build"}.'
        )
    if "dev" not in scripts:
        raise ManifestInvalid(
            'package.json has no "dev" script: a Vite app needs "scripts": {"dev": "vite", '
            '"build": "vite build"} (keep the scripts the project started with).'
        )


def _load_package_json(content: str, *, prefix: str = "") -> dict[str, Any]:
    """package.json as an object; ``prefix`` starts the error message ("Cannot add x: ")."""
    try:
        manifest = json.loads(content)
    except json.JSONDecodeError as exc:
        raise ManifestInvalid(
            f"{prefix}package.json is not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno} (JSON allows no comments or trailing commas)."
        ) from exc
    if not isinstance(manifest, dict):
        raise ManifestInvalid(
            f"{prefix}package.json must be a JSON object ({{...}}), not {_json_kind(manifest)}."
        )
    return manifest


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true or false"
    return "null" if value is None else "a number"


def _npm_problem(name: object, spec: object) -> str | None:
    """What is wrong with one npm dependency, or None."""
    if not isinstance(name, str) or dependency_problem(name, None) or "[" in name:
        return f"{name!r} is not a valid npm package name."
    if not isinstance(spec, str):
        return f'the version of {name!r} must be a string, such as "^1.2.0".'
    if dependency_problem(name, spec):
        return (
            f"the version {spec[:80]!r} of {name!r} is not a version: write one such as "
            '"^1.2.0", or "latest".'
        )
    source = spec.strip()
    if source.lower().startswith("npm:"):  # an alias of another registry package
        aliased = source[4:].rsplit("@", 1)[0] if "@" in source[5:] else source[4:]
        if dependency_problem(aliased, None):
            return f"the alias {spec!r} of {name!r} does not name a valid package."
        return None
    for pattern, kind in _NPM_SOURCES:
        if pattern.match(source):
            return (
                f"{name!r} points to {kind} ({spec[:80]!r}); packages come from the npm "
                'registry only: give a version such as "^1.2.0".'
            )
    return None


def _check_requirements(path: str, content: str) -> None:
    for number, line in _requirement_lines(content):
        problem = _requirement_problem(line)
        if problem:
            raise ManifestInvalid(f"{path} line {number}: {problem}")


def _requirement_lines(content: str) -> list[tuple[int, str]]:
    """Each requirement with the number of the line it starts on (comments, blank lines
    and ``\\`` line continuations taken care of)."""
    found: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(content.splitlines(), start=1):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending.append(raw[:-1])
            continue
        line = _PIP_COMMENT_RE.sub("", "".join([*pending, raw])).strip()
        pending = []
        if line:
            found.append((start, line))
    if pending:
        line = _PIP_COMMENT_RE.sub("", "".join(pending)).strip()
        if line:
            found.append((start, line))
    return found


def _requirement_problem(line: str) -> str | None:
    """What is wrong with one requirement, or None."""
    shown = repr(line[:80])
    if line.startswith("-"):
        option = line.split()[0]
        return (
            f"options such as {option} are not allowed (no -e, -r, -c or --index-url): "
            "list one package per line, such as flask==3.1."
        )
    if "://" in line or _PIP_VCS_RE.match(line):
        return (
            f"{shown} installs from a URL or a repository; packages come from PyPI only: "
            "write its name and version, such as flask==3.1."
        )
    if line.startswith((".", "/", "~")) or line.lower().endswith(_ARCHIVE_SUFFIXES):
        return (
            f"{shown} is a local file or folder; packages come from PyPI only: write its "
            "name and version, such as flask==3.1."
        )
    try:
        requirement = Requirement(line)
    except InvalidRequirement as exc:
        reason = str(exc).splitlines()[0]
        hint = " (pip has no ^ ranges: use ~=3.1 or >=3,<4)" if "^" in line else ""
        return (
            f"{shown} is not a valid requirement: {reason}{hint}; write it as name, "
            "name==1.2 or name>=1.2,<2."
        )
    if requirement.url:
        return f"{shown} installs from a URL; packages come from PyPI only."
    if dependency_problem(requirement.name, None):
        return f"{requirement.name!r} is not a valid package name."
    return None


# --- adding a dependency -----------------------------------------------------------------


def add_dependency(
    files: Mapping[str, str],
    *,
    name: str,
    version: str | None,
    manager: str | None,
    template: str,
) -> tuple[str, str]:
    """The manifest to change and its new content, with ``name`` added or updated.

    ``manager`` is "npm" or "pip"; None means pip for a Python project and npm otherwise.
    npm: ``package.json``'s ``dependencies`` (or ``devDependencies`` when the package is
    already there), key order and indentation kept, a new package inserted in sorted
    place; no version means "latest". pip: ``requirements.txt`` (``api/requirements.txt``
    in a full-stack project), created when missing; a line naming the package is
    replaced, else one is appended; "3.1" becomes ``name==3.1``, a specifier such as
    ">=3" is kept, no version gives the bare name.
    """
    name = name.strip()
    version = version.strip() if version is not None else None
    problem = dependency_problem(name, version)
    if problem:
        raise ManifestInvalid(problem.removesuffix("; it was not added") + ".")
    written = (manager or "").strip().lower()
    chosen = written or ("pip" if template == "python" else "npm")
    if chosen == "npm":
        return PACKAGE_JSON, _add_npm(files, name, version, template)
    if chosen == "pip":
        path = _requirements_path(files, name, template)
        return path, _add_pip(files.get(path, ""), name, version)
    raise ManifestInvalid(
        f"Cannot add {name}: unknown package manager {manager!r} (use npm or pip)."
    )


def _add_npm(files: Mapping[str, str], name: str, version: str | None, template: str) -> str:
    if PACKAGE_JSON not in files:
        hint = (
            " (it is a Python app: add Python packages to requirements.txt with pip)"
            if template == "python"
            else ""
        )
        raise ManifestInvalid(
            f"Cannot add the npm package {name}: this project has no package.json{hint}."
        )
    spec = version or "latest"
    problem = _npm_problem(name, spec)
    if problem:
        raise ManifestInvalid(f"Cannot add the npm package {name}: {problem}")
    content = files[PACKAGE_JSON]
    manifest = _load_package_json(content, prefix=f"Cannot add {name}: ")
    section = "devDependencies" if name in _object(manifest, "devDependencies") else "dependencies"
    if not isinstance(manifest.get(section, {}), dict):
        raise ManifestInvalid(
            f'Cannot add {name}: "{section}" in package.json is not an object; fix it first.'
        )
    manifest[section] = _with_sorted_key(_object(manifest, section), name, spec)
    return json.dumps(manifest, indent=_indent_of(content), ensure_ascii=False) + "\n"


def _object(manifest: dict[str, Any], key: str) -> dict[str, Any]:
    value = manifest.get(key)
    return value if isinstance(value, dict) else {}


def _with_sorted_key(entries: dict[str, Any], name: str, spec: str) -> dict[str, Any]:
    """``entries`` with ``name`` set: in place when present, else before the first key that
    sorts after it (so a sorted section stays sorted, and any other order is kept)."""
    if name in entries:
        return {**entries, name: spec}
    result: dict[str, Any] = {}
    inserted = False
    for key, value in entries.items():
        if not inserted and key > name:
            result[name] = spec
            inserted = True
        result[key] = value
    if not inserted:
        result[name] = spec
    return result


def _indent_of(content: str) -> str | int:
    """The indentation package.json uses (its first indented key), 2 spaces by default."""
    match = re.search(r'^([ \t]+)"', content, re.M)
    return match.group(1) if match else 2


def _requirements_path(files: Mapping[str, str], name: str, template: str) -> str:
    if template == "fullstack" or API_REQUIREMENTS in files:
        return API_REQUIREMENTS
    if template == "python" or REQUIREMENTS in files:
        return REQUIREMENTS
    if any(path.startswith("api/") and path.endswith(".py") for path in files):
        return API_REQUIREMENTS
    raise ManifestInvalid(
        f"Cannot add the Python package {name}: this is a React project without a Python "
        "part; ask for a Flask API (api/app.py) first, or use an npm package."
    )


def pip_requirement(name: str, version: str | None) -> str:
    """The requirements.txt line for ``name`` at ``version``."""
    if version is None or version.lower() in ("", "latest", "*"):
        return name
    compact = re.sub(r"\s+", "", version)
    if compact.startswith(PIP_OPERATORS):
        line = f"{name}{compact}"
    elif compact[0].isdigit():
        line = f"{name}=={compact}"
    else:
        raise ManifestInvalid(
            f"The version {version[:80]!r} of {name} is not a pip version: write 3.1, "
            "==3.1, ~=3.1 or >=3,<4."
        )
    problem = _requirement_problem(line)
    if problem:
        raise ManifestInvalid(f"Cannot add {name}: {problem}")
    return line


def _add_pip(content: str, name: str, version: str | None) -> str:
    line = pip_requirement(name, version)
    wanted = canonicalize_name(Requirement(line).name)
    newline = "\r\n" if "\r\n" in content else "\n"
    lines = content.splitlines()
    result: list[str] = []
    replaced = False
    for existing in lines:
        if _names_package(existing, wanted):
            if not replaced:
                result.append(line)
                replaced = True
            continue
        result.append(existing)
    if not replaced:
        result.append(line)
    return newline.join(result) + newline


def _names_package(line: str, wanted: str) -> bool:
    text = _PIP_COMMENT_RE.sub("", line).strip()
    if not text or text.startswith("-"):
        return False
    try:
        return canonicalize_name(Requirement(text).name) == wanted
    except InvalidRequirement:
        return False
