"""The templates a sandbox starts from: starter files, dev server, dependency install."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from tessera.errors import TemplateNotFound

_TEMPLATES_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class Template:
    """One kind of app.

    ``dependency_files`` are copied into the machine-level cache, where
    ``install_command`` (a shell command) installs what they name into ``cached_dir``; a
    sandbox gets that folder without installing anything. The same command installs a
    project's own dependencies inside its sandbox. ``dev_command(port)`` starts the dev
    server on 127.0.0.1:``port``.
    """

    name: str
    description: str
    files_dir: Path
    default_port: int
    dev_command_format: str
    dependency_files: tuple[str, ...]
    install_command: str
    cached_dir: str

    def dev_command(self, port: int) -> str:
        """The shell command that starts the dev server on ``port`` (127.0.0.1 only)."""
        return self.dev_command_format.format(port=port)

    def starter_files(self) -> list[str]:
        """Paths of the starter files, relative to the project folder, sorted."""
        return sorted(
            path.relative_to(self.files_dir).as_posix()
            for path in self.files_dir.rglob("*")
            if path.is_file()
        )


@functools.cache
def _registry() -> dict[str, Template]:
    react = Template(
        name="react",
        description="Vite + React + TypeScript",
        files_dir=_TEMPLATES_DIR / "react" / "files",
        default_port=5173,
        dev_command_format=(
            "node node_modules/vite/bin/vite.js --host 127.0.0.1 --port {port} --strictPort"
        ),
        dependency_files=("package.json",),
        install_command="npm install --no-audit --no-fund --ignore-scripts",
        cached_dir="node_modules",
    )
    return {react.name: react}


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
