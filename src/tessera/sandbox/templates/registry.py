"""The templates a sandbox starts from: starter files, processes, dependencies.

A template is one kind of app. It names

- its starter files (the ``files/`` folder next to this module);
- its dependency sets (``Dependencies``): each is installed once per machine into the
  template's cache and every sandbox of the template gets it at the same place in its
  project folder (``node_modules`` for npm packages, ``.venv`` for a Python virtual
  environment made from the system's ``/usr/bin/python3``);
- its processes (``Process``): the servers the sandbox runs, each on its own port, one of
  them serving the preview.

Python processes run the cached ``.venv``'s interpreter with ``--app`` pointing at the
project's module, and ``PYTHONPATH`` naming ``.tessera-packages``, where packages a project
adds beyond the template's are installed (the cached ``.venv`` is never written to).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tessera.errors import TemplateNotFound

_TEMPLATES_DIR = Path(__file__).resolve().parent

Ecosystem = Literal["npm", "pip"]

VENV = ".venv"
"""The Python virtual environment of a sandbox (read-only: the template's cached one)."""

PACKAGES_DIR = ".tessera-packages"
"""Where a sandbox installs the Python packages its project adds (``pip --target``)."""

SYSTEM_PYTHON = "/usr/bin/python3"
"""The interpreter virtual environments are made from: the system's, which an isolated
sandbox sees (it binds ``/usr`` only)."""

NPM_INSTALL = "npm install --no-audit --no-fund --ignore-scripts"


def pip_warm_command(manifest: str) -> str:
    """Makes ``.venv`` from the system Python and installs ``manifest`` into it (wheels only,
    so no package runs code while it is installed)."""
    return (
        f"{SYSTEM_PYTHON} -m venv {VENV} && {VENV}/bin/python -m pip install --no-cache-dir "
        f"--disable-pip-version-check --only-binary=:all: -r {manifest}"
    )


def flask_command(app: str) -> str:
    """Flask's dev server for the module ``app`` (a path without ``.py``) on ``{port}``.

    No reloader: the manager restarts the process when a ``.py`` file changes, so that a
    deployment is answered by the new code and a broken module fails the deployment with
    its traceback. Templates and static files are read afresh on every request (debug mode).
    """
    return (
        f'PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$PWD/{PACKAGES_DIR}" '
        f"{VENV}/bin/python -m flask --app {app} run --debug --no-reload "
        "--host 127.0.0.1 --port {port}"
    )


VITE_COMMAND = "node node_modules/vite/bin/vite.js --host 127.0.0.1 --port {port} --strictPort"


@dataclass(frozen=True, slots=True)
class Dependencies:
    """One dependency set of a template.

    ``manifest`` (a project path) lists the packages; ``install`` (a shell command run in a
    folder holding the manifest) installs them into ``folder``, which the cache keeps and
    every sandbox gets at the same path. A project's own additions are installed inside
    its sandbox, the way ``ecosystem`` does it.
    """

    ecosystem: Ecosystem
    manifest: str
    folder: str
    install: str


@dataclass(frozen=True, slots=True)
class Process:
    """One server a template's sandbox runs.

    ``command_format`` is a shell command run in the project folder; ``{port}`` is this
    process's port and ``{ports[NAME]}`` another process's. ``probe`` is the path asked
    for readiness; a process is up when it answers below 500, or with any status when
    ``errors_are_answers`` (a Python app's own errors are shown in the preview, not waited
    out). A change of a project file matching one of ``restart_on`` (``fnmatch`` patterns,
    ``*`` crossing folders) restarts the process; so does an install into one of the
    dependency folders it ``uses``. Anything else reaches it by hot reload, when it has
    one (``hot_reload``); a page served by a process without it must be reloaded to show
    a change.
    """

    name: str
    label: str
    """How messages name it: "dev server", "API server"."""
    command_format: str
    default_port: int
    preview: bool = False
    probe: str = "/"
    errors_are_answers: bool = False
    restart_on: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()
    hot_reload: bool = True

    def command(self, ports: Mapping[str, int]) -> str:
        """The shell command, given every process's port (this one's included)."""
        return self.command_format.format(port=ports[self.name], ports=ports)

    def needs_port_of(self, other: str) -> bool:
        """True when the command names the port of process ``other``."""
        return f"{{ports[{other}]}}" in self.command_format


@dataclass(frozen=True, slots=True)
class Template:
    """One kind of app: starter files in ``files_dir``, ``processes`` (exactly one of them
    serving the preview) and ``dependencies``."""

    name: str
    description: str
    files_dir: Path
    processes: tuple[Process, ...]
    dependencies: tuple[Dependencies, ...]

    def __post_init__(self) -> None:
        if sum(process.preview for process in self.processes) != 1:
            raise ValueError(f"template {self.name!r} needs exactly one preview process")

    @property
    def preview(self) -> Process:
        """The process whose port is the preview."""
        return next(process for process in self.processes if process.preview)

    @property
    def default_port(self) -> int:
        """The preview process's usual port."""
        return self.preview.default_port

    @property
    def dependency_files(self) -> tuple[str, ...]:
        """The manifests, copied into the cache to install from."""
        return tuple(dependencies.manifest for dependencies in self.dependencies)

    @property
    def cached_dirs(self) -> tuple[str, ...]:
        """The folders the cache keeps and every sandbox gets."""
        return tuple(dependencies.folder for dependencies in self.dependencies)

    @property
    def install_command(self) -> str:
        """Every dependency set's install, as one shell command."""
        return " && ".join(dependencies.install for dependencies in self.dependencies)

    def starter_files(self) -> list[str]:
        """Paths of the starter files, relative to the project folder, sorted."""
        return sorted(
            path.relative_to(self.files_dir).as_posix()
            for path in self.files_dir.rglob("*")
            if path.is_file()
        )


@functools.cache
def _registry() -> dict[str, Template]:
    vite = Process(
        name="web",
        label="dev server",
        command_format=VITE_COMMAND,
        default_port=5173,
        preview=True,
        # Vite reloads a changed config by itself, but keeps serving with the old one when
        # the new one fails: a restart makes a broken config show as a failed deploy.
        restart_on=("vite.config.*",),
        uses=("node_modules",),
    )
    npm = Dependencies("npm", "package.json", "node_modules", NPM_INSTALL)
    react = Template(
        name="react",
        description="Vite + React + TypeScript",
        files_dir=_TEMPLATES_DIR / "react" / "files",
        processes=(vite,),
        dependencies=(npm,),
    )
    python = Template(
        name="python",
        description="Flask (Python), its pages in templates/ and static/",
        files_dir=_TEMPLATES_DIR / "python" / "files",
        processes=(
            Process(
                name="web",
                label="Flask dev server",
                command_format=flask_command("app"),
                default_port=5000,
                preview=True,
                errors_are_answers=True,
                restart_on=("*.py",),
                uses=(VENV,),
                hot_reload=False,
            ),
        ),
        dependencies=(
            Dependencies("pip", "requirements.txt", VENV, pip_warm_command("requirements.txt")),
        ),
    )
    fullstack = Template(
        name="fullstack",
        description="Vite + React front end, Flask API under /api, SQLite database",
        files_dir=_TEMPLATES_DIR / "fullstack" / "files",
        processes=(
            Process(
                name="api",
                label="API server",
                command_format=flask_command("api/app"),
                default_port=5000,
                probe="/api/health",
                errors_are_answers=True,
                restart_on=("api/*.py",),
                uses=(VENV,),
            ),
            Process(
                name="web",
                label="dev server",
                command_format=f"TESSERA_API_PORT={{ports[api]}} {VITE_COMMAND}",
                default_port=5173,
                preview=True,
                restart_on=("vite.config.*",),
                uses=("node_modules",),
            ),
        ),
        dependencies=(
            npm,
            Dependencies(
                "pip", "api/requirements.txt", VENV, pip_warm_command("api/requirements.txt")
            ),
        ),
    )
    return {template.name: template for template in (react, python, fullstack)}


def templates() -> list[str]:
    """Names of the known templates."""
    return list(_registry())


def get_template(name: str) -> Template:
    """The template called ``name``; raises ``TemplateNotFound`` listing the known ones."""
    try:
        return _registry()[name]
    except KeyError:
        known = ", ".join(templates())
        raise TemplateNotFound(f"There is no template called {name!r}; known: {known}.") from None


def template_files(name: str) -> dict[str, str]:
    """The starter files of template ``name``: ``{path: text}``."""
    template = get_template(name)
    return {path: (template.files_dir / path).read_text() for path in template.starter_files()}
