"""Tessera's templates as E2B templates, defined with E2B's Template SDK.

Each E2B template is an image whose project folder (``/home/user/app``, the working
directory) holds the starter files of a Tessera template (``registry.py``) with their
dependencies already installed, so a new sandbox starts without installing anything. The
sandbox manager starts the dev server itself (it follows its output and restarts it), so
the templates have no start command.

``tessera templates build --provider e2b`` builds them into the E2B account of
``E2B_API_KEY``; nothing here calls E2B until ``build`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from e2b import AsyncTemplate, BuildException, BuildInfo, LogEntry, TemplateBase
from e2b.template.main import TemplateBuilder

from tessera.errors import SandboxError, TemplateNotFound
from tessera.sandbox.templates.registry import Template, get_template, templates

PROJECT_DIR = "/home/user/app"
"""The project folder in the images (E2B's default user is ``user``)."""

USER = "user"
"""E2B's default user, which runs the sandbox's commands and owns the project folder."""

TAG = "latest"
_IGNORED = ["node_modules", ".venv", "__pycache__", "*.pyc", ".vite"]

LogCallback = Callable[[str], None]

_PYTHON_PACKAGES = ["python3", "python3-venv"]


@dataclass(frozen=True, slots=True)
class E2BTemplate:
    """How one Tessera template is built on E2B."""

    template: str
    """The Tessera template (``registry.py``)."""
    e2b_name: str
    """The E2B template's name; sandboxes are created from ``{e2b_name}`` (tag latest)."""
    base: Callable[[TemplateBase], TemplateBuilder]
    """The base image and system packages."""
    cpu_count: int
    memory_mb: int

    def definition(self) -> TemplateBuilder:
        """The Template SDK definition: base image, starter files, installed dependencies."""
        spec = get_template(self.template)
        builder = self.base(
            AsyncTemplate(file_context_path=spec.files_dir, file_ignore_patterns=_IGNORED)
        )
        return (
            builder.run_cmd(
                f"mkdir -p {PROJECT_DIR} && chown {USER}:{USER} {PROJECT_DIR}", user="root"
            )
            .set_workdir(PROJECT_DIR)
            .copy(".", f"{PROJECT_DIR}/", user=USER)
            .run_cmd(_install(spec), user=USER)
        )


def _install(spec: Template) -> str:
    return f"cd {PROJECT_DIR} && {spec.install_command}"


def _node(template: TemplateBase) -> TemplateBuilder:
    return template.from_node_image("24-slim")


def _python(template: TemplateBase) -> TemplateBuilder:
    # Debian's python3 at /usr/bin/python3, the interpreter the templates' virtual
    # environments are made from.
    return template.from_debian_image("stable-slim").apt_install(
        _PYTHON_PACKAGES, no_install_recommends=True
    )


def _node_and_python(template: TemplateBase) -> TemplateBuilder:
    return template.from_node_image("24-slim").apt_install(
        _PYTHON_PACKAGES, no_install_recommends=True
    )


_DEFINITIONS = (
    E2BTemplate("react", "tessera-react", _node, cpu_count=2, memory_mb=1024),
    E2BTemplate("python", "tessera-python", _python, cpu_count=1, memory_mb=512),
    E2BTemplate("fullstack", "tessera-fullstack", _node_and_python, cpu_count=2, memory_mb=2048),
)


def e2b_templates() -> list[E2BTemplate]:
    """The E2B templates of the Tessera templates this installation has."""
    known = set(templates())
    return [t for t in _DEFINITIONS if t.template in known]


def select(names: list[str] | None = None) -> list[E2BTemplate]:
    """The E2B templates of the Tessera templates ``names`` (default: all of them)."""
    available = {t.template: t for t in e2b_templates()}
    unknown = [name for name in names or [] if name not in available]
    if unknown:
        raise TemplateNotFound(
            f"There is no template called {unknown[0]!r}; known: {', '.join(available)}."
        )
    return [available[name] for name in names] if names else list(available.values())


def default_template_ids() -> dict[str, str]:
    """Tessera template name → E2B template name, for the templates this installation has."""
    return {t.template: t.e2b_name for t in e2b_templates()}


async def build(
    template: E2BTemplate,
    *,
    api_key: str,
    domain: str | None = None,
    on_log: LogCallback | None = None,
) -> BuildInfo:
    """Builds ``template`` in E2B's cloud as ``{e2b_name}:latest`` (minutes the first time;
    E2B caches unchanged steps). Raises ``SandboxError`` saying what went wrong."""
    from tessera.sandbox.e2b.errors import translated

    def log(entry: LogEntry) -> None:
        if on_log is not None:
            on_log(entry.message)

    try:
        with translated(subject="template", name=template.e2b_name):
            return await AsyncTemplate.build(
                template.definition(),
                f"{template.e2b_name}:{TAG}",
                cpu_count=template.cpu_count,
                memory_mb=template.memory_mb,
                on_build_logs=log,
                api_key=api_key,
                domain=domain,
            )
    except BuildException as exc:
        raise SandboxError(
            f"E2B could not build the template {template.e2b_name!r}: {exc}"
        ) from exc
