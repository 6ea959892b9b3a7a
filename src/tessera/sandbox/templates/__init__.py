"""Sandbox templates (each one's ``files/`` folder holds its starter files) and the
machine-level cache of their dependencies."""

from tessera.sandbox.templates.cache import TemplateCache
from tessera.sandbox.templates.registry import Template, get_template, template_files, templates

__all__ = ["Template", "TemplateCache", "get_template", "template_files", "templates"]
