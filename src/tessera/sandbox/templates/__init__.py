"""Sandbox templates (each one's ``files/`` folder holds its starter files) and the
machine-level cache of their dependencies."""

from tessera.sandbox.templates.cache import TemplateCache
from tessera.sandbox.templates.registry import (
    PACKAGES_DIR,
    VENV,
    Dependencies,
    Ecosystem,
    Process,
    Template,
    get_template,
    template_files,
    templates,
)

__all__ = [
    "PACKAGES_DIR",
    "VENV",
    "Dependencies",
    "Ecosystem",
    "Process",
    "Template",
    "TemplateCache",
    "get_template",
    "template_files",
    "templates",
]
