"""Installing what a project's manifests ask for beyond the packages its sandbox has.

One installer per ecosystem (``Dependencies.ecosystem``):

- ``npm``: a ``package.json`` dependency the sandbox's ``node_modules`` does not satisfy
  runs the template's ``npm install`` in the project folder (install scripts off); a
  ``node_modules`` shared through a symbolic link is copied first, so an install never
  changes the machine's cache.
- ``pip``: requirements the sandbox's Python does not satisfy are installed with
  ``pip install --target .tessera-packages`` (wheels only, so no package runs code while
  it is installed), which every Python process of the sandbox has on its ``PYTHONPATH``.
  The cached ``.venv`` is never written to.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Protocol

from tessera.errors import CommandFailed, CommandTimeout, FileNotFound, InvalidPath
from tessera.sandbox.base import CommandResult, Sandbox
from tessera.sandbox.deps import declared_dependencies, satisfies
from tessera.sandbox.requirements import parse_requirements, satisfied
from tessera.sandbox.templates import PACKAGES_DIR, VENV, Dependencies, Ecosystem

_OWN_NODE_MODULES = (
    'if [ -L node_modules ]; then shared="$(readlink -f node_modules)" '
    '&& rm node_modules && cp -a "$shared" node_modules; fi'
)

_PIP_FLAGS = "--no-cache-dir --disable-pip-version-check --no-input --only-binary=:all: --upgrade"

_LIST_DISTRIBUTIONS = (
    "import importlib.metadata as m, json, re\n"
    "found = [d for d in m.distributions() if d.metadata['Name']]\n"
    "# the first one on sys.path is the one imported: let it win\n"
    "print(json.dumps({re.sub(r'[-_.]+', '-', d.metadata['Name']).lower(): d.version"
    " for d in reversed(found)}))\n"
)
_LIST_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class InstallCommand:
    """A shell command to run in the sandbox, in ``cwd`` (None: the project folder)."""

    cmd: str
    cwd: str | None = None
    envs: dict[str, str] = field(default_factory=dict)


class Installer(Protocol):
    def wanted(self, manifest: str) -> dict[str, str]:
        """What a manifest's text asks for: ``{key: spec}`` (keys name packages in messages)."""

    async def missing(self, sandbox: Sandbox, wanted: Mapping[str, str]) -> list[str]:
        """The keys of ``wanted`` that the sandbox does not satisfy."""

    def command(self, dependencies: Dependencies, missing: Sequence[str]) -> InstallCommand:
        """How to install ``missing``."""

    def advice(self, dependencies: Dependencies) -> str:
        """What to check when the install failed."""


class NpmInstaller:
    def wanted(self, manifest: str) -> dict[str, str]:
        return declared_dependencies(manifest)

    async def missing(self, sandbox: Sandbox, wanted: Mapping[str, str]) -> list[str]:
        return [name for name, spec in wanted.items() if not await _has_npm(sandbox, name, spec)]

    def command(self, dependencies: Dependencies, missing: Sequence[str]) -> InstallCommand:
        return InstallCommand(
            f"{_OWN_NODE_MODULES} && {dependencies.install}",
            envs={"npm_config_update_notifier": "false"},
        )

    def advice(self, dependencies: Dependencies) -> str:
        return f"check the package names and versions in {dependencies.manifest}"


class PipInstaller:
    def wanted(self, manifest: str) -> dict[str, str]:
        return {requirement.line: requirement.line for requirement in parse_requirements(manifest)}

    async def missing(self, sandbox: Sandbox, wanted: Mapping[str, str]) -> list[str]:
        requirements = parse_requirements("\n".join(wanted))
        named = any(requirement.name is not None for requirement in requirements)
        installed = await python_distributions(sandbox) if named else {}
        return [
            requirement.line
            for requirement in requirements
            if not satisfied(requirement, installed)
        ]

    def command(self, dependencies: Dependencies, missing: Sequence[str]) -> InstallCommand:
        # Run where the manifest is, so that relative paths in it mean what they say.
        folder = PurePosixPath(dependencies.manifest).parent
        up = "../" * len(folder.parts)
        arguments: list[str] = []
        for line in missing:
            arguments.extend(shlex.split(line) if line.startswith("-") else [line])
        cmd = (
            f"{up}{VENV}/bin/python -m pip install {_PIP_FLAGS} --target {up}{PACKAGES_DIR} "
            + " ".join(shlex.quote(argument) for argument in arguments)
        )
        return InstallCommand(cmd, cwd=None if not folder.parts else folder.as_posix())

    def advice(self, dependencies: Dependencies) -> str:
        return (
            f"check the package names and versions in {dependencies.manifest} (packages "
            "are installed from wheels only)"
        )


def installer_for(ecosystem: Ecosystem) -> Installer:
    return NpmInstaller() if ecosystem == "npm" else PipInstaller()


async def _has_npm(sandbox: Sandbox, name: str, spec: str) -> bool:
    """True when the sandbox's node_modules holds ``name`` in a version satisfying ``spec``."""
    try:
        manifest = json.loads(await sandbox.files.read(f"node_modules/{name}/package.json"))
    except (FileNotFound, InvalidPath, ValueError):
        return False
    version = manifest.get("version") if isinstance(manifest, dict) else None
    return isinstance(version, str) and satisfies(version, spec)


async def python_distributions(sandbox: Sandbox) -> dict[str, str]:
    """Canonical name → version of every distribution the sandbox's Python processes see
    (``.tessera-packages`` first, then ``.venv``); {} when that cannot be told."""
    cmd = f'PYTHONPATH="$PWD/{PACKAGES_DIR}" {VENV}/bin/python -c ' + shlex.quote(
        _LIST_DISTRIBUTIONS
    )
    try:
        result = await sandbox.commands.run(cmd, timeout=_LIST_TIMEOUT_SECONDS)
    except (CommandFailed, CommandTimeout):
        return {}
    assert isinstance(result, CommandResult)
    try:
        found = json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {str(name): str(version) for name, version in found.items()}
